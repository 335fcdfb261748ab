"""Bring the Whoosh index of an index directory in step with its record store: in place, or a new generation."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import whoosh.index

from ...config import Settings
from ...fields import index_fields
from ...generations import (
    begin_journal,
    current_generation,
    drop_old_generations,
    end_journal,
    generations,
    new_generation,
    remove_leftovers,
    store_path,
    swap_in,
    write_lock,
)
from ...models import Document
from ...store import RecordStore
from ...writes import WriteReport, delete_records, put_documents
from .schema import SCHEMA_VERSION, make_schema
from .segments import Shard, build_segments

BULK_FRACTION = 0.3  # pending share of all records above which a new generation is built instead
BULK_PROCS = min(4, os.cpu_count() or 1)  # worker processes of a bulk build (engine/whoosh/segments.py)
MIN_SHARD_DOCS = 5000  # fewer records per worker than this: not worth a process of its own


def sync_index(store: RecordStore, index_dir: Path, rebuild: bool = False) -> tuple[int, bool]:
    """Index every pending record: a new generation when many changed, else in place."""
    pending, total = store.count(pending_only=True), store.count()
    gen = current_generation(index_dir)
    if gen is not None and not (index_dir / gen).is_dir():
        gen = None  # CURRENT points at a generation that is gone: build one from the stored records
    stale = gen is not None and store.get_meta("schema_version") != SCHEMA_VERSION
    if rebuild or stale or gen is None or pending > BULK_FRACTION * total:
        before = generations(index_dir)
        begin_journal(store, {"kind": "rebuild", "from": gen, "gens": before, "schema": SCHEMA_VERSION})
        try:
            count = build_generation(store, index_dir)
        except OSError:
            remove_leftovers(index_dir, before)  # disk full or read-only: leave no half-written generation
            raise
        end_journal(store)
        return count, True
    if pending:
        ix = whoosh.index.open_dir(str(index_dir / gen))
        done: list[str] = []
        # no compound segment (see segments.SegmentBuilder.finish); commits on leaving the block
        with ix.writer(timeout=10.0, compound=False) as writer:
            for doc, dup_of in store.documents(pending_only=True):
                writer.update_document(**index_fields(doc, dup_of))
                done.append(doc.doc_id)
            begin_journal(store, {"kind": "update", "gen": gen, "toc": writer.generation})
        store.mark_indexed(done)
        end_journal(store)
    return pending, False


def build_generation(store: RecordStore, index_dir: Path) -> int:
    """Write every stored record into a new Whoosh generation, then swap it in atomically."""
    name, tmp = new_generation(index_dir)
    whoosh.index.create_in(str(tmp), make_schema()).close()
    store.commit()  # the bulk workers read the records through connections of their own
    count = build_segments(tmp, bulk_shards(store, BULK_PROCS))
    swap_in(index_dir, tmp, name)
    store.mark_indexed()
    store.set_meta("schema_version", SCHEMA_VERSION)
    store.commit()
    drop_old_generations(index_dir, keep=name)
    return count


def bulk_shards(store: RecordStore, procs: int) -> list[Shard]:
    """Split the stored records, in id order, into contiguous shares for the bulk-index workers."""
    total = store.count()
    procs = max(1, min(procs, total // MIN_SHARD_DOCS))
    sql = "SELECT id FROM records ORDER BY id LIMIT 1 OFFSET ?"
    bounds = [None] + [store.db.execute(sql, (total * k // procs,)).fetchone()[0] for k in range(1, procs)] + [None]
    return [partial(_shard_fields, store.path, lo, hi) for lo, hi in zip(bounds, bounds[1:], strict=False)]


def _shard_fields(path: Path, lo: str | None, hi: str | None) -> Iterator[dict[str, Any]]:
    """Yield the index fields of the stored records with lo <= id < hi, in id order (own connection)."""
    store = RecordStore(path, readonly=True)
    try:
        sql = "SELECT record, dup_of FROM records WHERE id >= ? AND (? IS NULL OR id < ?) ORDER BY id"
        for rec, dup_of in store.db.execute(sql, (lo or "", hi, hi)):
            yield index_fields(Document.from_record(json.loads(rec)), dup_of)
    finally:
        store.close()


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
