"""Every page kind over HTTP against the production server, beside the results page, in one run.

One client asks, in turn, a results page (two words), a document page, a page for a misspelt query, a
zero-hit page, a whole pasted title, a 30-character question and the first byte of a 10,000-row CSV export:
the kinds take turns request by request, so load on the machine falls on all of them alike, and every URL
is asked once (no cache answers). Cold start: `govsearch serve` started afresh, from the spawn to the
first answered results page. Hostile: the same server answers normal results pages alone, then again
while ten clients send what issue 26 found (one word of 1,000 letters; ten words of 99 letters; long
fuzzed queries), each waiting HOSTILE_PAUSE between requests and each starting at another kind, so that
all three kinds run throughout. The normal client asks HOSTILE_NORMAL pages in each phase, pausing
NORMAL_PAUSE between them, so that the attack lasts several seconds (not only its first requests).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from .corpus import read_queries
from .http_load import PeakMemory, free_port, percentile, server
from .http_load import _stop as stop_server
from .workload import cjk_words

KINDS = ("results", "document", "typo", "zero", "title", "question", "export")
LABELS = {
    "results": "results page (two words)",
    "document": "document page",
    "typo": "typo page",
    "zero": "zero-hit page",
    "title": "whole-title query",
    "question": "30-character question",
    "export": "export of 10,000+ rows, first byte",
    "export_whole": "export of 10,000+ rows, whole body",
}
EXPORT_ROWS = 10_000  # the export's query must find at least this many documents
RARE = "彧犇翀煕赟毵靐龘"  # characters no statute uses: a word with one of them finds nothing
HOSTILE_CLIENTS = 10
HOSTILE_PAUSE = 1.0  # seconds each hostile client waits between its requests (about 10 hostile requests/s)
HOSTILE_NORMAL = 200  # normal results pages timed alone, and as many beside the hostile clients
NORMAL_PAUSE = 0.05  # seconds the normal client waits between its requests (a person reading results)
HEADERS = {"Accept-Encoding": "gzip, br"}  # as browsers ask


@dataclass
class PageResult:
    """Latencies per page kind, cold starts, the hostile comparison and the server's memory."""

    latency_ms: dict[str, list[float]] = field(default_factory=dict)
    cold_ms: list[float] = field(default_factory=list)
    cold_cpu_s: list[float] = field(default_factory=list)  # the server tree's CPU seconds to its first answer
    normal_alone_ms: list[float] = field(default_factory=list)
    normal_hostile_ms: list[float] = field(default_factory=list)
    hostile_requests: int = 0
    hostile_statuses: dict[str, int] = field(default_factory=dict)
    peak_mb: float = 0.0
    export_rows: int = 0
    errors: dict[str, int] = field(default_factory=dict)


def make_urls(docs: Sequence[dict[str, Any]], n: int, export_word: str, seed: int = 5) -> dict[str, list[str]]:
    """Draw n URLs of each page kind from the documents (distinct URLs; the same for every run)."""
    rng = random.Random(seed)
    picks = rng.sample(list(docs), min(len(docs), 4 * n))
    pairs = [ws[:2] for ws in (sorted(set(cjk_words(d["body"])), key=len, reverse=True) for d in picks) if len(ws) > 1]
    long_words = [w for d in picks for w in cjk_words(d["body"]) if len(w) >= 3]
    questions = [q for q in read_queries() if len(q) >= 30]
    rng.shuffle(questions)
    return {
        "results": [_search(" ".join(p)) for p in pairs[:n]],
        "document": [f"/doc/{quote(d['id'], safe='')}" for d in picks[:n]],
        "typo": [_search(_misspelt(w, rng)) for w in long_words[:n]],
        "zero": [_search(_nonsense(rng)) for _ in range(n)],
        "title": [_search(d["title"]) for d in picks[n : 2 * n]],
        "question": [_search(q) for q in questions[:n]],
        # fewer: each is read to its end (an export left unread runs on in the server and slows what follows)
        "export": [f"/export.csv?{urlencode({'q': export_word, 'sort': s})}" for s in ("relevance", "date")]
        * max(2, n // 8),
    }


def _search(q: str) -> str:
    return "/search?" + urlencode({"q": q})


def _misspelt(word: str, rng: random.Random) -> str:
    at = rng.randrange(1, len(word))
    return word[:at] + rng.choice(RARE) + word[at + 1 :]


def _nonsense(rng: random.Random) -> str:
    return " ".join("".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(rng.randint(6, 9))) for _ in range(2))


