"""Ingest records into the record store and keep the Whoosh index in step with it.

Layout of an index directory::

    records.sqlite   every record as stored (the source of truth)
    CURRENT          name of the Whoosh generation readers open, replaced atomically
    gen-000001/      a Whoosh index; a bulk build writes a new one and swaps CURRENT
    .lock            held by the one process that writes

A record is stored with ``indexed = 0`` and marked 1 only after the Whoosh commit that holds it,
so a crash at any point leaves work that the next ingest finds and finishes.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import multiprocessing
import os
import shutil
import sqlite3
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import whoosh.index
from whoosh.index import Index

from .analysis import fold
from .duplicates import SIGNATURE_SCHEME, signature
from .models import Document, SkipDocument
from .normalize import parse_doc_number
from .pipeline import content_hash, record_id, scrub, to_document
from .relations import regroup
from .schema import SCHEMA_VERSION, make_schema
from .segments import Shard, build_segments
from .sources import Item, input_files, read_items
from .store import SIGNATURE_KEY, RecordStore

BATCH = 2000  # records per store commit and per incremental index commit
BULK_FRACTION = 0.3  # pending share of all records above which a new generation is built instead
KEEP_GENERATIONS = 2  # the current one and the one before, which running readers may still hold
BULK_PROCS = min(4, os.cpu_count() or 1)  # worker processes of a bulk build (indexer.segments)
PARALLEL_AFTER = 2000  # items taken in this process before workers prepare records (small ingests never fork)
PREPARE_BATCH = 250  # records per task of a preparing worker
MIN_SHARD_DOCS = 5000  # fewer records per worker than this: not worth a process of its own
JOURNAL_KEY = "index_commit"  # meta: the index commit under way, resolved after a crash (see recover)


class IndexError_(Exception):
    """A problem with the index directory that the user can act on."""


class IndexMissing(IndexError_):
    """There is no index at that directory yet."""


class IndexBusy(IndexError_):
    """Another process is writing to the index."""


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


def store_path(index_dir: Path) -> Path:
    """Return the record store file of an index directory."""
    return Path(index_dir) / "records.sqlite"


def current_generation(index_dir: Path) -> str | None:
    """Return the name of the generation readers should open, or None."""
    try:
        return (Path(index_dir) / "CURRENT").read_text().strip() or None
    except FileNotFoundError:
        return None


def open_index(index_dir: Path) -> Index:
    """Open the current Whoosh generation of an index directory for reading."""
    gen = current_generation(index_dir)
    if gen is None or not (Path(index_dir) / gen).is_dir():
        raise IndexMissing(f"no index at {index_dir}: run `govsearch ingest PATH --index {index_dir}` first")
    return whoosh.index.open_dir(str(Path(index_dir) / gen))


@contextmanager
def write_lock(index_dir: Path, timeout: float) -> Iterator[None]:
    """Hold the index's writer lock, finishing what a killed writer left; raise IndexBusy after timeout seconds."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "a+") as fh:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexBusy(f"index is busy: another process is writing to {index_dir}") from None
                time.sleep(0.1)
        try:
            if store_path(index_dir).exists():
                with store_errors(index_dir):
                    _recover_dir(index_dir)
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextmanager
def store_errors(index_dir: Path) -> Iterator[None]:
    """Turn SQLite failures (disk full, read-only, damaged file) into one clear IndexError_."""
    try:
        yield
    except sqlite3.DatabaseError as e:
        raise IndexError_(f"record store {store_path(index_dir).name}: {e}") from None


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


def regroup_duplicates(store: RecordStore) -> None:
    """Group the stored records into copies and versions (indexer.relations); store what changed."""
    resigned = store.get_meta(SIGNATURE_KEY) != SIGNATURE_SCHEME
    if resigned:
        resign(store)
    regroup(store, force=resigned)


