"""The record store: every ingested record as stored, in SQLite, the source of truth of the index."""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .duplicates import SIGNATURE_SCHEME
from .models import Document

SIGNATURE_KEY = "signature_scheme"  # meta: how the stored signatures were made (duplicates.SIGNATURE_SCHEME)
SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL,            -- of the input record and the pipeline version: unchanged -> skipped
    record TEXT NOT NULL,          -- Document.to_record() as JSON
    sig BLOB,                      -- near-duplicate signature
    dup_of TEXT,                   -- canonical id of its group of copies (转载)
    version_of TEXT,               -- id of the current version of the law or 办法 it is a version of
    validity TEXT,                 -- 已修订 / 废止 set on an older version (identity), else NULL
    indexed INTEGER NOT NULL DEFAULT 0,  -- 1 once the Whoosh index holds this version
    updated TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE INDEX IF NOT EXISTS records_pending ON records(indexed) WHERE indexed = 0;
CREATE INDEX IF NOT EXISTS records_dup_of ON records(dup_of);  -- group sizes on every results page
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# columns added after the first release: a store written before them gains them when opened for writing
# columns added to a store written before them (ALTER TABLE when it is opened for writing)
MIGRATIONS = (
    ("raw", "BLOB"),  # the input record as read (zlib JSON): a new pipeline can redo a record without its source
    ("version_of", "TEXT"),  # the id of the version in force (indexer/relations.py)
    ("validity", "TEXT"),  # 已修订 / 废止 of an older version
)
VERSIONS_INDEX = "CREATE INDEX IF NOT EXISTS records_version_of ON records(version_of) WHERE version_of IS NOT NULL"


IDENTITY_FIELDS = ("title", "doc_number", "agency", "region", "date", "date_issued", "status", "source", "url")