def hostile_queries(rng: random.Random, count: int, first: int = 0) -> list[str]:
    """Return issue 26's hostile queries, each different (a repeated URL would be answered from the cache),
    the three kinds in turn from kind `first`."""
    out = []
    for i in range(count):
        kind = (first + i) % 3
        if kind == 0:
            out.append("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(1000)))
        elif kind == 1:
            out.append(" ".join("".join(rng.choice("abcdefghij") for _ in range(99)) for _ in range(10)))
        else:  # fuzzed: CJK, letters, digits, punctuation and quotes, within gunicorn's 4,094-byte request line
            alphabet = [chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(60)] + list('abcxyz0189 "-:：（）〔〕OR')
            out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(150, 300))))
    return out


def get(port: int, path: str) -> tuple[int, float, float]:
    """GET a path on a new connection; return (status, ms to the first body bytes, ms to the whole body)."""
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        conn.request("GET", path, headers=HEADERS)
        resp = conn.getresponse()
        resp.read1(1)  # type: ignore[attr-defined]
        first = (time.perf_counter() - start) * 1000
        resp.read()
        return resp.status, first, (time.perf_counter() - start) * 1000
    finally:
        conn.close()


def export_word(port: int, candidates: Sequence[str]) -> tuple[str, int]:
    """Return the candidate word whose export has the fewest rows of at least EXPORT_ROWS (the commonest
    word when none has as many), and its rows."""
    totals = {}
    for word in candidates:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("GET", "/api/search?" + urlencode({"q": word, "per_page": 1}))
        totals[word] = json.loads(conn.getresponse().read())["total"]
        conn.close()
    enough = [w for w in candidates if totals[w] >= EXPORT_ROWS]
    word = min(enough, key=lambda w: totals[w]) if enough else max(candidates, key=lambda w: totals[w])
    return word, totals[word]


def measure_kinds(port: int, urls: dict[str, list[str]], result: PageResult) -> None:
    """Ask every kind's URLs, the kinds taking turns; record latencies (only of 200 answers) and errors."""
    kinds = [k for k in KINDS if urls.get(k)]
    rounds = max(len(urls[k]) for k in kinds)
    for i in range(rounds):
        for kind in kinds[i % len(kinds) :] + kinds[: i % len(kinds)]:
            if i < len(urls[kind]):
                status, first, whole = get(port, urls[kind][i])
                if status == 200:
                    result.latency_ms.setdefault(kind, []).append(first if kind == "export" else whole)
                    if kind == "export":
                        result.latency_ms.setdefault("export_whole", []).append(whole)
                else:
                    result.errors[kind] = result.errors.get(kind, 0) + 1


def measure_hostile(port: int, alone: list[str], beside: list[str], result: PageResult) -> None:
    """Time normal results pages alone, then beside HOSTILE_CLIENTS clients sending hostile queries."""
    result.normal_alone_ms = normal_pages(port, alone)
    stop, lock = threading.Event(), threading.Lock()

    def attacker(k: int) -> None:
        for q in hostile_queries(random.Random(100 + k), 1000, first=k):
            if stop.is_set():
                return
            status, _, _ = get(port, "/api/search?" + urlencode({"q": q}))
            with lock:
                result.hostile_requests += 1
                result.hostile_statuses[str(status)] = result.hostile_statuses.get(str(status), 0) + 1
            stop.wait(HOSTILE_PAUSE)

    threads = [threading.Thread(target=attacker, args=(k,)) for k in range(HOSTILE_CLIENTS)]
    for t in threads:
        t.start()
    time.sleep(1.0)  # the attack under way
    result.normal_hostile_ms = normal_pages(port, beside)
    stop.set()
    for t in threads:
        t.join()


def normal_pages(port: int, urls: Sequence[str]) -> list[float]:
    """Ask each URL in turn, NORMAL_PAUSE apart; return the milliseconds of each whole answer."""
    out = []
    for u in urls:
        out.append(get(port, u)[2])
        time.sleep(NORMAL_PAUSE)
    return out


def tree_cpu_seconds(pid: int) -> float:
    """Return the CPU seconds (user + system) a process and its descendants have used so far: what a cold
    start costs whatever else the machine is doing (wall time grows with the load average)."""
    total, todo, tick = 0.0, [pid], os.sysconf("SC_CLK_TCK")
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue
    return total


def cold_start(cmd: Sequence[str], port: int, path: str, log: Path, cpu: list[float] | None = None) -> float:
    """Start the server afresh; return ms from the spawn to the first answer of path (and append the server
    tree's CPU seconds until then to cpu)."""
    start = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"server exited with status {proc.returncode} before answering")
                try:
                    status, _, _ = get(port, path)
                    if status == 200:
                        wall = (time.perf_counter() - start) * 1000
                        if cpu is not None:
                            cpu.append(tree_cpu_seconds(proc.pid))
                        return wall
                except OSError:
                    time.sleep(0.02)
        finally:
            stop_server(proc)


