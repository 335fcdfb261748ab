"""Search-quality evaluation: STARD statute retrieval and known-item search, ours vs plain BM25.

Run as ``python -m bench.eval`` (``make eval``). The reference is bm25s (Lucene BM25, its defaults) over jieba
``cut_for_search`` tokens of title + body. Ours on STARD is the learned re-ranker measured by 5-fold
cross-validation over the train questions (bench/eval_ranker.py), beside the first stage alone. Our side
indexes the same documents through the real ingest pipeline; the built index is cached under var/eval/,
keyed by a hash of the code and data that affect indexing, so reruns only search. ``--sweep`` also prints
the ranking-weight sweep.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import math
import pickle
import random
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from whoosh import query as wq

from bench.eval_copies import report as copies_report

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
STARD_DOCS = CORPUS / "benchmarks" / "stard_corpus.jsonl"
STARD_QUERIES = CORPUS / "benchmarks" / "stard_train_queries.jsonl"
STARD_QRELS = CORPUS / "benchmarks" / "stard_train_qrels.trec"
LAWS = CORPUS / "lawrefbook_laws.jsonl"
CACHE = ROOT / "var" / "eval"
SWEEP_OUT = ROOT / "bench" / "eval_data" / "sweep.txt"  # the last sweep, kept with the code it chose weights for
# query-time modules and data: changing them does not change the index
QUERY_TIME = {
    "query.py",
    "search.py",
    "highlight.py",
    "ranking.py",
    "suggest.py",
    "engine.py",
    "searcher.py",
    "errors.py",
    "cli.py",
    "export.py",
    "backend.py",
    "lawdb.py",
    "synonyms.txt",
    "stopwords.txt",
    "rerank.py",
    "priors.py",
    "evaluate.py",
    "columns.py",
    "spelling.py",
    "expansions.py",
    "expansions.tsv",
    "ranker.txt",
    "ranker.json",
}
REFERENCE_VERSION = "0.3.16"  # bm25s, the established BM25 we compare with
DEPTH = 100  # hits per query that the metrics see
KNOWN_ITEMS = 300  # sampled documents per known-item task
SEED = 20240601
SENTENCE_BREAK = re.compile(r"[。；！？\n]")
ARTICLE_NO = re.compile(r"^第[一二三四五六七八九十百千零〇]+条")

Run = dict[str, list[str]]
Qrels = dict[str, set[str]]


def read_jsonl(path: Path) -> list[dict]:
    """Return the records of a JSONL file."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def read_qrels(path: Path) -> Qrels:
    """Return qid -> relevant doc ids of a TREC qrels file."""
    out: Qrels = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        qid, _, doc_id, rel = line.split()
        if int(rel) > 0:
            out.setdefault(qid, set()).add(doc_id)
    return out


# ------------------------------------------------------------------------------------------------ metrics
def ndcg(ranked: Sequence[str], rel: set[str], k: int = 10) -> float:
    """Return binary nDCG@k."""
    dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked[:k]) if d in rel)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(rel))))
    return dcg / ideal if ideal else 0.0


def rr(ranked: Sequence[str], rel: set[str], k: int = 10) -> float:
    """Return the reciprocal rank of the first relevant document within k."""
    return next((1 / (i + 1) for i, d in enumerate(ranked[:k]) if d in rel), 0.0)


def recall(ranked: Sequence[str], rel: set[str], k: int = 100) -> float:
    """Return the share of relevant documents within k."""
    return len(rel & set(ranked[:k])) / len(rel) if rel else 0.0


def average_precision(ranked: Sequence[str], rel: set[str], k: int = DEPTH) -> float:
    """Return average precision over the top k (relevant documents not retrieved count as 0)."""
    hits, total = 0, 0.0
    for i, d in enumerate(ranked[:k]):
        if d in rel:
            hits += 1
            total += hits / (i + 1)
    return total / len(rel) if rel else 0.0


