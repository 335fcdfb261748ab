"""Speed benchmark: ours vs plain Whoosh + jieba (the baseline) vs tantivy (the limit), one run, one table.

``python -m bench.run`` (``make bench``) indexes the 65,278 STARD articles with synthetic metadata (see
bench/corpus.py) into all three systems, then measures on the same documents and queries: indexing
throughput, index size and peak memory; query latency per query kind (the systems take turns, query by
query); HTTP throughput and latency with concurrent clients against each system's server on 127.0.0.1
(ours is the production `govsearch serve`); server peak memory. ``--scale 500000`` (or ``make bench
SCALE=500000``) repeats the articles under new ids up to that many documents. ``--ways`` adds the table of
what each optimisation gained (bench/ways.py). Results go to var/bench/<size>/ as JSON and Markdown.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import resource
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import baseline, ours, pages, tantivy_ref
from .corpus import ROOT, STARD, records, write_jsonl
from .http_load import PeakMemory, free_port, median, percentile, run_load, server
from .workload import KIND_LABELS, KINDS, BenchQuery, make_queries

SYSTEMS = ("ours", "baseline", "tantivy")
NOTES = """Indexing: ours is the whole `govsearch ingest` (record store, normalisation, citations, near-duplicate
signatures and groups, Whoosh index); the baseline adds documents to one default Whoosh writer; tantivy
segments with rjieba and uses its 2-thread writer. Memory: proportional set size (Pss) summed over the
process tree, peak of samples every 0.2 s. Query latency: one thread, in process, each query run once on
each system in turn (a page of 20 hits with snippets; ours with its 7 facet counts). HTTP: the same kinds
of queries, other ones, each URL once unless the run outlasts the pool; servers gunicorn 2 x 4 threads."""
OUT = ROOT / "var" / "bench"
WORKERS, THREADS = 2, 4  # every server: gunicorn gthread, as `govsearch serve` runs by default
HTTP_QUERIES = 400  # distinct queries per kind for the HTTP load (3,200 URLs)


@dataclass
class SystemResult:
    """Everything measured for one system."""

    name: str
    docs: int = 0
    build_seconds: float = 0.0
    build_peak_mb: float = 0.0
    build_cpu_seconds: float = 0.0
    index_bytes: int = 0
    latency_ms: dict[str, list[float]] = field(default_factory=dict)
    http: dict[str, float] = field(default_factory=dict)
    answers: dict[str, list[list[str]]] = field(default_factory=dict)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line (SCALE in the environment is the same as --scale)."""
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=None, help="documents (default: all 65,278 STARD articles)")
    p.add_argument(
        "--scale",
        type=int,
        default=int(os.environ.get("SCALE") or 0) or None,
        help="documents for the scale run (real articles repeated under new ids)",
    )
    p.add_argument("--queries", type=int, default=60, help="queries per kind (default 60)")
    p.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients (default 8)")
    p.add_argument("--seconds", type=float, default=20.0, help="HTTP load per system, after a warm-up (default 20)")
    p.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated subset of ours,baseline,tantivy")
    p.add_argument("--no-http", action="store_true", help="skip the HTTP load")
    p.add_argument("--ways", action="store_true", help="also measure each optimisation (bench/ways.py)")
    p.add_argument(
        "--pages-only",
        action="store_true",
        help="ours only: ingest, then the page kinds, hostile clients and cold starts (bench/pages.py)",
    )
    p.add_argument("--no-pages", action="store_true", help="skip the page kinds (bench/pages.py)")
    p.add_argument("--pages", type=int, default=40, help="URLs per page kind (default 40)")
    p.add_argument("--colds", type=int, default=3, help="cold starts of the server (default 3)")
    p.add_argument("--reuse", action="store_true", help="measure again on the indexes a --keep run left")
    p.add_argument("--out", type=Path, default=OUT, help="where indexes and results go (default var/bench)")
    p.add_argument("--keep", action="store_true", help="keep the indexes afterwards")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table; exit 0 (or skip with a message when ../shared is absent)."""
    args = parse_args(argv)
    if not STARD.exists():
        print(f"bench skipped: the STARD corpus is not at {STARD} (../shared is absent on this machine)")
        return 0
    size = args.scale or args.size or sum(1 for _ in STARD.open(encoding="utf-8"))
    systems = ["ours"] if args.pages_only else [s for s in args.systems.split(",") if s]
    load = os.getloadavg()
    log(f"load average at the start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    args.start_load = load
    started = time.monotonic()
    results, table = run(size, systems, args)
    print(table)
    print(f"\n(total {time.monotonic() - started:.0f} s; results in {args.out / str(size)})")
    if args.ways:
        from .ways import measure_ways

        print("\n" + measure_ways(args.out / "ways"))
    return 0


def run(size: int, systems: Sequence[str], args: argparse.Namespace) -> tuple[dict[str, SystemResult], str]:
    """Build, query and load every system on `size` documents; return the results and the table."""
    work = args.out / str(size)
    if getattr(args, "reuse", False):  # the page rows again on the index an earlier --keep run built
        results, text_bytes = reused(work, systems)
    else:
        results, text_bytes = build_all(work, size, systems)
    pages_only, per_kind = getattr(args, "pages_only", False), getattr(args, "pages", 0)
    args.start_load = getattr(args, "start_load", None) or os.getloadavg()
    sample = list(records(min(size, 20_000)))
    if not pages_only:
        queries = make_queries(sample, args.queries)
        measure_queries(systems, work, queries, results, make_queries(sample, 3, seed=7))
    if not args.no_http and not pages_only:  # other, more queries: each URL asked once (no cache answers)
        pool, warm = make_queries(sample, HTTP_QUERIES, seed=11), make_queries(sample, 10, seed=13)
        for name in systems:
            results[name].http = measure_http(name, work / name, pool, warm, args)
    page_result, tables_s = None, term_tables_seconds(work / "ours") if "ours" in systems else None
    if "ours" in systems and per_kind > 0 and not getattr(args, "no_pages", False):
        page_result = pages.run_pages(work / "ours", sample, per_kind, getattr(args, "colds", 1), log)
    if pages_only:
        table = render_pages_only(size, results["ours"], args)
    else:
        table = render(size, text_bytes, results, args)
    if tables_s is not None and results["ours"].build_seconds:
        share = 100 * tables_s / results["ours"].build_seconds
        table += "\n\nTerm tables for document pages and arrays for a cold start (engine/whoosh/warm.py), part of"
        table += f" ours' ingest: {tables_s:.2f} s of {results['ours'].build_seconds:.1f} s ({share:.1f}%;"
        table += " target: ingest at most 10% slower)."
    if page_result is not None:
        table += "\n\n" + pages.render(page_result, size)
    report_json = json.dumps(
        {
            "size": size,
            "text_bytes": text_bytes,
            "machine": machine(),
            "results": {k: asdict(v) for k, v in results.items()},
            "pages": asdict(page_result) if page_result is not None else None,
            "term_tables_seconds": tables_s,
            "load_at_start": args.start_load,
        },
        ensure_ascii=False,
        indent=1,
    )
    stamp = time.strftime("%H%M%S")  # each run's own copy: --reuse runs measure again on the same index
    for name in ("results.json", f"results-{stamp}.json"):
        (work / name).write_text(report_json)
    for name in ("report.md", f"report-{stamp}.md"):
        (work / name).write_text(table + "\n")
    if not args.keep and not getattr(args, "reuse", False):
        for name in systems:
            shutil.rmtree(work / name, ignore_errors=True)
        (work / "corpus.jsonl").unlink()
    return results, table


def build_all(work: Path, size: int, systems: Sequence[str]) -> tuple[dict[str, SystemResult], int]:
    """Write the corpus and index it with every system; return the results so far and the text's bytes."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    jsonl = work / "corpus.jsonl"
    count, text_bytes = write_jsonl(records(size), jsonl)
    log(f"corpus: {count} documents, {text_bytes / 1e6:.1f} MB of title + body text -> {jsonl}")
    results = {name: SystemResult(name) for name in systems}
    for name in systems:
        build_system(name, jsonl, work / name, results[name])
    return results, text_bytes