def pack_raw(raw: dict[str, Any] | None) -> bytes | None:
    """Compress an input record for the raw column (bytes values, such as a page read from a file, as hex)."""
    if raw is None:
        return None
    data = {k: ({"__bytes__": v.hex()} if isinstance(v, bytes) else v) for k, v in raw.items()}
    return zlib.compress(json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass"), 1)


def unpack_raw(blob: bytes | None) -> dict[str, Any] | None:
    """Return the input record stored by pack_raw."""
    if blob is None:
        return None
    data = json.loads(zlib.decompress(blob).decode("utf-8", "surrogatepass"))
    packed = {k for k, v in data.items() if isinstance(v, dict) and "__bytes__" in v}
    return {k: (bytes.fromhex(v["__bytes__"]) if k in packed else v) for k, v in data.items()}


class RecordStore:
    """SQLite file of records: written by ingest, read by the web app and exports."""

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = Path(path)
        if readonly:
            uri = f"file:{self.path}?mode=ro"
            self.db = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
        else:
            self.db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA_SQL)
            self._migrate()
            if not self.get_meta(SIGNATURE_KEY) and not self.db.execute("SELECT 1 FROM records LIMIT 1").fetchone():
                self.set_meta(SIGNATURE_KEY, SIGNATURE_SCHEME)  # a new store: its signatures are of this scheme
                self.db.commit()

    def _migrate(self) -> None:
        have = {r[1] for r in self.db.execute("PRAGMA table_info(records)")}
        for name, kind in MIGRATIONS:
            if name not in have:
                self.db.execute(f"ALTER TABLE records ADD COLUMN {name} {kind}")
        self.db.execute(VERSIONS_INDEX)
        self.db.commit()

    def has_versions(self) -> bool:
        """Tell whether the store has the version columns (a read-only store of an old version may not)."""
        return "version_of" in {r[1] for r in self.db.execute("PRAGMA table_info(records)")}

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def state(self, doc_id: str) -> tuple[str, int] | None:
        """Return (hash, indexed) of a stored record, or None."""
        row = self.db.execute("SELECT hash, indexed FROM records WHERE id = ?", (doc_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def put(self, doc: Document, digest: str, sig: bytes | None) -> None:
        """Insert or replace a record, marked as not yet indexed."""
        self.put_json(doc.doc_id, json.dumps(doc.to_record(), ensure_ascii=False), digest, sig)

    def put_json(self, doc_id: str, record: str, digest: str, sig: bytes | None, raw: bytes | None = None) -> None:
        """Insert or replace a record given as its JSON (Document.to_record), marked as not yet indexed.

        raw is the input record it was made from (pack_raw), kept for the next pipeline (see indexer.upgrade).
        """
        self.db.execute(
            "INSERT INTO records (id, hash, record, sig, indexed, dup_of, raw) VALUES (?, ?, ?, ?, 0, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET hash = excluded.hash, record = excluded.record, "
            "sig = excluded.sig, raw = excluded.raw, indexed = 0, updated = datetime('now')",
            (doc_id, digest, record, sig, doc_id, raw),  # a new record is its own group until regrouped
        )

    def commit(self) -> None:
        """Commit the current transaction."""
        self.db.commit()

    def get(self, doc_id: str) -> dict[str, Any] | None:
        """Return the stored record of one document."""
        row = self.db.execute("SELECT record FROM records WHERE id = ?", (doc_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def get_many(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Return the stored records of several documents, by id."""
        ids = list(ids)
        out: dict[str, dict[str, Any]] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for doc_id, rec in self.db.execute(f"SELECT id, record FROM records WHERE id IN ({marks})", chunk):
                out[doc_id] = json.loads(rec)
        return out

    def documents(self, pending_only: bool = False) -> Iterator[tuple[Document, str | None]]:
        """Yield every stored (or every not-yet-indexed) document with its duplicate group."""
        sql = "SELECT record, dup_of FROM records" + (" WHERE indexed = 0" if pending_only else "")
        for rec, dup_of in self.db.execute(sql + " ORDER BY id"):
            yield Document.from_record(json.loads(rec)), dup_of

    def ids(self) -> set[str]:
        """Return every stored id."""
        return {r[0] for r in self.db.execute("SELECT id FROM records")}

    def signatures(self) -> Iterator[tuple[str, bytes, str | None, str | None]]:
        """Yield (id, signature, canonical 文号, dup_of) for duplicate grouping."""
        sql = "SELECT id, sig, json_extract(record, '$.doc_number'), dup_of FROM records WHERE sig IS NOT NULL"
        yield from self.db.execute(sql)

    def identity_rows(self) -> Iterator[tuple[dict[str, Any], bytes | None, str | None, str | None, str | None]]:
        """Yield (identity fields of the record, signature, dup_of, version_of, validity) of every record."""
        # one parse of each record for the short fields (a JSON array of them), one for its body
        paths = ", ".join(f"'$.{n}'" for n in IDENTITY_FIELDS)
        sql = (
            "SELECT id, sig, dup_of, version_of, validity, fields, substr(body, 1, 200) || char(10) || "
            "substr(body, -200), length(body) FROM "
            f"(SELECT *, json_extract(record, {paths}) AS fields, json_extract(record, '$.body') AS body FROM records)"
            " ORDER BY id"
        )
        for doc_id, sig, dup_of, version_of, validity, fields, head, size in self.db.execute(sql):
            rec = dict(zip(IDENTITY_FIELDS, json.loads(fields), strict=True))
            rec.update(id=doc_id, body=head, length=len(rec.get("title") or "") + (size or 0))
            yield rec, sig, dup_of, version_of, validity

    def set_versions(self, changes: dict[str, tuple[str | None, str | None]]) -> None:
        """Store each record's (current version id, validity); the index does not hold them."""
        self.db.executemany(
            "UPDATE records SET version_of = ?, validity = ? WHERE id = ?", [(v, s, k) for k, (v, s) in changes.items()]
        )

    def versions(self, doc_ids: Iterable[str]) -> dict[str, tuple[str, str | None]]:
        """Return (current version id, validity) of those records that are versions of a law or 办法."""
        ids = list(dict.fromkeys(doc_ids))
        if not ids or not self.has_versions():
            return {}
        marks = ",".join("?" * len(ids))
        sql = f"SELECT id, version_of, validity FROM records WHERE id IN ({marks}) AND version_of IS NOT NULL"
        return {k: (v, s) for k, v, s in self.db.execute(sql, ids)}

    def relations(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Return each record's identity columns for exports: copy_group (the id of the copy a collapsed
        search shows), is_canonical, version_of and validity."""
        ids = list(dict.fromkeys(ids))
        out: dict[str, dict[str, Any]] = {}
        cols = "id, dup_of, version_of, validity" if self.has_versions() else "id, dup_of, NULL, NULL"
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            sql = f"SELECT {cols} FROM records WHERE id IN ({','.join('?' * len(chunk))})"
            for doc_id, dup_of, version_of, validity in self.db.execute(sql, chunk):
                group = dup_of or doc_id
                out[doc_id] = {
                    "copy_group": group,
                    "is_canonical": group == doc_id,
                    "version_of": version_of,
                    "validity": validity,
                }
        return out

    def versions_of(self, current: str) -> list[tuple[str, str | None]]:
        """Return (id, validity) of every version of a law or 办法 whose current version is given."""
        if not self.has_versions():
            return []
        sql = "SELECT id, validity FROM records WHERE version_of = ? ORDER BY id"
        return [(k, s) for k, s in self.db.execute(sql, (current,))]

    def set_dup_of(self, changes: dict[str, str]) -> None:
        """Store new duplicate groups; changed records must be indexed again."""
        self.db.executemany(
            "UPDATE records SET dup_of = ?, indexed = 0 WHERE id = ?", [(v, k) for k, v in changes.items()]
        )

    def mark_indexed(self, ids: Iterable[str] | None = None) -> None:
        """Mark records (all pending ones when ids is None) as held by the index."""
        if ids is None:
            self.db.execute("UPDATE records SET indexed = 1 WHERE indexed = 0")
        else:
            self.db.executemany("UPDATE records SET indexed = 1 WHERE id = ?", [(i,) for i in ids])

    def count(self, pending_only: bool = False) -> int:
        """Return how many records (or pending records) there are."""
        sql = "SELECT count(*) FROM records" + (" WHERE indexed = 0" if pending_only else "")
        return int(self.db.execute(sql).fetchone()[0])

    def max_chars(self, field: str) -> int:
        """Return the length in characters of the longest value of a record field (0 when there is none)."""
        sql = "SELECT max(length(json_extract(record, ?))) FROM records"
        return int(self.db.execute(sql, (f"$.{field}",)).fetchone()[0] or 0)

    def duplicates_of(self, canonical: str) -> list[str]:
        """Return the ids of every record in a duplicate group."""
        return [r[0] for r in self.db.execute("SELECT id FROM records WHERE dup_of = ? ORDER BY id", (canonical,))]

    def group_sizes(self, canonical_ids: Iterable[str]) -> dict[str, int]:
        """Return how many records each duplicate group holds."""
        ids = list(dict.fromkeys(canonical_ids))
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        sql = f"SELECT dup_of, count(*) FROM records WHERE dup_of IN ({marks}) GROUP BY dup_of"
        return {k: int(n) for k, n in self.db.execute(sql, ids)}

    def get_meta(self, key: str, default: str = "") -> str:
        """Return one meta value."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        """Set one meta value."""
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