def resign(store: RecordStore) -> None:
    """Compute every stored record's signature again: the store's were made by another scheme (a store
    written before SIGNATURE_SCHEME), and signatures of two schemes do not compare."""
    last = ""
    while rows := store.db.execute(
        "SELECT id, record FROM records WHERE id > ? ORDER BY id LIMIT ?", (last, BATCH)
    ).fetchall():
        updates = []
        for doc_id, rec in rows:
            doc = Document.from_record(json.loads(rec))
            updates.append((signature(doc.title, doc.body), doc_id))
        store.db.executemany("UPDATE records SET sig = ? WHERE id = ?", updates)
        last = rows[-1][0]
    store.set_meta(SIGNATURE_KEY, SIGNATURE_SCHEME)
    store.commit()


def sync_index(store: RecordStore, index_dir: Path, rebuild: bool = False) -> tuple[int, bool]:
    """Index every pending record: a new generation when many changed, else in place."""
    pending, total = store.count(pending_only=True), store.count()
    gen = current_generation(index_dir)
    if gen is not None and not (index_dir / gen).is_dir():
        gen = None  # CURRENT points at a generation that is gone: build one from the stored records
    stale = gen is not None and store.get_meta("schema_version") != SCHEMA_VERSION
    if rebuild or stale or gen is None or pending > BULK_FRACTION * total:
        before = _generations(index_dir)
        _begin(store, {"kind": "rebuild", "from": gen, "gens": before, "schema": SCHEMA_VERSION})
        try:
            count = build_generation(store, index_dir)
        except OSError:
            _remove_leftovers(index_dir, before)  # disk full or read-only: leave no half-written generation
            raise
        _end(store)
        return count, True
    if pending:
        ix = whoosh.index.open_dir(str(index_dir / gen))
        done: list[str] = []
        # no compound segment (see segments.SegmentBuilder.finish); commits on leaving the block
        with ix.writer(timeout=10.0, compound=False) as writer:
            for doc, dup_of in store.documents(pending_only=True):
                writer.update_document(**index_fields(doc, dup_of))
                done.append(doc.doc_id)
            _begin(store, {"kind": "update", "gen": gen, "toc": writer.generation})
        store.mark_indexed(done)
        _end(store)
    return pending, False


def _begin(store: RecordStore, entry: dict[str, Any]) -> None:
    """Note the index commit about to happen, so that a crash before the store catches up is resolved."""
    store.set_meta(JOURNAL_KEY, json.dumps(entry))
    store.commit()


def _end(store: RecordStore) -> None:
    """Forget the noted index commit: the store now says what the index holds."""
    store.set_meta(JOURNAL_KEY, "")
    store.commit()


def journal_landed(store: RecordStore, index_dir: Path) -> bool | None:
    """Tell whether the noted index commit reached the index (None when none is noted)."""
    raw = store.get_meta(JOURNAL_KEY)
    if not raw:
        return None
    entry = json.loads(raw)
    current = current_generation(index_dir)
    if entry["kind"] == "rebuild":
        return current is not None and current != entry["from"] and (index_dir / current).is_dir()
    if current != entry["gen"] or not (index_dir / current).is_dir():
        return False
    return bool(whoosh.index.open_dir(str(index_dir / current)).latest_generation() >= entry["toc"])


def recover(store: RecordStore, index_dir: Path) -> None:
    """Finish what a killed ingest left: mark what its last index commit holds, drop half-written files."""
    raw = store.get_meta(JOURNAL_KEY)
    entry = json.loads(raw) if raw else {}
    if entry:
        if journal_landed(store, index_dir):
            store.mark_indexed()  # the commit held every record that was pending when it began
            if entry["kind"] == "rebuild":
                store.set_meta("schema_version", entry["schema"])
        _end(store)
    _remove_leftovers(index_dir, entry.get("gens"))


def _recover_dir(index_dir: Path) -> None:
    store = RecordStore(store_path(index_dir))
    try:
        recover(store, index_dir)
    finally:
        store.close()


def _generations(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.glob("gen-*") if p.is_dir() and not p.name.endswith(".tmp"))


