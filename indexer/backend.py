"""The backend interface and its two implementations: embedded Whoosh (default) or a Sphinx cluster.

Readers (the CLI's search/export/stats, the web app) use a SearchBackend from open_backend(); writers
use a DocumentWriter from open_writer(), or ingest_paths() for files. Settings.backend picks the engine
(GOVSEARCH_BACKEND=whoosh|sphinx, with GOVSEARCH_SPHINX_NODES=host:port,... for Sphinx). Both keep
every record in records.sqlite first, then bring their index up to date from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, runtime_checkable

from .analysis import segmenter
from .config import Settings
from .engine.whoosh.backend import WhooshBackend
from .engine.whoosh.writer import WhooshWriter
from .ingest import IngestReport, ingest
from .models import Document, Hit, SearchPage, SearchRequest
from .query import use_synonyms
from .sphinx.engine import SphinxBackend
from .sphinx.writer import SphinxWriter, ingest_to_sphinx
from .writes import WriteReport

BACKENDS = ("whoosh", "sphinx")


@runtime_checkable
class SearchBackend(Protocol):
    """What the CLI and the web app read through, whatever the engine."""

    def search(self, req: SearchRequest) -> SearchPage:
        """Run one request: a page of hits with snippets, the total and the facet counts."""

    def iter_records(self, req: SearchRequest, batch: int = 500) -> Iterator[dict[str, Any]]:
        """Yield the stored record of every hit, in order (exports)."""

    def document(self, doc_id: str) -> dict[str, Any] | None:
        """Return one stored record, or None."""

    def duplicates(self, doc_id: str) -> list[dict[str, Any]]:
        """Return the other records of a document's duplicate group."""

    def versions(self, doc_id: str) -> list[dict[str, Any]]:
        """Return every version of the document's law or 办法 (id, title, date, validity, current)."""

    def similar(self, doc_id: str, limit: int = 10) -> list[Hit]:
        """Return the documents most similar to one document."""

    def citations(self, doc_id: str, limit: int = 50) -> tuple[list[Hit], list[Hit]]:
        """Return (documents it cites, documents citing it)."""

    def version(self) -> dict[str, Any]:
        """Return what identifies the index that answers."""


@runtime_checkable
class DocumentWriter(Protocol):
    """Batch writes: the record store first, then the index (Whoosh generation or Sphinx shards)."""

    def add(self, docs: Iterable[Document]) -> WriteReport:
        """Store and index documents; an id already held is replaced (an unchanged one is skipped)."""

    def update(self, docs: Iterable[Document]) -> WriteReport:
        """Replace documents that are already held; other ids are counted as missing."""

    def delete(self, doc_ids: Iterable[str]) -> WriteReport:
        """Remove documents from the store and the index."""


def check_backend(settings: Settings) -> None:
    """Raise ValueError for an unknown Settings.backend."""
    if settings.backend not in BACKENDS:
        raise ValueError(f"unknown backend {settings.backend!r}: use whoosh or sphinx")


def use_dictionaries(settings: Settings) -> None:
    """Load the segmentation dictionary and the synonym file that the settings name (once per process)."""
    segmenter(settings.userdict_path)
    use_synonyms(settings.synonyms_path)


def open_backend(settings: Settings) -> SearchBackend:
    """Return the backend that Settings.backend names, opened on its index."""
    check_backend(settings)
    use_dictionaries(settings)
    if settings.backend == "sphinx":
        return SphinxBackend(settings)
    return WhooshBackend(settings)


def open_writer(settings: Settings) -> DocumentWriter:
    """Return the writer of the configured backend."""
    check_backend(settings)
    use_dictionaries(settings)
    if settings.backend == "sphinx":
        return SphinxWriter(settings)
    return WhooshWriter(settings)


def ingest_paths(
    paths: Iterable[str], settings: Settings, *, rebuild: bool = False, progress: Callable[[int], None] | None = None
) -> IngestReport:
    """Ingest files and folders into the configured backend (what `govsearch ingest` runs)."""
    check_backend(settings)
    use_dictionaries(settings)
    if settings.backend == "sphinx":
        return ingest_to_sphinx(paths, settings, rebuild=rebuild, progress=progress)
    return ingest(paths, settings.index_dir, lock_timeout=settings.lock_timeout, rebuild=rebuild, progress=progress)
