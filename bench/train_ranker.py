"""Train the learned re-ranker on the STARD train questions, and cross-validate it.

``python -m bench.train_ranker`` (``make train-ranker``) writes indexer/data/ranker.txt (LightGBM's text model)
and ranker.json (its features, depth and the hashes of this script, its parameters and its training data);
the same settings give the same bytes. bench/eval.py reports the model by 5-fold cross-validation over
questions (fit on four folds, measured on the fifth) and checks that the shipped file is reproduced.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.eval import (
    CACHE,
    ROOT,
    STARD_DOCS,
    STARD_QRELS,
    STARD_QUERIES,
    Qrels,
    Run,
    cached_index,
    read_jsonl,
    read_qrels,
)

MODEL = ROOT / "indexer" / "data" / "ranker.txt"
DEPTH = 100  # first-stage hits the model re-orders (bench/eval compares 50, 100 and 200 by cross-validation)
CANDIDATES = 200  # first-stage hits whose features are measured (the deepest N compared)
FOLDS, SEED = 5, 20240601
ROUNDS = 300  # boosting rounds
PARAMS: dict[str, Any] = {  # LightGBM's own names (lightgbm.train: no scikit-learn needed)
    "objective": "lambdarank",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 20,
    "lambda_l2": 1.0,
    "deterministic": True,  # with force_row_wise, fixed threads and seed: the same model file every run
    "force_row_wise": True,
    "num_threads": 1,  # fixed; 2 threads ran 10x slower here (OpenMP waits on a loaded 2-core machine)
    "seed": SEED,
    "verbose": -1,
}
Data = dict[str, tuple[list[str], np.ndarray]]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def code_hash() -> str:
    """Return a hash of the code that computes features (a change invalidates cached features)."""
    h = hashlib.sha256()
    for name in ("rerank.py", "priors.py", "ranking.py", "query.py", "search.py", "engine/whoosh/evaluate.py"):
        path = ROOT / "indexer" / name
        if path.exists():
            h.update(name.encode() + path.read_bytes())
    return h.hexdigest()[:12]


def data_hash() -> str:
    """Return a hash of the training data: the corpus, the questions and their judgments."""
    return _sha(b"".join(_sha(p.read_bytes()).encode() for p in (STARD_DOCS, STARD_QUERIES, STARD_QRELS)))


def measure(index_dir: Path, queries: dict[str, str], collapse: bool) -> Data:
    """Return each question's first-stage candidates (ids) and their features, cached per code version."""
    from indexer.expansions import use_expansions
    from indexer.generations import open_index
    from indexer.query import parse, ranking_plan
    from indexer.ranking import ranking_searcher
    from indexer.rerank import features
    from indexer.search import ranked_hits

    key = f"{index_dir.name}-{code_hash()}-{CANDIDATES}-{int(collapse)}-{len(queries)}"
    path = CACHE / f"features-{key}.pkl"
    if path.exists():
        return pickle.loads(path.read_bytes())
    start, out = time.monotonic(), {}
    use_expansions({})  # no mined map: the shipped one was mined from these questions (its gain: eval_expansions)
    try:
        with open_index(index_dir).searcher() as s:
            s = ranking_searcher(s)
            for qid, text in queries.items():
                plan = ranking_plan(parse(text))
                hits = ranked_hits(s, text, CANDIDATES, collapse=collapse, learn=False)
                out[qid] = ([h["id"] for h in hits], features(s, hits, plan, plan.compact))
    finally:
        use_expansions(None)
    took = time.monotonic() - start
    print(f"  features of {len(queries)} questions: {1000 * took / len(queries):.0f} ms each", file=sys.stderr)
    for old in CACHE.glob(f"features-{index_dir.name}-*-{int(collapse)}-*.pkl"):
        old.unlink()
    path.write_bytes(pickle.dumps(out))
    return out


