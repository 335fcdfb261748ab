"""Writes for a Sphinx deployment: the record store first (as for Whoosh), then a sync to the shards."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from ..config import Settings
from ..generations import store_path, write_lock
from ..ingest import IngestReport, take_item
from ..models import Document
from ..sources import input_files, read_items
from ..store import RecordStore
from ..writes import BATCH, WriteReport, delete_records, put_documents, regroup_duplicates
from .client import Nodes, SphinxError
from .engine import option
from .sync import SyncReport, check_cluster, sync_to_sphinx


def ingest_to_sphinx(
    paths: Iterable[str], settings: Settings, *, rebuild: bool = False, progress: Callable[[int], None] | None = None
) -> IngestReport:
    """Read files into the record store (same rules as Whoosh ingest), then sync the cluster."""
    index_dir, report, start = Path(settings.index_dir), IngestReport(), time.monotonic()
    with write_lock(index_dir, settings.lock_timeout):
        store = RecordStore(store_path(index_dir))
        try:
            for n, item in enumerate(read_items(input_files(paths)), start=1):
                take_item(store, item, report)
                if progress:
                    progress(item.size)
                if n % BATCH == 0:
                    store.commit()
            store.commit()
            regroup_duplicates(store)
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


def main(argv: list[str] | None = None) -> int:
    """Sync the record store of an index directory to the cluster, or check that they agree."""
    ap = argparse.ArgumentParser(
        prog="python -m indexer.sphinx.writer",
        description="Sync $GOVSEARCH_INDEX to $GOVSEARCH_SPHINX_NODES, or check them.",
    )
    ap.add_argument("--index", type=Path, default=None, help="index directory (default: $GOVSEARCH_INDEX)")
    ap.add_argument("--rebuild", action="store_true", help="empty every shard and push everything (reshard)")
    ap.add_argument("--check", action="store_true", help="only compare shard counts with the store")
    args = ap.parse_args(argv)
    settings = Settings.from_env(index_dir=args.index).with_(backend="sphinx")
    store, nodes = RecordStore(store_path(settings.index_dir)), Nodes(settings.sphinx_nodes)
    try:
        if args.check:
            problems = check_cluster(store, nodes)
            print("\n".join(problems) or "cluster and record store agree")
            return 1 if problems else 0
        report = sync_cluster(store, settings, rebuild=args.rebuild)
    except SphinxError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        nodes.close()
        store.close()
    print(f"pushed {report.pushed}, deleted {report.deleted} ({report.seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
