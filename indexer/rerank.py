"""Learned re-ranking: a LightGBM lambdarank model re-orders the first stage's top hits.

The features of a hit come from the index and the document only: BM25 of the query's words in the body and
the title, BM25 and coverage of its character pairs, coverage of its important words weighted by idf,
lengths, date and validity, and priors read from the document (its kind from the title: law, 条例, 规定/办法,
judicial interpretation, local regulation; the length of the law's name; how often other documents cite it).
Nothing records how often a document was judged relevant. The model (indexer/data/ranker.txt) is trained by
bench/train_ranker.py and loaded once per process.

No feature reads the words' positions: three did (the query's adjacent words next to each other, its longest
run of words in a row, the most idf within a window of 8 words), together 1.5% of the model's gain, and
their loop over every position was a third of a question's features. Without them, 5-fold cross-validated
nDCG@10 on STARD was 0.4197 against 0.4172 (within the noise of the folds), and a question's page about
3 ms faster. The first stage's proximity and phrase bonus (ranking.bonus) still orders the hits it gets.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.searching import Searcher

from .analysis import fold
from .config import PACKAGE_DATA
from .engine.whoosh.evaluate import field_lengths, postings
from .engine.whoosh.terms import has_term
from .priors import Priors, priors
from .ranking import Memo, Plan, compact, in_phrase, recency

MODEL_PATH = PACKAGE_DATA / "ranker.txt"
K1, B = 1.2, 0.75  # BM25 parameters of the feature scores (Lucene's defaults)
MAX_PAIRS = 16  # character pairs of the query looked up (a pasted paragraph must not cost more)
_CJK = re.compile(r"[\u3400-\u9fff]")
MATCH_FEATURES = (
    "first_score",
    "first_share",
    "first_rank",
    "body_bm25",
    "title_bm25",
    "pair_bm25",
    "body_coverage",
    "title_coverage",
    "title_pair_coverage",
    "body_pair_coverage",
    "words_found",
    "body_length",
    "title_length",
    "recency",
    "valid",
    "name_in_query",
    "query_in_name",
    "query_words",
    "query_chars",
)
FEATURES = MATCH_FEATURES + Priors.NAMES


def query_pairs(text: str) -> list[str]:
    """Return the distinct character pairs of the query's CJK runs, in order (at most MAX_PAIRS)."""
    chars = "".join(ch if _CJK.match(ch) else " " for ch in fold(text))
    out = [run[i : i + 2] for run in chars.split() for i in range(len(run) - 1)]
    return list(dict.fromkeys(out))[:MAX_PAIRS]


def _bm25(tf: np.ndarray, lengths: np.ndarray, avg: float, idf: np.ndarray) -> np.ndarray:
    """Return BM25 per document (rows) summed over terms (columns of tf)."""
    norm = K1 * (1 - B + B * lengths / max(avg, 1e-9))
    return (tf * (K1 + 1) / (tf + norm[:, None]) * idf[None, :]).sum(axis=1)


def _segments(s: Searcher, docnums: Sequence[int]) -> list[tuple[Any, np.ndarray, np.ndarray]]:
    """Return, for each segment holding some of the documents, its reader, the rows of those documents and
    their segment-local numbers."""
    wanted = np.asarray(docnums, dtype=np.int64)
    out = []
    for leaf, offset in s.reader().leaf_readers():
        rows = np.flatnonzero((wanted >= offset) & (wanted < offset + leaf.doc_count_all()))
        if len(rows):
            out.append((leaf, rows, wanted[rows] - offset))
    return out


def _lengths(s: Searcher, fieldname: str, docnums: Sequence[int]) -> np.ndarray:
    """Return the indexed lengths of the given documents in one field."""
    out = np.zeros(len(docnums))
    for leaf, rows, local in _segments(s, docnums):
        out[rows] = field_lengths(leaf, fieldname)[local]
    return out


def term_counts(s: Searcher, fieldname: str, docnums: Sequence[int], terms: Sequence[str]) -> np.ndarray:
    """Return how often each term occurs in each document (rows: documents, columns: terms): each posting's
    weight, which for a field of positions is the number of them (the postings are kept once read: a
    question's character pairs recur in other questions)."""
    out = np.zeros((len(docnums), len(terms)))
    field = s.schema[fieldname]
    leaves = _segments(s, docnums)
    for j, term in enumerate(terms):
        text = field.to_bytes(term)
        for leaf, rows, local in leaves:
            if not has_term(leaf, fieldname, text):
                continue
            docs, weights, _ = postings(leaf, fieldname, text)
            if not len(docs):
                continue
            at = np.minimum(np.searchsorted(docs, local), len(docs) - 1)
            found = docs[at] == local
            out[rows[found], j] = weights[at[found]]
    return out


def _title_counts(titles: Sequence[str], terms: Sequence[str]) -> np.ndarray:
    """Return how often each term occurs in each folded title (rows: titles)."""
    return np.array([[t.count(w) for w in terms] for t in titles], dtype=float).reshape(len(titles), len(terms))


def _coverage(found: np.ndarray, idf: np.ndarray) -> np.ndarray:
    """Return the idf-weighted share of the terms found (columns) in each document (rows)."""
    total = idf.sum()
    if not total:
        return np.zeros(len(found))
    out = np.zeros(len(found))
    for j, weight in enumerate(idf.tolist()):  # term by term, not a BLAS product (its order varies by CPU)
        out += (found[:, j] > 0) * weight
    return out / total


