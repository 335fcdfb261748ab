"""Query understanding and ranking on the real session index (and one tiny index for the date tie-break)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.analysis import fold, word_tokens
from indexer.models import SearchRequest
from indexer.query import important_words, is_question, parse, ranking_plan, synonym_groups, units
from indexer.search import iter_ids

SEED_ID = "000_7eabf1a7e4b02af4"
PUBLIC_HEALTH = "lawrefbook-1e83bbab8750"  # 上海市公共卫生应急管理条例: 饮用水源, which jieba cuts 饮用水/源


def ids(backend, q: str, n: int = 10, **kw) -> list[str]:
    return [h.doc_id for h in backend.search(SearchRequest(q=q, per_page=n, collapse=False, **kw)).hits]


def all_ids(backend, q: str, **kw) -> set[str]:
    return set(iter_ids(backend._searcher(), SearchRequest(q=q, collapse=False, **kw)))


@pytest.fixture(scope="module")
def records(backend) -> dict[str, dict]:
    store = backend.store()
    return store.get_many(store.ids())


def text_of(rec: dict) -> str:
    return "".join(fold(f"{rec.get('title') or ''}\n{rec.get('body') or ''}").split())


# ------------------------------------------------------------------------------------------ stop and question words
def test_question_words_are_not_required():
    assert is_question("谁可以成为个体工商户？")
    assert important_words("谁可以成为个体工商户？") == ["成为", "个体", "工商户"]
    assert important_words("哪些情形应当办理登记吗") == ["情形", "办理", "登记"]
    assert not is_question("个体工商户 登记")


def test_a_query_of_stop_words_only_still_searches_them():
    assert important_words("什么") == ["什么"]


def test_a_question_is_not_an_and_of_all_its_words(backend, records):
    q = "养犬人应当如何办理养犬登记？"
    found = all_ids(backend, q)
    with_every_word = {i for i, r in records.items() if all(w in text_of(r) for w in ("养犬人", "如何", "应当"))}
    assert found and not with_every_word  # no document says 如何: an AND of every word would find nothing
    top = backend.search(SearchRequest(q=q, per_page=3, collapse=False)).hits
    assert all("养犬" in h.title for h in top)


def test_documents_matching_more_important_words_rank_higher(backend, records):
    q = "饮用水水源保护区内禁止哪些行为？"
    top = ids(backend, q, n=5)
    assert all(all(w in text_of(records[i]) for w in ("饮用水", "水源", "保护区", "禁止", "行为")) for i in top)


# ---------------------------------------------------------------------------- characters jieba cuts otherwise
def test_one_character_query_finds_every_document_containing_it(backend, records):
    expected = {i for i, r in records.items() if "犬" in text_of(r)}
    assert all_ids(backend, "犬") == expected
    assert any("犬" in text_of(r) and "犬" not in {w for w, *_ in word_tokens(text_of(r))} for r in records.values())


def test_two_character_word_that_jieba_cuts_otherwise_in_the_document_is_found(backend, records):
    rec = records[PUBLIC_HEALTH]
    assert "水源" in text_of(rec)
    assert "水源" not in {w for w, *_ in word_tokens(fold(rec["title"] + "\n" + rec["body"]))}  # the premise
    assert PUBLIC_HEALTH in all_ids(backend, "水源")
    assert PUBLIC_HEALTH in all_ids(backend, "水源 应急")


def test_keyword_query_finds_exactly_the_documents_containing_every_word(backend, records):
    expected = {i for i, r in records.items() if "养犬" in text_of(r) and "登记" in text_of(r)}
    assert all_ids(backend, "养犬 登记") == expected


# ------------------------------------------------------------------------------------------ synonyms
def test_synonym_groups_are_symmetric_and_read_from_the_editable_file():
    groups = synonym_groups()
    assert {"安全生产监督管理", "应急管理"} <= set(groups["安监"])
    assert "安监" in groups["应急管理"]
    assert "自然资源" in groups["国土"] and "生态环境" in groups["环保"] and "卫生健康" in groups["计生"]
    assert "发展和改革委员会" in groups["发改委"]


def test_synonym_terms_are_kept_whole_in_a_query():
    assert units("发展和改革委员会的通知") == ["发展和改革委员会", "的", "通知"]
    assert units("环保局") == ["环保局"]


def test_synonyms_are_searched_and_reported_and_can_be_switched_off(backend, records):
    only_synonym = {i for i, r in records.items() if "生态环境" in text_of(r) and "环保" not in text_of(r)}
    assert only_synonym
    page = backend.search(SearchRequest(q="环保", per_page=100, collapse=False))
    assert {"环境保护", "生态环境"} <= set(page.expanded)
    assert page.to_json()["also_searched"] == list(page.expanded)
    assert only_synonym <= all_ids(backend, "环保")
    off = backend.search(SearchRequest(q="环保", synonyms=False, collapse=False))
    assert off.expanded == () and not only_synonym & all_ids(backend, "环保", synonyms=False)
    assert off.total < page.total


def test_agency_abbreviation_finds_the_full_name(backend, records):
    full = {i for i, r in records.items() if "安全生产监督管理" in text_of(r)}
    assert full and full <= all_ids(backend, "安监")
    assert "lawrefbook-2dd9c304c6cd" in ids(backend, "安监", n=20)  # 烟台市安全生产监督管理条例


# ------------------------------------------------------------------------------------------ 文号
@pytest.mark.parametrize(
    "q",
    [
        "侯政办〔2014〕120号",
        "侯政办 〔2014〕 120 号",
        "侯政辦[2014]120號",
        "侯政办(2014)120号",
        "侯政办2014年120号",
        "文号:侯政办〔2014〕120号",
    ],
)
def test_doc_number_in_any_form_puts_the_document_first(backend, q):
    assert ids(backend, q, n=1) == [SEED_ID]


def test_doc_number_of_a_metadata_record_goes_first(backend):
    assert ids(backend, "粤府[2023]68号", n=1) == ["ptc-043d67d49367"]
    assert ids(backend, "粤府 2023年 68号", n=1) == ["ptc-043d67d49367"]


# ------------------------------------------------------------------------------------------ ranking signals
def test_title_matches_rank_first(backend, records):
    top = ids(backend, "扒鸡", n=3)
    assert "扒鸡" in records[top[0]]["title"]


@pytest.mark.parametrize("q", ["道路交通 安全法", "中医药", "防洪法", "农村公路", "物业管理 条例"])
def test_titles_holding_every_word_of_a_keyword_query_rank_above_the_rest(backend, records, q):
    # a few words of a law's name: the laws that bear them in their title, before those that only cite them
    words = important_words(q)
    top = ids(backend, q, n=50)
    titled = [all(w in fold(records[d]["title"]) for w in words) for d in top]
    assert any(titled) and not all(titled), "the query must find both kinds of documents"
    assert titled == sorted(titled, reverse=True)


def test_a_question_is_not_ordered_by_its_words_in_titles():
    from indexer.ranking import titled

    assert titled("上海市公共图书馆条例", ranking_plan(parse("上海市 公共图书馆 条例")))
    assert not titled("上海市公共图书馆条例", ranking_plan(parse("上海市公共图书馆条例有哪些规定？")))


def test_the_exact_title_ranks_first_even_when_other_titles_contain_it(backend, records):
    title = "上海市公共图书馆条例"
    assert ids(backend, title, n=1) == ["lawrefbook-6cbd2c7758ba"]
    # two versions bear this title: both first, the newer (2024-09-27) before the older (2020-04-10)
    assert ids(backend, "上海市优化营商环境条例", n=2) == ["lawrefbook-6b9c8b2c1228", "lawrefbook-ecbaccb7f67c"]


def test_a_pasted_sentence_finds_its_document_first(backend):
    sentence = "封存被污染的公共饮用水源、食品以及相关物品"
    assert ids(backend, sentence, n=1) == [PUBLIC_HEALTH]


def test_newer_documents_win_ties(tmp_path: Path):
    from indexer.generations import open_index
    from indexer.ingest import ingest
    from indexer.search import search

    body = "本办法所称电动自行车，是指以车载蓄电池作为辅助能源的两轮车。"
    recs = [
        {"id": f"d{y}", "title": "电动自行车管理办法", "body": body, "date": f"{y}-03-01"} for y in (2005, 2021, 2012)
    ]
    src = tmp_path / "recs.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    ingest([str(src)], tmp_path / "ix")
    with open_index(tmp_path / "ix").searcher() as s:
        page = search(s, SearchRequest(q="电动自行车", collapse=False))
    assert [h.doc_id for h in page.hits] == ["d2021", "d2012", "d2005"]


# ------------------------------------------------------------------------------------------ did you mean
def test_no_suggestion_when_there_are_hits(backend):
    assert backend.search(SearchRequest(q="养犬")).suggestion is None


def test_suggestion_drops_the_word_that_finds_nothing(backend):
    page = backend.search(SearchRequest(q="养犬 xqzzyv"))
    assert page.total == 0 and page.suggestion == "养犬"
    assert backend.search(SearchRequest(q=page.suggestion)).total > 0


def test_suggestion_fixes_a_typo_one_character_away(backend):
    page = backend.search(SearchRequest(q="养犬登纪", correct=False))  # searched exactly: a suggestion only
    assert page.total == 0 and page.suggestion == "养犬登记"


def test_a_typo_one_character_away_shows_the_results_of_its_correction(backend):
    page = backend.search(SearchRequest(q="养犬登纪"))
    assert page.corrected == "养犬登记" and page.total > 0


def test_suggestion_for_a_doc_number_that_does_not_exist_is_a_near_one(backend):
    page = backend.search(SearchRequest(q="粤府〔2023〕69号"))
    assert page.total == 0
    assert page.suggestion is not None and page.suggestion.startswith("粤府〔2023〕")
    assert backend.search(SearchRequest(q=page.suggestion)).total > 0


def test_parse_keeps_the_query_syntax_round_trip():
    from indexer.query import unparse

    q = '"安全生产" 标题:条例 养犬 OR 饲养 -宠物 日期:2014-01-01..2014-12-31'
    assert unparse(parse(unparse(parse(q)))) == unparse(parse(q))


def _search_json(index_dir: Path, q: str, env: dict[str, str]) -> dict:
    import os
    import subprocess
    import sys

    exe = str(Path(sys.executable).with_name("govsearch"))
    proc = subprocess.run(
        [exe, "search", q, "--index", str(index_dir), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_an_edited_synonym_file_named_by_govsearch_synonyms_is_used(index_dir: Path, tmp_path: Path):
    default = _search_json(index_dir, "环保", {})
    assert "生态环境" in default["also_searched"]
    mine = tmp_path / "synonyms.txt"
    mine.write_text("# a county's own groups\n环保 | 污染防治\n", encoding="utf-8")
    edited = _search_json(index_dir, "环保", {"GOVSEARCH_SYNONYMS": str(mine)})
    assert edited["also_searched"] == ["污染防治"]
    assert edited["total"] != default["total"]


def test_a_missing_synonym_or_dictionary_file_is_a_clear_error(index_dir: Path, tmp_path: Path):
    import os
    import subprocess
    import sys

    exe = str(Path(sys.executable).with_name("govsearch"))
    for var in ("GOVSEARCH_SYNONYMS", "GOVSEARCH_USERDICT"):
        proc = subprocess.run(
            [exe, "search", "环保", "--index", str(index_dir)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, var: str(tmp_path / "nope.txt")},
        )
        assert proc.returncode != 0 and "nope.txt" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_govsearch_userdict_changes_the_word_boundaries_of_queries(index_dir: Path, tmp_path: Path):
    mine = tmp_path / "userdict.txt"
    mine.write_text("征地补偿标准 50000\n", encoding="utf-8")
    code = (
        "from indexer.analysis import words, segmenter; import sys; segmenter(sys.argv[1]); "
        "print(' '.join(w for w, _, _ in words('征地补偿标准')))"
    )
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code, str(mine)], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["征地补偿标准"], out.stderr
    default = subprocess.run(
        [sys.executable, "-c", code.replace("segmenter(sys.argv[1]); ", "")], capture_output=True, text=True, timeout=60
    )
    assert default.stdout.split() != ["征地补偿标准"]
