"""The web app through the Flask test client: pages, URL state, facets, feeds, OpenAPI, exports, hostile input."""

from __future__ import annotations

import csv
import io
import json
import re
import socket
import subprocess
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import lxml.html
import pytest

from tests.browser_support import HOSTILE_RECORDS, build_index, hostile_app  # noqa: F401  (a fixture)

ATOM = "{http://www.w3.org/2005/Atom}"


def html(client: Any, url: str, status: int = 200) -> Any:
    """GET url, check the status, return the parsed HTML tree."""
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code, r.get_data(as_text=True)[:300])
    return lxml.html.fromstring(r.get_data(as_text=True))


def query(url: str) -> dict[str, list[str]]:
    """Return the query parameters of a URL."""
    return parse_qs(urlsplit(url).query)


@pytest.fixture
def evil(hostile_app: Any) -> Any:  # noqa: F811
    return hostile_app.test_client()


# --- search page -------------------------------------------------------------------------------------------------


def test_results_show_title_agency_number_date_badges_snippet(client):
    tree = html(client, "/search?q=人民政府")
    assert re.search(r"找到 \d+ 篇文件", tree.findtext(".//h1"))
    hits = tree.cssselect("ol.hits > li.hit")
    assert len(hits) == 20
    assert all(h.cssselect("h2 a")[0].get("href").startswith("/doc/") for h in hits)
    assert any(h.cssselect(".snippet mark") for h in hits)
    assert any(h.cssselect(".badges .badge") for h in hits)
    gd = [h for h in hits if "粤府" in h.text_content()]  # policy records carry agency, 文号 and date
    assert gd and re.search(r"\d{4}-\d{2}-\d{2}", gd[0].cssselect(".meta")[0].text_content())


def test_home_page_has_one_labelled_search_box(client):
    tree = html(client, "/")
    boxes = tree.cssselect("form[role=search] input[type=search]")
    assert len(boxes) == 1 and tree.cssselect(f"label[for={boxes[0].get('id')}]")


def test_empty_query_lists_every_document(client):
    total = client.get("/api/search?q=").get_json()["total"]
    assert total > 1000
    assert f"找到 {total} 篇文件" in html(client, "/search?q=").findtext(".//h1")


def test_sort_by_date_is_newest_first_and_in_the_url(client):
    tree = html(client, "/search?q=安全生产")
    newest = [a for a in tree.cssselect(".sort a") if a.text_content() == "最新"][0].get("href")
    assert query(newest)["sort"] == ["date"]
    dates = [h["date"] for h in client.get(f"/api/search?{urlsplit(newest).query}&per_page=50").get_json()["hits"]]
    dated = [d for d in dates if d]
    assert dated == sorted(dated, reverse=True) and len(dated) > 10


def test_pagination_links_keep_the_state(client):
    tree = html(client, "/search?q=人民政府&topic=地方性法规&sort=date&page=2")
    pager = tree.cssselect("nav.pager")[0]
    assert pager.cssselect("a[aria-current=page]")[0].text_content() == "2"
    nxt = pager.cssselect("a[rel=next]")[0].get("href")
    assert query(nxt) == {"q": ["人民政府"], "topic": ["地方性法规"], "sort": ["date"], "page": ["3"]}
    assert tree.cssselect("ol.hits")[0].get("start") == "21"


def test_huge_page_numbers(client):
    tree = html(client, "/search?q=人民政府&page=600")  # past the 10,000th hit: an empty page that says so
    assert not tree.cssselect("li.hit") and "这一页没有结果" in tree.text_content()
    data = client.get("/api/search?q=人民政府&page=600").get_json()
    assert data["hits"] == [] and data["total"] > 0 and data["page"] == 600 and data["warnings"]
    assert client.get("/api/search?q=人民政府&page=1000001").status_code == 400
    assert client.get("/search?q=人民政府&page=99999999999999999999").status_code == 400


