"""An index directory's generations: the record store's place, CURRENT, the writer lock, the journal, recovery.

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
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import whoosh.index
from whoosh.index import Index

from .errors import IndexBusy, IndexError_, IndexMissing
from .store import RecordStore

KEEP_GENERATIONS = 2  # the current one and the one before, which running readers may still hold
JOURNAL_KEY = "index_commit"  # meta: the index commit under way, resolved after a crash (see recover)


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


def begin_journal(store: RecordStore, entry: dict[str, Any]) -> None:
    """Note the index commit about to happen, so that a crash before the store catches up is resolved."""
    store.set_meta(JOURNAL_KEY, json.dumps(entry))
    store.commit()


def end_journal(store: RecordStore) -> None:
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
        end_journal(store)
    remove_leftovers(index_dir, entry.get("gens"))


def _recover_dir(index_dir: Path) -> None:
    store = RecordStore(store_path(index_dir))
    try:
        recover(store, index_dir)
    finally:
        store.close()


def generations(index_dir: Path) -> list[str]:
    """Return the names of the finished generations of an index directory, oldest first."""
    return sorted(p.name for p in index_dir.glob("gen-*") if p.is_dir() and not p.name.endswith(".tmp"))


def remove_leftovers(index_dir: Path, keep: list[str] | None) -> None:
    """Remove unfinished generations (and, given the ones to keep, any not swapped in) and stray TOC files."""
    current = current_generation(index_dir)
    for path in index_dir.glob("gen-*"):
        if path.name.endswith(".tmp") or (keep is not None and path.name not in keep and path.name != current):
            shutil.rmtree(path, ignore_errors=True)
    if current is not None:
        for stray in (index_dir / current).glob("_MAIN_*.toc.*"):  # Whoosh's TOC before its rename
            stray.unlink(missing_ok=True)


def new_generation(index_dir: Path) -> tuple[str, Path]:
    """Return the name of a new generation and the empty temporary folder to write it in."""
    name = f"gen-{datetime.now():%Y%m%d%H%M%S}-{time.time_ns() % 10**9:09d}-{os.getpid()}"
    tmp = index_dir / (name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    return name, tmp


def swap_in(index_dir: Path, tmp: Path, name: str) -> None:
    """Move a finished generation into place, then point CURRENT at it: each step atomic and on disk."""
    os.replace(tmp, index_dir / name)
    _fsync_dir(index_dir)
    _write_current(index_dir, name)


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


def drop_old_generations(index_dir: Path, keep: str) -> None:
    """Remove all but the newest KEEP_GENERATIONS - 1 generations beside `keep` (running readers may hold them)."""
    gens = sorted(p for p in index_dir.glob("gen-*") if p.is_dir() and p.name != keep and not p.name.endswith(".tmp"))
    for old in gens[: max(0, len(gens) - (KEEP_GENERATIONS - 1))]:
        shutil.rmtree(old, ignore_errors=True)
