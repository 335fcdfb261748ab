"""Search on a real index: exact phrases, the seed notice, 文号 forms, facets, query syntax."""

from __future__ import annotations

from collections import Counter

import pytest

from indexer.analysis import fold
from indexer.errors import BadRequest
from indexer.models import SearchRequest
from indexer.search import iter_ids

PHRASES = [
    "人民政府",
    "法律法规规定",
    "法规规定",
    "安全生产",
    "行政处罚",
    "县级以上地方人民政府",
    "国务院有关部门",
    "依法追究刑事责任",
    "责令改正",
    "信息公开",
    "土地承包经营权",
    "环境保护",
    "社会保险",
    "突发事件",
    "应急预案",
    "政府采购",
    "个人信息",
    "合法权益",
    "监督管理",
    "食品安全",
    "法律责任",
    "构成犯罪的",
    "由县级以上",
    "本条例自",
    "违反本条例规定",
    "主管部门",
]


def all_ids(backend, q: str, **kw) -> set[str]:
    return set(iter_ids(backend._searcher(), SearchRequest(q=q, collapse=False, **kw)))


def folded(rec: dict) -> tuple[str, str]:
    return ("".join(fold(rec.get("title") or "").split()), "".join(fold(rec.get("body") or "").split()))


@pytest.fixture(scope="module")
def records(backend) -> dict[str, dict]:
    store = backend.store()
    return store.get_many(store.ids())


@pytest.mark.parametrize("phrase", PHRASES)
def test_quoted_phrase_returns_exactly_the_documents_containing_it(backend, records, phrase):
    expected = {i for i, r in records.items() if any(phrase in part for part in folded(r))}
    assert expected, f"the corpus should contain {phrase}"
    assert all_ids(backend, f'"{phrase}"') == expected


def test_the_corpus_has_enough_documents_for_the_phrase_test(records):
    assert sum(1 for i in records if i.startswith("lawrefbook-")) >= 1000


SEED_ID = "000_7eabf1a7e4b02af4"


@pytest.mark.parametrize(
    "q",
    [
        "国务院办公厅",
        "國務院辦公廳",
        "侯政办〔2014〕120号",
        "侯政办[2014]120号",
        "侯政办（2014）120号",
        '"上街镇"',
        "土地承包经营权流转",
    ],
)
def test_seed_notice_is_found(backend, q):
    ids = [h.doc_id for h in backend.search(SearchRequest(q=q, per_page=10)).hits]
    assert SEED_ID in ids


def test_seed_notice_is_stored_without_pinyin_but_as_published_otherwise(backend):
    rec = backend.document(SEED_ID)
    assert "(guó)" not in rec["body"] and "(wù)" not in rec["body"]
    assert "國務院辦公廳" in rec["body"]  # traditional characters kept as published


def test_metadata_only_records_are_found_by_title_and_doc_number(backend, records):
    no_body = [r for r in records.values() if not r.get("body") and r.get("doc_number")]
    assert no_body
    for rec in no_body[:5]:
        by_title = [h.doc_id for h in backend.search(SearchRequest(q=f'"{rec["title"]}"', collapse=False)).hits]
        assert rec["id"] in by_title
        by_number = backend.search(SearchRequest(q=rec["doc_number"], collapse=False)).hits
        assert by_number[0].doc_id == rec["id"] or rec["id"] in {h.doc_id for h in by_number[:3]}


def test_doc_number_in_every_bracket_form_finds_the_document(backend, records):
    rec = next(r for r in records.values() if (r.get("doc_number") or "").count("〔") == 1)
    for a, b in ("〔〕", "[]", "()", "（）", "［］"):
        q = rec["doc_number"].replace("〔", a).replace("〕", b)
        hits = backend.search(SearchRequest(q=q, collapse=False)).hits
        assert hits and hits[0].doc_id == rec["id"], q


