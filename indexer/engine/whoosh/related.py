"""What a document page shows beside the text: precedents, citations and other copies, cheap to serve.

Precedents keep their definition: the document's 20 key terms (Whoosh's Bo1 expansion model over its title
twice and the first 20,000 characters of its body) are searched as one OR (body, and title at twice the
weight); the 3 x limit most similar documents, other than the document and its copies, are ordered with
those of other agencies first (the page then puts other provinces first too). Whoosh scored that OR one
document at a time: 1 to 5 s for a law or a long notice. Here the same query runs on arrays
(evaluate.py, the same documents and scores as Whoosh's collector), and the key terms are weighed
with a per-version table of collection frequencies written at ingest (termstats.py).

Precedents, citations and copies depend on the index version only (the document's text, its neighbours'
statistics, the citation keys, the duplicate groups written with it), so the backend keeps the last
RELATED_CACHE of each per process, keyed by version and id (VersionCache): a page viewed again costs one
dictionary look-up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from whoosh import query as wq
from whoosh.searching import Results, Searcher

from ...analysis import fold
from .columns import Recent
from .evaluate import evaluate
from .matches import collect_with_whoosh
from .termstats import key_terms

KEY_TERMS = 20  # words of the document that make its similarity query
BODY_CHARS = 20_000  # characters of the body the key terms are drawn from
CANDIDATES = 3  # x limit: the most similar documents that are then ordered other agencies first
RELATED_CACHE = 4096  # documents' related lists kept per process (a few KB each)
T = TypeVar("T")


def similarity_text(rec: dict[str, Any]) -> str:
    """Return the folded text a document's key terms are drawn from (the title counts twice)."""
    title = rec.get("title", "")
    return fold(f"{title}\n{title}\n{(rec.get('body') or '')[:BODY_CHARS]}")


def similarity_query(terms: list[tuple[str, float]]) -> wq.Query:
    """Return the OR of the key terms over the body, and over the title at twice their weight."""
    return wq.Or([wq.Term("body", t, boost=w) for t, w in terms] + [wq.Term("title", t, boost=2 * w) for t, w in terms])


def excluded_query(doc_id: str, group: str) -> wq.Query:
    """Return what a document's precedents leave out: itself and every copy of its duplicate group."""
    return wq.Or([wq.Term("id", doc_id), wq.Term("dup_of", group)])


def most_similar(s: Searcher, rec: dict[str, Any], group: str, limit: int) -> list[Any]:
    """Return Whoosh hits of the limit x CANDIDATES documents most similar to rec, best first (ties: lower
    document number), computed on arrays."""
    terms = key_terms(s, similarity_text(rec), KEY_TERMS)
    if not terms:
        return []
    return ranked(s, similarity_query(terms), excluded_query(rec["id"], group), limit * CANDIDATES)


def ranked(s: Searcher, q: wq.Query, excluded: wq.Query, limit: int) -> list[Any]:
    """Return Whoosh hits of the `limit` best documents of q that `excluded` does not match, best first
    (ties: lower document number, as Whoosh's collector orders them), computed on arrays."""
    docs, scores = evaluate(s, q, lambda part: _whoosh_fallback(s, part))
    gone, _ = evaluate(s, excluded, lambda part: _whoosh_fallback(s, part))
    keep = ~np.isin(docs, gone)
    docs, scores = docs[keep], scores[keep]
    return list(Results(s, q, [(float(scores[i]), int(docs[i])) for i in best(docs, scores, limit)])[:])


def best(docs: np.ndarray, scores: np.ndarray, limit: int) -> np.ndarray:
    """Return the indexes of the `limit` highest scores, ties to the lower document number, best first: the
    first `limit` of a sort of them all, sorting only those that score at least the limit-th best (a key
    term of a common word matches most of the index)."""
    if limit <= 0:
        return np.zeros(0, dtype=np.int64)
    if len(scores) > limit:
        floor = np.partition(scores, len(scores) - limit)[len(scores) - limit]  # the limit-th highest score
        among = np.flatnonzero(scores >= floor)  # ties at the floor kept: the lower numbers go first
    else:
        among = np.arange(len(scores))
    return among[np.lexsort((docs[among], -scores[among]))][:limit]


def _whoosh_fallback(s: Searcher, q: wq.Query) -> tuple[np.ndarray, np.ndarray]:
    m = collect_with_whoosh(s, q, scored=True)
    return m.docnums, m.scores if m.scores is not None else np.zeros(len(m.docnums))


def other_agencies_first(rows: list[Any], agency: str | None, limit: int) -> list[Any]:
    """Return the first limit rows with those of another agency first, each part by similarity (stable)."""
    return sorted(rows, key=lambda r: (bool(agency) and r.get("agency") == agency, -r.score))[:limit]


class VersionCache:
    """The last `size` values computed per (index version, key), shared by a process's threads."""

    def __init__(self, size: int = RELATED_CACHE) -> None:
        self._recent: Recent[Any] = Recent(size)

    def get(self, version: Any, key: Any, compute: Callable[[], T]) -> T:
        """Return the value of key at this version, computing it (outside the lock) when not kept."""
        return self._recent.get((version, key), compute)  # type: ignore[no-any-return]