def test_two_values_of_a_facet_or_and_each_is_removable(client):
    one = client.get("/api/search?q=&topic=交通").get_json()["total"]
    two = client.get("/api/search?q=&topic=教育").get_json()["total"]
    tree = html(client, "/search?q=&topic=交通")
    edu = [a for a in tree.cssselect("section.facet a") if a.cssselect(".label")[0].text_content() == "教育"][0]
    assert query(edu.get("href"))["topic"] == ["交通", "教育"]
    tree = html(client, edu.get("href"))
    assert f"找到 {one + two} 篇文件" in tree.findtext(".//h1")
    selected = [a.cssselect(".label")[0].text_content() for a in tree.cssselect("section.facet a.selected")]
    assert {s.lstrip("✓ ").split("（")[0] for s in selected} == {"交通", "教育"}
    chips = {a.text_content().split(" ")[0]: a.get("href") for a in tree.cssselect("ul.chips a:not(.clear)")}
    assert query(chips["主题分类：交通"])["topic"] == ["教育"]
    assert "topic" not in query(tree.cssselect("ul.chips a.clear")[0].get("href"))


def test_facets_of_different_fields_and(client):
    both = client.get("/api/search?q=&topic=交通&region=山东").get_json()
    assert 0 < both["total"] < client.get("/api/search?q=&topic=交通").get_json()["total"]
    tree = html(client, "/search?q=&topic=交通&region=山东")
    assert len(tree.cssselect("ul.chips a:not(.clear)")) == 2
    headings = [h.text_content() for h in tree.cssselect("section.facet h3")]
    assert headings[:3] == ["主题分类", "发文机关", "地区"] or headings[:2] == ["主题分类", "地区"]


def test_region_facet_drills_down_province_city_county(evil):
    tree = html(evil, "/search?q=")
    regions = tree.cssselect("section.facet[aria-labelledby=facet-region] > ul > li > a")
    fujian = [a for a in regions if "福建省" in a.text_content()][0]
    assert fujian.cssselect(".count")[0].text_content() == "4"
    tree = html(evil, fujian.get("href"))
    cities = tree.cssselect("section.facet[aria-labelledby=facet-region] li li > a")
    assert {a.cssselect(".label")[0].text_content() for a in cities} == {"福州市", "厦门市"}
    fuzhou = [a for a in cities if "福州市" in a.text_content()][0]
    assert query(fuzhou.get("href"))["region"] == ["福建省/福州市"]  # the city replaces its province
    tree = html(evil, fuzhou.get("href"))
    assert "找到 3 篇文件" in tree.findtext(".//h1")
    cities = tree.cssselect("section.facet[aria-labelledby=facet-region] li li > a")
    shown = {a.cssselect(".label")[0].text_content().lstrip("✓ ").split("（")[0]: a for a in cities}
    assert {"福州市", "厦门市"} <= set(shown)  # the sibling city stays one click away after drilling in
    assert query(shown["厦门市"].get("href"))["region"] == ["福建省/福州市", "福建省/厦门市"]
    county = [a for a in tree.cssselect("section.facet li li li > a") if "闽侯县" in a.text_content()][0]
    assert "找到 2 篇文件" in html(evil, county.get("href")).findtext(".//h1")


def test_date_range_filter(client):
    all_ = client.get("/api/search?q=人民政府").get_json()["total"]
    some = client.get("/api/search?q=人民政府&from=2020-01-01&to=2021-12-31").get_json()
    assert 0 < some["total"] < all_
    tree = html(client, "/search?q=人民政府&topic=交通&from=2020-01-01&to=2021-12-31")
    form = tree.cssselect("form.daterange")[0]
    assert form.cssselect("input#from")[0].get("value") == "2020-01-01"
    hidden = {(i.get("name"), i.get("value")) for i in form.cssselect("input[type=hidden]")}
    assert hidden == {("q", "人民政府"), ("topic", "交通")}
    chip = [a for a in tree.cssselect("ul.chips a") if "2020-01-01" in a.text_content()][0]
    assert "from" not in query(chip.get("href")) and query(chip.get("href"))["topic"] == ["交通"]
    assert client.get("/search?q=x&from=2020-13-01").status_code == 400
    assert client.get("/api/search?q=x&to=20200101").status_code == 400