def _remove_leftovers(index_dir: Path, keep: list[str] | None) -> None:
    """Remove unfinished generations (and, given the ones to keep, any not swapped in) and stray TOC files."""
    current = current_generation(index_dir)
    for path in index_dir.glob("gen-*"):
        if path.name.endswith(".tmp") or (keep is not None and path.name not in keep and path.name != current):
            shutil.rmtree(path, ignore_errors=True)
    if current is not None:
        for stray in (index_dir / current).glob("_MAIN_*.toc.*"):  # Whoosh's TOC before its rename
            stray.unlink(missing_ok=True)


def build_generation(store: RecordStore, index_dir: Path) -> int:
    """Write every stored record into a new Whoosh generation, then swap it in atomically."""
    name = f"gen-{datetime.now():%Y%m%d%H%M%S}-{time.time_ns() % 10**9:09d}-{os.getpid()}"
    tmp = index_dir / (name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    whoosh.index.create_in(str(tmp), make_schema()).close()
    store.commit()  # the bulk workers read the records through connections of their own
    count = build_segments(tmp, bulk_shards(store, BULK_PROCS))
    os.replace(tmp, index_dir / name)
    _fsync_dir(index_dir)
    _write_current(index_dir, name)
    store.mark_indexed()
    store.set_meta("schema_version", SCHEMA_VERSION)
    store.commit()
    _drop_old_generations(index_dir, keep=name)
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


def _write_current(index_dir: Path, name: str) -> None:
    tmp = index_dir / "CURRENT.tmp"
    with open(tmp, "w") as fh:
        fh.write(name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, index_dir / "CURRENT")
    _fsync_dir(index_dir)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _drop_old_generations(index_dir: Path, keep: str) -> None:
    gens = sorted(p for p in index_dir.glob("gen-*") if p.is_dir() and p.name != keep and not p.name.endswith(".tmp"))
    for old in gens[: max(0, len(gens) - (KEEP_GENERATIONS - 1))]:
        shutil.rmtree(old, ignore_errors=True)


def docnum_key(text: str | None) -> str:
    """Return the bracket-free key of a 文号, so that every bracket form finds the document."""
    if not text:
        return ""
    parsed = parse_doc_number(fold(text))
    if parsed is not None:
        return f"{parsed.prefix}|{parsed.year or ''}|{parsed.number}"
    return "".join(ch for ch in fold(text) if ch.isalnum())


def index_fields(doc: Document, dup_of: str | None) -> dict[str, Any]:
    """Return the Whoosh fields of one document."""
    day = doc.published or doc.issued
    fields: dict[str, Any] = {
        # a record without text (metadata only) is ranked on its title as its text
        "id": doc.doc_id,
        "title": doc.title,
        "body": doc.body or doc.title,
        "ctitle": doc.title,
        "cbody": doc.body,
        "btitle": doc.title,
        "bbody": doc.body,
        "url": doc.url,
        "doc_number": doc.doc_number or "",
        "docnum_key": docnum_key(doc.doc_number),
        "agency": doc.agency or "",
        "region": ",".join(region_levels(doc.region)),
        "topics": ",".join(t.replace(",", " ") for t in doc.topics),
        "doc_type": doc.doc_type or "",
        "status": doc.status or "",
        "year": str(day.year) if day else "",
        "has_attachment": "有附件" if doc.attachments else "无附件",
        "date_num": int(day.strftime("%Y%m%d")) if day else 0,
        "cites": ",".join(cite_key(c) for c in doc.cites),
        "title_key": fold(doc.title),
        "dup_of": dup_of or doc.doc_id,
        "canonical": "1" if (dup_of or doc.doc_id) == doc.doc_id else "0",
    }
    if day:
        fields["date"] = datetime(day.year, day.month, day.day)
    return fields


def cite_key(cited: str) -> str:
    """Return the index key of a citation: a 文号 key, else the folded 《title》."""
    parsed = parse_doc_number(fold(cited))
    key = docnum_key(cited) if parsed is not None else fold(cited)
    return key.replace(",", " ")


def region_levels(region: str | None) -> list[str]:
    """Return every level of a region path: 福建省, 福建省/福州市, 福建省/福州市/闽侯县."""
    if not region:
        return []
    parts = [p for p in region.split("/") if p]
    return ["/".join(parts[: i + 1]).replace(",", " ") for i in range(len(parts))]