def word_features(
    s: Searcher, docnums: list[int], titles: list[str], plan: Plan, body_len: np.ndarray, title_len: np.ndarray
) -> np.ndarray:
    """Return the word-level columns: BM25 in the body and the title, coverage of each, words found (the
    documents' body and title lengths given)."""
    words = list(plan.important or plan.words)
    n = len(docnums)
    if not words:
        return np.zeros((n, 5))
    idf = np.array([s.idf("body", w) for w in words])
    body_tf = term_counts(s, "body", docnums, words)  # (the first stage read most of these postings)
    title_tf = _title_counts(titles, words)
    body = _bm25(body_tf, body_len + title_len, s.avg_field_length("body") + s.avg_field_length("title"), idf)
    title = _bm25(title_tf, title_len, s.avg_field_length("title"), idf)
    found = body_tf + title_tf
    cov = np.column_stack([_coverage(body_tf, idf), _coverage(title_tf, idf), (found > 0).mean(axis=1)])
    return np.column_stack([body, title, cov])


def pair_features(s: Searcher, docnums: list[int], titles: list[str], text: str) -> np.ndarray:
    """Return the character-pair columns: BM25 in the body, coverage in title and body."""
    pairs = query_pairs(text)
    if not pairs:
        return np.zeros((len(docnums), 3))
    idf = np.array([s.idf("bbody", p) for p in pairs])
    tf = term_counts(s, "bbody", docnums, pairs)
    lengths = _lengths(s, "bbody", docnums)
    bm25 = _bm25(tf, lengths, s.avg_field_length("bbody"), idf)
    return np.column_stack([bm25, _coverage(_title_counts(titles, pairs), idf), _coverage(tf, idf)])


def features(s: Searcher, hits: Sequence[Any], plan: Plan, text: str) -> np.ndarray:
    """Return the feature matrix of the hits (rows, in FEATURES order) for the query text."""
    n = len(hits)
    if not n:
        return np.zeros((0, len(FEATURES)))
    docnums = [h.docnum for h in hits]
    raw_titles = [h.get("title") or "" for h in hits]
    titles = [fold(t) for t in raw_titles]
    scores = np.array([float(h.score or 0.0) for h in hits])
    # math.log1p, not numpy's: numpy picks a vector log by CPU, whose last bit differs (the rank 13's moved a
    # split of the shipped model on another machine)
    first = np.column_stack([scores, scores / max(scores.max(), 1e-9), [math.log1p(i) for i in range(n)]])
    body_len, title_len = _lengths(s, "body", docnums), _lengths(s, "title", docnums)
    w = word_features(s, docnums, titles, plan, body_len, title_len)
    p = pair_features(s, docnums, titles, text)
    known = priors(s.reader(), raw_titles)
    prior = np.array([p.values for p in known])
    folded = fold(text)
    names = [p.short for p in known]  # each law's short name, kept with its priors
    doc = np.array(
        [
            [
                math.log1p(lb),
                math.log1p(lt),
                recency(h.get("date")),
                _validity(h.get("status")),
                float(bool(nm) and nm in folded),
                float(bool(nm) and sum(w in nm for w in plan.important) / max(1, len(plan.important))),
            ]
            for h, nm, lb, lt in zip(hits, names, body_len, title_len, strict=True)
        ]
    )
    query = np.tile([len(plan.important), len(folded)], (n, 1))
    return np.column_stack([first, w[:, :2], p[:, 0], w[:, 2:4], p[:, 1:], w[:, 4:], doc, query, prior])


def _validity(status: str | None) -> float:
    """Return 1 for a document in force, -1 for one repealed or expired, 0 when unknown."""
    if not status:
        return 0.0
    return -1.0 if any(k in status for k in ("失效", "废止", "废除", "已被修改", "历史")) else 1.0


class Ranker:
    """A trained model and what it was trained with (its depth N: how many first-stage hits it re-orders)."""

    def __init__(self, booster: Any, meta: dict[str, Any]) -> None:
        self.booster, self.meta = booster, meta
        self.depth = int(meta["depth"])
        if tuple(meta["features"]) != FEATURES:
            raise ValueError("the ranker model was trained on other features: run `make train-ranker`")

    def scores(self, x: np.ndarray) -> np.ndarray:
        """Return the model's score of each row (one thread: a request must not take both cores)."""
        return np.asarray(self.booster.predict(x, num_threads=1))


_loading = threading.Lock()


@lru_cache(maxsize=2)
def load(path: Path = MODEL_PATH) -> Ranker | None:
    """Return the model at path and its metadata (path with .json), loaded once per process; None if absent."""
    meta_path = path.with_suffix(".json")
    if not path.exists() or not meta_path.exists():
        return None
    import lightgbm

    with _loading:
        booster = lightgbm.Booster(model_file=str(path))
    return Ranker(booster, json.loads(meta_path.read_text(encoding="utf-8")))


def learned(
    s: Searcher, hits: list[Any], plan: Plan, ranker: Ranker | None = None, memo: Memo | None = None
) -> list[Any]:
    """Return the hits with the top N re-ordered by the learned model (questions only; else as they are).
    `memo`: the positions this request read already (see ranking.positions)."""
    ranker = ranker or load()
    if ranker is None or not plan.question or len(hits) < 2:
        return hits
    if known_item(s, hits[0], plan, memo):  # (before the features: a pasted title does not pay for them)
        return hits
    head, tail = hits[: ranker.depth], hits[ranker.depth :]
    x = features(s, head, plan, plan.compact)
    order = np.argsort(-ranker.scores(x), kind="stable")
    return [head[i] for i in order] + tail


def known_item(s: Searcher, first: Any, plan: Plan, memo: Memo | None = None) -> bool:
    """Tell whether the first hit holds the whole query in a row (in its title, or as a phrase of its body):
    a pasted title or sentence, which the first stage already ranks first (the model learned from questions)."""
    if plan.compact and plan.compact in compact(first.get("title") or ""):
        return True
    return len(plan.sequence) > 1 and bool(in_phrase(s, [first.docnum], plan.sequence, {}, memo))