@pytest.mark.parametrize("facet", ["topic", "agency", "year", "doc_type", "status", "region"])
@pytest.mark.parametrize("q", ["", "人民政府"])
def test_facet_counts_equal_counts_from_the_records(backend, records, facet, q):
    page = backend.search(SearchRequest(q=q, collapse=False))
    hit_ids = all_ids(backend, q)
    key = {"topic": "topics", "year": "date"}.get(facet, facet)
    counts: Counter[str] = Counter()
    for i in hit_ids:
        value = records[i].get(key) or records[i].get("date_issued") if facet == "year" else records[i].get(key)
        if facet == "year":
            counts.update([value[:4]] if value else [])
        elif facet == "region":
            counts.update([value.split("/")[0]] if value else [])
        elif isinstance(value, list):
            counts.update(set(value))
        elif value:
            counts[value] += 1
    shown = {b.value: b.count for b in page.facets[facet]}
    assert bool(shown) == bool(counts), f"facet {facet}: shown {shown}, counted {dict(counts)}"
    for value, n in shown.items():
        assert counts[value] == n, (facet, value)
    if facet != "year":
        assert sorted(shown.values(), reverse=True) == sorted(counts.values(), reverse=True)[: len(shown)]


def test_filters_narrow_and_repeated_values_of_one_facet_are_ored(backend):
    base = backend.search(SearchRequest(q="人民政府", collapse=False))
    a, b = [x.value for x in base.facets["year"][:2]]
    only_a = backend.search(SearchRequest(q="人民政府", filters=(("year", a),), collapse=False))
    both = backend.search(SearchRequest(q="人民政府", filters=(("year", a), ("year", b)), collapse=False))
    counts = {x.value: x.count for x in base.facets["year"]}
    assert only_a.total == counts[a]
    assert both.total == counts[a] + counts[b]
    assert {x.value for x in both.facets["year"] if x.selected} == {a, b}


def test_query_syntax_and_or_not_fields(backend):
    def total(q):
        return backend.search(SearchRequest(q=q, collapse=False)).total

    a, b = total("专利"), total("商标")
    both, either = total("专利 商标"), total("专利 OR 商标")
    assert both <= min(a, b) and either >= max(a, b) and either == a + b - both
    assert total("专利 -商标") == a - both
    assert 0 < total("title:专利") < a
    assert total("标题:专利") == total("title:专利")


def test_date_range_and_date_sort(backend):
    page = backend.search(SearchRequest(q="date:2015-01-01..2016-12-31", sort="date", per_page=50, collapse=False))
    dates = [h.date for h in page.hits]
    assert page.total > 0 and all("2015-01-01" <= d <= "2016-12-31" for d in dates)
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize(
    "q",
    [
        '"unbalanced',
        "-",
        "OR",
        "(((",
        "***",
        "a" * 5000,
        "\x00\x01",
        "[a-z]+$",
        "title:",
        "date:not-a-date",
        "文号:",
        "-OR -AND",
    ],
)
def test_odd_queries_never_raise(backend, q):
    page = backend.search(SearchRequest(q=q))
    assert page.total >= 0


def test_bad_requests_are_refused_clearly(backend):
    with pytest.raises(BadRequest, match="unknown filter"):
        backend.search(SearchRequest(q="通知", filters=(("colour", "red"),)))
    with pytest.raises(BadRequest, match="at most"):
        backend.search(SearchRequest(q="通知", page=100_000))


def test_snippets_are_escaped_and_mark_the_query(backend):
    hit = backend.search(SearchRequest(q="安全生产")).hits[0]
    assert "<mark>安全生产</mark>" in hit.snippet
    assert "<script" not in hit.snippet


