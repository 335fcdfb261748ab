"""Copy detection and the cost of collapsing, measured: `python -m bench.eval_copies` (also run by `make eval`).

1. On the labelled pairs of tests/data/copy_pairs.jsonl (bench/copy_pairs.py), precision and recall of
   "these two are copies" (indexer.identity.is_copy), the similarity threshold chosen by 5-fold
   cross-validation: for each fold, the threshold with the best F1 on the other four, scored on the fold
   held out; the figures printed are the held-out ones, pooled.
2. On STARD, how many articles collapsing hides, and how many of those are judged relevant (the relevance
   figures with copies collapsed and shown are bench/eval_ranker.py's cross-validated rows).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.copy_pairs import PAIRS, SHARED, Pair, load_pairs
from indexer.duplicates import signature, similarity
from indexer.identity import COPY_THRESHOLD, Facts, canonical_copy, facts_of, is_copy, relation
from indexer.models import Document, SkipDocument

FOLDS = 5
SEED = 19
GRID = tuple(round(0.40 + 0.05 * i, 2) for i in range(12))  # 0.40 .. 0.95


@dataclass(frozen=True)
class Judged:
    """A labelled pair reduced to what the rules read: both records' facts and their text similarity."""

    pair: Pair
    a: Facts
    b: Facts
    sim: float

    def predicted(self, threshold: float) -> bool:
        """Tell whether the rules call this pair copies at the given threshold."""
        return is_copy(self.a, self.b, self.sim, threshold)


def judge(pairs: Sequence[Pair]) -> list[Judged]:
    """Return the pairs with their facts and estimated similarity."""
    out = []
    for p in pairs:
        sim = similarity(signature(p.a.title, p.a.body), signature(p.b.title, p.b.body))
        out.append(Judged(p, facts_of(p.a.to_record()), facts_of(p.b.to_record()), sim))
    return out


def counts(judged: Sequence[Judged], threshold: float) -> tuple[int, int, int]:
    """Return (true positives, false positives, false negatives) of copy detection."""
    tp = fp = fn = 0
    for j in judged:
        said, truth = j.predicted(threshold), j.pair.label == "copy"
        tp += said and truth
        fp += said and not truth
        fn += truth and not said
    return tp, fp, fn


def f1(tp: int, fp: int, fn: int) -> float:
    """Return the F1 score of the counts."""
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def choose(judged: Sequence[Judged]) -> float:
    """Return the threshold of GRID with the best F1 on these pairs (the higher one on a tie)."""
    return max(GRID, key=lambda t: (f1(*counts(judged, t)), t))


def _read_line() -> str:
    """Say how the labels were given: read by hand, and how often reading changed the rule's label."""
    from bench.copy_pairs import readings

    read = readings()
    changed = sum(not r["agrees"] for r in read.values())
    return f"  labels: {len(read)} pairs read by hand (every real pair, some built ones); reading changed {changed}"


def cross_validate(judged: Sequence[Judged]) -> tuple[int, int, int, list[float]]:
    """Return pooled held-out (tp, fp, fn) over FOLDS folds and the threshold each fold chose."""
    order = list(range(len(judged)))
    random.Random(SEED).shuffle(order)
    tp = fp = fn = 0
    chosen = []
    for k in range(FOLDS):
        held = [judged[i] for i in order[k::FOLDS]]
        train = [judged[i] for n, i in enumerate(order) if n % FOLDS != k]
        t = choose(train)
        chosen.append(t)
        a, b, c = counts(held, t)
        tp, fp, fn = tp + a, fp + b, fn + c
    return tp, fp, fn, chosen


def copy_rows(judged: Sequence[Judged]) -> list[str]:
    """Return the lines of the copy-detection report."""
    tp, fp, fn, chosen = cross_validate(judged)
    p, r = tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0
    positives = sum(j.pair.label == "copy" for j in judged)
    built = sum(j.pair.label == "copy" and j.pair.kind.startswith("built") for j in judged)
    lines = [
        f"copy detection on {len(judged)} labelled pairs ({positives} copies, {built} of them built reposts):",
        f"  held-out ({FOLDS}-fold CV) precision {p:.4f}  recall {r:.4f}  (tp {tp}, fp {fp}, fn {fn});"
        f" thresholds chosen per fold {chosen}; in use {COPY_THRESHOLD}",
        _read_line(),
    ]
    for j in judged:
        if j.predicted(COPY_THRESHOLD) != (j.pair.label == "copy"):
            lines.append(f"  wrong at {COPY_THRESHOLD}: {j.pair.name} {j.pair.kind} ({j.pair.label}) sim {j.sim:.2f}")
    built_copies = [j for j in judged if j.pair.label == "copy" and j.pair.kind.startswith("built")]
    shown = sum(canonical_copy([j.b, j.a]).doc_id == j.a.doc_id for j in built_copies)
    lines.append(
        f"  the copy shown for a built repost and its original: the original in {shown} of {len(built_copies)}"
    )
    confusion: dict[tuple[str, str], int] = {}
    for j in judged:
        key = (j.pair.label, relation(j.a, j.b, j.sim))
        confusion[key] = confusion.get(key, 0) + 1
    lines.append(
        "  relation (label -> rules): " + ", ".join(f"{a}->{b} {n}" for (a, b), n in sorted(confusion.items()))
    )
    return lines