def test_year_chart_is_an_svg_whose_bars_filter_to_their_year(client):
    tree = html(client, "/search?q=人民政府")
    bars = tree.cssselect("figure.chart svg a")
    assert len(bars) >= 5 and all(b.cssselect("rect.fill") and b.get("aria-label") for b in bars)
    years = client.get("/api/search?q=人民政府").get_json()["facets"]["year"]
    b2021 = [b for b in bars if b.get("aria-label").startswith("2021")][0]
    assert f"{dict((y['value'], y['count']) for y in years)['2021']} 篇" in b2021.get("aria-label")
    assert query(b2021.get("href"))["year"] == ["2021"]
    data = client.get(f"/api/search?{urlsplit(b2021.get('href')).query}&per_page=100").get_json()
    assert data["hits"] and all(h["date"].startswith("2021") for h in data["hits"] if h["date"])
    selected = html(client, b2021.get("href")).cssselect("figure.chart svg a.selected")
    assert len(selected) == 1 and "year" not in query(selected[0].get("href"))  # clicking again clears it


def test_pages_have_no_inline_script_style_or_handlers_and_no_external_assets(client, evil):
    for c, url in (
        (client, "/"),
        (client, "/search?q=人民政府&topic=交通"),
        (evil, "/doc/evil-1?q=安全生产"),
        (evil, "/search?q=安全生产"),
        (client, "/doc/no-such"),
        (client, "/search?q=x&page=abc"),
    ):
        text = c.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), url
        assert not re.search(r"<[^>]+\s(style|on[a-z]+)\s*=", text), url
        for ref in re.findall(r'<(?:link|script|img)[^>]+(?:href|src)="([^"]+)"', text):
            assert ref.startswith("/"), (url, ref)
    for asset in ("/static/app.css", "/static/favicon.svg"):
        with client.get(asset) as r:
            assert r.status_code == 200


# --- document page -----------------------------------------------------------------------------------------------


def test_document_page_metadata_marked_text_and_back_link(client):
    hit = client.get("/api/search?q=会议&topic=地方性法规&per_page=1").get_json()["hits"][0]  # a law: it has a body
    tree = html(client, f"/doc/{hit['id']}?q=会议")
    rows = [th.text_content() for th in tree.cssselect("table.metadata th")]
    assert rows[:7] == ["索引号", "发文机关", "文号", "成文日期", "发布日期", "主题分类", "体裁"]
    assert {"有效性", "原文链接"} <= set(rows)
    assert tree.cssselect(".body mark#first-match") and tree.cssselect('a[href="#first-match"]')
    assert {m.text_content() for m in tree.cssselect(".body mark")} == {"会议"}
    assert query(tree.cssselect("p.back a")[0].get("href"))["q"] == ["会议"]


def test_document_page_lists_citations_attachments_and_precedents(evil):
    tree = html(evil, "/doc/evil-3")
    cited = tree.cssselect("section[aria-labelledby=cited-title] a")
    assert {a.get("href") for a in cited} == {"/doc/evil-1", "/doc/evil-2"}
    links = {a.text_content(): a.get("href") for a in tree.cssselect("section.attachments a")}
    assert links == {"检查表.pdf": "https://www.example.gov.cn/files/plan.pdf"}  # ftp: is shown, not linked
    assert "名单.xls" in tree.cssselect("section.attachments")[0].text_content()
    assert tree.cssselect("a[href='https://www.example.gov.cn/b']")
    similar = [a.get("href") for a in tree.cssselect("ul.similar a")]
    assert similar and "/doc/evil-3" not in similar
    assert [a.get("href") for a in html(evil, "/doc/evil-1").cssselect("section[aria-labelledby=cites-title] a")] == [
        "/doc/evil-3"
    ]


def test_document_page_shows_other_places_published(client, backend):
    row = (
        backend.store()
        .db.execute("SELECT dup_of FROM records WHERE dup_of IS NOT NULL GROUP BY dup_of HAVING count(*) > 1")
        .fetchone()
    )
    if row is None:
        pytest.skip("the session corpus has no duplicate group")
    ids = backend.store().duplicates_of(row[0])
    tree = html(client, f"/doc/{ids[0]}")
    assert {a.get("href") for a in tree.cssselect("section[aria-labelledby=copies-title] a")} >= {
        f"/doc/{i}" for i in ids[1:]
    }
    api = client.get(f"/api/doc/{ids[0]}").get_json()
    assert {d["id"] for d in api["also_published_at"]} == set(ids[1:])


