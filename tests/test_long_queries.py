"""Long queries (a whole title pasted, a 30-character question): the fast path gives the unoptimised path's
answers exactly (differential: dense unions and the numpy whitespace map against the code they replaced)."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from indexer import highlight
from indexer.analysis import fold
from indexer.engine.whoosh import evaluate
from indexer.models import SearchRequest
from indexer.search import search

from .conftest import LAWS, head_jsonl, need_shared


def reference_compact(text: str) -> tuple[str, list[int]]:
    """highlight._compact as it was: a per-character loop."""
    folded = fold(text)
    offsets = [i for i, ch in enumerate(folded) if not ch.isspace()]
    return "".join(folded[i] for i in offsets), offsets


def reference_union(parts):
    """evaluate.union as it was: every posting sorted."""
    parts = [p for p in parts if len(p[0])]
    if not parts:
        return evaluate.empty()
    if len(parts) == 1:
        return parts[0]
    docs, where = np.unique(np.concatenate([p[0] for p in parts]), return_inverse=True)
    return docs, np.bincount(where, weights=np.concatenate([p[1] for p in parts]), minlength=len(docs))


@pytest.fixture(scope="module")
def long_queries() -> list[str]:
    """Whole titles of laws in the session index, and real questions of 30 characters or more."""
    need_shared(LAWS)
    titles = [r["title"] for r in head_jsonl(LAWS, 1000)[::25] if len(r["title"]) >= 8]
    from bench.corpus import STARD_QUERIES

    need_shared(STARD_QUERIES)
    with STARD_QUERIES.open(encoding="utf-8") as fh:
        questions = [q for q in (json.loads(line)["query"] for line in fh) if len(q) >= 30][:20]
    assert len(titles) >= 20 and len(questions) == 20
    return titles + questions


def test_dense_unions_equal_sorted_unions_to_the_last_bit() -> None:
    rng = np.random.default_rng(7)
    for _ in range(200):
        top = int(rng.integers(1, 5000))
        parts = []
        for _ in range(int(rng.integers(2, 30))):
            docs = np.unique(rng.integers(0, top, size=int(rng.integers(0, top))))
            parts.append((docs.astype(np.int64), rng.random(len(docs)) * 10))
        got, want = evaluate.union(parts), reference_union(parts)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


def test_the_whitespace_map_equals_the_loop_on_real_and_odd_text() -> None:
    rng = random.Random(3)
    odd = " \t\n\r\x0b\x0c\x1c\x85\xa0\u1680\u2000\u2028\u3000　"
    texts = [r["body"] or "" for r in head_jsonl(need_shared(LAWS), 60)]
    texts += ["".join(rng.choice("中华人民共和国 ABC\u200b" + odd) for _ in range(500)) for _ in range(50)]
    for text in texts:
        assert highlight._compact(text) == reference_compact(text)


def test_long_queries_answer_as_the_unoptimised_path(backend, long_queries, monkeypatch) -> None:
    s, store = backend._searcher(), backend.store()
    fast = [search(s, SearchRequest(q=q), store) for q in long_queries]
    monkeypatch.setattr(evaluate, "DENSE_UNION", 0)  # every union sorted, as before
    monkeypatch.setattr(highlight, "_compact", reference_compact)
    slow = [search(s, SearchRequest(q=q), store) for q in long_queries]
    assert sum(p.total > 0 for p in slow) >= len(long_queries) - 2
    for q, a, b in zip(long_queries, fast, slow, strict=True):
        assert (a.total, a.hits, a.facets, a.suggestion) == (b.total, b.hits, b.facets, b.suggestion), q