def ir_metrics(run: Run, qrels: Qrels) -> dict[str, float]:
    """Return mean nDCG@10, MRR@10, Recall@100 and MAP@100 of a run."""
    qids = sorted(qrels)
    fns: dict[str, Callable[[Sequence[str], set[str]], float]] = {
        "nDCG@10": ndcg,
        "MRR@10": rr,
        "Recall@100": recall,
        "MAP@100": average_precision,
    }
    return {name: sum(fn(run.get(q, []), qrels[q]) for q in qids) / len(qids) for name, fn in fns.items()}


def known_item_metrics(run: Run, targets: dict[str, str], label: str) -> dict[str, float]:
    """Return MRR@100 and success@1 of a known-item run."""
    ranks = [run.get(q, []).index(t) + 1 if t in run.get(q, []) else 0 for q, t in targets.items()]
    return {
        f"{label} MRR": sum(1 / r for r in ranks if r) / len(ranks),
        f"{label} @1": sum(r == 1 for r in ranks) / len(ranks),
    }


# ------------------------------------------------------------------------------------------------ our side
def index_hash(records_text: str) -> str:
    """Return a hash of the records and of every file that affects what the index holds."""
    h = hashlib.sha1(records_text.encode("utf-8"))
    files = sorted((ROOT / "indexer").glob("*.py")) + sorted((ROOT / "indexer" / "engine").rglob("*.py"))
    files += sorted((ROOT / "indexer" / "data").glob("*"))
    for path in files:
        if path.is_file() and path.name not in QUERY_TIME:
            h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


def cached_index(name: str, records: Iterable[dict]) -> Path:
    """Return an index of the records built by our ingest pipeline, building it once per code version."""
    from indexer.ingest import ingest

    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    target = CACHE / f"{name}-{index_hash(text)}"
    if (target / "CURRENT").exists():
        return target
    for old in CACHE.glob(f"{name}-*"):
        shutil.rmtree(old, ignore_errors=True)
    tmp = CACHE / f"{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    src = tmp / "records.jsonl"
    src.write_text(text, encoding="utf-8")
    start = time.monotonic()
    report = ingest([str(src)], tmp / "index")
    print(f"  built {name} index: {report.summary()} in {time.monotonic() - start:.0f} s", file=sys.stderr)
    (tmp / "index").rename(target)
    shutil.rmtree(tmp)
    return target


def run_ours(index_dir: Path, queries: dict[str, str]) -> Run:
    """Return our top DEPTH document ids per query, ranked as search() ranks them."""
    from indexer.generations import open_index
    from indexer.search import rank_ids

    with open_index(index_dir).searcher() as s:
        return {qid: rank_ids(s, q, DEPTH) for qid, q in queries.items()}


# ------------------------------------------------------------------------------------------------ reference
def ref_tokens(text: str) -> list[str]:
    """Return jieba cut_for_search tokens, lower-cased, without spaces and punctuation."""
    import jieba

    jieba.setLogLevel(60)
    return [t.lower() for t in jieba.cut_for_search(text) if t.strip() and (len(t) > 1 or t.isalnum())]


def ref_corpus_tokens(name: str, docs: list[dict]) -> list[list[str]]:
    """Return the reference tokens of title + body of every document, cached per corpus and jieba version."""
    h = hashlib.sha1(_version("jieba").encode())
    for d in docs:
        h.update(f"{d['id']}\0{d.get('title') or ''}\0{d.get('body') or ''}\0".encode())
    path = CACHE / f"{name}-ref-{h.hexdigest()[:12]}.pkl"
    if path.exists():
        with path.open("rb") as fh:
            return pickle.load(fh)
    tokens = [ref_tokens(f"{d.get('title') or ''}\n{d.get('body') or ''}") for d in docs]
    for old in CACHE.glob(f"{name}-ref-*.pkl"):
        old.unlink()
    CACHE.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        pickle.dump(tokens, fh)
    return tokens