def test_similar_documents_from_other_regions_come_first(client):
    hit = client.get("/api/search?q=title:人民代表大会常务委员会议事规则&per_page=1").get_json()["hits"][0]
    tree = html(client, f"/doc/{hit['id']}")
    regions = [
        li.cssselect(".meta span")[0].text_content() if li.cssselect(".meta span") else ""
        for li in tree.cssselect("ul.similar > li")
    ]
    mine = (hit["region"] or "").split("/")[0]
    if not mine or mine not in regions:
        pytest.skip("no similar document from the same region to order")
    first_same = regions.index(mine)
    assert all(r == mine for r in regions[first_same:] if r)


def test_unknown_document_is_a_readable_404(client):
    tree = html(client, "/doc/no-such-document", 404)
    assert "404" in tree.findtext(".//h1") and tree.cssselect("a[href='/']")
    assert client.get("/api/doc/no-such-document").get_json() == {"ok": False, "error": "not found"}


# --- hostile documents -------------------------------------------------------------------------------------------


def test_hostile_documents_render_as_text_everywhere(evil):
    for url in ("/search?q=安全生产", "/search?q=", "/doc/evil-1", "/doc/evil-1?q=安全生产", "/doc/evil-3"):
        text = evil.get(url).get_data(as_text=True)
        assert "<script>alert" not in text and "<img src=x" not in text and "<svg onload" not in text, url
        assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", text, re.I), url
        assert "<i>主题</i>" not in text and "<b>文号</b>" not in text, url
    page = evil.get("/doc/evil-1").get_data(as_text=True)
    assert "&lt;script&gt;alert" in page and "onerror=alert(1)&gt;" in page
    assert "javascript:alert(1)" in page  # shown as text, not linked
    feed = evil.get("/search.atom?q=安全生产").get_data(as_text=True)
    titles = [e.findtext(f"{ATOM}title") for e in ET.fromstring(feed).iter(f"{ATOM}entry")]
    assert "<script>alert('t')</script>恶意标题 安全生产" in titles


def test_api_returns_hostile_text_unchanged(evil):
    rec = evil.get("/api/doc/evil-1").get_json()
    assert rec["title"].startswith("<script>") and rec["url"] == "javascript:alert(1)"
    assert set(evil.get("/api/doc/evil-3").get_json()["cited_by"]) == {"evil-1", "evil-2"}


# --- exports -----------------------------------------------------------------------------------------------------


def test_export_links_on_the_page_and_a_manifest_that_reruns(client):
    tree = html(client, "/search?q=安全生产&topic=交通&sort=date")
    links = {a.text_content().strip(): a.get("href") for a in tree.cssselect("p.export a")}
    assert {"CSV", "JSONL", "XLSX"} <= set(links)
    csv_url = links["CSV"]
    assert query(csv_url) == {"q": ["安全生产"], "topic": ["交通"], "sort": ["date"]}
    rows = list(csv.reader(io.StringIO(client.get(csv_url).get_data().decode("utf-8-sig"))))
    total = client.get("/api/search?q=安全生产&topic=交通").get_json()["total"]
    assert len(rows) - 1 == total and rows[0][:3] == ["id", "title", "url"]
    manifest_url = [href for label, href in links.items() if "来源说明" in label][0]
    manifest = client.get(manifest_url).get_json()
    assert manifest["count"] == total and manifest["query"] == "安全生产" and manifest["filters"] == [["topic", "交通"]]
    rerun = urlsplit(manifest["rerun"])
    again = client.get(f"{rerun.path}?{rerun.query}").get_data().decode("utf-8-sig")
    assert [r[0] for r in csv.reader(io.StringIO(again))] == [r[0] for r in rows]


def test_jsonl_and_xlsx_exports(client):
    lines = client.get("/export.jsonl?q=安全生产&region=北京").get_data(as_text=True).splitlines()
    assert len(lines) == client.get("/api/search?q=安全生产&region=北京").get_json()["total"]
    assert all("text_sha256" in json.loads(line) for line in lines)
    r = client.get("/export.xlsx?q=安全生产&region=北京")
    assert r.status_code == 200 and r.get_data()[:2] == b"PK"
    assert client.get("/export.pdf?q=x").status_code == 404
    assert client.get("/export.csv?q=x&sort=nope").get_json()["ok"] is False


