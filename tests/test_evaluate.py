"""Queries evaluated on arrays (engine/whoosh/evaluate.py) give exactly Whoosh's documents and scores, real index."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from indexer.analysis import fold, words
from indexer.engine.whoosh.matches import collect, collect_with_whoosh
from indexer.query import parse, to_whoosh
from indexer.ranking import ranking_searcher

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
    from indexer.generations import open_index
    from indexer.ingest import ingest_items
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
    from indexer.engine.whoosh import evaluate as ev

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
    from indexer.engine.whoosh.matches import collect
    from indexer.ranking import positions

    s = ranking_searcher(backend._searcher())
    words_ = [w for w, _, _ in words(fold(text)) if len(w) > 1]
    q, _ = to_whoosh(parse(text), reader=s.reader())
    docs = collect(s, q, scored=True).docnums.tolist()[:150] + [0, s.doc_count_all() - 1]
    got, expected = positions(s, docs, words_), whoosh_positions(s, docs, words_)
    assert got == expected and sum(len(v) for v in got.values()) > 10


def test_postings_kept_as_arrays_read_as_whooshs_matcher_gives_them(tmp_path, monkeypatch):
    """Every term the bulk writer keeps as arrays (and not in blocks) reads back, straight from the arrays, as
    the documents and weights Whoosh's matcher of the term gives (ArrayMatcher, whose postings
    test_segments compares with Whoosh's own writer's), deleted documents left out;
    positions and phrases read from the arrays, or encoded from them as values, equal Whoosh's."""
    from indexer.engine.whoosh import evaluate as ev
    from indexer.engine.whoosh import segments
    from indexer.generations import open_index
    from indexer.ingest import ingest_items
    from indexer.ranking import positions
    from indexer.sources import Item

    from .conftest import LAWS, head_jsonl, need_shared

    need_shared(LAWS)
    monkeypatch.setattr(segments, "ARRAY_MIN_DF", 2)  # every term with 2+ postings (the workers are forked)
    laws = head_jsonl(LAWS, 300)
    ingest_items([Item("a", record=r) for r in laws[:250]], tmp_path / "ix")
    changed = [{**r, "body": r["body"][: len(r["body"]) // 2]} for r in laws[:20]]  # old copies deleted
    assert not ingest_items([Item("b", record=r) for r in changed + laws[250:]], tmp_path / "ix").rebuilt
    ix = open_index(tmp_path / "ix")
    monkeypatch.setattr(ev, "POSTINGS_CACHE", 2**40)  # no directory evicted while this test reads them all
    ev.clear_caches()
    with ix.searcher() as s:
        read: dict[str, dict] = {"arrays": {}, "matcher": {}}
        for way in read:
            if way == "matcher":
                monkeypatch.setattr(ev, "_arrays_entry", lambda *a: None)
            for leaf, _ in s.reader().leaf_readers():
                for field in ("title", "body", "ctitle", "cbody", "btitle", "bbody", "canonical"):
                    for text in leaf.lexicon(field):
                        key = ev._postings_key(leaf, field, text, False)
                        if way == "arrays" and ev._arrays_entry(leaf, field, text) is None:
                            continue
                        if way == "matcher" and key not in read["arrays"]:
                            continue
                        docs, weights, _ = ev._read_postings(leaf, field, text, False)
                        read[way][key] = (docs, weights)
        monkeypatch.undo()
        assert len(read["arrays"]) > 1000 and s.reader().has_deletions() and not s.reader().is_atomic()
        assert read["arrays"].keys() == read["matcher"].keys()
        for key, (docs, weights) in read["arrays"].items():
            expected = read["matcher"][key]
            assert np.array_equal(docs, expected[0]) and np.array_equal(weights, expected[1]), key
        rs = ranking_searcher(s)
        docs, body_words = list(range(0, rs.doc_count_all(), 2)), ["人民政府", "条例", "管理", "应当"]
        phrases = ['"人民政府"', '"法律责任"', '"县级以上地方人民政府"', '"安全生产"', '"国务院有关部门"', "人民 条例"]
        in_arrays, jumps = [], []
        real_phrase = ev.phrase_in_arrays
        monkeypatch.setattr(ev, "phrase_in_arrays", lambda *a: in_arrays.append(real_phrase(*a)) or in_arrays[-1])
        real_values = ev._array_values
        monkeypatch.setattr(ev, "_array_values", lambda *a: jumps.append(a) or real_values(*a))
        # 1. positions from the segments' position arrays
        assert positions(rs, docs, body_words) == whoosh_positions(rs, docs, body_words)
        assert sum(assert_same_as_whoosh(rs, text) for text in phrases) > 50
        assert any(keep is not None for keep in in_arrays)  # (the small segment of the update has no arrays)
        jumps.clear()
        # a later rebuild may delete this generation while a searcher still reads it: the open files still read
        queries = [to_whoosh(parse(text), reader=rs.reader())[0] for text in phrases]
        before = [collect(rs, q, scored=True) for q in queries]
        for f in Path(ix.storage.folder).glob("*.ar[rd]"):
            f.unlink()
        ev._postings.clear()
        after = [collect(rs, q, scored=True) for q in queries]
        assert all(
            np.array_equal(a.docnums, b.docnums) and np.array_equal(a.scores, b.scores)
            for a, b in zip(before, after, strict=True)
        )
        assert any(keep is not None for keep in in_arrays[-len(phrases) :])
        # 2. without them: as encoded values (Whoosh's Positions format), from the arrays
        monkeypatch.setattr(ev, "position_arrays", lambda *a: None)
        assert positions(rs, docs, body_words) == whoosh_positions(rs, docs, body_words)
        assert sum(assert_same_as_whoosh(rs, text) for text in phrases) > 50
        assert jumps  # (their values encoded from the arrays, not read from blocks: the terms have none)


def test_remembered_frequencies_equal_whoosh_and_stay_bounded(backend, monkeypatch):
    """engine/whoosh/terms.py: each segment's frequency of a term, remembered, is Whoosh's own (present
    and absent terms, every field), and the process keeps at most two generations of MAX_TERMS entries."""
    from indexer.engine.whoosh import terms

    reader = backend._searcher().reader()
    asked = 0
    for fieldname in ("body", "title", "cbody", "cites"):
        some = [t for t, _ in zip(reader.lexicon(fieldname), range(60), strict=False)]
        for text in some + [b"\xe5\xbd\xa7\xe7\x8a\x87", b"zzqqxx"]:  # two terms no document holds
            for leaf, _ in reader.leaf_readers():
                assert terms.segment_frequency(leaf, fieldname, text) == leaf.doc_frequency(fieldname, text)
                assert terms.has_term(leaf, fieldname, text) == ((fieldname, text) in leaf)
            assert terms.doc_frequency(reader, fieldname, text) == reader.doc_frequency(fieldname, text)
            asked += 1
    assert asked > 100
    assert terms.doc_frequency(reader, "no_such_field", "x") == 0
    monkeypatch.setattr(terms, "MAX_TERMS", 50)
    terms.forget()
    for text in [t for t, _ in zip(reader.lexicon("body"), range(400), strict=False)]:
        terms.doc_frequency(reader, "body", text)
        assert len(terms._young) <= 50 and len(terms._old) <= 50
    assert len(terms._young) + len(terms._old) > 50  # the older generation is kept, not dropped at once


def _same_postings_as_whoosh(reader) -> dict[str, int]:
    """Compare terms.postings (from the remembered term info) and evaluate._read_blocks (one read of a term's
    blocks) with Whoosh's leaf.postings for the first terms of four fields in every segment, and count the
    kinds of terms met."""
    from whoosh.codec.whoosh3 import W3TermInfo

    from indexer.engine.whoosh import evaluate as ev
    from indexer.engine.whoosh import terms
    from indexer.engine.whoosh.codec import ARRAYS_ONLY

    kinds = {"blocks": 0, "arrays": 0, "inlined": 0, "deleted": 0, "direct": 0}
    terms.forget()
    for leaf, _ in reader.leaf_readers():
        for fieldname in ("body", "title", "bbody", "cites"):
            for text, _ in zip(leaf.lexicon(fieldname), range(300), strict=False):
                for _ in range(2):  # looked up, then remembered
                    ours = terms.postings(leaf, fieldname, text)
                    assert list(ours.all_items()) == list(leaf.postings(fieldname, text).all_items())
                direct = ev._read_blocks(leaf, fieldname, text)  # one read of the term's blocks, not Whoosh's
                if direct is not None:
                    m, ids, weights = leaf.postings(fieldname, text), [], []
                    while m.is_active():
                        ids.append(m.id())
                        weights.append(m.weight())
                        m.next()
                    assert direct[0].tolist() == ids and direct[1].tolist() == weights, (fieldname, text)
                    kinds["direct"] += 1
                info = leaf.term_info(fieldname, text)
                kind = "inlined" if info.is_inlined() else "arrays" if info.extent()[0] == ARRAYS_ONLY else "blocks"
                kinds[kind] += 1
                kinds["deleted"] += bool(leaf.has_deletions())
                assert isinstance(info, W3TermInfo)
    return kinds


def test_postings_from_remembered_term_infos_equal_whoosh(backend, tmp_path):
    """terms.postings opens a term's postings from the term info remembered with its frequency: the same
    postings as Whoosh's own look-up, for terms in blocks, in arrays and inlined, deleted documents left out."""
    kinds = _same_postings_as_whoosh(backend._searcher().reader())
    assert kinds["blocks"] and kinds["arrays"] and kinds["inlined"] and kinds["direct"]
    from indexer.generations import open_index
    from indexer.ingest import ingest_items
    from indexer.sources import Item

    from .conftest import LAWS, head_jsonl, need_shared

    need_shared(LAWS)
    laws = head_jsonl(LAWS, 60)
    ingest_items([Item("a", record=r) for r in laws[:50]], tmp_path / "ix")
    changed = [{**r, "body": r["body"][: len(r["body"]) // 2]} for r in laws[:5]]  # old copies deleted
    assert not ingest_items([Item("b", record=r) for r in changed + laws[50:]], tmp_path / "ix").rebuilt
    with open_index(tmp_path / "ix").searcher() as s:
        assert s.reader().has_deletions()
        assert _same_postings_as_whoosh(s.reader())["deleted"]


def test_small_field_frequencies_equal_whoosh(backend):
    """terms.field_frequencies: every term of the cites field with Whoosh's document frequency."""
    from indexer.engine.whoosh import terms

    reader = backend._searcher().reader()
    table = terms.field_frequencies(reader, "cites")
    assert table is not None and len(table) > 20
    assert table == {t: reader.doc_frequency("cites", t) for t in reader.lexicon("cites")}
    assert terms.field_frequencies(reader, "no_such_field") == {}


def test_a_dense_union_sums_each_documents_scores_as_the_sorted_way_does():
    """The union of many postings sums over every document number; the scores are those of the sorted
    union (each document's scores added in the parts' order), to the last bit."""
    from indexer.engine.whoosh.evaluate import DENSE_UNION, union

    rng = np.random.default_rng(8)
    for _ in range(20):
        top = int(rng.integers(50, 5000))
        parts = []
        for _ in range(int(rng.integers(2, 12))):
            docs = np.sort(rng.choice(top, int(rng.integers(1, top)), replace=False)).astype(np.int64)
            parts.append((docs, rng.random(len(docs)) * rng.choice([1e-3, 1.0, 1e3])))
        assert sum(len(p[0]) for p in parts) * DENSE_UNION >= int(max(p[0][-1] for p in parts)) + 1  # dense
        found, where = np.unique(np.concatenate([p[0] for p in parts]), return_inverse=True)
        sums = np.bincount(where, weights=np.concatenate([p[1] for p in parts]), minlength=len(found))
        docs, scores = union(parts)
        assert np.array_equal(docs, found) and scores.tobytes() == sums.tobytes()


def test_hash_file_reads_with_pread_equal_whooshs(backend):
    """terms.table_get reads a key's value from a segment's term table with os.pread as Whoosh's
    HashReader.get does with seeks: the same value for every present key read, None for absent ones."""
    from indexer.engine.whoosh import terms

    reader = backend._searcher().reader()
    present = absent = 0
    for leaf, _ in reader.leaf_readers():
        tindex = leaf._terms._tindex
        assert tindex.dbfile.is_real
        for fieldname in ("body", "bbody", "title", "cites", "id"):
            for i, text in enumerate(leaf.lexicon(fieldname)):
                if i % 5:
                    continue
                key = leaf._terms._keycoder(fieldname, text)
                assert terms.table_get(tindex, key) == tindex.get(key)
                present += 1
                for missing in (key + b"\x00", key[:-1], key + "无".encode()):
                    assert terms.table_get(tindex, missing) == tindex.get(missing)
                    absent += tindex.get(missing) is None
    assert present > 1000 and absent > 1000


def test_kept_idf_equals_whooshs(backend):
    """searcher.KeptBM25F: the searcher that document pages search with takes each word's idf by Whoosh's
    BM25F formula, its document frequency from the remembered ones: the same value as Whoosh's own."""
    from whoosh.scoring import BM25F
    from whoosh.searching import Searcher

    from indexer.engine.whoosh.searcher import KeptBM25F

    s = backend._searcher()
    assert isinstance(s.weighting, KeptBM25F)
    reader = s.reader()
    kept = Searcher(reader, weighting=KeptBM25F(), closereader=False)
    plain = Searcher(reader, weighting=BM25F(), closereader=False)
    asked = 0
    for fieldname in ("body", "title", "bbody", "cites"):
        for text, _ in zip(reader.lexicon(fieldname), range(80), strict=False):
            for term in (text, text + b"\xe6\x97\xa0"):  # present, and (most often) absent
                assert kept.idf(fieldname, term) == plain.idf(fieldname, term)
                asked += 1
    assert asked > 400


def test_an_and_reads_its_smallest_parts_first_and_stops_at_an_empty_one(backend, monkeypatch):
    """A misspelt word's part is empty: an AND reads it before a common word's postings and reads no more;
    the parts of an AND that matches are still joined in the query's order (the same scores as Whoosh)."""
    from indexer.engine.whoosh import evaluate as ev

    s = ranking_searcher(backend._searcher())
    read: list[bytes] = []
    original = ev._Evaluator.leaf_term

    def counting(self, leaf, fieldname, text, values=False):
        read.append(text)
        return original(self, leaf, fieldname, text, values)

    monkeypatch.setattr(ev._Evaluator, "leaf_term", counting)
    common = "人民政府"
    assert assert_same_as_whoosh(s, f"{common} 靐靐") == 0
    assert common.encode() not in read  # the empty part came first: the common word was never read
    read.clear()
    assert assert_same_as_whoosh(s, f"{common} 条例 管理") > 0  # all parts read, joined in the query's order
    assert common.encode() in read