class Reference:
    """Plain BM25 (bm25s, Lucene variant, default k1/b) over jieba search-mode tokens of title + body."""

    def __init__(self, name: str, docs: list[dict]) -> None:
        import bm25s

        self.ids = [d["id"] for d in docs]
        self.bm25 = bm25s.BM25()
        self.bm25.index(ref_corpus_tokens(name, docs), show_progress=False)

    def run(self, queries: dict[str, str]) -> Run:
        """Return the top DEPTH document ids per query (documents scoring 0 left out)."""
        import numpy as np

        out: Run = {}
        for qid, q in queries.items():
            scores = self.bm25.get_scores(ref_tokens(q))
            top = np.argpartition(-scores, DEPTH)[:DEPTH]
            top = top[np.argsort(-scores[top], kind="stable")]
            out[qid] = [self.ids[i] for i in top if scores[i] > 0]
        return out


# ------------------------------------------------------------------------------------------------ known items
def known_items(docs: list[dict]) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Sample title and sentence queries: (queries by qid, title targets, sentence targets), fixed seed."""
    rng = random.Random(SEED)
    titles: dict[str, int] = {}
    for d in docs:
        titles[d["title"]] = titles.get(d["title"], 0) + 1
    unique = [d for d in docs if titles[d["title"]] == 1 and d.get("body")]
    everything = "\0".join(d.get("body") or "" for d in docs)
    queries, by_title, by_sentence = {}, {}, {}
    for i, d in enumerate(rng.sample(unique, KNOWN_ITEMS)):
        queries[f"t{i}"], by_title[f"t{i}"] = d["title"], d["id"]
    pool = rng.sample(unique, len(unique))
    for d in pool:
        sentence = distinctive_sentence(d["body"], everything, rng)
        if sentence:
            qid = f"s{len(by_sentence)}"
            queries[qid], by_sentence[qid] = sentence, d["id"]
        if len(by_sentence) == KNOWN_ITEMS:
            break
    return queries, by_title, by_sentence


def distinctive_sentence(body: str, everything: str, rng: random.Random) -> str | None:
    """Return a whole sentence of 20-60 characters (article number cut off) that no other document has."""
    candidates = [ARTICLE_NO.sub("", part.strip()).strip() for part in SENTENCE_BREAK.split(body)]
    candidates = [c for c in candidates if 20 <= len(c) <= 60 and not re.search(r"\s|^[#（(]", c)]
    for c in rng.sample(candidates, min(3, len(candidates))):
        if everything.count(c) == 1:
            return c
    return None


# ------------------------------------------------------------------------------------------------ sweep
# Whoosh's score is linear in the title and exact-title boosts, and the re-ranking adds linear proximity and
# phrase terms, so each candidate's components are measured once and any weighting is replayed in numpy
# (then, for a keyword query, the hits whose title holds all its words go first, as ranking.rerank puts them).
FEATURES = ("base", "title", "subword", "title_subword", "exact", "pair", "phrase", "recency", "titled")
GRID = {
    "title": (0.0, 0.1, 0.25, 0.5, 1.0),
    "subword": (0.0, 0.15, 0.3, 0.6),
    "pair": (0.0, 0.25, 0.5, 1.0),
    "phrase": (0.0, 0.25, 0.5, 1.0),
    "exact_title": (0.0, 100.0),
    "date": (0.0, 0.02, 0.05),
}
CANDIDATES = 400  # first-stage hits (of a middle weighting) whose features are measured
KNOWN_TUNING, KNOWN_DEPTH = 100, 100  # known items of each kind in the sweep, and their candidates
_SUMS = (wq.And, wq.Or, wq.AndMaybe)  # compound queries whose score is the sum of their children's


def _scores(s: Any, q: Any, docnums: list[int]) -> dict[int, float]:
    """Return docnum -> score of q, for the given documents only (a sum over its leaves, as Whoosh adds them)."""
    if isinstance(q, wq.Term):
        return _matcher_scores(s, q, docnums)
    parts = [q.a] if isinstance(q, wq.AndNot) else list(q.children()) if isinstance(q, _SUMS) else []
    if not parts:
        return _matcher_scores(s, q, docnums)
    out: dict[int, float] = {}
    for part in parts:
        for d, v in _scores(s, part, docnums).items():
            out[d] = out.get(d, 0.0) + v * q.boost
    return out


def _matcher_scores(s: Any, q: Any, docnums: list[int]) -> dict[int, float]:
    out, m = {}, q.matcher(s)
    for d in docnums:
        if not m.is_active():
            break
        if m.id() < d:
            m.skip_to(d)
        if m.is_active() and m.id() == d:
            out[d] = m.score()
    return out


def query_features(s: Any, text: str, depth: int = CANDIDATES) -> tuple[list[str], Any]:
    """Return the candidates of a query and their ranking features (rows: FEATURES)."""
    import numpy as np

    from indexer.query import exact_title_query, parse, ranking_plan, to_whoosh
    from indexer.ranking import WEIGHTS, Weights, bonus, recency, titled

    parsed, reader = parse(text), s.reader()

    def scores(**w: float) -> dict[int, float]:
        return _scores(s, to_whoosh(parsed, weights=replace(WEIGHTS, **w), reader=reader)[0], docnums)

    hits: dict[int, Any] = {}
    q, _ = to_whoosh(parsed, weights=replace(WEIGHTS, title=1.0, subword=0.3), reader=reader)
    hits.update((h.docnum, h) for h in s.search(q, limit=depth)[:])
    docnums = sorted(hits)
    base = scores(title=0.0, subword=0.0, exact_title=0.0)
    with_title = scores(title=1.0, subword=0.0, exact_title=0.0)
    sub = scores(title=0.0, subword=1.0, exact_title=0.0)
    both = scores(title=1.0, subword=1.0, exact_title=0.0)
    exact_q = exact_title_query(parsed, replace(WEIGHTS, exact_title=1.0))
    exact = _scores(s, exact_q, docnums) if exact_q is not None else {}
    plan, cands = ranking_plan(parsed), [hits[d] for d in docnums]
    pair = bonus(s, cands, plan, Weights(pair=1.0, phrase=0.0))
    phrase = bonus(s, cands, plan, Weights(pair=0.0, phrase=1.0))
    rows = []
    for d in docnums:
        b, t, u = base.get(d, 0.0), with_title.get(d, 0.0), sub.get(d, 0.0)
        rows.append(
            [
                b,
                t - b,
                u - b,
                both.get(d, 0.0) - t - u + b,
                exact.get(d, 0.0),
                pair.get(d, 0.0),
                phrase.get(d, 0.0),
                recency(hits[d].get("date")),
                float(titled(hits[d].get("title") or "", plan)),
            ]
        )
    return [hits[d]["id"] for d in docnums], np.array(rows, dtype=float).reshape(-1, len(FEATURES))


def replay(feats: dict[str, tuple[list[str], Any]], w: dict[str, float]) -> Run:
    """Return the run that the weights w give, from measured features (first stage, then re-ranking)."""
    import numpy as np

    from indexer.ranking import RERANK_DEPTH

    run: Run = {}
    for qid, (ids, f) in feats.items():
        t, u = w["title"], w["subword"]
        first = f[:, 0] + t * f[:, 1] + u * f[:, 2] + t * u * f[:, 3] + w["exact_title"] * f[:, 4]
        order = np.argsort(-first, kind="stable")
        head, tail = order[:RERANK_DEPTH], order[RERANK_DEPTH:DEPTH]
        final = (first[head] + w["pair"] * f[head, 5] + w["phrase"] * f[head, 6]) * (1 + w["date"] * f[head, 7])
        head = head[np.lexsort((-final, -f[head, 8]))]
        run[qid] = [ids[i] for i in list(head) + list(tail)]
    return run


def measure(index_dir: Path, queries: dict[str, str], depth: int = CANDIDATES) -> dict[str, tuple[list[str], Any]]:
    """Return the features of every query's candidates."""
    from indexer.generations import open_index
    from indexer.ranking import ranking_searcher

    with open_index(index_dir).searcher() as s:
        rs = ranking_searcher(s)
        return {qid: query_features(rs, q, depth) for qid, q in queries.items()}