# --- feeds, OpenSearch, OpenAPI ----------------------------------------------------------------------------------


def test_atom_feed_is_newest_first_and_linked_from_the_page(client):
    tree = html(client, "/search?q=人民政府&topic=交通")
    alternate = tree.cssselect("link[rel=alternate][type='application/atom+xml']")[0].get("href")
    r = client.get(alternate)
    assert r.mimetype == "application/atom+xml"
    feed = ET.fromstring(r.get_data())
    entries = list(feed.iter(f"{ATOM}entry"))
    assert entries and feed.findtext(f"{ATOM}id") and feed.findtext(f"{ATOM}updated")
    stamps = [e.findtext(f"{ATOM}updated") for e in entries]
    assert stamps == sorted(stamps, reverse=True)
    assert all(e.findtext(f"{ATOM}id").startswith("http://127.0.0.1:8000/doc/") for e in entries)
    assert all("<mark>" in (e.findtext(f"{ATOM}summary") or "<mark>") for e in entries)


def test_opensearch_description_is_linked_from_head(client):
    tree = html(client, "/")
    link = tree.cssselect("head link[rel=search]")[0]
    assert link.get("type") == "application/opensearchdescription+xml"
    r = client.get(link.get("href"))
    assert r.mimetype == "application/opensearchdescription+xml"
    doc = ET.fromstring(r.get_data())
    ns = "{http://a9.com/-/spec/opensearch/1.1/}"
    templates = {u.get("type"): u.get("template") for u in doc.iter(f"{ns}Url")}
    assert templates["text/html"].startswith("http://127.0.0.1:8000/search?q={searchTerms}")
    assert "application/atom+xml" in templates and len(doc.findtext(f"{ns}ShortName")) <= 16


def _openapi(client: Any) -> dict[str, Any]:
    from openapi_spec_validator import validate

    spec = client.get("/openapi.json").get_json()
    validate(spec)
    return spec


def _check(spec: dict[str, Any], response: Any, path: str, status: int) -> None:
    import jsonschema

    schema = spec["paths"][path]["get"]["responses"][str(status)]["content"]["application/json"]["schema"]
    jsonschema.validate(
        response.get_json(), {**schema, "components": spec["components"]}, cls=jsonschema.Draft202012Validator
    )
    assert response.status_code == status


def test_openapi_document_is_valid_and_describes_real_responses(client):
    spec = _openapi(client)
    names = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert names >= {
        "q",
        "page",
        "per_page",
        "sort",
        "from",
        "to",
        "topic",
        "agency",
        "region",
        "year",
        "doc_type",
        "status",
    }
    _check(spec, client.get("/api/search?q=安全生产&topic=交通&per_page=5"), "/api/search", 200)
    _check(spec, client.get("/api/search?q=x&per_page=500"), "/api/search", 400)
    doc_id = client.get("/api/search?q=安全生产").get_json()["hits"][0]["id"]
    _check(spec, client.get(f"/api/doc/{doc_id}"), "/api/doc/{doc_id}", 200)
    _check(spec, client.get("/api/doc/nope"), "/api/doc/{doc_id}", 404)
    _check(spec, client.get("/healthz"), "/healthz", 200)


@pytest.mark.parametrize(
    "url",
    [
        "/api/search?q=%00%01",
        "/api/search?q=" + "字" * 1001,
        '/api/search?q="unbalanced',
        "/api/search?q=-",
        "/api/search?q=OR",
        "/api/search?q=date:2014-99-99",
        "/api/search?q=title:",
        "/api/search?synonyms=maybe",
        "/api/search?all=yes",
        "/api/search?per_page=0",
        "/api/search?page=-1",
        "/api/search?page=1.5",
        "/api/search?year=abc&topic=",
        "/api/search?from=2014-02-30",
        "/api/search?sort=",
        "/api/search?page=",
        "/api/search?from=&to=",
        "/api/search?q=%C2%A2",
    ],
)
def test_odd_parameters_are_answered_200_or_400_never_500(client, url):
    r = client.get(url)
    assert r.status_code in (200, 400), url
    assert r.get_json()["ok"] is False if r.status_code == 400 else "hits" in r.get_json()