def reused(work: Path, systems: Sequence[str]) -> tuple[dict[str, SystemResult], int]:
    """Return the indexing results of the run that built work/ with --keep (its indexes are used again)."""
    saved = json.loads((work / "results.json").read_text())
    if not all((work / name).is_dir() for name in systems):
        raise SystemExit(f"--reuse: no kept index of {', '.join(systems)} in {work}: run once with --keep")
    fields = SystemResult.__dataclass_fields__
    results = {
        name: SystemResult(**{k: v for k, v in saved["results"][name].items() if k in fields}) for name in systems
    }
    log(f"reusing the indexes in {work} (built at load {saved.get('load_at_start')})")
    return results, saved["text_bytes"]


def log(message: str) -> None:
    """Print a progress line to stderr."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    """Describe where the run happened (load average included: the machine may be shared)."""
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()}


# ---------------------------------------------------------------- indexing
def build_system(name: str, jsonl: Path, index_dir: Path, result: SystemResult) -> None:
    """Index the corpus with one system in a child process; record time, peak memory and size."""
    log(f"{name}: indexing")
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: its memory is the build's alone
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_build_child, args=(name, jsonl, index_dir, send))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc.start()
    send.close()
    with PeakMemory(proc.pid) as mem:  # sampled from here: the child stays single-threaded (it may fork)
        answer = recv.recv()
        proc.join()
    if "error" in answer:
        raise RuntimeError(f"{name} indexing failed: {answer['error']}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the child and the workers it waited for
    result.docs, result.build_seconds, result.build_peak_mb = answer["docs"], answer["seconds"], mem.peak
    result.build_cpu_seconds = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    result.index_bytes = sum(f.stat().st_size for f in index_dir.rglob("*") if f.is_file())
    log(f"{name}: {result.docs} documents in {result.build_seconds:.1f} s, {result.index_bytes / 1e6:.0f} MB")


def _build_child(name: str, jsonl: Path, index_dir: Path, send: Any) -> None:
    try:
        start = time.perf_counter()
        docs = BUILDERS[name](jsonl, index_dir)
        send.send({"docs": docs, "seconds": time.perf_counter() - start})
    except Exception as e:  # noqa: BLE001 - reported to the parent, which raises it
        send.send({"error": f"{type(e).__name__}: {e}"})


def _read(jsonl: Path) -> Any:
    with jsonl.open(encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


BUILDERS: dict[str, Callable[[Path, Path], int]] = {
    "ours": ours.build,
    "baseline": lambda jsonl, out: baseline.build(_read(jsonl), out),
    "tantivy": lambda jsonl, out: tantivy_ref.build(_read(jsonl), out),
}


def term_tables_seconds(index_dir: Path) -> float:
    """Time writing the term tables and cold-start arrays of our current generation again (what they add
    to an ingest: warm.after_commit)."""
    from indexer.engine.whoosh.termstats import CF_EXT
    from indexer.engine.whoosh.warm import WARM_FILE, after_commit
    from indexer.generations import current_generation

    gen = index_dir / str(current_generation(index_dir))
    for table in [*gen.glob(f"*{CF_EXT}"), gen / WARM_FILE]:
        table.unlink(missing_ok=True)
    start = time.perf_counter()
    after_commit(gen)
    return time.perf_counter() - start


# ---------------------------------------------------------------- query latency
def open_system(name: str, index_dir: Path) -> Any:
    """Return the searcher object of a system (each has .run(BenchQuery) -> (total, hits))."""
    return {"ours": ours.OurSearch, "baseline": baseline.BaselineSearch, "tantivy": tantivy_ref.TantivySearch}[name](
        index_dir
    )


def measure_queries(
    systems: Sequence[str],
    work: Path,
    queries: dict[str, list[BenchQuery]],
    results: dict[str, SystemResult],
    warmup: dict[str, list[BenchQuery]],
) -> None:
    """Time every query on every system, the systems taking turns query by query (same load for all)."""
    searchers = {name: open_system(name, work / name) for name in systems}
    for searcher in searchers.values():  # load dictionaries, open files, warm caches with other queries
        for q in (q for kind in KINDS for q in warmup[kind]):
            searcher.run(q)
    order = list(systems)
    for kind in KINDS:
        log(f"queries: {KIND_LABELS[kind]}")
        for i, q in enumerate(queries[kind]):
            for name in order[i % len(order) :] + order[: i % len(order)]:
                start = time.perf_counter()
                _, hits = searchers[name].run(q)
                results[name].latency_ms.setdefault(kind, []).append((time.perf_counter() - start) * 1000)
                results[name].answers.setdefault(kind, []).append([h["id"] for h in hits])


# ---------------------------------------------------------------- HTTP
def server_command(name: str, index_dir: Path, port: int) -> tuple[list[str], dict[str, str]]:
    """Return the command and environment that serve one system on 127.0.0.1:port."""
    if name == "ours":
        return ours.server_command(index_dir, port), {}
    module = {"baseline": "bench.baseline", "tantivy": "bench.tantivy_ref"}[name]
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        str(WORKERS),
        "--threads",
        str(THREADS),
        "-k",
        "gthread",
        "-b",
        f"127.0.0.1:{port}",
        "--timeout",
        "120",
        f"{module}:wsgi_app()",
    ]
    return cmd, {"BENCH_INDEX": str(index_dir), "PYTHONPATH": str(ROOT)}


def measure_http(
    name: str,
    index_dir: Path,
    pool: dict[str, list[BenchQuery]],
    warm: dict[str, list[BenchQuery]],
    args: argparse.Namespace,
) -> dict[str, float]:
    """Serve one system, warm it up with other queries, then load it with args.clients clients for args.seconds."""
    paths = list(dict.fromkeys(q.url() for kind in KINDS for q in pool[kind]))
    random.Random(3).shuffle(paths)
    port = free_port()
    cmd, env = server_command(name, index_dir, port)
    log(f"{name}: HTTP load, {args.clients} clients x {args.seconds:.0f} s")
    with server(cmd, port, env, log=index_dir.parent / f"{name}-server.log") as proc, PeakMemory(proc.pid) as mem:
        run_load(port, [q.url() for kind in KINDS for q in warm[kind]], args.clients, min(5.0, args.seconds), proc.pid)
        load = run_load(port, paths, args.clients, args.seconds, proc.pid)
    repeats = max(0, load.requests - len(paths)) / max(1, load.requests)
    return {
        "requests": load.requests,
        "errors": load.errors,
        "rps": load.rps,
        "p50": load.percentile(50),
        "p95": load.percentile(95),
        "p99": load.percentile(99),
        "peak_mb": mem.peak,
        "repeats": repeats,
    }


# ---------------------------------------------------------------- the table
def render(size: int, text_bytes: int, results: dict[str, SystemResult], args: argparse.Namespace) -> str:
    """Return the Markdown table: each figure for ours, the baseline and tantivy, with ours/baseline ratios."""
    names = [n for n in SYSTEMS if n in results]
    head = ["measure", *names, "ours vs baseline", "target"]
    rows = [head, ["---"] * len(head)]

    def row(label: str, values: dict[str, float], fmt: str, better: str, target: str = "") -> None:
        ratio = _ratio(values.get("ours"), values.get("baseline"), better)
        rows.append(
            [label, *[format(values[n], fmt) if values.get(n) is not None else "-" for n in names], ratio, target]
        )

    per = {n: r for n, r in results.items()}
    row(
        "indexing, documents/s",
        {n: r.docs / r.build_seconds for n, r in per.items() if r.build_seconds},
        ",.0f",
        "higher",
        "≥ 4x" if size < 100_000 else "",
    )
    row(
        "indexing, MB/s of text",
        {n: text_bytes / 1e6 / r.build_seconds for n, r in per.items() if r.build_seconds},
        ".2f",
        "higher",
    )
    row(
        "indexing, documents per CPU-second",
        {n: r.docs / r.build_cpu_seconds for n, r in per.items() if r.build_cpu_seconds},
        ",.0f",
        "higher",
    )
    row("indexing peak memory, MB", {n: r.build_peak_mb for n, r in per.items()}, ",.0f", "lower")
    row("index size, MB", {n: r.index_bytes / 1e6 for n, r in per.items()}, ",.0f", "lower")
    for kind in KINDS:
        for p in (50, 95, 99):
            target = ("≤ 1/4" if size < 100_000 else ("< 200 ms" if kind != "deep" else "")) if p == 95 else ""
            row(
                f"{KIND_LABELS[kind]}: p{p} ms",
                {n: percentile(r.latency_ms.get(kind, []), p) for n, r in per.items()},
                ".1f",
                "lower",
                target,
            )
    if any(r.http for r in per.values()):
        row(
            f"HTTP, requests/s ({args.clients} clients)",
            {n: r.http.get("rps") for n, r in per.items()},
            ",.1f",
            "higher",
            "≥ 4x" if size < 100_000 else "",
        )
        for p in (50, 95, 99):
            row(f"HTTP latency p{p} ms", {n: r.http.get(f"p{p}") for n, r in per.items()}, ".1f", "lower")
        row("HTTP errors", {n: r.http.get("errors") for n, r in per.items()}, ",.0f", "lower")
        row(
            "HTTP requests repeating an earlier URL, %",
            {n: 100 * r.http.get("repeats", 0) for n, r in per.items()},
            ".0f",
            "lower",
        )
        row(
            "server peak memory, MB",
            {n: r.http.get("peak_mb") for n, r in per.items()},
            ",.0f",
            "lower",
            "< 2048" if size >= 100_000 else "",
        )
    medians = {n: median([v for vs in r.latency_ms.values() for v in vs]) for n, r in per.items()}
    row("all queries: median ms", medians, ".1f", "lower")
    title = f"### {size:,} documents ({machine_line()}; {args.start_load[0]:.2f} at the start)"
    return "\n".join([title, "", *("| " + " | ".join(r) + " |" for r in rows), "", NOTES, "", agreement(results)])


def render_pages_only(size: int, ours_result: SystemResult, args: argparse.Namespace) -> str:
    """Return the title and ours' indexing figures of a --pages-only run (the page table follows)."""
    r, load = ours_result, args.start_load
    return "\n".join(
        [
            f"### {size:,} documents, ours only, page kinds ({machine_line()}; {load[0]:.2f} at the start)",
            "",
            f"Indexing: {r.docs / r.build_seconds:,.0f} documents/s ({r.build_seconds:.1f} s), peak"
            f" {r.build_peak_mb:,.0f} MB, index {r.index_bytes / 1e6:,.0f} MB.",
        ]
    )


