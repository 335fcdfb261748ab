"""End-to-end tests in Debian's headless Chromium: the reader's path, keyboard use, axe-core, screenshots."""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser_support import (  # noqa: F401  (fixtures)
    PHONE,
    LiveServer,
    browser,
    hostile_app,
    live_server,
    open_page,
    page,
    screenshot,
    serious_violations,
)

pytestmark = pytest.mark.browser


def api(base: str, path: str) -> Any:
    """GET a JSON API path from the live server."""
    with urllib.request.urlopen(base + path, timeout=30) as r:
        return json.load(r)


def test_search_two_facets_document_precedent_and_csv_export(page, live_server):  # noqa: F811
    page.goto("/")
    page.get_by_label("搜索政府文件").fill("安全生产")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    assert re.search(r"找到 \d+ 篇文件", page.locator("h1").inner_text())
    screenshot(page, "search-results")

    page.locator("section.facet[aria-labelledby=facet-topic] a", has_text="交通").first.click()
    page.locator("section.facet[aria-labelledby=facet-region] a", has_text="山东").first.click()
    page.wait_for_load_state()
    state = parse_qs(urlsplit(page.url).query)
    assert state["topic"] == ["交通"] and state["region"] == ["山东省"]  # split values are one: 山东 is 山东省
    assert page.locator("ul.chips a:not(.clear)").count() == 2
    total = api(live_server.url, "/api/search?" + urlsplit(page.url).query)["total"]
    assert f"找到 {total} 篇文件" in page.locator("h1").inner_text() and total > 0
    results_url = page.url

    page.locator("ol.hits li.hit h2 a").first.click()
    page.wait_for_url(re.compile(r"/doc/"))
    assert page.locator("table.metadata th", has_text="发文机关").count() == 1
    assert page.locator(".body mark").count() > 0
    screenshot(page, "document")
    first_doc = page.url
    page.locator("ul.similar a").first.click()
    page.wait_for_url(lambda url: "/doc/" in url and url != first_doc)
    assert page.locator("h1").inner_text()

    page.goto(results_url)
    with page.expect_download() as info:
        page.locator("p.export a", has_text="CSV").click()
    rows = list(csv.reader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8-sig"))))
    assert len(rows) - 1 == total and rows[0][0] == "id"


def test_keyboard_skip_link_and_search_box(page):  # noqa: F811
    page.goto("/search?q=安全生产")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "跳到正文"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.goto("/")
    for _ in range(3):
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("征地补偿")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=%E5%BE%81%E5%9C%B0"))


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/search?q=安全生产&topic=交通",
        "/search?q=人民政府&lang=en",
        "/search?q=&year=2021",
        "/doc/no-such-document",
    ],
)
def test_axe_finds_no_serious_violations(page, path):  # noqa: F811
    page.goto(path)
    assert serious_violations(page) == []


def test_axe_on_a_document_page_and_phone_width(browser, live_server):  # noqa: F811
    doc_id = api(
        live_server.url, "/api/search?q=%E4%BC%9A%E8%AE%AE&topic=%E5%9C%B0%E6%96%B9%E6%80%A7%E6%B3%95%E8%A7%84"
    )["hits"][0]["id"]
    with open_page(browser, live_server.url) as (pg, problems):
        pg.goto(f"/doc/{doc_id}?q=会议")
        assert serious_violations(pg) == []
    with open_page(browser, live_server.url, PHONE) as (pg, problems):
        pg.goto("/search?q=人民政府")
        assert serious_violations(pg) == []
        assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
        screenshot(pg, "results-phone", full_page=False)
        pg.goto(f"/doc/{doc_id}?q=会议")
        assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(pg, "document-phone", full_page=False)


def test_hostile_documents_run_no_script_in_the_browser(browser, hostile_app):  # noqa: F811
    with LiveServer(hostile_app) as server, open_page(browser, server.url) as (pg, problems):
        for path in ("/search?q=安全生产", "/doc/evil-1?q=安全生产", "/doc/evil-3", "/search?q=&region=福建省"):
            pg.goto(path)
            assert pg.evaluate("document.querySelectorAll('script, img[onerror], svg[onload]').length") == 0
            assert pg.locator("a[href^='javascript:']").count() == 0
        pg.goto("/doc/evil-1")
        assert pg.locator("h1").inner_text() == "<script>alert('t')</script>恶意标题 安全生产"
        screenshot(pg, "hostile-document")
        pg.goto("/search?q=&region=福建省/福州市")
        assert serious_violations(pg) == []
        screenshot(pg, "region-drilldown")