def corpus_rows() -> list[str]:
    """Group the development corpus (laws, policy metadata, the saved pages) as ingest does; count the
    copies that collapsing hides and the groups that mix 文号 or governments (the rules allow none)."""
    from bench.copy_pairs import FIXTURES, _read
    from indexer.duplicates import group_copies

    records = _read("lawrefbook_laws.jsonl") + _read("policy_transparency_metadata.jsonl")
    pages = sorted((SHARED / FIXTURES).glob("*.html"))
    records += [{"id": p.stem, "html": p.read_text("utf-8", errors="replace"), "url": f"file:{p.name}"} for p in pages]
    docs = list(_documents(records))
    facts = {d.doc_id: facts_of(d.to_record()) for d in docs}
    groups = group_copies((facts[d.doc_id], signature(d.title, d.body)) for d in docs)
    members: dict[str, list[Facts]] = {}
    for doc_id, group in groups.items():
        members.setdefault(group, []).append(facts[doc_id])
    shared = [m for m in members.values() if len(m) > 1]
    numbers = sum(len({f.doc_number for f in m if f.doc_number}) > 1 for m in shared)
    regions = sum(len({f.region for f in m if f.region}) > 1 for m in shared)
    hidden = sum(len(m) - 1 for m in shared)
    return [
        f"copies in the development corpus ({len(docs)} records): {len(shared)} groups of copies, {hidden} records "
        f"hidden when collapsed; groups holding two 文号: {numbers}, two region paths (one above the other): {regions}"
    ]


def _documents(records: list[dict[str, Any]]) -> Iterator[Document]:
    """Yield the Document of each record that ingest would take (a record with no text is skipped)."""
    from indexer.pipeline import to_document

    for rec in records:
        try:
            yield to_document(rec)
        except SkipDocument:
            continue


def collapse_rows(index_dir: Path, queries: dict[str, str], qrels: dict[str, set[str]]) -> list[str]:
    """Return how many STARD articles collapsing hides, and where the relevance figures with copies
    collapsed and shown are: the STARD rows of bench/eval_ranker.py, held out by 5-fold cross-validation.
    (Searching here with the shipped model would score questions it was trained on: in-sample.)"""
    from indexer.generations import store_path
    from indexer.store import RecordStore

    store = RecordStore(store_path(index_dir), readonly=True)
    hidden = store.db.execute("SELECT count(*) FROM records WHERE dup_of != id").fetchone()[0]
    judged = {d for rel in qrels.values() for d in rel}
    rows = store.db.execute("SELECT id FROM records WHERE dup_of != id").fetchall()
    store.close()
    judged_hidden = sum(1 for (doc_id,) in rows if doc_id in judged)
    return [
        f"collapsing copies on STARD: {hidden} articles hidden behind a copy, {judged_hidden} of them judged"
        f" relevant for one of {len(queries)} questions; nDCG@10 and Recall@100 with copies collapsed and"
        " shown: the STARD rows above ('first stage, all / coll.', 'LTR CV, all / coll.'), held out by 5-fold CV"
    ]


def report(stard: tuple[Path, dict[str, str], dict[str, set[str]]] | None = None) -> str:
    """Return the copy-detection report, and the collapse comparison when given STARD's index and queries."""
    if not PAIRS.exists() or not SHARED.exists():
        return "copy detection skipped: tests/data/copy_pairs.jsonl or ../shared is absent"
    lines = copy_rows(judge(load_pairs())) + corpus_rows()
    if stard is not None:
        lines += collapse_rows(*stard)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the copy-detection report (with --stard, also the collapse comparison on STARD)."""
    ap = argparse.ArgumentParser(prog="python -m bench.eval_copies")
    ap.add_argument("--stard", action="store_true", help="also compare collapsing on STARD (builds its index)")
    args = ap.parse_args(argv)
    stard: Any = None
    if args.stard:
        from bench.eval import STARD_DOCS, STARD_QRELS, STARD_QUERIES, cached_index, read_jsonl, read_qrels

        queries = {r["qid"]: r["query"] for r in read_jsonl(STARD_QUERIES)}
        qrels = {q: r for q, r in read_qrels(STARD_QRELS).items() if q in queries}
        stard = (cached_index("stard", read_jsonl(STARD_DOCS)), queries, qrels)
    print(report(stard))
    return 0


if __name__ == "__main__":
    sys.exit(main())
