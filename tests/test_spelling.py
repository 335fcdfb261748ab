"""Typo corrections: bounded look-ups (the work is counted, never timed), sound-alike words first, and the
page that shows a correction's results."""

from __future__ import annotations

import pytest

from indexer.generations import open_index
from indexer.models import SearchRequest
from indexer.spelling import (
    KEY_WORDS,
    MAX_READINGS,
    MAX_WINDOWS,
    MAX_WORD,
    corrections,
    covering_word,
    deletions,
    dictionary,
    sound_keys,
)

# every window looks up at most its sound keys and its deletions (plus itself), each key keeping KEY_WORDS
BOUND = MAX_WINDOWS * (MAX_READINGS + MAX_WORD + 1) * KEY_WORDS + MAX_WINDOWS * MAX_WORD


@pytest.fixture(scope="module")
def reader(index_dir):
    ix = open_index(index_dir)
    with ix.searcher() as s:
        yield s.reader()


def test_sound_keys_join_homophones():
    assert set(sound_keys("补尝")) & set(sound_keys("补偿"))
    assert set(sound_keys("预按")) & set(sound_keys("预案"))
    assert not set(sound_keys("预按")) & set(sound_keys("预算"))
    assert deletions("补偿") == ["偿", "补"]


@pytest.mark.parametrize(
    "query",
    [
        "x" * 1000,
        " ".join(["y" * 99] * 10),
        "征" * 1000,
        "".join(chr(0x4E00 + i * 19) for i in range(1000)),  # 1,000 different characters, none a word
        " ".join("".join(chr(0x4E00 + i * 7 + j) for j in range(99)) for i in range(10)),
    ],
)
def test_a_suggestion_examines_a_bounded_number_of_candidates(reader, query):
    got = corrections(reader, query)
    assert got.examined <= BOUND
    assert len(got.texts) <= 5


def test_the_dictionary_keeps_at_most_key_words_per_key(reader):
    d = dictionary(reader)
    assert d.by_sound and d.by_deletion
    assert max(len(v) for v in d.by_sound.values()) <= KEY_WORDS
    assert max(len(v) for v in d.by_deletion.values()) <= KEY_WORDS
    assert dictionary(reader) is d  # built once per index version


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("征地补尝标准", "征地补偿标准"), ("应急预按", "应急预案"), ("社会保线", "社会保险")],
)
def test_a_homophone_typo_is_corrected_to_the_word_that_sounds_the_same(reader, typed, meant):
    assert corrections(reader, typed).texts[0] == meant


@pytest.mark.parametrize(("typed", "meant"), [("征地补尝标准", "征地补偿标准"), ("应急预按", "应急预案")])
def test_a_query_with_a_typo_shows_the_results_of_its_correction(backend, typed, meant):
    page = backend.search(SearchRequest(q=typed))
    assert page.corrected == meant and page.total > 0
    assert page.request.q == typed  # the page still belongs to what was typed: links keep it
    assert page.total == backend.search(SearchRequest(q=meant)).total
    exact = backend.search(SearchRequest(q=typed, correct=False))
    assert exact.total == 0 and exact.corrected is None


def test_the_results_page_says_which_query_it_shows_and_links_to_the_original(client):
    html = client.get("/search?q=征地补尝标准").get_data(as_text=True)
    assert "显示「征地补偿标准」的结果；仍搜索「" in html
    assert "fix=0" in html
    exact = client.get("/api/search?q=征地补尝标准&fix=0").get_json()
    assert exact["total"] == 0 and exact["corrected"] is None
    fixed = client.get("/api/search?q=征地补尝标准").get_json()
    assert fixed["corrected"] == "征地补偿标准" and fixed["total"] > 0 and fixed["query"] == "征地补尝标准"


def test_a_bad_fix_flag_is_a_clear_error(client):
    resp = client.get("/api/search?q=征地&fix=maybe")
    assert resp.status_code == 400 and "fix" in resp.get_json()["error"]


def test_a_very_long_word_is_cut_with_a_warning(backend):
    page = backend.search(SearchRequest(q="z" * 1000))
    assert page.total == 0
    assert any("longer than 32 letters" in w for w in page.warnings)


def test_a_correction_that_completes_a_longer_word_beats_a_heteronym(reader):
    """长 reads chang like 厂, so 生长 sounds like 生厂; but 生产 makes 安全生产, a word of the index, with
    its neighbours: the correction is the one that reads as a phrase of the index."""
    d = dictionary(reader)
    assert {"安全生产", "生产"} <= set(d.df), "the test index holds 安全生产"
    assert covering_word("安全生产", 2, 2, d.df) == "安全生产"
    assert covering_word("安全生长", 2, 2, d.df) != "安全生长"
    assert corrections(reader, "安全生厂").texts[0] == "安全生产"


def test_close_counts_equal_each_query_counted_on_its_own(backend):
    """The correction's and did-you-mean's counts share the parts they evaluate (a memo per request): each
    candidate's count equals the query searched on its own, with filters and collapsing applied."""
    from dataclasses import replace

    from indexer.budget import no_deadline
    from indexer.query import parse
    from indexer.search import CloseCounts
    from indexer.suggest import candidates

    s = backend._searcher()
    texts = ["征地补尝标准", "应急预按 安全", "人民政府 通知 -规定", '"人民政府" 安全生厂', "社会保线 河南省 2014年"]
    checked = 0
    for req in (SearchRequest(q=""), SearchRequest(q="", collapse=False), SearchRequest(q="", sort="date")):
        count = CloseCounts(s, req, no_deadline())
        for text in texts:
            parsed = parse(text)
            for candidate in [text, *candidates(s.reader(), parsed, count)]:
                alone = backend.search(replace(req, q=candidate, correct=False, per_page=1))
                assert count(candidate) == alone.listed, candidate
                checked += 1
    assert checked > 30
