"""What each way in gains, measured side by side on the same documents (``python -m bench.run --ways``).

Small on purpose (WAYS_DOCS documents, a few repetitions, medians): each figure compares two ways of doing
the same thing in one process, one after the other, so a busy machine slows both alike.
"""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .corpus import records
from .http_load import percentile
from .workload import BenchQuery, make_queries

WAYS_DOCS = 5000  # documents indexed for these measurements
REPEAT = 3  # runs of each timed step; the median is reported


def measure_ways(work: Path, docs: int = WAYS_DOCS) -> str:
    """Measure every way in; return a Markdown table."""
    from indexer.analysis import segmenter

    segmenter()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    recs = list(records(docs))
    fields = _fields(recs)
    rows = [["way in", "measure", "without", "with", "gain"], ["---"] * 5]
    for measure in (
        segmenters,
        writers,
        facet_columns,
        array_queries,
        result_cache,
        stored_fields,
        searcher_reuse,
        preload,
        query_design,
    ):
        rows += measure(work, recs, fields)
    title = f"### Ways in, {docs:,} documents (median of {REPEAT} runs each)"
    return "\n".join([title, "", *("| " + " | ".join(map(str, r)) + " |" for r in rows)])


def _timed(fn: Callable[[], Any], repeat: int = REPEAT) -> float:
    """Return the median wall time of fn() in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _gain(without: float, with_: float, lower_is_better: bool = True) -> str:
    ratio = without / with_ if lower_is_better else with_ / without
    return f"{ratio:.2f}x"


def _fields(recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from indexer.fields import index_fields
    from indexer.pipeline import to_document

    return [index_fields(to_document(r), None) for r in recs]


def segmenters(work: Path, recs: list[dict[str, Any]], fields: Any) -> list[list[str]]:
    """rjieba vs jieba: the same accurate-mode segmentation of every title and body."""
    import jieba
    import rjieba

    jieba.setLogLevel(60)
    jieba.initialize()
    texts = [r["title"] + "\n" + r["body"] for r in recs]
    chars = sum(map(len, texts))
    slow = _timed(lambda: [list(jieba.tokenize(t)) for t in texts], 1)
    fast = _timed(lambda: [rjieba.tokenize(t) for t in texts])
    return [
        [
            "rjieba instead of jieba",
            "segmentation, M chars/s",
            f"{chars / slow / 1e6:.2f}",
            f"{chars / fast / 1e6:.2f}",
            _gain(slow, fast),
        ]
    ]


def _new_index(path: Path, schema: Any = None) -> Any:
    import whoosh.index

    from indexer.engine.whoosh.schema import make_schema

    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return whoosh.index.create_in(str(path), schema or make_schema())


def writers(work: Path, recs: list[dict[str, Any]], fields: list[dict[str, Any]]) -> list[list[str]]:
    """Whoosh's writer, its multiprocess writer, and the bulk segment writer, on the same index fields."""
    from indexer.engine.whoosh.segments import build_segments

    def stock(**kw: Any) -> None:
        writer = _new_index(work / "w").writer(**kw)
        for f in fields:
            writer.add_document(**f)
        writer.commit()

    def bulk(procs: int) -> None:
        _new_index(work / "w").close()
        size = -(-len(fields) // procs)
        build_segments(work / "w", [lambda i=i: iter(fields[i : i + size]) for i in range(0, len(fields), size)])

    one = _timed(lambda: stock(limitmb=256), 1)
    mp = _timed(lambda: stock(limitmb=128, procs=2, multisegment=True), 1)
    b1, b2 = _timed(lambda: bulk(1)), _timed(lambda: bulk(2))
    n = len(fields)
    rows = [
        ["writer procs=2, multisegment=True", "documents/s", f"{n / one:,.0f}", f"{n / mp:,.0f}", _gain(one, mp)],
        ["bulk segment writer, 1 process", "documents/s", f"{n / one:,.0f}", f"{n / b1:,.0f}", _gain(one, b1)],
        ["bulk segment writer, 2 processes", "documents/s", f"{n / one:,.0f}", f"{n / b2:,.0f}", _gain(one, b2)],
    ]
    return rows + _merge(work / "w")


def _merge(path: Path) -> list[list[str]]:
    """Optimize (merge the 2 segments into one): its cost, and what it does to a query."""
    import whoosh.index
    from whoosh import query as wq

    ix = whoosh.index.open_dir(str(path))
    q = wq.Or([wq.Term("body", w) for w in ("人民法院", "合同", "规定", "行政")])

    def run() -> None:
        with ix.searcher() as s:
            s.search(q, limit=20)

    before = _timed(lambda: [run() for _ in range(20)])
    start = time.perf_counter()
    ix.optimize()
    merge = time.perf_counter() - start
    after = _timed(lambda: [run() for _ in range(20)])
    return [
        [
            "optimize: merge the workers' segments",
            f"4-word query, ms (merge took {merge:.1f} s)",
            f"{before / 20 * 1000:.1f}",
            f"{after / 20 * 1000:.1f}",
            _gain(before, after),
        ]
    ]


def _facet_latency(ix: Any, queries: Iterable[BenchQuery]) -> float:
    from whoosh import query as wq
    from whoosh import sorting

    from indexer.engine.whoosh.schema import FACET_FIELDS, MULTI_VALUED

    facets = sorting.Facets()
    for name, field in FACET_FIELDS.items():
        facets.add_facet(name, sorting.FieldFacet(field, allow_overlap=field in MULTI_VALUED))
    times = []
    with ix.searcher() as s:
        for q in queries:
            start = time.perf_counter()
            s.search(wq.Term("body", q.text), limit=20, groupedby=facets).groups("region")
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def facet_columns(work: Path, recs: list[dict[str, Any]], fields: list[dict[str, Any]]) -> list[list[str]]:
    """Facet fields as columns (single-valued sortable IDs, multi-valued list columns) vs plain fields."""
    from whoosh.fields import ID, KEYWORD

    from indexer.engine.whoosh.schema import FACET_FIELDS, make_schema
    from indexer.engine.whoosh.segments import build_segments

    plain = make_schema()
    for field in FACET_FIELDS.values():
        multi = isinstance(plain[field], KEYWORD)
        plain.remove(field)
        plain.add(field, KEYWORD(stored=True, commas=True) if multi else ID(stored=True))
    queries = make_queries(recs, 30)["term"]
    out = []
    for label, schema in (("plain", plain), ("columns", None)):
        ix = _new_index(work / f"f-{label}", schema)
        build_segments(work / f"f-{label}", [lambda: iter(fields)])
        out.append(_facet_latency(whoosh_open(work / f"f-{label}"), queries) * 1000)
        ix.close()
    return [
        [
            "facet fields as columns",
            "one term + 7 facet counts, ms",
            f"{out[0]:.1f}",
            f"{out[1]:.1f}",
            _gain(out[0], out[1]),
        ]
    ]


def whoosh_open(path: Path) -> Any:
    """Open a Whoosh index directory."""
    import whoosh.index

    return whoosh.index.open_dir(str(path))


def _bench_index(work: Path, recs: list[dict[str, Any]], arrays: bool = True) -> Path:
    """Ingest the records into an index directory once (shared by the engine measurements); without
    `arrays`, every term of the bulk segments is written in Whoosh's blocks (none kept as arrays)."""
    import json

    from indexer.engine.whoosh import segments
    from indexer.ingest import ingest

    path = work / ("engine" if arrays else "engine-blocks")
    work.mkdir(parents=True, exist_ok=True)
    if not (path / "CURRENT").exists():
        jsonl = work / "engine.jsonl"
        jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
        saved = segments.ARRAY_MIN_DF
        segments.ARRAY_MIN_DF = saved if arrays else 2**62  # (the bulk workers are forked: they see it)
        try:
            ingest([str(jsonl)], path)
        finally:
            segments.ARRAY_MIN_DF = saved
    return path


def array_queries(work: Path, recs: list[dict[str, Any]], fields: Any) -> list[list[str]]:
    """Matching and scoring on arrays (engine/whoosh/evaluate.py) vs Whoosh's matchers, then the postings cache."""
    import indexer.search as search_module
    from bench.ours import request
    from indexer.engine.whoosh import evaluate
    from indexer.engine.whoosh.searcher import open_searcher
    from indexer.generations import open_index
    from indexer.search import collect, collect_with_whoosh, search

    path = _bench_index(work, recs)
    queries = [q for kind_qs in make_queries(recs, 10).values() for q in kind_qs]
    s = open_searcher(open_index(path))

    def p95(cache_mb: int | None = None, s: Any = s) -> float:
        saved = evaluate.POSTINGS_CACHE
        if cache_mb is not None:
            evaluate.POSTINGS_CACHE = cache_mb * 2**20
        evaluate.clear_caches()
        try:
            search(s, request(queries[0]))
            return percentile([_timed(lambda q=q: search(s, request(q)), 1) * 1000 for q in queries], 95)
        finally:
            evaluate.POSTINGS_CACHE = saved

    search_module.collect = collect_with_whoosh  # the matchers, a document at a time
    try:
        matchers = p95()
    finally:
        search_module.collect = collect
    arrays, cached = p95(0), p95()
    blocks = p95(0, open_searcher(open_index(_bench_index(work, recs, arrays=False))))  # every term in blocks
    return [
        [
            "common terms kept as arrays (.arr), not blocks, no cache",
            "p95 ms, every kind",
            f"{blocks:.1f}",
            f"{arrays:.1f}",
            _gain(blocks, arrays),
        ],
        [
            "queries on arrays (evaluate.py)",
            "p95 ms, every kind",
            f"{matchers:.1f}",
            f"{arrays:.1f}",
            _gain(matchers, arrays),
        ],
        [
            "decoded postings cached (96 MB)",
            "p95 ms, every kind",
            f"{arrays:.1f}",
            f"{cached:.1f}",
            _gain(arrays, cached),
        ],
    ]


def result_cache(work: Path, recs: list[dict[str, Any]], fields: Any) -> list[list[str]]:
    """A page answered again from the engine's per-version cache vs searched again."""
    from bench.ours import OurSearch

    path = _bench_index(work, recs)
    qs = [q for kind_qs in make_queries(recs, 10).values() for q in kind_qs]
    s = OurSearch(path)
    first = [_timed(lambda q=q: s.run(q), 1) for q in qs]
    again = [_timed(lambda q=q: s.run(q), 1) for q in qs]
    return [
        [
            "result pages cached per index version",
            "p95 ms, every kind (repeat of a query)",
            f"{percentile([t * 1000 for t in first], 95):.1f}",
            f"{percentile([t * 1000 for t in again], 95):.2f}",
            _gain(percentile(first, 95), percentile(again, 95)),
        ]
    ]


def stored_fields(work: Path, recs: list[dict[str, Any]], fields: list[dict[str, Any]]) -> list[list[str]]:
    """Index size and page cost with every display field stored vs only the id (the rest from records.sqlite)."""
    from whoosh.fields import STORED

    from indexer.engine.whoosh.schema import make_schema
    from indexer.engine.whoosh.segments import build_segments

    slim = make_schema()
    for name, field in list(slim.items()):
        if field.stored and name != "id":
            if isinstance(field, STORED):
                slim.remove(name)
            else:
                field.stored = False
    sizes = []
    for label, schema in (("all", None), ("slim", slim)):
        path = work / f"s-{label}"
        _new_index(path, schema).close()
        kept = [{k: v for k, v in f.items() if k in (schema or make_schema()).names()} for f in fields]
        build_segments(path, [lambda kept=kept: iter(kept)])
        sizes.append(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6)
    ix = whoosh_open(work / "s-all")
    with ix.searcher() as s:
        read = _timed(lambda: [s.stored_fields(d) for d in range(0, min(2000, s.doc_count_all()))]) / 2000 * 20
    return [
        [
            "fewer stored fields (id only)",
            f"index MB (reading 20 hits' fields: {read * 1000:.2f} ms)",
            f"{sizes[0]:.1f}",
            f"{sizes[1]:.1f}",
            _gain(sizes[0], sizes[1]),
        ]
    ]


def searcher_reuse(work: Path, recs: list[dict[str, Any]], fields: Any) -> list[list[str]]:
    """A per-thread searcher reused (engine.py) vs a searcher opened for every request."""
    from whoosh import query as wq

    from indexer.generations import open_index

    path = _bench_index(work, recs)
    words = [q.text for q in make_queries(recs, 30)["term"]]

    def per_request() -> None:
        for w in words:
            with open_index(path).searcher() as s:
                s.search(wq.Term("body", w), limit=20)

    ix = open_index(path)
    shared = ix.searcher()
    reused = _timed(lambda: [shared.search(wq.Term("body", w), limit=20) for w in words])
    opened = _timed(per_request)
    return [
        [
            "per-thread searcher, reused",
            "one-term query, ms",
            f"{opened / len(words) * 1000:.2f}",
            f"{reused / len(words) * 1000:.2f}",
            _gain(opened, reused),
        ]
    ]


def preload(work: Path, recs: list[dict[str, Any]], fields: Any) -> list[list[str]]:
    """The dictionary loaded before the server forks: what each worker's first query would otherwise wait for."""
    import subprocess
    import sys

    code = (
        "import time; t = time.perf_counter(); from indexer.analysis import segmenter; segmenter(); "
        "print(time.perf_counter() - t)"
    )
    cold = statistics.median(
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        for _ in range(REPEAT)
    )
    return [
        ["dictionary loaded before the fork", "first query's extra wait per worker, ms", f"{cold * 1000:.0f}", "0", "-"]
    ]


@contextmanager
def lean_queries() -> Iterator[None]:
    """What-if (not applied; indexer/query.py belongs to search quality): keyword words without the
    character-phrase fallback unless the word is unseen as a jieba word, and a 文号 by its key alone."""
    from whoosh import query as wq

    import indexer.query as q
    from indexer.fields import docnum_key

    term_query, clause_query = q.term_query, q.clause_query

    def lean_term(word: str, title_only: bool, b: Any, fallback: bool, *args: Any, **kw: Any) -> Any:
        return term_query(word, title_only, b, fallback and len(word) == 1, *args, **kw)

    def lean_clause(c: Any, b: Any) -> Any:
        if c.kind == "docnum":
            return wq.Term("docnum_key", docnum_key(c.text), boost=q.DOCNUM_BOOST)
        return clause_query(c, b)

    q.term_query, q.clause_query = lean_term, lean_clause
    try:
        yield
    finally:
        q.term_query, q.clause_query = term_query, clause_query


def query_design(work: Path, recs: list[dict[str, Any]], fields: Any) -> list[list[str]]:
    """p95 per kind of ours as it is vs with lean_queries() (a change to propose, measured here)."""
    from .ours import OurSearch
    from .workload import KIND_LABELS, KINDS

    path = _bench_index(work, recs)
    queries = make_queries(recs, 30, seed=5)
    p95 = []
    for lean in (False, True):
        s = OurSearch(path)  # a new backend: an empty result cache
        with lean_queries() if lean else _nothing():
            times = {k: [_timed(lambda q=q, s=s: s.run(q), 1) * 1000 for q in queries[k]] for k in KINDS}
        p95.append({k: percentile(v, 95) for k, v in times.items()})
    return [
        [
            f"query.py what-if: {KIND_LABELS[k]}",
            "p95 ms (not applied, see lean_queries)",
            f"{p95[0][k]:.1f}",
            f"{p95[1][k]:.1f}",
            _gain(p95[0][k], p95[1][k]),
        ]
        for k in KINDS
    ]


@contextmanager
def _nothing() -> Iterator[None]:
    yield