def run_pages(
    index_dir: Path, docs: Sequence[dict[str, Any]], per_kind: int, colds: int, log: Any = print
) -> PageResult:
    """Measure every page kind, the hostile comparison and cold starts on our index; return the results."""
    from .ours import server_command

    result = PageResult()
    df = Counter(w for d in docs[:3000] for w in set(cjk_words(d["body"])))
    words = [w for w, _ in df.most_common(30)]
    port = free_port()
    cmd = server_command(index_dir, port)
    with server(cmd, port, log=index_dir.parent / "pages-server.log") as proc, PeakMemory(proc.pid) as mem:
        word, rows = export_word(port, words)
        urls = make_urls(docs, per_kind, word)
        warm = make_urls(docs[::-1], 5, word, seed=9)
        for kind in KINDS:  # open files, load the term tables, fill the caches of columns
            for u in warm[kind][: 1 if kind == "export" else 3]:
                get(port, u)
        log(f"pages: {per_kind} of each kind; export query {word!r} ({rows:,} rows)")
        result.export_rows = rows
        measure_kinds(port, urls, result)
        more = make_urls(docs, 2 * HOSTILE_NORMAL, word, seed=21)["results"]
        log(f"pages: hostile clients beside {len(more) // 2} normal queries")
        measure_hostile(port, more[: len(more) // 2], more[len(more) // 2 :], result)
        result.peak_mb = mem.peak
    for i in range(colds):
        port = free_port()
        first, log_file = urls["results"][-1 - i], index_dir.parent / "cold.log"  # a query not asked before
        result.cold_ms.append(cold_start(server_command(index_dir, port), port, first, log_file, result.cold_cpu_s))
    log(f"pages: cold starts {', '.join(f'{ms:.0f}' for ms in result.cold_ms)} ms")
    return result


def render_rows(result: PageResult, size: int) -> list[tuple[str, str, str, str]]:
    """Return (measure, p50, p95, target) rows of the page table."""
    results_p95 = percentile(result.latency_ms.get("results", []), 95)
    rows = []
    for kind in (*KINDS, "export_whole"):
        values = result.latency_ms.get(kind, [])
        twice = f"≤ {2 * results_p95:.0f} (2x results p95)" if not kind.startswith(("results", "export")) else ""
        absolute = "< 200" if size >= 100_000 and kind != "export_whole" else ""  # (a whole export: no target)
        target = " and ".join(t for t in (twice, absolute) if t)
        errors = f" ({result.errors[kind]} errors)" if result.errors.get(kind) else ""
        label = LABELS[kind].replace("10,000+", f"{result.export_rows:,}") if result.export_rows else LABELS[kind]
        rows.append((f"{label}, ms{errors}", _p(values, 50), _p(values, 95), target))
    rows.append(("cold start to the first answer, ms", _p(result.cold_ms, 50), _p(result.cold_ms, 95), "< 2000"))
    cpu_ms = [1000 * s for s in result.cold_cpu_s]
    rows.append(("cold start, the server's CPU time to the first answer, ms", _p(cpu_ms, 50), _p(cpu_ms, 95), ""))
    alone = percentile(result.normal_alone_ms, 95)
    rows.append(("normal results pages alone, ms", _p(result.normal_alone_ms, 50), _p(result.normal_alone_ms, 95), ""))
    rows.append(
        (
            f"normal results pages beside hostile clients ({result.hostile_requests} hostile requests: "
            + ", ".join(f"{k}: {v}" for k, v in sorted(result.hostile_statuses.items()))
            + "), ms",
            _p(result.normal_hostile_ms, 50),
            _p(result.normal_hostile_ms, 95),
            f"≤ {2 * alone:.0f} (2x alone)",
        )
    )
    rows.append(
        ("server peak memory (pages run), MB", f"{result.peak_mb:,.0f}", "", "< 1536" if size >= 100_000 else "")
    )
    return rows


def _p(values: Sequence[float], p: float) -> str:
    return f"{percentile(values, p):.1f}" if values else "-"


def render(result: PageResult, size: int) -> str:
    """Return the Markdown table of the page kinds."""
    lines = ["| page kind (ours, HTTP, one client) | p50 | p95 | target |", "| --- | --- | --- | --- |"]
    lines += ["| " + " | ".join(r) + " |" for r in render_rows(result, size)]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit("run through bench.run: python -m bench.run --pages-only")
