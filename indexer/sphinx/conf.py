"""Write searchd configurations: node i holds shard i and a distributed index over every shard.

Every node gets the same ``dist`` index (its own shard local, the others as agents), so any node can
answer a query; a client falls over to the next node when one is down and then gets a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .layout import Layout
from .shards import shard_name
from .tokens import CHARSET_TABLE

DIST = "dist"  # the distributed index every node serves
VALS = "vals"  # facet dictionary: term key -> value, on every node


@dataclass(frozen=True)
class NodeSpec:
    """One searchd: node `number` (1-based) holds shard `number`."""

    number: int
    host: str
    api_port: int  # binary protocol: what agents of distributed indexes talk to
    sql_port: int  # SphinxQL (mysql41): what govsearch talks to
    data_dir: Path

    @property
    def address(self) -> str:
        """Return host:sql_port, the form GOVSEARCH_SPHINX_NODES lists."""
        return f"{self.host}:{self.sql_port}"

    @property
    def config_path(self) -> Path:
        """Return where this node's sphinx.conf lives."""
        return self.data_dir / "sphinx.conf"


@dataclass(frozen=True)
class Tuning:
    """searchd settings worth changing per deployment."""

    rt_mem_limit: str = "256M"  # RAM chunk per shard before it is flushed to a disk chunk
    # 2: write every transaction, fsync once a second. Not 1: 2.2.11 then leaves the binlog empty and a
    # SIGKILLed node comes back without its unsaved rows (measured); 0 loses the last second on a crash.
    binlog_flush: int = 2
    agent_connect_timeout: int = 300  # ms before a node counts as down for a query
    agent_query_timeout: int = 10000  # ms a node may take to answer
    max_packet_size: str = "128M"  # a 5-million-character body is about 15 MB of keywords
    extra: dict[str, str] = field(default_factory=dict)  # more searchd directives, verbatim


def _block(kind: str, name: str, lines: list[str]) -> str:
    head = f"{kind} {name}".strip()
    return head + "\n{\n" + "".join(f"    {line}\n" for line in lines) + "}\n"


def shard_block(node: NodeSpec, lay: Layout, tuning: Tuning) -> str:
    """Return the RT index block of a node's shard."""
    name = shard_name(node.number - 1)
    lines = ["type = rt", f"path = {node.data_dir / name}"]
    lines += [f"rt_field = {f}" for f in lay.text_fields]
    lines += [f"rt_attr_{kind} = {attr}" for kind, attr in lay.attrs()]
    lines += [f"charset_table = {CHARSET_TABLE}", "min_word_len = 1", f"rt_mem_limit = {tuning.rt_mem_limit}"]
    return _block("index", name, lines)


def node_config(node: NodeSpec, nodes: list[NodeSpec], lay: Layout, tuning: Tuning | None = None) -> str:
    """Return the sphinx.conf text of one node of a cluster."""
    tuning = tuning or Tuning()
    vals = [
        "type = rt",
        f"path = {node.data_dir / VALS}",
        "rt_field = v",
        "rt_attr_string = value",
        f"charset_table = {CHARSET_TABLE}",
    ]
    agents = [f"agent = {n.host}:{n.api_port}:{shard_name(n.number - 1)}" for n in nodes if n != node]
    dist = [
        "type = distributed",
        f"local = {shard_name(node.number - 1)}",
        *agents,
        f"agent_connect_timeout = {tuning.agent_connect_timeout}",
        f"agent_query_timeout = {tuning.agent_query_timeout}",
    ]
    searchd = [
        f"listen = {node.host}:{node.api_port}",
        f"listen = {node.host}:{node.sql_port}:mysql41",
        f"log = {node.data_dir / 'searchd.log'}",
        f"query_log = {node.data_dir / 'query.log'}",
        f"pid_file = {node.data_dir / 'searchd.pid'}",
        f"binlog_path = {node.data_dir}",
        f"binlog_flush = {tuning.binlog_flush}",
        "workers = threads",
        "collation_server = binary",
        f"max_packet_size = {tuning.max_packet_size}",
        "seamless_rotate = 1",
        "preopen_indexes = 1",
        *(f"{k} = {v}" for k, v in tuning.extra.items()),
    ]
    return (
        f"# govsearch node {node.number} of {len(nodes)}: written by indexer.sphinx.conf; layout "
        f"{lay.fingerprint()}\n\n"
        + shard_block(node, lay, tuning)
        + "\n"
        + _block("index", VALS, vals)
        + "\n"
        + _block("index", DIST, dist)
        + "\n"
        + _block("searchd", "", searchd)
    )


def write_configs(nodes: list[NodeSpec], lay: Layout, tuning: Tuning | None = None) -> list[Path]:
    """Write every node's sphinx.conf into its data directory; return the paths."""
    paths = []
    for node in nodes:
        node.data_dir.mkdir(parents=True, exist_ok=True)
        node.config_path.write_text(node_config(node, nodes, lay, tuning), encoding="utf-8")
        paths.append(node.config_path)
    return paths
