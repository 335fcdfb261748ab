"""Writes for a Sphinx deployment: the record store first (as for Whoosh), then a sync to the shards."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

from ..backend import WriteReport, delete_records, put_documents
from ..build import (
    BATCH,
    IngestReport,
    _regroup_duplicates,  # lead: make public - the same regrouping as `govsearch ingest`
    _take,  # lead: make public (take_item) - the same per-record rules as `govsearch ingest`
    store_path,
    write_lock,
)
from ..config import Settings
from ..models import Document
from ..sources import input_files, read_items
from ..store import RecordStore
from .client import Nodes
from .engine import option
from .sync import SyncReport, sync_to_sphinx


def ingest_to_sphinx(paths: Iterable[str], settings: Settings, *, rebuild: bool = False,
                     progress: Callable[[int], None] | None = None) -> IngestReport:
    """Read files into the record store (same rules as Whoosh ingest), then sync the cluster."""
    index_dir, report, start = Path(settings.index_dir), IngestReport(), time.monotonic()
    with write_lock(index_dir, settings.lock_timeout):
        store = RecordStore(store_path(index_dir))
        try:
            for n, item in enumerate(read_items(input_files(paths)), start=1):
                _take(store, item, report)
                if progress:
                    progress(item.size)
                if n % BATCH == 0:
                    store.commit()
            store.commit()
            _regroup_duplicates(store)
            synced = sync_cluster(store, settings, rebuild=rebuild)
            report.indexed, report.rebuilt, report.total = synced.pushed, rebuild, store.count()
        finally:
            store.close()
    report.seconds = time.monotonic() - start
    return report


def sync_cluster(store: RecordStore, settings: Settings, rebuild: bool = False) -> SyncReport:
    """Sync the record store to the nodes that Settings names."""
    nodes = Nodes(settings.sphinx_nodes, float(option(settings, "sphinx_timeout", 30.0)))
    try:
        return sync_to_sphinx(store, nodes, rebuild=rebuild, workers=int(option(settings, "sphinx_workers", 1)))
    finally:
        nodes.close()


class SphinxWriter:
    """Batch writes: the record store, then each document to the shard that owns it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.index_dir = Path(settings.index_dir)

    def add(self, docs: Iterable[Document]) -> WriteReport:
        """Store documents and push them to their shards; an id already held is replaced."""
        return self._write(lambda store, report: put_documents(store, docs, report))

    def update(self, docs: Iterable[Document]) -> WriteReport:
        """Replace documents that are already held, on their shards."""
        return self._write(lambda store, report: put_documents(store, docs, report, only_existing=True))

    def delete(self, doc_ids: Iterable[str]) -> WriteReport:
        """Remove documents from the store and from their shards."""
        return self._write(lambda store, report: delete_records(store, doc_ids, report))

    def _write(self, change: Callable[[RecordStore, WriteReport], object]) -> WriteReport:
        report = WriteReport()
        with write_lock(self.index_dir, self.settings.lock_timeout):
            store = RecordStore(store_path(self.index_dir))
            try:
                change(store, report)
                report.indexed = sync_cluster(store, self.settings).pushed
            finally:
                store.close()
        return report
