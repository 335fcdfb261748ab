"""Document identity on real documents: copies group, versions and different documents never do.

The labelled pairs (tests/data/copy_pairs.jsonl, made by bench/copy_pairs.py) are checked one by one: a pair
the rules get wrong fails a test named after it.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from indexer.duplicates import group_copies, signature
from indexer.identity import (
    COPY_THRESHOLD,
    Facts,
    canonical_copy,
    facts_of,
    governments_differ,
    is_copy,
    numbers_differ,
    relation,
    work_key,
)
from indexer.pipeline import to_document

from .conftest import POLICY, need_shared

PAIRS = Path(__file__).parent / "data" / "copy_pairs.jsonl"
READ = Path(__file__).parent / "data" / "copy_pairs_read.jsonl"
RULED = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line.strip()]
READINGS = {r["pair"]: r for r in map(json.loads, READ.read_text(encoding="utf-8").splitlines())}
LINES = [{**p, "label": READINGS[p["pair"]]["label"]} if p["pair"] in READINGS else p for p in RULED]


@pytest.fixture(scope="module")
def judged() -> dict:
    """Every labelled pair, its documents made (built reposts through our extraction), by name."""
    need_shared()
    from bench.copy_pairs import load_pairs
    from bench.eval_copies import judge

    return {j.pair.name: j for j in judge(load_pairs(PAIRS))}


@pytest.mark.parametrize("line", LINES, ids=[p["pair"] for p in LINES])
def test_labelled_pair_follows_the_rules(judged: dict, line: dict) -> None:
    j = judged[line["pair"]]
    said = relation(j.a, j.b, j.sim, COPY_THRESHOLD)
    assert (said == "copy") == (line["label"] == "copy"), (
        f"pair {line['pair']} ({line['kind']}: {line['note']}) is labelled {line['label']}, the rules say {said} "
        f"(similarity {j.sim:.2f})"
    )
    if line["kind"] == "law: one title, version":
        assert said == "version", f"pair {line['pair']} ({line['note']}): versions of one law, the rules say {said}"


def test_every_real_pair_was_read_and_its_reading_is_the_label() -> None:
    """Each pair of real documents carries the label given by reading both (a reason says what was seen);
    built pairs are made to be what they are labelled, and a sample of them was read too."""
    real = [p for p in RULED if "build" not in p["b"]]
    assert len(real) >= 200 and all(p["pair"] in READINGS for p in real)
    assert sum(1 for p in RULED if "build" in p["b"] and p["pair"] in READINGS) >= 30
    for p in RULED:
        r = READINGS.get(p["pair"])
        if r is not None:
            assert r["label"] in ("copy", "version", "different") and len(r["reason"]) > 10, p["pair"]
            assert r["agrees"] == (r["label"] == p["label"]), p["pair"]  # agrees: with the rule's label


def test_the_copy_shown_is_the_original_unless_it_says_it_is_a_repost_or_has_no_date(judged: dict) -> None:
    for name, j in judged.items():
        if j.pair.label == "copy" and j.pair.kind.startswith("built"):
            expected = j.a.doc_id if j.a.published and not j.a.reposted else None
            shown = canonical_copy([j.b, j.a]).doc_id
            assert expected is None or shown == expected, f"pair {name}: the repost {shown} is shown, not {expected}"


def test_the_labelled_set_has_every_kind_the_issue_asks_for() -> None:
    kinds = Counter(p["kind"] for p in LINES)
    labels = Counter(p["label"] for p in LINES)
    built = sum(1 for p in LINES if p["label"] == "copy" and "build" in p["b"])
    assert len(LINES) >= 200
    assert built > labels["copy"] / 2  # most positive pairs are built reposts
    assert kinds["metadata: same title, other 文号"] >= 30
    assert kinds["article: near-identical text"] >= 30
    assert kinds["law: same kind, other place"] >= 10  # no 文号 on either side
    marked = [
        p
        for p in LINES
        if "27c_残疾人两项补贴实施办法_增城转载.html" in p["a"].get("file", "") and "build" not in p["b"]
    ]
    assert len(marked) == 2 and {p["label"] for p in marked} == {"different"}  # 27 and 27b: other documents (read)
    assert all("body" not in p["a"] and "body" not in p["b"] for p in LINES)  # references, never copies


def _policy(*titles: str) -> dict[str, dict]:
    need_shared(POLICY)
    found: dict[str, dict] = {}
    with POLICY.open(encoding="utf-8") as fh:
        for line in fh:
            if any(t in line for t in titles):
                rec = json.loads(line)
                if any(t in (rec.get("title") or "") for t in titles):
                    found[rec["id"]] = rec
    return found


def _grouped(records: list[dict]) -> dict[str, str]:
    docs = [to_document(r) for r in records]
    return group_copies((facts_of(d.to_record()), signature(d.title, d.body)) for d in docs)


def test_the_same_title_under_three_numbers_stays_three_documents() -> None:
    recs = _policy("广东省人民政府关于省政府领导班子分工的通知")
    assert len(recs) == 3
    groups = _grouped(list(recs.values()))
    assert sorted(groups) == sorted(groups.values())  # each its own group: 粤府〔2022〕88号, 〔2023〕6号, 67号


def test_governments_implementing_one_policy_are_precedents_not_copies() -> None:
    recs = _policy("健全重特大疾病医疗保险和救助制度")
    governments = {r["government"] for r in recs.values()}
    assert {"Henan Provincial Government", "Sichuan Provincial Government", "State Council"} <= governments
    groups = _grouped(list(recs.values()))
    assert all(k == v for k, v in groups.items())


def test_one_notice_listed_twice_is_one_copy_group() -> None:
    recs = _policy("广东省人民政府办公厅关于十三届全国人大二次会议第5697号建议会办意见的函")
    assert len(recs) == 2
    groups = _grouped(list(recs.values()))
    assert len(set(groups.values())) == 1
    earliest = min(recs.values(), key=lambda r: r["date_published"])
    assert set(groups.values()) == {earliest["id"]}  # no repost mark on either: the earliest is shown


def test_a_chain_of_copies_never_joins_two_numbers() -> None:
    """A text without 文号 close to two numbered texts: it may join one, never both into one group."""
    text = "为进一步做好城乡居民基本医疗保险参保缴费工作，现将有关事项通知如下。" * 30
    sig = signature("关于做好参保缴费工作的通知", text)
    items = [
        (Facts("a", "关于做好参保缴费工作的通知", True, None, length=len(text)), sig),
        (Facts("b", "关于做好参保缴费工作的通知", True, "穗医保〔2024〕1号", length=len(text)), sig),
        (Facts("c", "关于做好参保缴费工作的通知", True, "穗医保〔2024〕2号", length=len(text)), sig),
    ]
    groups = group_copies(items)
    assert groups["b"] != groups["c"]
    assert groups["a"] in {groups["b"], groups["c"]}


def test_the_issuers_own_publication_is_shown_before_an_earlier_repost() -> None:
    own = Facts("z-own", "关于X的通知", True, published=_d("2024-03-02"))
    repost = Facts("a-repost", "关于X的通知（转载）", True, published=_d("2024-03-01"), reposted=True)
    later = Facts("b-later", "关于X的通知", True, published=_d("2024-03-05"))
    assert canonical_copy([repost, own, later]).doc_id == "z-own"
    assert canonical_copy([repost, later]).doc_id == "b-later"


def _d(text: str):
    from datetime import date

    return date.fromisoformat(text)


@pytest.mark.parametrize(
    ("a", "b", "differ"),
    [
        ("穗府办规〔2025〕8号", "办规〔2025〕8号", False),  # a page that lost the 机关代字's head
        ("粤府〔2023〕6号", "粤府〔2023〕67号", True),
        ("粤府〔2022〕88号", "粤府〔2023〕88号", True),
        ("国办发〔2021〕42号", "川办规〔2022〕6号", True),
        ("侯政办[2014]120号", "侯政办〔2014〕120号", False),
    ],
)
def test_numbers_differ(a: str, b: str, differ: bool) -> None:
    assert numbers_differ(a, b) is differ


def test_regions_differ_only_across_branches() -> None:
    assert governments_differ("河南省", "四川省")
    assert governments_differ("广东省/广州市", "广东省/深圳市")
    assert not governments_differ("广东省/广州市", "广东省/广州市/增城区")  # a district reposts its city
    assert not governments_differ("全国", "上海市")  # a province reposts the State Council
    assert not governments_differ(None, "四川省")  # unknown: evidence neither way


def test_only_texts_amended_over_the_years_have_versions() -> None:
    assert work_key("上海市优化营商环境条例") == work_key("上海市优化营商环境条例（2024年修订）") != ""
    assert work_key("人民检察院刑事诉讼规则（试行）") == work_key("人民检察院刑事诉讼规则")
    assert work_key("广东省人民政府关于省政府领导班子分工的通知") == ""
    assert work_key("中华人民共和国民法典第二十条") == ""


def test_metadata_only_records_need_number_and_title() -> None:
    a = Facts("a", "关于印发X办法的通知", False, "粤府〔2023〕6号", "广东省人民政府")
    assert is_copy(a, Facts("b", "关于印发X办法的通知", False, "粤府〔2023〕6号", "广东省人民政府"), 0.0)
    assert not is_copy(a, Facts("c", "关于印发Y办法的通知", False, "粤府〔2023〕6号", "广东省人民政府"), 1.0)
    assert not is_copy(a, Facts("d", "关于印发X办法的通知", False, None, "广东省人民政府"), 1.0)
    assert not is_copy(a, Facts("e", "关于印发X办法的通知", True, "粤府〔2023〕6号", "广东省人民政府办公厅"), 1.0)
