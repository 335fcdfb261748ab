"""Scale benchmark of the Sphinx backend: N documents over a local cluster, ingest rate and query latency.

    python -m bench.sphinx_bench                    # 1,000,000 documents over 2 nodes
    python -m bench.sphinx_bench --docs 20000       # a quick run

Documents are the real STARD statute articles (../shared), repeated under distinct ids, with the
deterministic synthetic metadata of bench.corpus (agency, 文号, date, 体裁, 有效性). Ingest is measured in
two stages: records into the record store (pipeline + SQLite, no near-duplicate grouping: every copy
would be grouped and collapsed) and the sync of the store to the shards (segmentation + REPLACE).
Query latency is end to end through SphinxBackend.search: hits, facets, snippets from the store.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from indexer.analysis import fold
from indexer.config import Settings
from indexer.generations import store_path
from indexer.models import SearchRequest, SkipDocument
from indexer.pipeline import content_hash, to_document
from indexer.query import important_words
from indexer.store import RecordStore

from .corpus import ISSUERS, STARD, STARD_QUERIES, meta_for, read_queries, read_stard, records

SEED = 20240601
COMMIT_EVERY = 5000


def skip_reason() -> str | None:
    """Return why the benchmark cannot run here, or None."""
    from indexer.sphinx import client
    from indexer.sphinx.cluster import searchd_path

    if client.pymysql is None:
        return "PyMySQL is not installed: pip install PyMySQL==1.2.4"
    if not STARD.exists() or not STARD_QUERIES.exists():
        return f"benchmark corpus not found at {STARD.parent} (../shared is absent on this machine)"
    if searchd_path() is None:
        return "searchd not found: install Debian's sphinxsearch (apt-get install sphinxsearch)"
    return None


def log(msg: str) -> None:
    """Print progress on stderr."""
    print(msg, file=sys.stderr, flush=True)


def fill_store(index_dir: Path, size: int) -> tuple[int, float]:
    """Write `size` records into a fresh record store; return (stored, seconds)."""
    store, start, stored = RecordStore(store_path(index_dir)), time.monotonic(), 0
    try:
        for rec in records(size):
            try:
                store.put(to_document(rec), content_hash(rec), None)
            except SkipDocument:
                continue
            stored += 1
            if stored % COMMIT_EVERY == 0:
                store.commit()
            if stored % 100_000 == 0:
                log(f"  store: {stored:,} records, {time.monotonic() - start:.0f} s")
        store.commit()
    finally:
        store.close()
    return stored, time.monotonic() - start


def query_kinds(size: int, rng: random.Random) -> dict[str, Callable[[], SearchRequest]]:
    """Return one request maker per query kind, drawing real words, phrases and 文号."""
    questions = read_queries()
    words = [w for q in questions for w in important_words(q) if len(w) >= 2]
    docs = read_stard(min(size, 65_000))

    asked = [ws for ws in (important_words(q) for q in questions) if len(ws) >= 3]

    def terms(n: int) -> str:
        return " ".join(rng.choice(asked)[:n])  # words asked together, as a user would type them

    def phrase() -> str:
        body = "".join(ch for ch in fold(rng.choice(docs)["body"]) if "\u4e00" <= ch <= "\u9fff")
        start = rng.randrange(max(1, len(body) - 6))
        return f'"{body[start : start + 5]}"'

    def docnum() -> str:
        rec = rng.choice(docs)
        return meta_for(rec["id"] if size <= len(docs) or rng.random() < 0.5 else f"{rec['id']}~1").doc_number

    return {
        "one term": lambda: SearchRequest(q=rng.choice(words)),
        "several terms": lambda: SearchRequest(q=terms(3)),
        "natural-language question": lambda: SearchRequest(q=rng.choice(questions)),
        "phrase": lambda: SearchRequest(q=phrase()),
        "文号": lambda: SearchRequest(q=docnum()),
        "with facet filters": lambda: SearchRequest(
            q=rng.choice(words), filters=(("agency", rng.choice(ISSUERS)[0]), ("year", str(rng.randrange(2000, 2025))))
        ),
        "date-sorted": lambda: SearchRequest(q=terms(2), sort="date"),
        "deep page (hits 7981-8000)": lambda: SearchRequest(
            q=rng.choice(["规定", "人民法院", "应当", "违反"]), page=400, per_page=20
        ),
    }


def measure(backend: object, make: Callable[[], SearchRequest], n: int) -> tuple[float, float, float]:
    """Run n requests; return (p50 ms, p95 ms, mean total)."""
    times, totals = [], []
    backend.search(make())  # type: ignore[attr-defined]  # warm-up
    for _ in range(n):
        req = make()
        start = time.perf_counter()
        page = backend.search(req)  # type: ignore[attr-defined]
        times.append((time.perf_counter() - start) * 1000)
        totals.append(page.total)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))], statistics.mean(totals)


def measure_export(backend: object, req: SearchRequest) -> tuple[int, float]:
    """Stream every record of a request (as /export.csv does); return (records, seconds)."""
    start = time.perf_counter()
    count = sum(1 for _ in backend.iter_records(req))  # type: ignore[attr-defined]
    return count, time.perf_counter() - start


def disk_mb(path: Path) -> float:
    """Return the size of the files under path in MB."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def index_dup_of(index_dir: Path) -> None:
    """Add the records(dup_of) index that store.py lacks: without it every page scans the whole store."""
    store = RecordStore(store_path(index_dir))
    try:
        store.db.execute("CREATE INDEX IF NOT EXISTS records_dup_of ON records(dup_of)")
        store.commit()
    finally:
        store.close()


