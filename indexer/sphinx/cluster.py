"""Start and stop the searchd processes of a cluster on this machine (tests, benchmarks, small deployments).

python -m indexer.sphinx.cluster var/sphinx --nodes 2        # write configs, run in the foreground
"""

from __future__ import annotations

import argparse
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from .client import Nodes, SphinxError
from .conf import NodeSpec, Tuning, write_configs
from .layout import layout

READY_SECONDS = 30.0  # a node replaying a large binlog takes a while to accept connections
STOP_SECONDS = 60.0  # saving a large RAM chunk on shutdown takes a while too


class ClusterError(RuntimeError):
    """searchd is missing, or did not start or stop."""


def searchd_path() -> str | None:
    """Return the searchd binary, or None when sphinxsearch is not installed."""
    return shutil.which("searchd")


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on host right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def plan_nodes(root: Path, count: int, host: str = "127.0.0.1", sql_port: int = 0, api_port: int = 0) -> list[NodeSpec]:
    """Return node specs under root/nodeN; port 0 picks free ports, else ports count up from the given ones."""
    nodes = []
    for i in range(1, count + 1):
        api = api_port + i - 1 if api_port else free_port(host)
        sql = sql_port + i - 1 if sql_port else free_port(host)
        nodes.append(NodeSpec(i, host, api, sql, Path(root) / f"node{i}"))
    return nodes


class Cluster:
    """The searchd processes of a list of nodes, with their configs written from the current layout."""

    def __init__(self, nodes: list[NodeSpec], tuning: Tuning | None = None) -> None:
        if searchd_path() is None:
            raise ClusterError("searchd not found: install Debian's sphinxsearch package")
        self.nodes = nodes
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        write_configs(nodes, layout(), tuning)

    @property
    def addresses(self) -> tuple[str, ...]:
        """Return host:sql_port of every node, node 1 first (Settings.sphinx_nodes)."""
        return tuple(n.address for n in self.nodes)

    def start(self, number: int | None = None) -> None:
        """Start one node (or every node) and wait until it accepts SphinxQL connections."""
        for node in self._pick(number):
            if node.number in self.procs and self.procs[node.number].poll() is None:
                continue
            with open(node.data_dir / "searchd.out", "ab") as out:  # the child keeps its own descriptor
                self.procs[node.number] = subprocess.Popen(
                    [searchd_path() or "searchd", "--config", str(node.config_path), "--nodetach"],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        for node in self._pick(number):
            self._wait_ready(node)

    def stop(self, number: int | None = None, sig: int = signal.SIGTERM) -> None:
        """Stop one node (or every node): SIGTERM saves RAM chunks, SIGKILL simulates a crash."""
        for node in self._pick(number):
            proc = self.procs.pop(node.number, None)
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(sig)
            try:
                proc.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise ClusterError(f"node {node.number} did not stop within {STOP_SECONDS:.0f} s") from None

    def kill(self, number: int) -> None:
        """Kill a node with SIGKILL, as a crash would."""
        self.stop(number, signal.SIGKILL)

    def running(self, number: int) -> bool:
        """Tell whether a node's searchd is running."""
        proc = self.procs.get(number)
        return proc is not None and proc.poll() is None

    def _pick(self, number: int | None) -> list[NodeSpec]:
        return [n for n in self.nodes if number is None or n.number == number]

    def _wait_ready(self, node: NodeSpec) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while True:
            proc = self.procs[node.number]
            if proc.poll() is not None:
                raise ClusterError(f"node {node.number} exited with {proc.returncode}: {self.log_tail(node)}")
            try:
                Nodes([node.address], timeout=1.0).connect(0).close()
                return
            except SphinxError:
                if time.monotonic() > deadline:
                    raise ClusterError(f"node {node.number} not ready after {READY_SECONDS:.0f} s") from None
                time.sleep(0.05)

    def log_tail(self, node: NodeSpec, lines: int = 5) -> str:
        """Return the last lines searchd printed for a node."""
        path = node.data_dir / "searchd.out"
        text = path.read_text(errors="replace") if path.exists() else ""
        return " | ".join(text.strip().splitlines()[-lines:])

    def __enter__(self) -> Cluster:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    """Write configs for N nodes under a directory and run them until interrupted."""
    ap = argparse.ArgumentParser(prog="python -m indexer.sphinx.cluster", description=__doc__)
    ap.add_argument("root", type=Path)
    ap.add_argument("--nodes", type=int, default=2)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--sql-port", type=int, default=9306, help="SphinxQL port of node 1; node i uses +i-1")
    ap.add_argument("--api-port", type=int, default=9312, help="API port of node 1; node i uses +i-1")
    args = ap.parse_args(argv)
    cluster = Cluster(plan_nodes(args.root, args.nodes, args.host, args.sql_port, args.api_port))
    with cluster:
        print("GOVSEARCH_BACKEND=sphinx GOVSEARCH_SPHINX_NODES=" + ",".join(cluster.addresses), flush=True)
        try:
            while all(cluster.running(n.number) for n in cluster.nodes):
                time.sleep(1)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
