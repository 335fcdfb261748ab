"""The indexer's public surface for the web app (and other front ends): search, documents, exports,
suggestions and errors. webapp imports indexer through this module only (tests/test_layers.py checks)."""

from __future__ import annotations

from .analysis import segmenter
from .backend import SearchBackend, open_backend
from .config import Settings
from .engine.whoosh.schema import FACET_FIELDS
from .errors import BadRequest, IndexError_
from .export import (
    EXPORTERS,
    MEDIA_TYPES,
    content_disposition,
    export_request,
    file_name,
    manifest,
    software_version,
    write_xlsx,
)
from .highlight import mark_all
from .models import SORTS, FacetBucket, Hit, SearchPage, SearchRequest
from .query import parse
from .region import filter_value
from .search import MAX_WINDOW

__all__ = [
    "EXPORTERS",
    "FACET_FIELDS",
    "MAX_WINDOW",
    "MEDIA_TYPES",
    "SORTS",
    "BadRequest",
    "FacetBucket",
    "Hit",
    "IndexError_",
    "SearchBackend",
    "SearchPage",
    "SearchRequest",
    "Settings",
    "content_disposition",
    "file_name",
    "manifest",
    "mark_all",
    "export_request",
    "filter_value",
    "open_backend",
    "query_terms",
    "segmenter",
    "software_version",
    "write_xlsx",
]


def query_terms(q: str) -> list[str]:
    """Return the words of a query string, as a document page marks them in the text."""
    return parse(q).terms()