def test_date_sort_and_date_filter_over_several_segments(tmp_path):
    """An index updated in place has several segments; date order and date ranges must hold across them."""
    from indexer.config import Settings
    from indexer.engine.whoosh.backend import WhooshBackend
    from indexer.ingest import ingest_items
    from indexer.sources import Item

    def rec(i: int, day: str) -> dict:
        body = f"开展安全生产检查，第{i}批。"
        return {"id": f"d{i}", "title": f"关于安全生产检查的通知{i}", "body": body, "date": day}

    first = [rec(i, f"20{10 + i % 10}-0{1 + i % 9}-1{i % 10}") for i in range(40)]
    ingest_items([Item("a", record=r) for r in first], tmp_path / "ix")
    later = [rec(100, "2030-01-01"), rec(101, "2001-01-01")]  # a few: written in place, as a new segment
    report = ingest_items([Item("b", record=r) for r in later], tmp_path / "ix")
    assert not report.rebuilt
    backend = WhooshBackend(Settings(index_dir=tmp_path / "ix"))
    assert backend._searcher().reader().is_atomic() is False  # really several segments
    newest = backend.search(SearchRequest(q="安全生产", sort="date", per_page=50))
    dates = [h.date for h in newest.hits]
    assert newest.total == 42 and dates == sorted(dates, reverse=True) and dates[0] == "2030-01-01"
    oldest = backend.search(SearchRequest(q="安全生产", sort="date_asc", per_page=3))
    assert [h.date for h in oldest.hits][0] == "2001-01-01"
    ranged = backend.search(SearchRequest(q="安全生产", date_from=__import__("datetime").date(2029, 1, 1)))
    assert [h.doc_id for h in ranged.hits] == ["d100"]


def test_facet_columns_are_cached_per_index_version_never_per_reader_object(tmp_path):
    """Two indexes of the same documents in two folders are two versions; reopening one is the same version;
    an update in place is a new version whose filters and counts see the new document."""
    from indexer.engine.whoosh.columns import columns, version_key
    from indexer.engine.whoosh.searcher import open_searcher
    from indexer.generations import open_index
    from indexer.ingest import ingest_items
    from indexer.sources import Item

    recs = [
        {"id": f"v{i}", "title": f"关于环境保护的公告{i}", "body": "环境保护检查。", "region": "四川省"}
        for i in range(5)
    ]
    for name in ("a", "b"):
        ingest_items([Item("x", record=r) for r in recs], tmp_path / name)

    def key(name: str) -> tuple:
        with open_index(tmp_path / name).searcher() as s:
            return version_key(s.reader())

    assert key("a") != key("b")  # same documents, same counts, other segments
    assert key("a") == key("a")
    before = key("a")
    ingest_items([Item("y", record={**recs[0], "id": "v9", "region": "云南省"})], tmp_path / "a")
    assert key("a") != before
    s = open_searcher(open_index(tmp_path / "a"))
    cols = columns(s)
    assert cols.size == 6 and "云南省" in cols.facets["region"].values


