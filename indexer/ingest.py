"""Ingest: read input files, turn records into documents (worker processes past a few thousand), store them,
then bring the index up to date (engine/whoosh/writer.py)."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .duplicates import signature
from .engine.whoosh.writer import BULK_PROCS, sync_index
from .generations import store_errors, store_path, write_lock
from .models import SkipDocument
from .pipeline import content_hash, record_id, scrub, to_document
from .sources import Item, input_files, read_items
from .store import RecordStore
from .writes import BATCH, regroup_duplicates

PARALLEL_AFTER = 2000  # items taken in this process before workers prepare records (small ingests never fork)
PREPARE_BATCH = 250  # records per task of a preparing worker


@dataclass
class IngestReport:
    """What one ingest did, for the summary line and for tests."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (source, reason)
    indexed: int = 0
    total: int = 0
    rebuilt: bool = False
    seconds: float = 0.0
    workers: int = 0  # processes that prepared records beside this one (0: all prepared here)

    def skip(self, source: str, reason: str) -> None:
        """Count one skipped input and remember why."""
        self.skipped += 1
        self.reasons[reason.split(":")[0]] += 1
        self.failures.append((source, reason))

    def summary(self) -> str:
        """Return the one-line summary."""
        return (
            f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
            f"skipped {self.skipped}; index holds {self.total} documents ({self.seconds:.1f} s)"
        )


def ingest(
    paths: Iterable[str],
    index_dir: Path,
    *,
    lock_timeout: float = 10.0,
    rebuild: bool = False,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Read input files and folders, store new and changed records, and bring the index up to date."""
    return ingest_items(
        read_items(input_files(paths)), index_dir, lock_timeout=lock_timeout, rebuild=rebuild, progress=progress
    )


def ingest_items(
    items: Iterable[Item],
    index_dir: Path,
    *,
    lock_timeout: float = 10.0,
    rebuild: bool = False,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Store new and changed records (raw dicts in Items), then bring the index up to date."""
    index_dir = Path(index_dir)
    report, start = IngestReport(), time.monotonic()
    with write_lock(index_dir, lock_timeout), store_errors(index_dir):
        store = RecordStore(store_path(index_dir))
        try:
            for n, item in enumerate(taken(store, items, report), start=1):
                if progress:
                    progress(item.size)
                if n % BATCH == 0:
                    store.commit()
            store.commit()
            regroup_duplicates(store)
            report.indexed, report.rebuilt = sync_index(store, index_dir, rebuild=rebuild)
            report.total = store.count()
        finally:
            store.close()
    report.seconds = time.monotonic() - start
    return report


def take_item(store: RecordStore, item: Item, report: IngestReport) -> None:
    """Store one input item when it is new or changed, and count what happened to it."""
    _store_checked(store, _check(item), report)


def taken(store: RecordStore, items: Iterable[Item], report: IngestReport) -> Iterator[Item]:
    """Take every item as take_item does, in input order, yielding each once it is counted (and stored).

    After the first PARALLEL_AFTER items, when this process runs no other thread, worker processes turn
    records into documents and signatures (normalisation, topics, citations, MinHash: most of this stage's
    time) while this process reads the input, checks hashes and writes the store, all still in input order.
    """
    items = iter(items)
    yield from _one_by_one(store, itertools.islice(items, PARALLEL_AFTER), report)
    following = next(items, None)
    if following is None:  # all taken already: no worker to start
        return
    items, procs = itertools.chain([following], items), BULK_PROCS
    if procs < 2 or threading.active_count() > 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield from _one_by_one(store, items, report)
        return
    pool = multiprocessing.get_context("fork").Pool(procs)
    report.workers = procs
    try:
        pending: deque[tuple[list[_Checked], list[_Checked], Any]] = deque()
        while batch := [_check(item) for item in itertools.islice(items, PREPARE_BATCH)]:
            # a record the store holds unchanged is not prepared: the check made in input order skips it
            todo = [c for c in batch if c.skip is None and _changed(store, c)]
            pending.append((batch, todo, pool.apply_async(_prepare_all, ([(c.record, c.item.source) for c in todo],))))
            while len(pending) > 2 * procs:
                yield from _store_batch(store, *pending.popleft(), report)
        while pending:
            yield from _store_batch(store, *pending.popleft(), report)
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def _one_by_one(store: RecordStore, items: Iterable[Item], report: IngestReport) -> Iterator[Item]:
    for item in items:
        take_item(store, item, report)
        yield item


@dataclass
class _Checked:
    """An input item after the checks made in order: its record scrubbed, its id and hash, or a skip."""

    item: Item
    record: dict[str, Any] | None = None
    doc_id: str = ""
    digest: str = ""
    skip: str | None = None
    prepared: tuple[str, str, bytes] | str | None = None  # what _prepare gave, when a worker prepared it


def _check(item: Item) -> _Checked:
    if item.record is None:
        return _Checked(item, skip=item.error or "unreadable")
    try:
        record = scrub(item.record)  # before anything hashes, stores or indexes it
        return _Checked(item, record, record_id(record), content_hash(record))
    except SkipDocument as e:
        return _Checked(item, skip=e.reason)


def _changed(store: RecordStore, c: _Checked) -> bool:
    state = store.state(c.doc_id)
    return state is None or state[0] != c.digest


def _prepare(record: dict[str, Any], source: str) -> tuple[str, str, bytes] | str:
    """Return a record's (doc_id, stored JSON, MinHash signature), or the reason it is skipped."""
    try:
        doc = to_document(record, source=source)
    except SkipDocument as e:
        return e.reason
    return doc.doc_id, json.dumps(doc.to_record(), ensure_ascii=False), signature(doc.title, doc.body)


def _prepare_all(todo: list[tuple[dict[str, Any], str]]) -> list[tuple[str, str, bytes] | str]:
    return [_prepare(record, source) for record, source in todo]


def _store_batch(
    store: RecordStore, batch: list[_Checked], todo: list[_Checked], result: Any, report: IngestReport
) -> Iterator[Item]:
    for c, prepared in zip(todo, result.get(), strict=True):
        c.prepared = prepared
    for c in batch:
        _store_checked(store, c, report)
        yield c.item


def _store_checked(store: RecordStore, c: _Checked, report: IngestReport) -> None:
    """Count a checked item as skipped or unchanged, else store it (prepared here unless a worker did)."""
    if c.skip is not None:
        report.skip(c.item.source, c.skip)
        return
    state = store.state(c.doc_id)
    if state is not None and state[0] == c.digest:
        report.unchanged += 1
        return
    prepared = c.prepared if c.prepared is not None else _prepare(c.record or {}, c.item.source)
    if isinstance(prepared, str):
        report.skip(c.item.source, prepared)
        return
    store.put_json(*prepared[:2], c.digest, prepared[2])
    if state is None:
        report.added += 1
    else:
        report.updated += 1
