"""The Sphinx backend's pure parts: ids and shards, keywords, date tokens, query translation, configs."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pytest
from whoosh import query as wq

from indexer.models import Document
from indexer.query import parse, to_whoosh
from indexer.sphinx.conf import NodeSpec, node_config
from indexer.sphinx.layout import META, document_row, layout
from indexer.sphinx.shards import shard_of, sphinx_id
from indexer.sphinx.sql import ql_string
from indexer.sphinx.tokens import ALL, date_cover, day_of, day_tokens, keyword
from indexer.sphinx.translate import UnsupportedQuery, to_match, to_where


def test_sphinx_ids_are_stable_nonzero_63_bit_and_shards_balance():
    assert sphinx_id("gov-0001") == sphinx_id("gov-0001")
    assert sphinx_id("000_7eabf1a7e4b02af4") == 8474920811491783854  # pinned: a change reshuffles every cluster
    ids = [f"lawrefbook-{i:06d}" for i in range(20000)]
    assert all(0 < sphinx_id(i) < 2**63 for i in ids)
    assert len({sphinx_id(i) for i in ids}) == len(ids)
    per_shard = [sum(1 for i in ids if shard_of(i, 2) == s) for s in (0, 1)]
    assert min(per_shard) > 0.48 * len(ids)


def test_keywords_keep_safe_tokens_and_hash_the_rest():
    assert keyword("安全生产") == "安全生产" and keyword("2014") == "2014" and keyword("pm_2") == "pm_2"
    for odd in ("〔", "pm2.5", "α", "〇", "a" * 21, "国-务"):
        kw = keyword(odd)
        assert kw.startswith("x") and len(kw) == 13 and kw.isalnum()
    assert keyword("〔") != keyword("〕")


def covered_days(tokens: list[str], lo: date, hi: date) -> set[date]:
    wanted = set(tokens)
    days, day = set(), lo
    while day <= hi:
        if wanted & set(day_tokens(day)):
            days.add(day)
        day += timedelta(days=1)
    return days


@pytest.mark.parametrize(
    ("lo", "hi"),
    [
        (date(2014, 1, 1), date(2014, 12, 31)),
        (date(2013, 12, 31), date(2014, 1, 1)),
        (date(2014, 2, 28), date(2016, 3, 1)),
        (date(1999, 12, 15), date(2021, 2, 3)),
        (date(2014, 3, 5), date(2014, 3, 5)),
    ],
)
def test_date_cover_is_exactly_the_range(lo, hi):
    tokens = date_cover(lo, hi)
    expected = {lo + timedelta(days=i) for i in range((hi - lo).days + 1)}
    assert covered_days(tokens, lo - timedelta(days=400), hi + timedelta(days=400)) == expected
    assert len(tokens) < 70


def test_date_cover_random_ranges_and_open_ends():
    rng = random.Random(7)
    for _ in range(40):
        lo = date(1990, 1, 1) + timedelta(days=rng.randrange(12000))
        hi = lo + timedelta(days=rng.randrange(3000))
        tokens, window = set(date_cover(lo, hi)), lo - timedelta(days=40)
        for day in (window + timedelta(days=i) for i in range((hi - window).days + 40)):
            assert bool(tokens & set(day_tokens(day))) == (lo <= day <= hi), (lo, hi, day)
    assert len(date_cover(date.min, date(2014, 12, 31))) < 60
    assert len(date_cover(date(2014, 1, 1), date.max)) < 40


def test_day_of_turns_any_yyyymmdd_bound_into_the_right_real_day():
    assert day_of(1, upper=False) == date.min and day_of(99991231, upper=True) == date.max
    assert day_of(20140230, upper=False) == date(2014, 3, 1) and day_of(20140230, upper=True) == date(2014, 2, 28)
    assert day_of(20140000, upper=True) == date(2013, 12, 31) and day_of(20141300, upper=False) == date(2015, 1, 1)


def match_of(q: str) -> str:
    return to_match(to_whoosh(parse(q))[0], layout())


def test_translation_of_words_phrases_exclusions_and_or():
    assert match_of("") == ""
    assert match_of('"信息公开"') == '((@btitle "信息 息公 公开") | (@bbody "信息 息公 公开"))'
    assert match_of('"水"') == "((@ctitle 水) | (@cbody 水))"
    only_negative = match_of("-通知")
    assert only_negative.startswith(f"((@{META} {ALL}) -(")
    assert " | " in match_of("国务院 OR 环境")
    assert "@meta dy2014" in match_of("date:2014 通知").replace("(", "")


def test_untranslatable_queries_fail_loudly():
    lay = layout()
    with pytest.raises(UnsupportedQuery):
        to_match(wq.Phrase("body", ["安全", "生产"]), lay)
    with pytest.raises(UnsupportedQuery):
        to_match(wq.Prefix("body", "安全"), lay)
    with pytest.raises(UnsupportedQuery):
        to_match(wq.Term("nosuchfield", "x"), lay)


def test_facet_filters_become_where_conditions():
    from indexer.models import SearchRequest
    from indexer.search import filter_query

    req = SearchRequest(filters=(("topic", "环境"), ("topic", "交通"), ("year", "2014")), date_from=date(2014, 1, 1))
    where, rest = to_where(filter_query(req), layout())
    assert rest == []
    assert where[0].startswith("f_topics IN (") and where[0].count(",") == 1
    assert "date_num BETWEEN 20140101 AND 99991231" in where and "canonical = 1" in where


def test_document_row_holds_every_field_and_facet_names():
    doc = Document(
        "a-1",
        title="关于安全生产的通知",
        body="侯政办〔2014〕120号",
        agency="国务院",
        topics=("环境", "交通"),
        region="福建省/福州市",
        published=date(2014, 3, 5),
    )
    row, names = document_row(doc, None)
    assert set(row) == set(layout().columns())
    assert row["id"] == sphinx_id("a-1") and row["canonical"] == 1 and row["date_num"] == 20140305
    assert {"福建省", "福建省/福州市", "环境", "交通", "国务院", "2014"} <= set(names.values())
    assert "dd20140305" in row[META].split() and row["ctitle"].startswith("关 于 安")


def test_node_config_declares_the_layout_and_the_agents():
    lay = layout()
    nodes = [NodeSpec(i, "127.0.0.1", 9311 + i, 9305 + i, Path(f"/srv/n{i}")) for i in (1, 2, 3)]
    conf = node_config(nodes[1], nodes, lay)
    assert "index shard2\n{" in conf and "local = shard2" in conf
    assert "agent = 127.0.0.1:9312:shard1" in conf and "agent = 127.0.0.1:9314:shard3" in conf
    assert all(f"rt_field = {f}" in conf for f in lay.text_fields)
    assert "rt_attr_multi_64 = f_topics" in conf and "listen = 127.0.0.1:9307:mysql41" in conf


def test_string_literals_escape_quotes_and_backslashes():
    assert ql_string("it's a \\ test") == "'it\\'s a \\\\ test'"