def test_collapse_shows_one_copy_per_group_even_when_only_reposts_match(tmp_path):
    """Collapsing copies hides a repost only when another copy of its group is shown: a 文号 or a sentence
    that only reposts carry still finds one of them, never zero hits, and counts agree with the hits."""
    from indexer.config import Settings
    from indexer.engine.whoosh.backend import WhooshBackend
    from indexer.engine.whoosh.columns import columns
    from indexer.ingest import ingest_items
    from indexer.sources import Item

    from .conftest import LAWS, head_jsonl, need_shared

    need_shared(LAWS)
    law = next(r for r in head_jsonl(LAWS, 50) if len(r.get("body") or "") > 3000)
    others = head_jsonl(LAWS, 5, start=60)
    note = "（转载自某某县人民政府门户网站，编辑：办公室）"
    reposts = [
        {
            **law,
            "id": f"repost-{i}",
            "title": law["title"] + "（转载）",
            "body": note + law["body"],
        }
        for i in range(2)
    ]
    reposts[0]["doc_number"] = "某府发〔2024〕11号"  # one 文号 shown by one repost only (two 文号 never group)
    ingest_items([Item("law", record=r) for r in [law, *reposts, *others]], tmp_path / "ix")
    backend = WhooshBackend(Settings(index_dir=tmp_path / "ix"))
    group = backend.store().duplicates_of(law["id"])
    assert set(group) == {law["id"], "repost-0", "repost-1"}, "the reposts must be grouped with the law"
    canonical = backend.store().db.execute("SELECT dup_of FROM records WHERE id = ?", (law["id"],)).fetchone()[0]
    assert canonical == law["id"] or canonical is None  # the law itself is the shown copy

    only_reposts = backend.search(SearchRequest(q='"某某县人民政府门户网站"'))
    assert only_reposts.listed == 1 and [h.doc_id for h in only_reposts.hits] == ["repost-0"]
    assert only_reposts.total == 2 and only_reposts.collapsed == 1  # the total counts every copy
    assert only_reposts.hits[0].duplicates == 2
    shown_agency = backend.document("repost-0")["agency"]  # the law's issuer, which its reposts carry too
    assert shown_agency and dict((b.value, b.count) for b in only_reposts.facets["agency"]) == {shown_agency: 1}
    assert backend.search(SearchRequest(q='"某某县人民政府门户网站"', collapse=False)).total == 2
    by_number = backend.search(SearchRequest(q="某府发〔2024〕11号"))
    assert [h.doc_id for h in by_number.hits] == ["repost-0"]

    s = backend._searcher()
    cols = columns(s)
    for docnum in range(s.doc_count_all()):  # each repost points at the law's document, the rest at none
        dup_of = s.stored_fields(docnum)["dup_of"]
        expected = s.document_number(id=dup_of) if dup_of != s.stored_fields(docnum)["id"] else -1
        assert cols.group[docnum] == expected

    everywhere = backend.search(SearchRequest(q=f'"{law["body"][200:212]}"'))
    assert [h.doc_id for h in everywhere.hits] == [law["id"]] and everywhere.listed == 1 and everywhere.total == 3
    assert backend.search(SearchRequest(q=f'"{law["body"][200:212]}"', collapse=False)).total == 3


def test_facet_counts_are_the_same_for_few_some_and_most_matches(index_dir):
    """Facet.counts counts a mask three ways by its share of the index (a few documents' pairs, a gather, a
    bincount weighted by the mask as floats); each way gives what the stored values give, for every facet,
    from a plain mask and from a Matched shared by the facets."""
    import numpy as np

    from indexer.engine.whoosh.columns import DENSE_SHARE, PACKED_VALUES, SPARSE_SHARE, Matched, columns
    from indexer.engine.whoosh.schema import FACET_FIELDS, MULTI_VALUED
    from indexer.engine.whoosh.searcher import open_searcher
    from indexer.generations import open_index

    s = open_searcher(open_index(index_dir))
    cols, reader = columns(s), s.reader()
    stored = [reader.stored_fields(d) if not reader.is_deleted(d) else {} for d in range(cols.size)]
    rng = np.random.default_rng(5)
    shares = (SPARSE_SHARE / 2, (SPARSE_SHARE + DENSE_SHARE) / 2, DENSE_SHARE * 3, 1.0)
    counted: Counter[str] = Counter()
    for share in shares:
        matched = np.zeros(cols.size, dtype=bool)
        matched[rng.choice(cols.size, max(1, int(share * cols.size)), replace=False)] = True
        shared = Matched(matched)  # as search counts them: the float weights made once for every facet
        for name, field in FACET_FIELDS.items():
            expected: Counter[str] = Counter()
            for d in np.flatnonzero(matched).tolist():
                value = stored[d].get(field)
                values = (value or "").split(",") if field in MULTI_VALUED else [value]
                expected.update(str(v) for v in values if v not in (None, ""))
            assert cols.facets[name].counts(matched, cols.size) == dict(expected), (name, share)
            assert cols.facets[name].counts(shared, cols.size) == dict(expected), (name, share)
            counted[name] += sum(expected.values())
    assert min(n for name, n in counted.items() if name != "status") > 0  # (the test corpus has no validity)
    packed = [f.docs is None for f in cols.facets.values() if f.kept.get("bits") is not None]
    assert True in packed and False in packed  # bitsets of single- and multi-valued facets are counted too
    assert all(len(f.values) <= PACKED_VALUES for f in cols.facets.values() if f.kept.get("bits") is not None)
