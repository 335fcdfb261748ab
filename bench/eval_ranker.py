"""The learned re-ranker in ``make eval``: every figure by 5-fold cross-validation over the train questions.

Each fold's model is fitted on the other four folds' questions and measured on the held-out fold; the
folds are fixed by a seed. The shipped model (fitted on every train question) is never measured on them:
eval only checks that ``make train-ranker`` reproduces it byte for byte.
"""

from __future__ import annotations

from pathlib import Path

from bench.eval import Qrels, Run, ir_metrics
from bench.train_ranker import DEPTH, MODEL, cross_validate, measure, train

DEPTHS = (50, 100, 200)  # first-stage hits re-ordered: compared here, DEPTH ships
Row = tuple[str, float, float]


def _rows(label: str, run: Run, ref: dict[str, float], qrels: Qrels, names: tuple[str, ...]) -> list[Row]:
    ours = ir_metrics(run, qrels)
    return [(f"{label} {name}", ours[name], ref[name]) for name in names]


def stard_rows(index_dir: Path, queries: dict[str, str], qrels: Qrels, ref_run: Run) -> list[Row]:
    """Return the STARD rows: the first stage alone and re-ranked (held-out folds), copies shown and collapsed."""
    ref = ir_metrics(ref_run, qrels)
    every = measure(index_dir, queries, collapse=False)
    collapsed = measure(index_dir, queries, collapse=True)
    both = ("nDCG@10", "Recall@100")
    rows: list[Row] = []
    for label, data in (("first stage, all", every), ("first stage, coll.", collapsed)):
        rows += _rows(label, {q: ids for q, (ids, _) in data.items()}, ref, qrels, both)
    for depth in DEPTHS:
        label = f"LTR@{depth} CV, all" + (" *" if depth == DEPTH else "")
        names = ("nDCG@10", "Recall@100", "MRR@10", "MAP@100") if depth == DEPTH else both
        rows += _rows(label, cross_validate(every, qrels, depth), ref, qrels, names)
    # what ships: fitted on every copy's candidates, searching with copies collapsed (the default)
    rows += _rows(f"LTR@{DEPTH} CV, coll. *", cross_validate(collapsed, qrels, DEPTH, train=every), ref, qrels, both)
    return rows


def reproduced() -> str:
    """Return whether training again gives the shipped model file, byte for byte."""
    text, meta = train()
    if not MODEL.exists():
        return "ranker model: none shipped (make train-ranker)"
    same = MODEL.read_bytes() == text and MODEL.with_suffix(".json").read_bytes() == meta
    if same:
        return "ranker model: reproduced byte for byte"
    return "ranker model: DIFFERS from training (make train-ranker)"
