"""The web product: the advanced form, the whole OpenAPI description, JSON alternates, lang on Chinese data."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import lxml.html
import pytest
from openapi_spec_validator import validate

from webapp.advanced import issued_range_supported

EMPTY_FORM = dict.fromkeys(
    ("all_words", "any_words", "phrase", "none_words", "scope", "agency", "doc_number", "region", "doc_type", "status")
    + ("from", "to"),
    "",
)


def tree(client: Any, url: str, status: int = 200) -> Any:
    """GET url, check the status, return the parsed page."""
    resp = client.get(url)
    assert resp.status_code == status, (url, resp.status_code, resp.get_data(as_text=True)[:300])
    return lxml.html.fromstring(resp.get_data(as_text=True))


def submit(client: Any, **fields: str) -> dict[str, list[str]]:
    """Submit the advanced form with some fields filled; return the parameters of the /search URL it leads to."""
    resp = client.get("/advanced?" + urlencode({**EMPTY_FORM, **fields}))
    assert resp.status_code == 303, resp.get_data(as_text=True)[:300]
    target = urlsplit(resp.headers["Location"])
    assert target.path == "/search"
    return parse_qs(target.query)


def test_advanced_form_has_every_field_and_agency_suggestions_from_the_index(client):
    page = tree(client, "/advanced")
    names = set(page.xpath("//form[@class='advanced-form']//*[@name]/@name"))
    assert names >= set(EMPTY_FORM)
    for field in page.xpath("//form[@class='advanced-form']//input[@type!='hidden' and @type!='radio'] | //select"):
        assert page.xpath(f"//label[@for='{field.get('id')}']"), field.get("name")  # every field is labelled
    agencies = page.xpath("//datalist[@id='agency-values']/option/@value")
    facet = [b["value"] for b in client.get("/api/search?q=").get_json()["facets"]["agency"]]
    assert agencies and agencies == facet[: len(agencies)]
    assert page.xpath("//header//a[@href='/advanced']"), "reachable from every page's header"
    assert tree(client, "/search?q=条例").xpath("//a[@href='/advanced']")


@pytest.mark.parametrize(
    ("fields", "q"),
    [
        ({"all_words": "安全 生产"}, "安全 生产"),
        ({"any_words": "条例 办法"}, "条例 OR 办法"),
        ({"phrase": "人民政府"}, '"人民政府"'),
        ({"all_words": "会议", "none_words": "废止 修订"}, "会议 -废止 -修订"),
        ({"all_words": "会议", "phrase": "人民 政府", "scope": "title"}, 'title:会议 title:"人民 政府"'),
        ({"all_words": 'OR -x "y"'}, '"OR" "-x" y'),
        ({"doc_number": "国发〔2023〕 5号"}, "文号:国发〔2023〕5号"),
    ],
)
def test_advanced_form_builds_the_query_a_reader_would_type(client, fields, q):
    args = submit(client, **fields)
    assert args["q"] == [q]
    typed = client.get("/api/search?" + urlencode({"q": q})).get_json()
    again = client.get("/api/search?" + urlencode(args, doseq=True)).get_json()
    assert typed["total"] == again["total"] and [h["id"] for h in typed["hits"]] == [h["id"] for h in again["hits"]]


def test_advanced_filters_become_facet_parameters_and_dates(client):
    agency = client.get("/api/search?q=").get_json()["facets"]["agency"][0]["value"]
    args = submit(client, all_words="条例", agency=agency, region="上海", doc_type="条例", **{"from": "2010-01-01"})
    assert args == {"q": ["条例"], "agency": [agency], "region": ["上海"], "doc_type": ["条例"], "from": ["2010-01-01"]}
    data = client.get("/api/search?" + urlencode(args, doseq=True)).get_json()
    assert all(h["agency"] == agency and h["date"] >= "2010-01-01" for h in data["hits"])
    unknown = submit(client, agency="某某 不存在的机关")
    assert unknown == {"q": ["机关:某某不存在的机关"]}  # not an index value: searched as text, not a facet


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"from": "2014-02-30"}, "from must be a date"),
        ({"all_words": "字" * 1001}, "at most 1000"),
        ({"issued_from": "2014-01-01"}, "成文日期"),
    ],
)
def test_advanced_form_refuses_bad_input_with_our_page(client, fields, message):
    if "issued_from" in fields and issued_range_supported():
        pytest.skip("this version filters by 成文日期")
    resp = client.get("/advanced?" + urlencode({**EMPTY_FORM, **fields}))
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)


def openapi_path(rule: str) -> str:
    """Return a werkzeug rule in OpenAPI's path form (/doc/<path:doc_id> -> /doc/{doc_id})."""
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_openapi_is_valid_and_describes_every_route_of_the_app(client, app):
    spec = client.get("/openapi.json").get_json()
    validate(spec)
    for rule in app.url_map.iter_rules():
        path = openapi_path(rule.rule)
        assert path in spec["paths"], path
        for method in rule.methods - {"OPTIONS", "HEAD"}:
            assert method.lower() in spec["paths"][path], (path, method)
    assert "head" in spec["paths"]["/export.{fmt}"]
    assert len(spec["paths"]) >= 13


@pytest.mark.parametrize("path", ["/", "/search?q=条例&topic=地方性法规", "/advanced", "/search?q=", "DOC"])
def test_every_html_page_links_to_its_json(client, path):
    if path == "DOC":
        path = "/doc/" + client.get("/api/search?q=条例").get_json()["hits"][0]["id"]
    page = tree(client, path)
    (href,) = page.xpath("//head/link[@rel='alternate' and @type='application/json']/@href")
    resp = client.get(href)
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    if path.startswith("/search"):
        assert f"找到 {resp.get_json()['total']} 篇文件" in page.xpath("string(//h1)")
    if path.startswith("/doc/"):
        assert resp.get_json()["id"] == path.removeprefix("/doc/")


CHINESE_DATA = {
    "/search?q=条例&lang=en&topic=地方性法规": [
        "//li[@class='hit']//h2/a",
        "//p[@class='snippet']",
        "//li[@class='hit']/p[@class='meta']",
        "//li[@class='badge']",
        "//aside//span[@class='label']/span[not(@aria-hidden) and not(@class)]",
        "//ul[@class='chips']//span[@lang]",
        "//h1/q",
    ],
    "DOC": [
        "//h1",
        "//div[@class='body']",
        "//table[@class='metadata']//tr[not(th='原文链接' or th='Original')]/td",
        "//aside//li/a",
    ],
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("path", list(CHINESE_DATA))
def test_chinese_content_carries_lang_zh_cn_in_every_interface_language(client, path, lang):
    xpaths = CHINESE_DATA[path]
    if path == "DOC":
        path = "/doc/" + client.get("/api/search?q=条例").get_json()["hits"][0]["id"] + "?lang=en"
    page = tree(client, path.replace("lang=en", f"lang={lang}"))
    assert page.get("lang") == ("en" if lang == "en" else "zh-CN")
    for xp in xpaths:
        found = page.xpath(xp)
        assert found, xp
        for el in found:
            assert el.xpath("ancestor-or-self::*[@lang][1]/@lang") == ["zh-CN"], (xp, lxml.html.tostring(el)[:120])
