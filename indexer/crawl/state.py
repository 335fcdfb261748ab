"""Crawl state in SQLite: the frontier, what each URL answered last time, and what is left to ingest."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS urls (
    url TEXT PRIMARY KEY,          -- canonical URL
    kind TEXT NOT NULL,            -- list | detail | attachment | sitemap | api | candidate | page
    depth INTEGER NOT NULL DEFAULT 0,
    run INTEGER NOT NULL,          -- the last run that queued it
    state TEXT NOT NULL,           -- queued | done | failed | skipped
    status INTEGER, error TEXT,    -- last HTTP status, or why there was none
    etag TEXT, last_modified TEXT, -- validators for conditional requests
    hash TEXT,                     -- sha1 of the last 200 body
    warc TEXT, offset INTEGER,     -- where that body is archived
    content_type TEXT, fetched_at TEXT,
    pending INTEGER NOT NULL DEFAULT 0,  -- detail page whose record must be (re)ingested
    text TEXT, note TEXT,          -- attachments: extracted text, or why there is none
    hints TEXT                     -- JSON metadata that a listing gave for this page
);
CREATE INDEX IF NOT EXISTS urls_queue ON urls(run, state, depth);
CREATE INDEX IF NOT EXISTS urls_pending ON urls(pending) WHERE pending = 1;
CREATE TABLE IF NOT EXISTS links (
    parent TEXT NOT NULL, child TEXT NOT NULL, kind TEXT NOT NULL, name TEXT, PRIMARY KEY (parent, child));
CREATE INDEX IF NOT EXISTS links_child ON links(child);
CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, key TEXT NOT NULL, started REAL, finished REAL);
CREATE TABLE IF NOT EXISTS robots (origin TEXT PRIMARY KEY, status INTEGER, body BLOB, fetched_at REAL);
CREATE TABLE IF NOT EXISTS warcs (name TEXT PRIMARY KEY, run INTEGER, committed INTEGER NOT NULL DEFAULT 0);
"""

ENQUEUE_SQL = """
INSERT INTO urls (url, kind, depth, run, state, hints) VALUES (?, ?, ?, ?, 'queued', ?)
ON CONFLICT(url) DO UPDATE SET
    state = CASE WHEN urls.run < excluded.run THEN 'queued' ELSE urls.state END,
    kind = CASE WHEN urls.run < excluded.run
        AND NOT (excluded.kind = 'candidate' AND urls.kind IN ('detail', 'list', 'page'))  -- checked before: keep
        THEN excluded.kind ELSE urls.kind END,
    depth = CASE WHEN urls.run < excluded.run THEN excluded.depth ELSE min(urls.depth, excluded.depth) END,
    run = max(urls.run, excluded.run),
    hints = coalesce(excluded.hints, urls.hints)
"""


@dataclass(frozen=True)
class Link:
    """A URL found on a page, with what the profile says it is."""

    url: str
    kind: str  # list | detail | attachment | sitemap | api | candidate (a detail page to check once fetched)
    depth: int = 0
    name: str = ""  # link text (an attachment's name)
    hints: dict[str, Any] | None = None  # metadata a listing gave for the page
    why: str = ""  # the evidence it was taken on (shown by --dry-run)


@dataclass(frozen=True)
class Task:
    """One queued URL with what is known of it from earlier runs."""

    url: str
    kind: str
    depth: int
    etag: str | None = None
    last_modified: str | None = None
    hash: str | None = None


@dataclass
class Visit:
    """What visiting one URL produced; stored in one transaction."""

    url: str
    state: str  # done | failed | skipped
    status: int | None = None
    error: str | None = None
    changed: bool = False  # a 200 whose body differs from the last one
    etag: str | None = None
    last_modified: str | None = None
    hash: str | None = None
    content_type: str | None = None
    warc: str | None = None
    offset: int | None = None
    warc_end: int | None = None
    links: list[Link] | None = None  # None when unchanged: the links found last time are queued again
    text: str | None = None
    note: str | None = None
    size: int = 0  # bytes received
    kind: str | None = None  # what a candidate turned out to be: detail, list or page (neither)


