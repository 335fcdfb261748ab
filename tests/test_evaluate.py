"""Queries evaluated on arrays (indexer/evaluate.py) give exactly Whoosh's documents and scores, real index."""

from __future__ import annotations

import random

import numpy as np
import pytest

from indexer.analysis import fold, words
from indexer.query import parse, to_whoosh
from indexer.ranking import ranking_searcher
from indexer.search import collect, collect_with_whoosh

from .test_golden import GOLDEN
from .test_sphinx_parity import GOLDEN as PARITY_GOLDEN


def sampled_queries(backend, n: int, seed: int) -> list[str]:
    """Words, word pairs and triples, phrases and questions drawn from the indexed documents."""
    rng = random.Random(seed)
    s = backend._searcher()
    docs = [s.stored_fields(d) for d in rng.sample(range(s.doc_count_all()), 40)]
    out = []
    for d in docs:
        ws = [w for w, _, _ in words(fold(d.get("title") or "")) if len(w) >= 2]
        if not ws:
            continue
        out.append(rng.choice(ws))
        out.append(" ".join(rng.sample(ws, min(3, len(ws)))))
        out.append(f'"{"".join(ws[:2])}"')
        out.append((d.get("title") or "") + "如何办理？")
    return out[:n]


def assert_same_as_whoosh(s, text: str) -> int:
    q, _ = to_whoosh(parse(text), reader=s.reader())
    fast, slow = collect(s, q, scored=True), collect_with_whoosh(s, q, scored=True)
    assert np.array_equal(fast.docnums, slow.docnums), text
    assert np.allclose(fast.scores, slow.scores, rtol=1e-9, atol=1e-12), text
    return len(slow.docnums)


def test_golden_and_parity_queries_match_whoosh_exactly(backend):
    s = ranking_searcher(backend._searcher())
    texts = [q for _, q, _ in GOLDEN] + [q for q, _ in PARITY_GOLDEN]
    found = [assert_same_as_whoosh(s, t) for t in texts]
    assert sum(1 for n in found if n > 0) >= len(texts) * 3 // 4  # the comparison is over real matches
    assert max(found) > 500


@pytest.mark.parametrize("seed", [1, 2])
def test_queries_drawn_from_the_documents_match_whoosh_exactly(backend, seed):
    s = ranking_searcher(backend._searcher())
    texts = sampled_queries(backend, 120, seed)
    assert len(texts) >= 80
    found = [assert_same_as_whoosh(s, t) for t in texts]
    assert sum(found) > 1000


def test_several_segments_and_deleted_documents_match_whoosh(tmp_path):
    """An index updated in place: several segments, replaced documents deleted in the older segment."""
    from indexer.build import ingest_items, open_index
    from indexer.sources import Item

    from .conftest import LAWS, head_jsonl, need_shared

    need_shared(LAWS)
    laws = head_jsonl(LAWS, 60)
    ingest_items([Item("a", record=r) for r in laws[:50]], tmp_path / "ix")
    changed = [{**r, "body": r["body"][: len(r["body"]) // 2]} for r in laws[:5]]  # replaced: old copies deleted
    report = ingest_items([Item("b", record=r) for r in changed + laws[50:]], tmp_path / "ix")
    assert not report.rebuilt
    ix = open_index(tmp_path / "ix")
    with ix.searcher() as plain:
        s = ranking_searcher(plain)
        assert not s.reader().is_atomic() and s.reader().has_deletions()
        texts = ["人民政府", "条例 管理", '"法律责任"', "国务院 OR 环境保护", "安全生产 -刑事", "如何申请行政复议？"]
        assert sum(assert_same_as_whoosh(s, text) for text in texts) > 50
        from indexer.ranking import positions

        docs, body_words = list(range(0, s.doc_count_all(), 3)), ["人民政府", "条例", "管理"]
        assert positions(s, docs, body_words) == whoosh_positions(s, docs, body_words)


def test_cached_postings_equal_a_fresh_read_and_cannot_be_changed(backend):
    from indexer import evaluate as ev

    s = backend._searcher()
    leaf = s.leaf_searchers()[0][0].reader()
    term = next(t for t in leaf.lexicon("body") if leaf.doc_frequency("body", t) > 50)
    first = ev.postings(leaf, "body", term, values=True)
    again = ev.postings(leaf, "body", term, values=True)
    fresh = ev._read_postings(leaf, "body", term, True)
    assert again[0] is first[0]  # served from the cache
    assert np.array_equal(first[0], fresh[0]) and np.array_equal(first[1], fresh[1]) and first[2] == fresh[2]
    assert len(first[0]) == leaf.doc_frequency("body", term)
    with pytest.raises(ValueError):
        first[1][0] = 99.0


def whoosh_positions(s, docnums, words) -> dict:
    """Body positions read through Whoosh's matcher, one skip per document (what ranking.positions replaces)."""
    reader, out = s.reader(), {}
    for word in words:
        found = {}
        if ("body", word) in reader:
            m = reader.postings("body", word)
            for d in sorted(set(docnums)):
                if not m.is_active():
                    break
                m.skip_to(d)
                if m.is_active() and m.id() == d:
                    found[d] = list(m.value_as("positions"))
        out[word] = found
    return out


@pytest.mark.parametrize("text", ["人民政府 应当", "安全生产 监督管理 部门", "如何申请政府信息公开？", "国务院"])
def test_positions_for_reranking_equal_whoosh_matchers(backend, text):
    from indexer.ranking import positions
    from indexer.search import collect

    s = ranking_searcher(backend._searcher())
    words_ = [w for w, _, _ in words(fold(text)) if len(w) > 1]
    q, _ = to_whoosh(parse(text), reader=s.reader())
    docs = collect(s, q, scored=True).docnums.tolist()[:150] + [0, s.doc_count_all() - 1]
    got, expected = positions(s, docs, words_), whoosh_positions(s, docs, words_)
    assert got == expected and sum(len(v) for v in got.values()) > 10
