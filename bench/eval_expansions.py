"""Mined everyday-word expansions in ``make eval``: mined inside each fold, measured on the held-out fold.

The first stage searches each held-out question with the map mined from the other four folds' questions
and judgments only, and the same first stage without any map beside it (learned re-ranking off in both).
"""

from __future__ import annotations

from pathlib import Path

from bench.eval import DEPTH, Qrels, Run, ir_metrics
from bench.mine_expansions import corpus_answers, index_share, mine
from bench.train_ranker import DEPTH as SHIPPED_DEPTH
from bench.train_ranker import folds

Row = tuple[str, float, float]


def held_out_runs(index_dir: Path, queries: dict[str, str], qrels: Qrels) -> tuple[Run, Run, int]:
    """Return the first stage's held-out runs without and with each fold's mined map (and its mean size)."""
    from indexer.expansions import use_expansions
    from indexer.generations import open_index
    from indexer.search import rank_ids

    answers, share = corpus_answers(qrels), index_share(index_dir)
    plain: Run = {}
    expanded: Run = {}
    sizes = []
    with open_index(index_dir).searcher() as s:
        for held in folds(list(queries)):
            out = set(held)
            mapping = mine({q: t for q, t in queries.items() if q not in out}, qrels, answers, share)
            sizes.append(len(mapping))
            use_expansions({})
            plain.update({q: rank_ids(s, queries[q], DEPTH, learn=False) for q in held})
            use_expansions(mapping)
            try:
                expanded.update({q: rank_ids(s, queries[q], DEPTH, learn=False) for q in held})
            finally:
                use_expansions(None)
    return plain, expanded, sum(sizes) // len(sizes)


def expansion_rows(index_dir: Path, queries: dict[str, str], qrels: Qrels, ref_run: Run) -> list[Row]:
    """Return the rows: first stage without and with the fold's mined expansions (held-out folds)."""
    plain, expanded, size = held_out_runs(index_dir, queries, qrels)
    ref = ir_metrics(ref_run, qrels)
    rows: list[Row] = []
    combined = combined_run(index_dir, queries, qrels, SHIPPED_DEPTH)
    runs = (("first stage, no map", plain), (f"+ mined map (~{size}) CV", expanded), ("LTR + mined map CV", combined))
    for label, run in runs:
        ours = ir_metrics(run, qrels)
        rows += [(f"{label} {k}", ours[k], ref[k]) for k in ("nDCG@10", "Recall@100")]
    return rows


def combined_run(index_dir: Path, queries: dict[str, str], qrels: Qrels, depth: int) -> Run:
    """Return the held-out run of the learned re-ranker over candidates searched with each fold's mined map:
    the fold's model is fitted on the other folds' candidates without a map, its map mined from them."""
    from bench.train_ranker import CANDIDATES, fit, measure, rerun
    from indexer.expansions import use_expansions
    from indexer.generations import open_index
    from indexer.query import parse, ranking_plan
    from indexer.ranking import ranking_searcher
    from indexer.rerank import features
    from indexer.search import ranked_hits

    answers, share = corpus_answers(qrels), index_share(index_dir)
    plain = measure(index_dir, queries, collapse=False)
    run: Run = {}
    with open_index(index_dir).searcher() as s:
        s = ranking_searcher(s)
        for held in folds(list(queries)):
            out = set(held)
            use_expansions(mine({q: t for q, t in queries.items() if q not in out}, qrels, answers, share))
            try:
                data = {}
                for q in held:
                    plan = ranking_plan(parse(queries[q]))
                    hits = ranked_hits(s, queries[q], CANDIDATES, learn=False)
                    data[q] = ([h["id"] for h in hits], features(s, hits, plan, plan.compact))
            finally:
                use_expansions(None)
            run.update(rerun(fit(plain, qrels, [q for q in plain if q not in out], depth), data, held, depth))
    return run
