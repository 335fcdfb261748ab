"""govsearch indexer: documents in, a Chinese full-text index out, and search over it."""

from .config import Settings
from .models import Document, FacetBucket, Hit, RawPage, SearchPage, SearchRequest, SkipDocument

__all__ = ["Document", "FacetBucket", "Hit", "RawPage", "SearchPage", "SearchRequest", "Settings", "SkipDocument"]
