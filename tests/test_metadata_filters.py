"""Region, year, agency and date-range filters against a brute-force count over the stored records.

A real index of real records (LawRefBook laws, policy metadata with and without titles, the Tianhe pages):
for each of 60 queries combining regions, years, agencies and words, the API's total and facet counts must
equal a count made in Python over the records the store holds.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest

from indexer.analysis import fold
from indexer.config import Settings
from indexer.generations import store_path
from indexer.ingest import ingest
from indexer.store import RecordStore
from tests.conftest import LAWS, POLICY, SHARED, head_jsonl, need_shared
from webapp import create_app

PAGES = SHARED / "corpus" / "html_fixtures" / "guangzhou_tianhe"
WORDS = ["", "", "通知", "安全", "管理", "条例", "人民政府", "实施"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple:
    """The index, the app's test client and every stored record."""
    need_shared(LAWS)
    need_shared(POLICY)
    tmp = tmp_path_factory.mktemp("filters")
    laws = head_jsonl(LAWS, 3284)[::11]  # every 11th law: national, 5 provinces, city regulations
    policy = head_jsonl(POLICY, 43_439)[::29]  # every 29th record: 12 governments, with and without titles
    rows = [{**r, "body": (r.get("body") or "")[:3000]} for r in laws] + policy
    (tmp / "r.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    report = ingest([str(tmp / "r.jsonl"), *map(str, sorted(PAGES.glob("*.html")))], tmp / "ix")
    assert report.skipped == 0, report.failures[:3]
    store = RecordStore(store_path(tmp / "ix"), readonly=True)
    records = list(store.get_many(store.ids()).values())
    store.close()
    app = create_app(Settings(index_dir=tmp / "ix", max_page_size=100))
    return app.test_client(), records


def _year(rec: dict) -> str:
    day = rec.get("date") or rec.get("date_issued")
    return day[:4] if day else ""


def _matches(rec: dict, params: dict) -> bool:
    region = params.get("region")
    if region and not (rec.get("region") == region or (rec.get("region") or "").startswith(region + "/")):
        return False
    if params.get("year") and _year(rec) != params["year"]:
        return False
    if params.get("agency") and rec.get("agency") != params["agency"]:
        return False
    for name, field in (("from", "date"), ("to", "date"), ("issued_from", "date_issued"), ("issued_to", "date_issued")):
        if params.get(name):
            day = rec.get(field) or (rec.get("date_issued") if field == "date" else None)
            if not day or (day < params[name] if name.endswith("from") else day > params[name]):
                return False
    word = params.get("q", "").strip('"')
    return not word or word in fold(rec.get("title") or "") + "\n" + fold(rec.get("body") or "")


def _queries(records: list[dict], n: int) -> list[dict]:
    """Draw n queries combining regions, years, agencies and words from the values the records hold."""
    rng = random.Random(20)
    regions = sorted({"/".join(r["region"].split("/")[:k]) for r in records if r.get("region") for k in (1, 2, 3)})
    years = sorted({_year(r) for r in records} - {""})
    agencies = [a for a, c in Counter(r.get("agency") for r in records if r.get("agency")).most_common(40)]
    out = []
    for i in range(n):
        params = {"all": "1", "per_page": "1", "synonyms": "0"}
        kinds = rng.sample(["region", "year", "agency", "q", "dates"], k=1 + i % 3)
        # three queries in four take their values from one record (so that most match something)
        anchor = rng.choice([r for r in records if r.get("region") and r.get("agency")]) if i % 4 else None
        if "region" in kinds:
            params["region"] = rng.choice(_levels(anchor["region"])) if anchor else rng.choice(regions)
        if "year" in kinds:
            params["year"] = (_year(anchor) if anchor else "") or rng.choice(years)
        if "agency" in kinds:
            params["agency"] = anchor["agency"] if anchor else rng.choice(agencies)
        if "q" in kinds and (word := rng.choice(WORDS)):
            params["q"] = f'"{word}"'  # a quoted phrase: exactly the documents whose text holds it
        if "dates" in kinds:
            lo = f"{rng.choice(years)}-01-01"
            params["issued_from" if i % 2 else "from"] = lo
            params["issued_to" if i % 2 else "to"] = f"{int(lo[:4]) + rng.randint(0, 5)}-12-31"
        out.append(params)
    return out


def test_filter_and_facet_totals_equal_a_brute_force_count(corpus):
    client, records = corpus
    queries = _queries(records, 60)
    checked = nonzero = 0
    for params in queries:
        data = client.get("/api/search", query_string=params).get_json()
        expected = [r for r in records if _matches(r, params)]
        assert data["total"] == len(expected), (params, data["total"], len(expected))
        nonzero += bool(expected)
        years = Counter(_year(r) for r in expected)
        for bucket in data["facets"].get("year", []) if "year" not in params else []:
            assert bucket["count"] == years[bucket["value"]], (params, bucket)
            checked += 1
        regions = Counter(p for r in expected if r.get("region") for p in _levels(r["region"]))
        for bucket in data["facets"].get("region", []) if "region" not in params else []:
            assert bucket["count"] == regions[bucket["value"]], (params, bucket)
            checked += 1
    assert len(queries) >= 50 and checked > 100 and nonzero >= 30, (checked, nonzero)
    assert sum(1 for p in queries if "region" in p) >= 15


def _levels(region: str) -> list[str]:
    parts = region.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def test_a_region_filter_returns_everything_at_or_below_it(corpus):
    client, records = corpus
    for region in ("河南省", "上海市", "广东省", "广东省/广州市"):
        data = client.get("/api/search", query_string={"region": region, "all": "1", "per_page": "1"}).get_json()
        below = [
            r for r in records if (r.get("region") or "") == region or (r.get("region") or "").startswith(region + "/")
        ]
        assert data["total"] == len(below) > 0, region
    assert not [r for r in records if r.get("region") in ("河南", "上海", "广东")]  # split values are gone


def test_date_ranges_on_the_page_and_in_the_api(corpus):
    client, records = corpus
    issued = sorted(r["date_issued"] for r in records if r.get("date_issued"))
    lo, hi = issued[len(issued) // 4], issued[len(issued) // 2]
    params = {"issued_from": lo, "issued_to": hi, "all": "1"}
    data = client.get("/api/search", query_string=params).get_json()
    assert data["total"] == sum(lo <= (r.get("date_issued") or "") <= hi for r in records) > 0
    page = client.get("/search", query_string=params).get_data(as_text=True)
    assert f"成文日期：{lo} 至 {hi}" in page  # the page shows (and lets one remove) the range
    bad = client.get("/api/search", query_string={"issued_from": "2015-13-01"})
    assert bad.status_code == 400 and bad.get_json()["ok"] is False


def test_status_unknown_is_shown_as_unknown_and_markdown_as_headings(corpus):
    client, records = corpus
    law = next(r for r in records if "## " in (r.get("body") or "") and not r.get("status"))
    html = client.get(f"/doc/{law['id']}").get_data(as_text=True)
    assert "未知" in html and "## " not in html
    top = "<h3" if not any(line.startswith("# ") for line in law["body"].splitlines()) else "<h4"
    assert f'{top} class="doc-heading">' in html  # the shallowest heading follows the page's <h2>, none skipped


def test_markup_in_a_markdown_body_is_shown_as_text(tmp_path: Path):
    body = (
        "## 第一章 <script>alert(1)</script>总则\n\n第一条 <img src=x onerror=alert(2)> 为了规范管理。\n\n# <b>标题</b>"
    )
    (tmp_path / "x.jsonl").write_text(json.dumps({"id": "x", "title": "某某条例", "body": body}) + "\n", "utf-8")
    ingest([str(tmp_path / "x.jsonl")], tmp_path / "ix")
    html = create_app(Settings(index_dir=tmp_path / "ix")).test_client().get("/doc/x").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html and "<b>标题" not in html
    assert '<h4 class="doc-heading">第一章 &lt;script&gt;alert(1)&lt;/script&gt;总则</h4>' in html
    assert '<h3 class="doc-heading">&lt;b&gt;标题&lt;/b&gt;</h3>' in html
    assert "<p>第一条 &lt;img src=x onerror=alert(2)&gt; 为了规范管理。</p>" in html


def test_a_region_filter_written_short_finds_the_canonical_region(corpus):
    client, _ = corpus
    short = client.get("/api/search", query_string={"region": "河南", "all": "1"}).get_json()["total"]
    full = client.get("/api/search", query_string={"region": "河南省", "all": "1"}).get_json()["total"]
    assert short == full > 0
