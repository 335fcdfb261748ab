"""SphinxQL connections: one per thread and node, failover between nodes, and a check after every query.

Sphinx 2.2.11 answers a distributed query even when a node is down, with the other shards' hits and a
warning in SHOW META; it has no switch to make that an error. So every query is sent as a batch with
SHOW META, and the warning becomes SearchPage.warnings or PartialResults, never a silently small total.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..errors import IndexError_

try:
    import pymysql
    from pymysql.constants import CLIENT
except ImportError:  # said in one clear line when a cluster is first used (see Nodes)
    pymysql = None

GONE = {2003, 2006, 2013, 2055}  # can't connect, server gone, lost connection: try another node


class SphinxError(IndexError_):
    """The cluster cannot answer: every node is down, or a query failed."""


class PartialResults(SphinxError):
    """Some shards did not answer; the result would count only the others."""


@dataclass
class Answer:
    """The result sets of one query (hits, then one per FACET) and its SHOW META."""

    sets: list[list[tuple[Any, ...]]]
    meta: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    node: int = 0  # the node that answered (0-based)

    @property
    def total(self) -> int:
        """Return total_found: every match, not only those returned."""
        return int(self.meta.get("total_found", 0))


def parse_address(address: str) -> tuple[str, int]:
    """Split host:port."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"bad Sphinx node address {address!r}: expected host:sql_port")
    return host or "127.0.0.1", int(port)


class Nodes:
    """Thread-local SphinxQL connections to the nodes of a cluster, node 1 first."""

    def __init__(self, addresses: tuple[str, ...] | list[str], timeout: float = 30.0) -> None:
        if pymysql is None:
            raise SphinxError("the Sphinx backend needs PyMySQL: pip install PyMySQL==1.2.4")
        if not addresses:
            raise SphinxError("no Sphinx nodes configured: set GOVSEARCH_SPHINX_NODES=host:port,host:port")
        self.addresses = [parse_address(a) for a in addresses]
        self.timeout = timeout
        self._local = threading.local()

    def __len__(self) -> int:
        return len(self.addresses)

    def label(self, i: int) -> str:
        """Return 'node N (host:port)'."""
        host, port = self.addresses[i]
        return f"node {i + 1} ({host}:{port})"

    def connect(self, i: int) -> pymysql.connections.Connection:
        """Open a new connection to node i (0-based)."""
        host, port = self.addresses[i]
        try:
            return pymysql.connect(
                host=host,
                port=port,
                autocommit=True,
                connect_timeout=min(self.timeout, 3.0),
                read_timeout=self.timeout,
                write_timeout=self.timeout,
                charset="utf8",
                client_flag=CLIENT.MULTI_STATEMENTS,
            )
        except pymysql.err.OperationalError as e:
            raise SphinxError(f"{self.label(i)} is down: {e.args[-1]}") from None

    def conn(self, i: int) -> pymysql.connections.Connection:
        """Return this thread's connection to node i, opening it when needed."""
        conns = self._conns()
        if conns.get(i) is None:
            conns[i] = self.connect(i)
        return conns[i]

    def _conns(self) -> dict[int, Any]:
        if not hasattr(self._local, "conns"):
            self._local.conns = {}
            self._local.current = 0
        return self._local.conns

    def drop(self, i: int) -> None:
        """Forget (and close) this thread's connection to node i."""
        conn = self._conns().pop(i, None)
        if conn is not None:
            conn.close()

    def close(self) -> None:
        """Close this thread's connections (before stopping searchd: it then stops at once)."""
        for i in list(self._conns()):
            self.drop(i)

    def execute(self, i: int, sql: str) -> None:
        """Run a write statement on node i; reconnect once if the connection went stale."""
        for attempt in (1, 2):
            try:
                with self.conn(i).cursor() as cur:
                    cur.execute(sql)
                return
            except pymysql.err.OperationalError as e:
                self.drop(i)
                if e.args[0] not in GONE or attempt == 2:
                    raise SphinxError(f"{self.label(i)}: {e.args[-1]}") from None
            except pymysql.err.MySQLError as e:
                raise SphinxError(f"{self.label(i)}: {e.args[-1]}") from None

    def query(self, sql: str, *, node: int | None = None, meta: bool = True) -> Answer:
        """Run a statement on `node`, else on the first node that answers (any node's dist reaches every shard).

        With meta, the statement is a SELECT sent in one batch with SHOW META, whose warning is kept.
        """
        self._conns()
        order = [node] if node is not None else [(self._local.current + k) % len(self) for k in range(len(self))]
        errors = []
        for i in order:
            try:
                answer = run_batch(self.conn(i), sql, meta)
            except SphinxError as e:
                errors.append(str(e))
                continue
            except pymysql.err.OperationalError as e:
                self.drop(i)
                if e.args[0] not in GONE:
                    raise SphinxError(f"{self.label(i)}: {e.args[-1]}") from None
                errors.append(f"{self.label(i)} is down: {e.args[-1]}")
                continue
            except pymysql.err.MySQLError as e:
                raise SphinxError(f"query failed on {self.label(i)}: {e.args[-1]}") from None
            if node is None:
                self._local.current = i
            answer.node = i
            return answer
        raise SphinxError("no Sphinx node answers: " + "; ".join(errors))

    @contextmanager
    def stream(self, sql: str) -> Iterator[pymysql.cursors.SSCursor]:
        """Yield an unbuffered cursor over one SELECT on a connection of its own (exports)."""
        i = self._local.current if hasattr(self._local, "current") else 0
        conn = self.connect(i)
        try:
            with conn.cursor(pymysql.cursors.SSCursor) as cur:
                cur.execute(sql)
                yield cur
        finally:
            conn.close()


def run_batch(conn: pymysql.connections.Connection, sql: str, meta: bool = True) -> Answer:
    """Run one SELECT (with its FACETs) and SHOW META as one batch; collect warnings."""
    with conn.cursor() as cur:
        if not meta:
            cur.execute(sql)
            return Answer([list(cur.fetchall())], {})
        cur.execute(f"{sql}; SHOW META")
        sets = [list(cur.fetchall())]
        flagged = bool(cur.warning_count)
        while cur.nextset():
            sets.append(list(cur.fetchall()))
            flagged = flagged or bool(cur.warning_count)
        info = {str(k): str(v) for k, v in sets.pop()}
        warnings = [info["warning"]] if info.get("warning") else []
        if flagged and not warnings:
            cur.execute("SHOW WARNINGS")
            warnings = [str(row[-1]) for row in cur.fetchall()]
    return Answer(sets, info, warnings)