def sweep(
    stard_ix: Path,
    stard_q: dict[str, str],
    qrels: Qrels,
    laws_ix: Path,
    laws_q: dict[str, str],
    targets: dict[str, str],
) -> list[str]:
    """Return the weight grid, best first: STARD (tuning quarter) nDCG@10 and MAP, known-item MRR by kind."""
    from itertools import product

    from indexer.ranking import WEIGHTS

    tuning = dict(list(stard_q.items())[::4])  # a quarter of the queries: the rest stays out of the choice
    known = {q: t for q, t in laws_q.items() if int(q[1:]) < KNOWN_TUNING}
    start = time.monotonic()
    stard_f, laws_f = measure(stard_ix, tuning), measure(laws_ix, known, KNOWN_DEPTH)
    print(f"sweep: features measured in {time.monotonic() - start:.0f} s", file=sys.stderr)
    titles = {q: t for q, t in targets.items() if q.startswith("t") and q in known}
    sentences = {q: t for q, t in targets.items() if q.startswith("s") and q in known}
    rows = []
    for values in product(*GRID.values()):
        w = dict(zip(GRID, values, strict=True))
        m = ir_metrics(replay(stard_f, w), {q: qrels[q] for q in tuning})
        run = replay(laws_f, w)
        a, b = known_item_metrics(run, titles, "t")["t MRR"], known_item_metrics(run, sentences, "s")["s MRR"]
        rows.append((m["nDCG@10"] + a + b, m["nDCG@10"], m["MAP@100"], a, b, w))
    rows.sort(key=lambda r: (-round(r[0], 4), -r[2]))
    current = {k: getattr(WEIGHTS, k) for k in GRID}
    lines = [
        f"weight sweep: {len(rows)} weightings; STARD tuning quarter ({len(tuning)} queries), known items "
        f"({len(titles)} titles, {len(sentences)} sentences); sorted by nDCG@10 + title MRR + sentence MRR",
        f"{'nDCG@10':>8}{'MAP@100':>9}{'title MRR':>10}{'sent. MRR':>10}  weights",
    ]
    for r in rows[:20] + [r for r in rows if r[5] == current]:
        mark = "  <- WEIGHTS" if r[5] == current else ""
        lines.append(f"{r[1]:>8.4f}{r[2]:>9.4f}{r[3]:>10.4f}{r[4]:>10.4f}  {r[5]}{mark}")
    lines.append("best objective with each value held fixed (the others at their best):")
    for name, grid in GRID.items():
        lines.append(f"  {name}: " + "  ".join(f"{v}: {max(r[0] for r in rows if r[5][name] == v):.4f}" for v in grid))
    return lines


