"""The learned re-ranker: its shipped model and what it was trained from, its features on a real index, and
the priors read from titles."""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pytest

from bench.train_ranker import MODEL, data_hash, folds, params_hash
from indexer.generations import open_index
from indexer.priors import article_number, kind_of, law_name, priors, short_name
from indexer.query import parse, ranking_plan
from indexer.ranking import ranking_searcher
from indexer.rerank import FEATURES, features, learned, load
from indexer.search import ranked_hits
from tests.conftest import ROOT, need_shared

QUESTION = "用人单位不依法为劳动者缴纳社会保险费的，劳动者可以解除劳动合同吗？"


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def searcher(index_dir):
    with open_index(index_dir).searcher() as s:
        yield ranking_searcher(s)


def test_the_shipped_model_records_its_script_parameters_and_data():
    meta = json.loads(MODEL.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["script_sha256"] == _sha(ROOT / "bench" / "train_ranker.py"), "the training script changed: retrain"
    assert meta["params_sha256"] == params_hash(), "the training parameters changed: retrain"
    assert meta["model_sha256"] == _sha(MODEL)
    assert tuple(meta["features"]) == FEATURES


def test_the_shipped_model_was_trained_on_the_shared_benchmark():
    need_shared(ROOT.parent / "shared" / "corpus" / "benchmarks" / "stard_corpus.jsonl")
    meta = json.loads(MODEL.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["data_sha256"] == data_hash(), "the training data changed: retrain"


def test_the_model_is_loaded_once_per_process():
    first = load()
    assert first is not None and load() is first
    assert first.depth >= 20


def test_features_of_real_hits_are_finite_and_in_range(searcher):
    plan = ranking_plan(parse(QUESTION))
    hits = ranked_hits(searcher, QUESTION, 60, learn=False)
    x = features(searcher, hits, plan, plan.compact)
    assert x.shape == (len(hits), len(FEATURES)) and len(hits) == 60
    assert np.isfinite(x).all()
    for name in ("body_coverage", "title_coverage", "body_pair_coverage", "words_found"):
        col = x[:, FEATURES.index(name)]
        assert (col >= 0).all() and (col <= 1 + 1e-9).all() and col.max() > 0, name
    assert x[0, FEATURES.index("first_share")] == 1.0


def test_the_learned_ranker_reorders_only_the_top_hits_of_a_question(searcher):
    ranker = load()
    plan = ranking_plan(parse(QUESTION))
    hits = ranked_hits(searcher, QUESTION, ranker.depth + 30, learn=False)
    got = learned(searcher, hits, plan, ranker)
    head = ranker.depth
    assert {h.docnum for h in got[:head]} == {h.docnum for h in hits[:head]}
    assert [h.docnum for h in got[head:]] == [h.docnum for h in hits[head:]]
    assert [h.docnum for h in got] == [h.docnum for h in ranked_hits(searcher, QUESTION, head + 30)]


def test_a_keyword_query_keeps_the_first_stage_order(searcher):
    plan = ranking_plan(parse("安全生产 条例"))
    hits = ranked_hits(searcher, "安全生产 条例", 50, learn=False)
    assert not plan.question
    assert [h.docnum for h in learned(searcher, hits, plan)] == [h.docnum for h in hits]


@pytest.mark.parametrize(
    ("title", "name", "article"),
    [
        ("中华人民共和国民法典第一千零七十九条", "中华人民共和国民法典", 1079),
        ("人民检察院刑事诉讼规则（试行）第二百八十四条", "人民检察院刑事诉讼规则(试行)", 284),  # folded
        ("中华人民共和国刑法第十条之一", "中华人民共和国刑法", 10),
        ("山东省安全生产条例", "山东省安全生产条例", 0),
    ],
)
def test_a_title_gives_its_law_and_article(title, name, article, searcher):
    assert law_name(title) == name
    assert priors(searcher.reader(), [title])[0].short == short_name(name)  # what the features compare
    m = __import__("indexer.priors", fromlist=["ARTICLE"]).ARTICLE.search(title)
    assert (article_number(m.group(1)) if m else 0) == article


def test_the_kind_of_a_law_is_read_from_its_name():
    names = ("is_law", "is_regulation", "is_rule", "is_interpretation", "is_decision", "is_local", "is_national")

    def kinds(name: str) -> set[str]:
        return {k for k, v in zip(names, kind_of(name), strict=False) if v}

    assert kinds("中华人民共和国刑法") == {"is_law", "is_national"}
    assert kinds("中华人民共和国民法典") == {"is_law", "is_national"}
    assert kinds("山东省安全生产条例") == {"is_regulation", "is_local"}
    assert kinds("最高人民法院关于审理劳动争议案件适用法律问题的解释") == {"is_interpretation"}
    assert kinds("工伤保险条例") == {"is_regulation"}
    assert short_name("中华人民共和国劳动合同法（2012修正）") == "劳动合同法"


def test_a_law_cited_by_other_documents_has_a_citation_prior(searcher):
    reader = searcher.reader()
    cited = priors(reader, ["中华人民共和国宪法"])[0].values[-1]
    keys = {"中华人民共和国宪法", "宪法"}
    assert cited == math.log1p(sum(reader.doc_frequency("cites", k) for k in keys))
    assert cited > 0


def test_folds_split_the_questions_once_each_with_a_fixed_seed():
    qids = [str(i) for i in range(1235)]
    got = folds(qids)
    assert len(got) == 5 and sorted(q for f in got for q in f) == sorted(qids)
    assert got == folds(list(reversed(qids)))
    assert min(len(f) for f in got) == 247


def test_a_pasted_title_or_sentence_keeps_the_first_stage_order(searcher):
    from indexer.rerank import known_item

    first = ranked_hits(searcher, QUESTION, 1, learn=False)[0]
    title = first["title"]
    for text in (title, f"{title}是什么？"[: len(title)]):
        plan = ranking_plan(parse(text))
        hits = ranked_hits(searcher, text, 40, learn=False)
        assert known_item(searcher, hits[0], plan)
        assert [h.docnum for h in learned(searcher, hits, plan)] == [h.docnum for h in hits]
    assert not known_item(searcher, first, ranking_plan(parse(QUESTION)))


def _eager_bonus(s, hits, plan, w) -> dict[int, float]:
    """The proximity and phrase bonus by its definition: every word's positions read for every hit."""
    from indexer.ranking import _near, _phrase, compact, positions

    idf = {t: s.idf("body", t) for t in plan.words}
    pos = positions(s, [h.docnum for h in hits], plan.words)
    out = {}
    for h in hits:
        d = h.docnum
        score = sum(
            w.pair * (idf[a] + idf[b]) / 2
            for a, b in plan.pairs
            if d in pos[a] and d in pos[b] and _near(pos[a][d], pos[b][d], w.pair_slop)
        )
        if len(plan.sequence) > 1 and (
            (plan.compact and plan.compact in compact(h.get("title") or ""))
            or (all(d in pos[t] for t in plan.sequence) and _phrase([pos[t][d] for t in plan.sequence]))
        ):
            score += w.phrase * sum(idf[t] for t in plan.sequence)
        out[d] = score
    return out


def _queries(searcher) -> list[str]:
    """Questions, titles and sentences of the test index's bodies (their words stand in a row), stop words in."""
    out = [QUESTION, "劳动合同的解除", "的 是 在"]
    for i, fields in enumerate(searcher.all_stored_fields()):
        if i % 7 == 0:
            out.append(fields.get("title") or "")
        if len(out) >= 40:
            break
    for h in ranked_hits(searcher, "劳动者", 10, learn=False):
        out.append((h.get("title") or "")[:12] + "的规定")
    return [q for q in out if q]


def test_the_phrase_check_reads_lazily_and_scores_as_its_definition(searcher):
    from indexer.ranking import WEIGHTS, Weights, _phrase, bonus, compact, positions
    from indexer.rerank import known_item

    phrased = known = 0
    for q in _queries(searcher):
        plan = ranking_plan(parse(q))
        hits = ranked_hits(searcher, q, 100, learn=False)
        for w in (WEIGHTS, Weights(pair=0.0), Weights(phrase=0.0)):
            assert bonus(searcher, hits, plan, w, {}) == _eager_bonus(searcher, hits, plan, w), q
        phrased += sum(v > 0 for v in _eager_bonus(searcher, hits, plan, Weights(pair=0.0)).values())
        if hits:  # the known-item check: the first hit's title holds the query, or its body the words in a row
            d, seq = hits[0].docnum, plan.sequence
            pos = positions(searcher, [d], seq)
            titled = bool(plan.compact) and plan.compact in compact(hits[0].get("title") or "")
            in_row = len(seq) > 1 and all(d in pos[t] for t in seq) and _phrase([pos[t][d] for t in seq])
            assert known_item(searcher, hits[0], plan, {}) == (titled or in_row), q
            known += titled or in_row
    assert phrased > 10 and 0 < known < len(_queries(searcher))  # both ways of each check are exercised


def test_the_ranking_searcher_is_made_once_per_searcher_and_bounds_its_idf_values(index_dir, monkeypatch):
    from whoosh.searching import Searcher

    import indexer.ranking as ranking

    with open_index(index_dir).searcher() as s:
        first = ranking_searcher(s)
        assert ranking_searcher(s) is first and first.reader() is s.reader()
        fresh = Searcher(s.reader(), weighting=ranking.RANKING, closereader=False)
        words = list(ranking_plan(parse(QUESTION)).words)
        assert [first.idf("body", w) for w in words] == [fresh.idf("body", w) for w in words]
        monkeypatch.setattr(ranking, "MAX_IDF", 3)
        assert len(first._idf_cache) > 3
        again = ranking_searcher(s)
        assert again is first and len(again._idf_cache) == 0  # started again, not grown without end
    with open_index(index_dir).searcher() as other:
        assert ranking_searcher(other) is not first  # another version of the index: another searcher


def test_a_words_count_in_the_body_is_its_number_of_positions(searcher):
    """word_features takes each word's count in the body from its postings' weights, as the model was
    trained on the number of its positions there."""
    from indexer.ranking import positions
    from indexer.rerank import term_counts

    for q in (QUESTION, *_queries(searcher)[:12]):
        plan = ranking_plan(parse(q))
        words = list(plan.important or plan.words)
        docnums = [h.docnum for h in ranked_hits(searcher, q, 100, learn=False)]
        pos = positions(searcher, docnums, words)
        expected = np.array([[len(pos[w].get(d, ())) for w in words] for d in docnums], dtype=float)
        assert np.array_equal(term_counts(searcher, "body", docnums, words), expected.reshape(len(docnums), -1)), q
