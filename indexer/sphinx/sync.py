"""Push the record store to the cluster: each document to the shard that owns it, deletions too.

The record store (records.sqlite) stays the source of truth. The table ``sphinx_pushed`` in the same
file remembers which version (hash, duplicate group) of each record the cluster holds, so a sync
pushes only what changed since the last one, deletes what left the store, and a crash at any point
leaves work that the next sync finds and finishes (REPLACE is idempotent).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from ..models import Document
from ..store import RecordStore
from .client import Nodes, SphinxError
from .conf import VALS
from .layout import document_row, layout
from .shards import shard_name
from .sql import ql_value

PUSHED_SQL = """
CREATE TABLE IF NOT EXISTS sphinx_pushed (
    id TEXT PRIMARY KEY,            -- record id
    sid INTEGER NOT NULL UNIQUE,    -- Sphinx document id: a hash collision fails here, loudly
    hash TEXT NOT NULL,             -- records.hash the cluster holds
    dup_of TEXT                     -- records.dup_of the cluster holds
);
"""
LAYOUT_KEY = "sphinx_layout"  # store meta: shard count and layout fingerprint of the cluster
BATCH = 500  # documents per REPLACE batch and per store commit
MAX_STATEMENT = 16 << 20  # bytes per REPLACE statement, well under searchd's max_packet_size
PENDING_SQL = """
SELECT r.id, r.record, r.dup_of, r.hash FROM records r LEFT JOIN sphinx_pushed p ON p.id = r.id
WHERE r.id > ? AND (p.id IS NULL OR p.hash != r.hash OR p.dup_of IS NOT r.dup_of) ORDER BY r.id LIMIT ?
"""
GONE_SQL = "SELECT p.id, p.sid FROM sphinx_pushed p LEFT JOIN records r ON r.id = p.id WHERE r.id IS NULL"


@dataclass
class SyncReport:
    """What one sync did."""

    pushed: int = 0
    deleted: int = 0
    rebuilt: bool = False
    seconds: float = 0.0


def replace_statements(index: str, rows: list[dict[str, Any]], columns: list[str]) -> Iterator[str]:
    """Yield REPLACE INTO statements for rows, each under MAX_STATEMENT bytes."""
    head = f"REPLACE INTO {index} ({', '.join(columns)}) VALUES "
    values: list[str] = []
    size = 0
    for row in rows:
        value = "(" + ", ".join(ql_value(row[c]) for c in columns) + ")"
        if values and size + len(value.encode()) > MAX_STATEMENT:
            yield head + ", ".join(values)
            values, size = [], 0
        values.append(value)
        size += len(value.encode())
    if values:
        yield head + ", ".join(values)


def check_layout(store: RecordStore, nodes: Nodes, rebuild: bool) -> str:
    """Return the cluster layout key; refuse to sync into a cluster built for another layout."""
    want = f"{len(nodes)}:{layout().fingerprint()}"
    have = store.get_meta(LAYOUT_KEY)
    if have and have != want and not rebuild:
        raise SphinxError(
            f"the cluster layout changed ({have} -> {want}: shards:schema); "
            "rebuild it with sync_to_sphinx(..., rebuild=True) (`govsearch ingest --rebuild`)"
        )
    expected = layout().columns()
    for i in range(len(nodes)):
        conn = nodes.conn(i)
        with conn.cursor() as cur:
            cur.execute(f"DESCRIBE {shard_name(i)}")
            columns = [row[0] for row in cur.fetchall()]
        if sorted(columns) != sorted(expected):
            raise SphinxError(
                f"{nodes.label(i)} has an old schema for {shard_name(i)}: rewrite its config "
                "(python -m indexer.sphinx.cluster), wipe its data directory and rebuild"
            )
    return want


def truncate(nodes: Nodes) -> None:
    """Empty every shard and facet dictionary (before a rebuild or a reshard)."""
    for i in range(len(nodes)):
        nodes.execute(i, f"TRUNCATE RTINDEX {shard_name(i)}")
        nodes.execute(i, f"TRUNCATE RTINDEX {VALS}")


def delete_gone(store: RecordStore, nodes: Nodes) -> int:
    """Delete from their shards the documents that left the record store."""
    gone = store.db.execute(GONE_SQL).fetchall()
    by_shard: dict[int, list[int]] = {}
    for _, sid in gone:
        by_shard.setdefault(sid % len(nodes), []).append(sid)
    for shard, sids in by_shard.items():
        for i in range(0, len(sids), 1000):
            ids = ",".join(str(s) for s in sids[i : i + 1000])
            nodes.execute(shard, f"DELETE FROM {shard_name(shard)} WHERE id IN ({ids})")
    store.db.executemany("DELETE FROM sphinx_pushed WHERE id = ?", [(doc_id,) for doc_id, _ in gone])
    store.commit()
    return len(gone)


def _rows(batch: list[tuple[str, str | None]]) -> list[tuple[dict[str, Any], dict[int, str]]]:
    """Return the shard rows of (record JSON, dup_of) pairs (runs in worker processes too)."""
    return [document_row(Document.from_record(json.loads(rec)), dup_of) for rec, dup_of in batch]


def _pending(store: RecordStore, batch: int) -> Iterator[list[tuple[str, str, str | None, str]]]:
    last = ""
    while True:
        rows = store.db.execute(PENDING_SQL, (last, batch)).fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


class Pusher:
    """Sends shard rows to their nodes and facet names to every node's dictionary."""

    def __init__(self, nodes: Nodes) -> None:
        self.nodes = nodes
        self.columns = layout().columns()
        self.sent_names: set[int] = set()

    def push(self, rows: list[tuple[dict[str, Any], dict[int, str]]]) -> None:
        """REPLACE rows into their shards, after the facet names they use."""
        names = {k: v for _, ns in rows for k, v in ns.items() if k not in self.sent_names}
        if names:
            vals = [{"id": k, "v": "", "value": v} for k, v in names.items()]
            for i in range(len(self.nodes)):
                for sql in replace_statements(VALS, vals, ["id", "v", "value"]):
                    self.nodes.execute(i, sql)
            self.sent_names.update(names)
        by_shard: dict[int, list[dict[str, Any]]] = {}
        for row, _ in rows:
            by_shard.setdefault(row["id"] % len(self.nodes), []).append(row)
        for shard, shard_rows in by_shard.items():
            for sql in replace_statements(shard_name(shard), shard_rows, self.columns):
                self.nodes.execute(shard, sql)


