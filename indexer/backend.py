"""The backend interface and its two implementations: embedded Whoosh (default) or a Sphinx cluster.

Readers (the CLI's search/export/stats, the web app) use a SearchBackend from open_backend(); writers
use a DocumentWriter from open_writer(), or ingest_paths() for files. Settings.backend picks the engine
(GOVSEARCH_BACKEND=whoosh|sphinx, with GOVSEARCH_SPHINX_NODES=host:port,... for Sphinx). Both keep
every record in records.sqlite first, then bring their index up to date from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import whoosh.index

from .build import (
    IngestReport,
    current_generation,
    ingest,
    regroup_duplicates,
    store_path,
    sync_index,
    write_lock,
)
from .config import Settings
from .duplicates import signature
from .models import Document, Hit, SearchPage, SearchRequest
from .pipeline import content_hash
from .store import RecordStore

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


@dataclass
class WriteReport:
    """What one batch write did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    missing: int = 0  # update or delete of an id the store does not hold
    indexed: int = 0  # documents the index took in (Whoosh documents, or Sphinx pushes)


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
    from .analysis import segmenter
    from .query import use_synonyms

    segmenter(settings.userdict_path)
    use_synonyms(settings.synonyms_path)


def open_backend(settings: Settings) -> SearchBackend:
    """Return the backend that Settings.backend names, opened on its index."""
    check_backend(settings)
    use_dictionaries(settings)
    if settings.backend == "sphinx":
        from .sphinx.engine import SphinxBackend

        return SphinxBackend(settings)
    from .engine import WhooshBackend

    return WhooshBackend(settings)


def open_writer(settings: Settings) -> DocumentWriter:
    """Return the writer of the configured backend."""
    check_backend(settings)
    use_dictionaries(settings)
    if settings.backend == "sphinx":
        from .sphinx.writer import SphinxWriter

        return SphinxWriter(settings)
    return WhooshWriter(settings)


def ingest_paths(
    paths: Iterable[str], settings: Settings, *, rebuild: bool = False, progress: Callable[[int], None] | None = None
) -> IngestReport:
    """Ingest files and folders into the configured backend (what `govsearch ingest` runs)."""
    check_backend(settings)
    use_dictionaries(settings)
    if settings.backend == "sphinx":
        from .sphinx.writer import ingest_to_sphinx

        return ingest_to_sphinx(paths, settings, rebuild=rebuild, progress=progress)
    return ingest(paths, settings.index_dir, lock_timeout=settings.lock_timeout, rebuild=rebuild, progress=progress)


def put_documents(
    store: RecordStore, docs: Iterable[Document], report: WriteReport, only_existing: bool = False
) -> None:
    """Store new and changed documents (not yet indexed), then regroup duplicates."""
    for doc in docs:
        digest = content_hash(doc.to_record())
        state = store.state(doc.doc_id)
        if state is None and only_existing:
            report.missing += 1
        elif state is not None and state[0] == digest:
            report.unchanged += 1
        else:
            store.put(doc, digest, signature(doc.title, doc.body))
            report.added += state is None
            report.updated += state is not None
    store.commit()
    regroup_duplicates(store)


def delete_records(store: RecordStore, doc_ids: Iterable[str], report: WriteReport) -> list[str]:
    """Remove records from the store, regroup duplicates; return the ids that were there."""
    gone = []
    for doc_id in dict.fromkeys(doc_ids):
        if store.db.execute("DELETE FROM records WHERE id = ?", (doc_id,)).rowcount:
            gone.append(doc_id)
        else:
            report.missing += 1
    report.deleted += len(gone)
    store.commit()
    regroup_duplicates(store)
    return gone


class WhooshWriter:
    """Batch writes into the record store and the Whoosh index of one index directory."""

    def __init__(self, settings: Settings) -> None:
        self.index_dir = Path(settings.index_dir)
        self.lock_timeout = settings.lock_timeout

    def add(self, docs: Iterable[Document]) -> WriteReport:
        """Store and index documents; an id already held is replaced."""
        return self._put(docs, only_existing=False)

    def update(self, docs: Iterable[Document]) -> WriteReport:
        """Replace documents that are already held."""
        return self._put(docs, only_existing=True)

    def _put(self, docs: Iterable[Document], only_existing: bool) -> WriteReport:
        report = WriteReport()
        with write_lock(self.index_dir, self.lock_timeout):
            store = RecordStore(store_path(self.index_dir))
            try:
                put_documents(store, docs, report, only_existing)
                report.indexed = sync_index(store, self.index_dir)[0]
            finally:
                store.close()
        return report

    def delete(self, doc_ids: Iterable[str]) -> WriteReport:
        """Remove documents from the store and the current Whoosh generation."""
        report = WriteReport()
        with write_lock(self.index_dir, self.lock_timeout):
            store = RecordStore(store_path(self.index_dir))
            try:
                gone = delete_records(store, doc_ids, report)
                gen = current_generation(self.index_dir)
                if gone and gen is not None:
                    ix = whoosh.index.open_dir(str(self.index_dir / gen))
                    writer = ix.writer(timeout=self.lock_timeout, compound=False)
                    for doc_id in gone:
                        writer.delete_by_term("id", doc_id)
                    writer.commit()
                report.indexed = sync_index(store, self.index_dir)[0]
            finally:
                store.close()
        return report