# ------------------------------------------------------------------------------------------------ report
def table(rows: list[tuple[str, float, float]]) -> str:
    """Format metric rows (name, ours, reference) with the difference."""
    lines = [f"{'metric':<22}{'ours':>8}{'BM25 ref':>10}{'diff':>9}{'rel.':>9}", "-" * 58]
    for name, ours, ref in rows:
        rel = f"{(ours - ref) / ref:+.1%}" if ref else "n/a"
        lines.append(f"{name:<22}{ours:>8.4f}{ref:>10.4f}{ours - ref:>+9.4f}{rel:>9}")
    return "\n".join(lines)


def evaluate_stard() -> tuple[list[tuple[str, float, float]], Path, dict[str, str], Qrels]:
    """Return the STARD rows of the table, ours by 5-fold cross-validation (and what a sweep needs)."""
    from bench.eval_expansions import expansion_rows
    from bench.eval_ranker import stard_rows

    docs = read_jsonl(STARD_DOCS)
    queries = {r["qid"]: r["query"] for r in read_jsonl(STARD_QUERIES)}
    qrels = {q: r for q, r in read_qrels(STARD_QRELS).items() if q in queries}
    index_dir = cached_index("stard", docs)
    ref_run = Reference("stard", docs).run(queries)
    start = time.monotonic()
    rows = stard_rows(index_dir, queries, qrels, ref_run) + expansion_rows(index_dir, queries, qrels, ref_run)
    print(f"  STARD: {len(docs)} articles, {len(qrels)} queries; {time.monotonic() - start:.0f} s", file=sys.stderr)
    return [(f"STARD {name}", ours, ref) for name, ours, ref in rows], index_dir, queries, qrels