def sync_to_sphinx(
    store: RecordStore,
    nodes: Nodes,
    *,
    rebuild: bool = False,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> SyncReport:
    """Bring the cluster up to date with the record store: push changed records, delete removed ones."""
    start, report = time.monotonic(), SyncReport(rebuilt=rebuild)
    store.db.executescript(PUSHED_SQL)
    want = check_layout(store, nodes, rebuild)
    if rebuild:
        truncate(nodes)
        store.db.execute("DELETE FROM sphinx_pushed")
        store.commit()
    report.deleted = delete_gone(store, nodes)
    pusher = Pusher(nodes)
    with _pool(workers) as pool:
        for batch, rows in _converted(pool, _pending(store, BATCH), workers):
            with store.db:  # committed once the shards took the rows, rolled back if they did not
                _record_pushed(store, batch, rows)
                pusher.push(rows)
            report.pushed += len(batch)
            if progress:
                progress(len(batch))
    store.set_meta(LAYOUT_KEY, want)
    store.commit()
    report.seconds = time.monotonic() - start
    return report


def _record_pushed(
    store: RecordStore, batch: list[tuple[str, str, str | None, str]], rows: list[tuple[dict[str, Any], dict[int, str]]]
) -> None:
    """Note what the cluster will hold (committed only after the push succeeded)."""
    values = [
        (doc_id, row["id"], digest, dup_of) for (doc_id, _, dup_of, digest), (row, _) in zip(batch, rows, strict=True)
    ]
    try:
        store.db.executemany(
            "INSERT INTO sphinx_pushed (id, sid, hash, dup_of) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE "
            "SET hash = excluded.hash, dup_of = excluded.dup_of",
            values,
        )
    except sqlite3.IntegrityError as e:  # two ids with one 63-bit hash: refuse rather than overwrite
        raise SphinxError(f"Sphinx id collision in this batch ({e}): report it, with the two ids") from None


def _converted(
    pool: ProcessPoolExecutor | None, batches: Iterator[list[tuple[str, str, str | None, str]]], depth: int
) -> Iterator[tuple[list[tuple[str, str, str | None, str]], list[Any]]]:
    """Yield (batch, shard rows) in order; with a pool, the next `depth` batches are segmented meanwhile."""
    queue: deque[tuple[list[tuple[str, str, str | None, str]], Any]] = deque()
    for batch in batches:
        pairs = [(rec, dup_of) for _, rec, dup_of, _ in batch]
        queue.append((batch, pool.submit(_rows, pairs) if pool else pairs))
        if len(queue) > depth:
            yield _ready(*queue.popleft())
    while queue:
        yield _ready(*queue.popleft())


def _ready(batch: list[tuple[str, str, str | None, str]], work: Any) -> tuple[list[Any], list[Any]]:
    return batch, work.result() if isinstance(work, Future) else _rows(work)


class _NoPool:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _pool(workers: int) -> Any:
    """Return a process pool for segmentation when workers > 1 (forked: the segmenter is loaded once)."""
    return ProcessPoolExecutor(workers, mp_context=get_context("fork")) if workers > 1 else _NoPool()


def check_cluster(store: RecordStore, nodes: Nodes) -> list[str]:
    """Return how each shard differs from what the store says it holds (empty when all agree)."""
    store.db.executescript(PUSHED_SQL)
    expected = dict(store.db.execute("SELECT sid % ?, count(*) FROM sphinx_pushed GROUP BY 1", (len(nodes),)))
    problems = []
    for i in range(len(nodes)):
        try:
            held = int(nodes.query(f"SELECT COUNT(*) FROM {shard_name(i)}", node=i).sets[0][0][0])
        except SphinxError as e:
            problems.append(str(e))
            continue
        if held != expected.get(i, 0):
            problems.append(f"{nodes.label(i)} holds {held} documents; {expected.get(i, 0)} were pushed to it")
    pending = store.db.execute(PENDING_SQL, ("", 1)).fetchone()
    gone = store.db.execute(GONE_SQL + " LIMIT 1").fetchone()
    if pending or gone:
        problems.append("the record store has changes not yet synced: run a sync")
    return problems
