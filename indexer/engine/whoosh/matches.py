"""Every document a query matches, with its score: on arrays (evaluate.py), else through Whoosh's matchers."""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.collectors import ScoredCollector
from whoosh.searching import Searcher

from ...models import SearchRequest
from .columns import Columns
from .evaluate import evaluate


class _AllMatches(ScoredCollector):  # type: ignore[misc]
    """Collect every matching document with its score (no heap: filters and top-k are done on arrays)."""

    def __init__(self, scored: bool) -> None:
        super().__init__()
        self.scored = scored
        self.docnums: array[int] = array("q")
        self.scores: array[float] = array("d")

    def prepare(self, top_searcher: Any, q: Any, context: Any) -> None:
        super().prepare(top_searcher, q, context if self.scored else context.set(weighting=None))

    def collect(self, sub_docnum: int) -> None:
        self.docnums.append(self.offset + sub_docnum)
        if self.scored:
            self.scores.append(self.matcher.score())

    def results(self) -> Any:
        return None


@dataclass(frozen=True)
class Matches:
    """Every document a query matches (before filters), with scores when ranked by relevance."""

    docnums: np.ndarray
    scores: np.ndarray | None

    def allowed(self, cols: Columns, req: SearchRequest, without: str | None = None) -> np.ndarray:
        """Return a boolean array over docnums: which matches the request shows (see Columns.allowed)."""
        return cols.allowed(self.docnums, req, without)

    def one_per_group(self, cols: Columns, ok: np.ndarray) -> np.ndarray:
        """Return `ok` (a mask over the matches) with copies collapsed (see Columns.one_per_group)."""
        return cols.one_per_group(self.docnums, ok)


def collect(s: Searcher, q: wq.Query, scored: bool, memo: dict[wq.Query, Any] | None = None) -> Matches:
    """Run a query once and return all its matches (and scores): on arrays (indexer/engine/whoosh/evaluate.py), with
    Whoosh's matchers for the parts of the query that are not plain words. `memo`: parts evaluated before
    on this searcher (see evaluate)."""
    if q is wq.NullQuery:
        return Matches(np.zeros(0, dtype=np.int64), np.zeros(0) if scored else None)
    docs, scores = evaluate(s, q, lambda part: _whoosh_arrays(s, part), memo)
    return Matches(docs, scores if scored else None)


def _whoosh_arrays(s: Searcher, q: wq.Query) -> tuple[np.ndarray, np.ndarray]:
    m = collect_with_whoosh(s, q, scored=True)
    return m.docnums, m.scores if m.scores is not None else np.zeros(len(m.docnums))


def collect_with_whoosh(s: Searcher, q: wq.Query, scored: bool) -> Matches:
    """Run a query through Whoosh's matchers, one document at a time (the reference evaluate must equal)."""
    if q is wq.NullQuery:
        return Matches(np.zeros(0, dtype=np.int64), np.zeros(0) if scored else None)
    c = _AllMatches(scored)
    s.search_with_collector(q, c)
    docnums = np.frombuffer(c.docnums, dtype=np.int64) if len(c.docnums) else np.zeros(0, dtype=np.int64)
    scores = (np.frombuffer(c.scores, dtype=np.float64) if len(c.scores) else np.zeros(0)) if scored else None
    return Matches(docnums, scores)