def evaluate_known_items() -> tuple[list[tuple[str, float, float]], Path, dict[str, str], dict[str, str]]:
    """Return the known-item rows of the table (and what a sweep needs)."""
    docs = read_jsonl(LAWS)
    queries, by_title, by_sentence = known_items(docs)
    index_dir = cached_index("laws", docs)
    ours, ref = run_ours(index_dir, queries), Reference("laws", docs).run(queries)
    rows = []
    for label, targets in (("known-item title", by_title), ("known-item sentence", by_sentence)):
        a, b = known_item_metrics(ours, targets, label), known_item_metrics(ref, targets, label)
        rows += [(k, a[k], b[k]) for k in a]
    rows += salient_rows(docs, index_dir)
    return rows, index_dir, queries, {**by_title, **by_sentence}


def salient_rows(docs: list[dict], index_dir: Path) -> list[tuple[str, float, float]]:
    """Return the salient-word known-item rows: ours against tantivy (in the reference column)."""
    from bench.eval_salient import salient_queries, tantivy_run, targets
    from bench.eval_typos import typo_rows

    queries = salient_queries(docs, index_dir)
    wanted = targets(queries)
    ours = known_item_metrics(run_ours(index_dir, queries), wanted, "salient words (tantivy)")
    theirs = known_item_metrics(tantivy_run(docs, queries), wanted, "salient words (tantivy)")
    return [(k, ours[k], theirs[k]) for k in ours] + typo_rows(index_dir, docs, queries)


def main(argv: list[str] | None = None) -> int:
    """Print the evaluation table; exit 0 (also when ../shared is absent: the eval is then skipped)."""
    ap = argparse.ArgumentParser(prog="python -m bench.eval")
    ap.add_argument("--sweep", action="store_true", help="also sweep the ranking weights")
    args = ap.parse_args(argv)
    missing = [p for p in (STARD_DOCS, STARD_QUERIES, STARD_QRELS, LAWS) if not p.exists()]
    if missing:
        print(f"eval skipped: benchmark data not found ({missing[0]}); ../shared is absent on this machine")
        return 0
    if importlib.util.find_spec("bm25s") is None:
        print(f"eval needs the reference BM25: pip install bm25s=={REFERENCE_VERSION}", file=sys.stderr)
        return 2
    start = time.monotonic()
    stard, stard_ix, stard_q, qrels = evaluate_stard()
    known, laws_ix, laws_q, targets = evaluate_known_items()
    print(table(stard + known))
    print(copies_report((stard_ix, stard_q, qrels)))  # copy detection and collapsing (issue 19)
    print(
        f"(ours vs bm25s {_version('bm25s')} over jieba cut_for_search, except the salient-word rows: vs tantivy; "
        f"STARD: ours by 5-fold cross-validation over questions, * the shipped depth; MAP and MRR of known items "
        f"over the top {DEPTH}; {time.monotonic() - start:.0f} s)"
    )
    from bench.eval_ranker import reproduced

    print(reproduced())
    if args.sweep:
        lines = sweep(stard_ix, stard_q, qrels, laws_ix, laws_q, targets)
        print("\n".join(lines))
        SWEEP_OUT.parent.mkdir(parents=True, exist_ok=True)
        SWEEP_OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


if __name__ == "__main__":
    raise SystemExit(main())
