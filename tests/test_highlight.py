"""Highlighting for Chinese: longest spans, every occurrence at its real offset, escaping, the best passage."""

from __future__ import annotations

import re

from indexer.highlight import mark_all, match_spans, snippet
from indexer.models import SearchRequest


def marked(html: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", html, re.S)


def test_the_longest_matching_span_is_marked_whole():
    assert marked(mark_all("马克思主义", ["马克", "马克思"])) == ["马克思"]
    assert marked(mark_all("中华人民共和国宪法", ["中华", "人民", "共和国", "中华人民共和国"])) == ["中华人民共和国"]
    assert marked(mark_all("中华人民共和国", ["中华人民", "共和国"])) == ["中华人民共和国"]


def test_a_shorter_query_marks_only_what_it_matches():
    assert mark_all("马克思主义", ["马克"]) == "<mark>马克</mark>思主义"


def test_every_occurrence_is_marked_at_its_real_offset():
    text = "安全生产责任制。落实安全生产，国務院安全生產委员会"
    spans = match_spans(text, ["安全生产"])
    assert spans == [(0, 4), (10, 14), (18, 22)]
    assert [text[s:e] for s, e in spans] == ["安全生产", "安全生产", "安全生產"]
    assert marked(mark_all(text, ["安全生产"])) == ["安全生产", "安全生产", "安全生產"]


def test_traditional_text_and_full_width_letters_are_marked_as_published():
    assert mark_all("國務院辦公廳ＡＢＣ", ["国务院", "abc"]) == "<mark>國務院</mark>辦公廳<mark>ＡＢＣ</mark>"


def test_a_term_broken_by_a_line_break_is_still_marked():
    assert marked(mark_all("加强安全\n生产管理", ["安全生产"])) == ["安全\n生产"]


def test_html_is_escaped_except_our_marks():
    html = mark_all("<script>alert(1)</script> 安全 & <b>生产</b>", ["安全", "script"])
    assert "<script>" not in html and "<b>" not in html
    assert html.startswith("&lt;<mark>script</mark>&gt;")
    assert "<mark>安全</mark> &amp; &lt;b&gt;" in html
    assert set(re.findall(r"</?[a-z]+>", html)) == {"<mark>", "</mark>"}


def test_snippet_shows_the_passage_with_the_most_distinct_terms():
    filler = "本条例适用于本行政区域内的各类活动。" * 20
    best = "县级以上人民政府应当加强土地承包经营权流转的管理和服务。"
    text = filler + "土地" + filler + best + filler + "流转" + filler
    html = snippet(text, ["土地承包经营权", "流转", "土地"])
    assert "<mark>土地承包经营权</mark><mark>流转</mark>" in html or "<mark>土地承包经营权流转</mark>" in html
    assert html.startswith("…县级以上人民政府") and html.endswith("…")


def test_snippet_is_short_escaped_and_single_line():
    text = "第一条 <总则>\n" + "为了规范管理，制定本办法。\n" * 50
    html = snippet(text, ["办法"])
    assert "\n" not in html and "&lt;总则&gt;" in html
    assert len(re.sub(r"</?mark>", "", html)) <= 170


def test_snippet_without_matches_starts_at_the_beginning():
    assert snippet("第一条 为了规范管理。", ["不存在"]) == "第一条 为了规范管理。"


def test_hit_snippets_from_the_index_mark_the_query(backend):
    hit = backend.search(SearchRequest(q="中华人民共和国 安全生产")).hits[0]
    assert "<mark>安全生产</mark>" in hit.snippet
    assert "<mark>中华</mark>" not in hit.snippet