class CrawlState:
    """The crawl's SQLite file; every method is one transaction, safe to call from worker threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a killed process
        self.db.executescript(SCHEMA_SQL)
        self.lock = threading.RLock()

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    def _tx(self) -> _Tx:
        return _Tx(self)

    def begin_run(self, key: str, seeds: Iterable[Link]) -> tuple[int, bool]:
        """Resume the unfinished run with this key, else start a new one from the seeds; return (run, resumed)."""
        with self._tx() as db:
            row = db.execute(
                "SELECT id FROM runs WHERE key = ? AND finished IS NULL ORDER BY id DESC LIMIT 1", (key,)
            ).fetchone()
            if row:
                return row[0], True
            run = db.execute("INSERT INTO runs (key, started) VALUES (?, ?)", (key, time.time())).lastrowid
            assert run is not None
            self._enqueue(db, run, seeds)
            return run, False

    def finish_run(self, run: int) -> None:
        """Mark a run finished: the next crawl with the same key starts a new one."""
        with self._tx() as db:
            db.execute("UPDATE runs SET finished = ? WHERE id = ?", (time.time(), run))

    def next_tasks(self, run: int, limit: int, exclude: set[str]) -> list[Task]:
        """Return up to limit queued URLs of the run, breadth first, skipping those in flight."""
        with self.lock:
            rows = self.db.execute(
                "SELECT url, kind, depth, etag, last_modified, hash FROM urls WHERE run = ? AND state = 'queued' "
                "ORDER BY depth, rowid LIMIT ?",
                (run, limit + len(exclude)),
            ).fetchall()
        return [Task(*r) for r in rows if r[0] not in exclude][:limit]

    def queued(self, run: int) -> int:
        """Count the URLs still queued in a run."""
        with self.lock:
            return self.db.execute("SELECT count(*) FROM urls WHERE run = ? AND state = 'queued'", (run,)).fetchone()[0]

    def save(self, run: int, visit: Visit, parent_depth: int) -> None:
        """Store a visit, its links and the archive's committed length in one transaction."""
        with self._tx() as db:
            self._update_url(db, visit)
            if visit.warc and visit.warc_end is not None:
                db.execute(
                    "UPDATE warcs SET committed = max(committed, ?) WHERE name = ?", (visit.warc_end, visit.warc)
                )
            if visit.state != "done":
                return
            if visit.links is None:
                known = db.execute("SELECT child, kind, name FROM links WHERE parent = ?", (visit.url,)).fetchall()
                links = [Link(c, k, parent_depth + 1, n or "") for c, k, n in known]
            else:
                links = visit.links
                db.execute("DELETE FROM links WHERE parent = ?", (visit.url,))
                db.executemany(
                    "INSERT OR REPLACE INTO links (parent, child, kind, name) VALUES (?, ?, ?, ?)",
                    [(visit.url, lk.url, lk.kind, lk.name) for lk in links],
                )
            self._enqueue(db, run, links)

    def _update_url(self, db: sqlite3.Connection, v: Visit) -> None:
        db.execute(
            "UPDATE urls SET state = ?, status = ?, error = ?, fetched_at = datetime('now'), kind = coalesce(?, kind), "
            "etag = coalesce(?, etag), last_modified = coalesce(?, last_modified), hash = coalesce(?, hash), "
            "content_type = coalesce(?, content_type), warc = coalesce(?, warc), offset = coalesce(?, offset), "
            "text = CASE WHEN ? THEN ? ELSE text END, note = CASE WHEN ? THEN ? ELSE note END, "
            "pending = CASE WHEN ? AND coalesce(?, kind) = 'detail' THEN 1 ELSE pending END WHERE url = ?",
            (
                v.state,
                v.status,
                v.error,
                v.kind,
                v.etag,
                v.last_modified,
                v.hash,
                v.content_type,
                v.warc,
                v.offset,
                v.changed,
                v.text,
                v.changed,
                v.note,
                v.changed,
                v.kind,
                v.url,
            ),
        )
        if v.changed:  # a changed attachment changes the notices that link to it
            db.execute(
                "UPDATE urls SET pending = 1 WHERE kind = 'detail' AND url IN "
                "(SELECT parent FROM links WHERE child = ? AND kind = 'attachment')",
                (v.url,),
            )

    def _enqueue(self, db: sqlite3.Connection, run: int, links: Iterable[Link]) -> None:
        db.executemany(
            ENQUEUE_SQL,
            [
                (lk.url, lk.kind, lk.depth, run, json.dumps(lk.hints, ensure_ascii=False) if lk.hints else None)
                for lk in links
            ],
        )

    def pending_pages(self, run: int) -> list[dict[str, Any]]:
        """Return the run's detail pages to (re)ingest whose attachments are all settled."""
        with self.lock:
            rows = self.db.execute(
                "SELECT u.url, u.warc, u.offset, u.content_type, u.hints, u.fetched_at FROM urls u "
                "WHERE u.pending = 1 AND u.kind = 'detail' AND u.run = ? AND u.warc IS NOT NULL AND NOT EXISTS ("
                "SELECT 1 FROM links l JOIN urls a ON a.url = l.child WHERE l.parent = u.url "
                "AND l.kind = 'attachment' AND a.state = 'queued' AND a.run = u.run) ORDER BY u.rowid",
                (run,),
            ).fetchall()
        keys = ("url", "warc", "offset", "content_type", "hints", "fetched_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def attachments_of(self, page: str) -> list[dict[str, Any]]:
        """Return the attachments linked from a page with their text, note, state and error."""
        with self.lock:
            rows = self.db.execute(
                "SELECT l.child, l.name, a.text, a.note, a.state, a.error FROM links l "
                "LEFT JOIN urls a ON a.url = l.child WHERE l.parent = ? AND l.kind = 'attachment' ORDER BY l.rowid",
                (page,),
            ).fetchall()
        keys = ("url", "name", "text", "note", "state", "error")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def mark_ingested(self, urls: Iterable[str]) -> None:
        """Clear the pending flag of pages whose records the index now holds."""
        with self._tx() as db:
            db.executemany("UPDATE urls SET pending = 0 WHERE url = ?", [(u,) for u in urls])

    def problems(self, run: int) -> list[tuple[str, str, str]]:
        """Return (url, state, reason) of every URL of the run that failed or was skipped."""
        with self.lock:
            return self.db.execute(
                "SELECT url, state, coalesce(error, '') FROM urls WHERE run = ? "
                "AND state IN ('failed', 'skipped') ORDER BY rowid",
                (run,),
            ).fetchall()

    def attachment_notes(self, run: int) -> list[tuple[str, str]]:
        """Return (url, note) of the run's attachments whose text could not be read (scans, bombs, DOC)."""
        with self.lock:
            return self.db.execute(
                "SELECT url, note FROM urls WHERE run = ? AND kind = 'attachment' "
                "AND state = 'done' AND coalesce(note, '') != '' ORDER BY rowid",
                (run,),
            ).fetchall()

    def pages(self, run: int) -> list[tuple[str, str, str, str]]:
        """Return (url, kind, state, note or error) of every URL of the run, in the order they were queued."""
        with self.lock:
            return self.db.execute(
                "SELECT url, kind, state, coalesce(error, note, '') FROM urls WHERE run = ? ORDER BY rowid", (run,)
            ).fetchall()

    def queued_task(self, run: int, url: str) -> Task | None:
        """Return the task of url when it is still queued in the run."""
        with self.lock:
            row = self.db.execute(
                "SELECT url, kind, depth, etag, last_modified, hash FROM urls "
                "WHERE url = ? AND run = ? AND state = 'queued'",
                (url, run),
            ).fetchone()
        return Task(*row) if row else None

    def robots(self, origin: str) -> tuple[int, bytes, float] | None:
        """Return (status, body, fetched_at) of the stored robots.txt of an origin."""
        with self.lock:
            row = self.db.execute("SELECT status, body, fetched_at FROM robots WHERE origin = ?", (origin,)).fetchone()
        return (row[0], bytes(row[1]), row[2]) if row else None

    def save_robots(self, origin: str, status: int, body: bytes) -> None:
        """Store an origin's robots.txt."""
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO robots VALUES (?, ?, ?, ?)", (origin, status, body, time.time()))

    def add_warc(self, name: str, run: int) -> None:
        """Register a new archive file of a run."""
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO warcs (name, run) VALUES (?, ?)", (name, run))

    def warcs(self, run: int) -> list[tuple[str, int]]:
        """Return (name, committed length) of the run's archive files."""
        with self.lock:
            return self.db.execute("SELECT name, committed FROM warcs WHERE run = ? ORDER BY rowid", (run,)).fetchall()


class _Tx:
    """BEGIN IMMEDIATE ... COMMIT under the state's lock; ROLLBACK on error."""

    def __init__(self, state: CrawlState) -> None:
        self.state = state

    def __enter__(self) -> sqlite3.Connection:
        self.state.lock.acquire()
        self.state.db.execute("BEGIN IMMEDIATE")
        return self.state.db

    def __exit__(self, exc_type: object, *_: object) -> None:
        try:
            self.state.db.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.state.lock.release()