def stale_layout(index_dir: Path, nodes: int) -> bool:
    """Tell whether the shards of an earlier run were built for another layout than the current one."""
    from indexer.sphinx.layout import layout
    from indexer.sphinx.sync import LAYOUT_KEY

    store = RecordStore(store_path(index_dir), readonly=True)
    try:
        return store.get_meta(LAYOUT_KEY) != f"{nodes}:{layout().fingerprint()}"
    finally:
        store.close()


def whoosh_rows(index_dir: Path, size: int, queries: int) -> tuple[list[tuple[str, float, float, float]], float, int]:
    """Build the embedded Whoosh index from the same record store; run the same queries (same seed) on it."""
    from indexer.engine.whoosh.backend import WhooshBackend
    from indexer.engine.whoosh.writer import build_generation

    store = RecordStore(store_path(index_dir))
    try:
        log(f"Whoosh: building the embedded index from the same {store.count():,} records ...")
        start = time.monotonic()
        count = build_generation(store, index_dir)
        seconds = time.monotonic() - start
    finally:
        store.close()
    backend = WhooshBackend(Settings(index_dir=index_dir, extras={"result_cache": 0}))  # Sphinx caches no pages
    rng = random.Random(SEED)
    rows = [(kind, *measure(backend, make, queries)) for kind, make in query_kinds(size, rng).items()]
    return rows, seconds, count