def machine_line() -> str:
    """One line about the machine and its load during the run."""
    load = os.getloadavg()
    return f"{os.cpu_count()} CPUs, load average {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f} at the end"


def _ratio(ours_value: float | None, base_value: float | None, better: str) -> str:
    if not ours_value or not base_value or ours_value != ours_value or base_value != base_value:
        return "-"
    ratio = ours_value / base_value if better == "higher" else base_value / ours_value
    return f"{ratio:.2f}x {'better' if ratio >= 1 else 'worse'}"


def agreement(results: dict[str, SystemResult]) -> str:
    """Say how often the systems return the same first hit and overlapping pages, per query kind."""
    if "ours" not in results:
        return ""
    lines = ["Agreement with ours (same first hit / share of the page in common), per kind:"]
    for other in (n for n in results if n != "ours"):
        parts = []
        for kind in KINDS:
            a, b = results["ours"].answers.get(kind, []), results[other].answers.get(kind, [])
            pairs = [(x, y) for x, y in zip(a, b, strict=False) if x or y]
            if pairs:
                first = sum(bool(x and y and x[0] == y[0]) for x, y in pairs) / len(pairs)
                common = sum(len(set(x) & set(y)) / max(len(x), len(y)) for x, y in pairs) / len(pairs)
                parts.append(f"{KIND_LABELS[kind]} {first:.0%}/{common:.0%}")
        lines.append(f"- {other}: " + ", ".join(parts))
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