@pytest.mark.parametrize("q", ["安全生产 、", "安全 ！", "a ·"])
def test_query_with_a_punctuation_word_is_not_a_server_error(client, q):
    assert client.get("/api/search", query_string={"q": q}).status_code == 200


def test_wrong_method_is_405_with_allow(client):
    r = client.post("/api/search?q=x")
    assert r.status_code == 405 and r.get_json()["ok"] is False and "GET" in r.headers["Allow"]
    r = client.delete("/search?q=x")
    assert (
        r.status_code == 405
        and "GET" in r.headers["Allow"]
        and "POST" in r.headers["Allow"]
        and "<h1>405" in r.get_data(as_text=True)
    )


# --- language ----------------------------------------------------------------------------------------------------


def test_english_switch_keeps_lang_in_links_and_a_cookie(app):
    c = app.test_client()
    tree = html(c, "/search?q=安全生产&topic=交通")
    switch = tree.cssselect("a.lang")[0].get("href")
    assert query(switch)["lang"] == ["en"] and query(switch)["topic"] == ["交通"]
    r = c.get(switch)
    assert "lang=en" in r.headers.get("Set-Cookie", "")
    tree = lxml.html.fromstring(r.get_data(as_text=True))
    assert tree.get("lang") == "en" and "documents found" in tree.findtext(".//h1")
    hrefs = [a.get("href") for a in tree.cssselect("ol.hits a, section.facet a, nav.pager a")]
    assert hrefs and all(query(h).get("lang") == ["en"] for h in hrefs)
    assert html(c, "/").get("lang") == "en"  # the cookie remembers the choice
    assert html(c, "/?lang=zh").get("lang") == "zh-CN"


def test_every_interface_string_has_both_languages():
    from webapp.i18n import MESSAGES

    assert all(zh and en for zh, en in MESSAGES.values())


# --- production serving ------------------------------------------------------------------------------------------


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.load(r)


def _wait_for(check: Any, seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        try:
            value = check()
            if value:
                return value
        except OSError:
            pass
        if time.monotonic() > deadline:
            return None
        time.sleep(0.25)


def test_gunicorn_serves_a_rebuilt_index_without_restart(tmp_path: Path):
    ix = build_index(HOSTILE_RECORDS[:2], tmp_path / "ix")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "indexer.cli",
            "serve",
            "--index",
            str(ix),
            "--port",
            str(port),
            "--workers",
            "2",
            "--threads",
            "2",
        ],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert _wait_for(lambda: _get_json(f"{base}/healthz")["ok"], 60), "gunicorn did not answer /healthz"
        assert _get_json(f"{base}/api/search?q={quote('鼓浪屿')}")["total"] == 0
        new = {
            "id": "new-5",
            "title": "鼓浪屿历史风貌建筑保护条例",
            "body": "鼓浪屿历史风貌建筑的保护。",
            "date": "2018-05-01",
            "region": "福建省/厦门市",
        }
        build_index([new], ix)  # ingest into the same index directory while the server runs
        found = _wait_for(
            lambda: [_get_json(f"{base}/api/search?q={quote('鼓浪屿')}")["total"] for _ in range(4)] == [1] * 4, 20
        )
        assert found, "the served site did not pick up the new document"
        with urllib.request.urlopen(f"{base}/doc/new-5", timeout=10) as r:
            assert "鼓浪屿历史风貌建筑保护条例" in r.read().decode("utf-8")
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "Traceback" not in err, err[-2000:]


def test_pager_shows_first_last_and_a_window():
    from webapp.facets import pager

    assert pager(1, 1) == [1]
    assert pager(1, 10) == [1, 2, 3, None, 10]
    assert pager(6, 10) == [1, None, 4, 5, 6, 7, 8, None, 10]
    assert pager(600, 500) == [1, None, 500]


def test_region_toggle_replaces_ancestors_and_descendants_other_facets_add():
    from webapp.facets import toggled

    assert toggled(["福建省"], "region", "福建省/福州市") == ["福建省/福州市"]
    assert toggled(["福建省/福州市", "广东省"], "region", "福建省") == ["广东省", "福建省"]
    assert toggled(["福建省/福州市"], "region", "福建省/福州市") == []
    assert toggled(["交通"], "topic", "教育") == ["交通", "教育"]