def run(size: int, nodes: int, workers: int, queries: int, root: Path, rt_mem: str, whoosh: bool = False) -> None:
    """Ingest (unless root already holds a run), sync and query; print the tables."""
    from indexer.sphinx.cluster import Cluster, plan_nodes
    from indexer.sphinx.conf import Tuning
    from indexer.sphinx.engine import SphinxBackend
    from indexer.sphinx.writer import sync_cluster

    index_dir = root / "ix"
    reused = index_dir.exists()
    rebuild = False
    if reused:
        log(f"reusing the record store and shards under {root}")
        stored, store_s = RecordStore(store_path(index_dir), readonly=True).count(), 0.0
        rebuild = stale_layout(index_dir, nodes)
        if rebuild:  # shards written for another layout: new nodes, everything pushed again
            log("the shard layout changed since that run: rebuilding the shards")
            shutil.rmtree(root / "nodes", ignore_errors=True)
    else:
        index_dir.mkdir(parents=True)
        log(f"record store: {size:,} records ...")
        stored, store_s = fill_store(index_dir, size)
    index_dup_of(index_dir)
    cluster = Cluster(plan_nodes(root / "nodes", nodes), Tuning(rt_mem_limit=rt_mem))
    with cluster:
        settings = Settings(
            index_dir=index_dir,
            backend="sphinx",
            sphinx_nodes=cluster.addresses,
            extras={"sphinx_workers": workers, "sphinx_timeout": 300.0},
        )
        log(f"sync to {nodes} nodes with {workers} segmenting workers ...")
        store = RecordStore(store_path(index_dir))
        try:
            synced = sync_cluster(store, settings, rebuild=rebuild)
        finally:
            store.close()
        backend = SphinxBackend(settings)
        version = backend.version()
        rng = random.Random(SEED)
        rows = [(kind, *measure(backend, make, queries)) for kind, make in query_kinds(size, rng).items()]
        exported, export_s = measure_export(backend, SearchRequest(q="人民法院", sort="date"))
        backend.close()
    print(
        f"\n## Sphinx backend, {stored:,} documents, {nodes} nodes "
        f"({', '.join(str(s['documents']) for s in version['shards'])} per shard), {workers} workers\n"
    )
    if not reused or rebuild:
        print("| ingest stage | documents | seconds | documents/s |\n|---|---:|---:|---:|")
        if store_s:
            print(f"| records -> record store | {stored:,} | {store_s:.0f} | {stored / store_s:,.0f} |")
        print(
            f"| record store -> shards (sync) | {synced.pushed:,} | {synced.seconds:.0f} | "
            f"{synced.pushed / synced.seconds:,.0f} |"
        )
        total = store_s + synced.seconds
        print(f"| total | {stored:,} | {total:.0f} | {stored / total:,.0f} |")
    print(
        f"\nDisk: record store {disk_mb(index_dir):,.0f} MB; shards "
        + ", ".join(f"{disk_mb(n.data_dir):,.0f} MB" for n in cluster.nodes)
        + "\n"
    )
    print(
        "The record store gets an index on records(dup_of) first: store.py has none, and every page's\n"
        "group_sizes() then scans the whole store (about 1.7 s per page at 1,000,000 records).\n"
    )
    print(f"| query kind ({queries} each) | p50 ms | p95 ms | mean hits |\n|---|---:|---:|---:|")
    for kind, p50, p95, hits in rows:
        print(f"| {kind} | {p50:.1f} | {p95:.1f} | {hits:,.0f} |")
    print(
        f"\nExport of every hit of 人民法院 (date order): {exported:,} records in {export_s:.1f} s "
        f"({exported / max(export_s, 1e-9):,.0f} records/s)"
    )
    if whoosh:  # after the cluster is stopped: the two engines never share the two cores
        wrows, build_s, count = whoosh_rows(index_dir, size, queries)
        print(
            f"\n## Side by side: Sphinx ({nodes} nodes) and the embedded Whoosh index, same {stored:,} records, "
            f"same queries\n\nWhoosh bulk build from the record store: {count:,} documents in {build_s:.0f} s "
            f"({count / max(build_s, 1e-9):,.0f} documents/s); disk {disk_mb(index_dir):,.0f} MB with the store.\n"
        )
        print(
            "| query kind | Sphinx p50 ms | Sphinx p95 ms | Whoosh p50 ms | Whoosh p95 ms | mean hits "
            "Sphinx / Whoosh |\n|---|---:|---:|---:|---:|---:|"
        )
        for (kind, p50, p95, hits), (_, w50, w95, whits) in zip(rows, wrows, strict=True):
            print(f"| {kind} | {p50:.1f} | {p95:.1f} | {w50:.1f} | {w95:.1f} | {hits:,.0f} / {whits:,.0f} |")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, or say why it is skipped."""
    ap = argparse.ArgumentParser(
        prog="python -m bench.sphinx_bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--docs", type=int, default=1_000_000, help="documents to index (default 1,000,000)")
    ap.add_argument("--nodes", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2, help="segmenting processes during the sync")
    ap.add_argument("--queries", type=int, default=30, help="queries per kind")
    ap.add_argument("--rt-mem", default="1024M", help="rt_mem_limit per shard")
    ap.add_argument(
        "--whoosh",
        action="store_true",
        help="also build the embedded Whoosh index from the same records and run the same queries",
    )
    ap.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="work directory to keep (default: a temporary one); an existing run there is queried again",
    )
    args = ap.parse_args(argv)
    reason = skip_reason()
    if reason:
        print(f"SKIP sphinx_bench: {reason}")
        return 0
    root = args.dir or Path(tempfile.mkdtemp(prefix="sphinx-bench-"))
    try:
        run(args.docs, args.nodes, args.workers, args.queries, root, args.rt_mem, whoosh=args.whoosh)
    finally:
        if args.dir is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
