"""Queries sent by POST, kept under a short id (a hash of their content) so that their results stay shareable.

The table lives in a small SQLite file beside the index, outside the index itself, capped by rows: the least
recently used ids go first.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path

from flask import abort, current_app
from werkzeug.datastructures import MultiDict

QID_CHARS = 20  # hex digits of SHA-256 kept as the id: 80 bits, no collision among a few thousand queries
QID_PARAM = "qid"
FILE_NAME = "queries.sqlite"
SCHEMA_SQL = "CREATE TABLE IF NOT EXISTS queries (id TEXT PRIMARY KEY, args TEXT NOT NULL, used REAL NOT NULL)"


class SavedQueries:
    """The capped table of saved queries: id -> the URL parameters of the search."""

    def __init__(self, path: Path, max_rows: int) -> None:
        self.path, self.max_rows = Path(path), max_rows
        self.lock = threading.Lock()  # one connection shared by a worker's threads
        self.db: sqlite3.Connection | None = None  # opened on first use, so after a server forks

    def _db(self) -> sqlite3.Connection:
        if self.db is None:
            self.db = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
            self.db.execute(SCHEMA_SQL)
        return self.db

    def close(self) -> None:
        """Close the connection, if open."""
        if self.db is not None:
            self.db.close()
            self.db = None

    def save(self, args: dict[str, list[str]]) -> str:
        """Store a query's parameters; return its id, the same for the same content."""
        text = json.dumps(args, ensure_ascii=False, sort_keys=True)
        qid = hashlib.sha256(text.encode("utf-8")).hexdigest()[:QID_CHARS]
        with self.lock, self._db() as db:
            db.execute("INSERT OR REPLACE INTO queries VALUES (?, ?, ?)", (qid, text, time.time()))
            db.execute(
                "DELETE FROM queries WHERE id NOT IN (SELECT id FROM queries ORDER BY used DESC LIMIT ?)",
                (self.max_rows,),
            )
        return qid

    def load(self, qid: str) -> dict[str, list[str]] | None:
        """Return the parameters saved under an id, or None when it is unknown (or was dropped by the cap)."""
        if len(qid) != QID_CHARS or not all(c in "0123456789abcdef" for c in qid):
            return None
        if not self.path.exists():
            return None
        with self.lock, self._db() as db:
            row = db.execute("SELECT args FROM queries WHERE id = ?", (qid,)).fetchone()
            if row:
                db.execute("UPDATE queries SET used = ? WHERE id = ?", (time.time(), qid))
        return json.loads(row[0]) if row else None

    def count(self) -> int:
        """Return how many queries are kept."""
        if not self.path.exists():
            return 0
        with self.lock, self._db() as db:
            return int(db.execute("SELECT count(*) FROM queries").fetchone()[0])


def saved_queries() -> SavedQueries:
    """Return the app's table of saved queries."""
    return current_app.extensions["govsearch"]["saved"]  # type: ignore[no-any-return]


def resolve(args: MultiDict[str, str]) -> MultiDict[str, str]:
    """Return the URL's parameters with a ?qid= replaced by the saved ones (the URL's own win); 404 if unknown."""
    qid = args.get(QID_PARAM)
    if qid is None:
        return args
    saved = saved_queries().load(qid)
    if saved is None:
        abort(404, f"no saved query {qid[:QID_CHARS]!r}: saved queries are kept for a while only; search again")
    own = [(k, v) for k, v in args.items(multi=True) if k != QID_PARAM]
    return MultiDict([(k, v) for k, vs in saved.items() if k not in args for v in vs] + own)