def fit(data: Data, qrels: Qrels, qids: Sequence[str], depth: int) -> Any:
    """Return a LightGBM lambdarank booster fitted on the questions' top `depth` candidates."""
    import lightgbm

    xs, ys, groups = [], [], []
    for q in sorted(qids):
        ids, x = data[q]
        ids, x = ids[:depth], x[:depth]
        if not ids:
            continue
        xs.append(x)
        ys.append(np.array([int(d in qrels.get(q, ())) for d in ids]))
        groups.append(len(ids))
    dataset = lightgbm.Dataset(np.vstack(xs), np.concatenate(ys), group=groups, params={"verbose": -1})
    return lightgbm.train(PARAMS, dataset, num_boost_round=ROUNDS)


def rerun(booster: Any, data: Data, qids: Sequence[str], depth: int) -> Run:
    """Return the run of the questions with each top `depth` re-ordered by the booster."""
    out: Run = {}
    for q in qids:
        ids, x = data[q]
        if len(ids) < 2:
            out[q] = list(ids)
            continue
        order = np.argsort(-booster.predict(x[:depth], num_threads=1), kind="stable")
        out[q] = [ids[i] for i in order] + ids[depth:]
    return out


def folds(qids: Sequence[str], k: int = FOLDS, seed: int = SEED) -> list[list[str]]:
    """Split the questions into k folds at random with a fixed seed."""
    order = sorted(qids)
    random.Random(seed).shuffle(order)
    return [order[i::k] for i in range(k)]


def cross_validate(data: Data, qrels: Qrels, depth: int, train: Data | None = None) -> Run:
    """Return the held-out run of every question: each fold re-ranked by a model fitted on the others
    (on `train`'s candidates when given: e.g. fitted without collapsing, measured with it)."""
    run: Run = {}
    for held in folds(list(data)):
        out = set(held)
        booster = fit(train or data, qrels, [q for q in data if q not in out], depth)
        run.update(rerun(booster, data, held, depth))
    return run


def load_stard() -> tuple[dict[str, str], Qrels, Path]:
    """Return the train questions, their judgments and our index of the STARD corpus."""
    queries = {r["qid"]: r["query"] for r in read_jsonl(STARD_QUERIES)}
    qrels = {q: r for q, r in read_qrels(STARD_QRELS).items() if q in queries}
    return queries, qrels, cached_index("stard", read_jsonl(STARD_DOCS))


def train(model_path: Path = MODEL) -> tuple[bytes, bytes]:
    """Return the model file and its metadata, fitted on every train question (what ships)."""
    from indexer.rerank import FEATURES

    queries, qrels, index_dir = load_stard()
    data = measure(index_dir, queries, collapse=False)
    booster = fit(data, qrels, list(data), DEPTH)
    text = booster.model_to_string(num_iteration=-1).encode("utf-8")
    meta = {
        "depth": DEPTH,
        "features": list(FEATURES),
        "script_sha256": _sha((ROOT / "bench" / "train_ranker.py").read_bytes()),
        "params_sha256": params_hash(),
        "data_sha256": data_hash(),
        "model_sha256": _sha(text),
        "questions": len(data),
    }
    return text, (json.dumps(meta, indent=1, sort_keys=True) + "\n").encode("utf-8")


def params_hash() -> str:
    """Return a hash of the training parameters and depth."""
    return _sha(json.dumps({**PARAMS, "rounds": ROUNDS, "depth": DEPTH}, sort_keys=True).encode())


def main(argv: list[str] | None = None) -> int:
    """Train on every train question and write the model; --check only compares with the shipped file."""
    ap = argparse.ArgumentParser(prog="python -m bench.train_ranker")
    ap.add_argument("--check", action="store_true", help="exit 1 unless training reproduces the shipped file")
    args = ap.parse_args(argv)
    if not STARD_DOCS.exists():
        print(f"training data not found ({STARD_DOCS}): ../shared is absent", file=sys.stderr)
        return 2
    text, meta = train()
    if args.check:
        same = MODEL.exists() and MODEL.read_bytes() == text and MODEL.with_suffix(".json").read_bytes() == meta
        print("ranker model reproduced byte for byte" if same else "ranker model differs: run make train-ranker")
        return 0 if same else 1
    MODEL.write_bytes(text)
    MODEL.with_suffix(".json").write_bytes(meta)
    print(f"wrote {MODEL.relative_to(ROOT)} ({len(text):,} bytes) and its metadata")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
