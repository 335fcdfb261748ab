"""HTTP load: start a server on 127.0.0.1, drive it with N keep-alive clients for a bounded time, stop it.

Also the memory probe: the summed resident memory of a process and all its descendants, read from /proc.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import statistics
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

READY_SECONDS = 120.0  # a server that does not answer within this is reported as failed
STOP_SECONDS = 15.0  # SIGTERM, then SIGKILL after this


@dataclass(frozen=True)
class LoadResult:
    """What one load run measured."""

    requests: int
    errors: int
    seconds: float
    latencies_ms: tuple[float, ...]
    peak_rss_mb: float

    @property
    def rps(self) -> float:
        """Successful requests per second."""
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Return the p-th percentile latency in milliseconds."""
        return percentile(self.latencies_ms, p)


def percentile(values: Sequence[float], p: float) -> float:
    """Return the p-th percentile (nearest rank) of values, or nan when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def median(values: Sequence[float]) -> float:
    """Return the median of values, or nan."""
    return statistics.median(values) if values else float("nan")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tree_rss_mb(pid: int) -> float:
    """Return the memory of a process and all its descendants, in MB (0 once it is gone).

    Each process counts its proportional share (Pss) of the pages it shares with the others: forked
    workers share the preloaded dictionary and app with their parent, and plain RSS would count those
    pages once per process. VmRSS is the fallback where smaps_rollup is missing.
    """
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += _kb(Path(f"/proc/{p}/smaps_rollup"), "Pss:") or _kb(Path(f"/proc/{p}/status"), "VmRSS:")
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total / 1024


def _kb(path: Path, label: str) -> int:
    """Return the kB figure on the line of a /proc file that starts with label (0 when the file is missing)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return 0
    return next((int(line.split()[1]) for line in text.splitlines() if line.startswith(label)), 0)


class PeakMemory:
    """Sample tree_rss_mb(pid) in a thread; .peak is the highest seen."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid, self.interval, self.peak = pid, interval, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_mb(self.pid))
            self._stop.wait(self.interval)


@contextmanager
def server(
    cmd: Sequence[str], port: int, env: dict[str, str] | None = None, log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server command in its own process group until it answers on 127.0.0.1:port; stop it after."""
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        list(cmd), env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        _wait_ready(proc, port)
        yield proc
    finally:
        _stop(proc)
        if log:
            out.close()  # type: ignore[union-attr]


def _wait_ready(proc: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode} before answering")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer on port {port} within {READY_SECONDS:.0f} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server's process group (the one this module started): SIGTERM, then SIGKILL."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def run_load(
    port: int, paths: Sequence[str], clients: int, seconds: float, pid: int | None = None, max_requests: int = 200_000
) -> LoadResult:
    """Send GET paths round-robin from `clients` keep-alive connections for `seconds`; measure each request."""
    deadline = time.monotonic() + seconds
    lock, latencies, counts = threading.Lock(), [], {"requests": 0, "errors": 0}

    def client(offset: int) -> None:
        conn, i = None, offset
        while time.monotonic() < deadline and counts["requests"] < max_requests:
            path, i = paths[i % len(paths)], i + clients
            start = time.perf_counter()
            try:
                conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request("GET", path)
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except (OSError, http.client.HTTPException):
                conn, ok = None, False
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                counts["requests"] += 1
                counts["errors"] += not ok
                if ok:
                    latencies.append(elapsed)
        if conn:
            conn.close()

    began = time.monotonic()
    with PeakMemory(pid or os.getpid()) as mem:
        threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return LoadResult(counts["requests"], counts["errors"], time.monotonic() - began, tuple(latencies), mem.peak)
