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
    DESKTOP,
    PHONE,
    LiveServer,
    all_violations,
    browser,
    hostile_app,
    live_server,
    open_page,
    page,
    screenshot,
    scrolls_sideways,
    serious_violations,
    small_targets,
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


# --- the web product at both widths (issue 25) -------------------------------------------------------------------

WIDTHS = [pytest.param(DESKTOP, id="1280"), pytest.param(PHONE, id="390")]


def first_doc(base: str) -> str:
    """Return the id of a law with similar documents (a long page with sections below its text)."""
    return str(api(base, "/api/search?q=%E6%9D%A1%E4%BE%8B")["hits"][0]["id"])


def check_page(pg: Any, name: str, size: dict[str, int]) -> None:
    """Assert what every page must be at this width: no sideways scroll, 0 axe violations, big targets on phones."""
    assert not scrolls_sideways(pg), name
    assert all_violations(pg) == [], name
    if size == PHONE:
        assert small_targets(pg) == [], name
    screenshot(pg, f"{name}-{size['width']}", full_page=False)


@pytest.mark.parametrize("size", WIDTHS)
def test_filters_open_from_the_first_screen_and_every_control_is_big_enough(browser, live_server, size):  # noqa: F811
    with open_page(browser, live_server.url, size) as (pg, _):
        pg.goto("/search?q=条例")
        toggle = pg.locator("a.filter-toggle")
        box = toggle.bounding_box()
        assert box and box["y"] + box["height"] <= size["height"], "筛选 is on the first screen"
        assert box["height"] >= 44 and box["width"] >= 44
        check_page(pg, "results", size)
        for sel in ("p.sort a", "p.export a", "nav.pager a"):
            assert all(
                b["height"] >= 44 and b["width"] >= 44 for b in map(lambda e: e.bounding_box(), pg.locator(sel).all())
            )
        assert pg.locator("#filters").is_visible() == (size == DESKTOP)  # on a phone the panel starts closed
        toggle.click()
        panel = pg.locator("#filters").bounding_box()
        assert pg.locator("#filters").is_visible() and panel and panel["y"] <= size["height"] / 2
        check_page(pg, "filters-open", size)
        pg.locator("section.facet[aria-labelledby=facet-topic] a").first.click()
        pg.wait_for_url(re.compile(r"topic="))
        assert "#filters" not in pg.url and pg.locator("ul.chips a:not(.clear)").count() == 1


@pytest.mark.parametrize("size", WIDTHS)
def test_a_visible_skip_link_reaches_the_filters_in_two_tab_presses(browser, live_server, size):  # noqa: F811
    with open_page(browser, live_server.url, size) as (pg, _):
        pg.goto("/search?q=条例")
        pg.keyboard.press("Tab")
        pg.keyboard.press("Tab")
        assert pg.evaluate("document.activeElement.getAttribute('href')") == "#filters"
        box = pg.evaluate(
            "(() => { const r = document.activeElement.getBoundingClientRect();"
            " return [r.x, r.y, r.width, r.height]; })()"
        )
        assert box[0] >= 0 and box[1] >= 0 and box[2] >= 44 and box[3] >= 44, box  # on screen, not at -9999px
        screenshot(pg, f"skip-to-filters-{size['width']}", full_page=False)
        pg.keyboard.press("Enter")
        assert pg.evaluate("document.activeElement.id") == "filters"
        assert pg.locator("#filters").is_visible()
        pg.keyboard.press("Tab")
        assert pg.evaluate("!!document.activeElement.closest('#filters')")


@pytest.mark.parametrize("size", WIDTHS)
def test_document_page_has_jump_links_to_its_sections(browser, live_server, size):  # noqa: F811
    doc_id = first_doc(live_server.url)
    with open_page(browser, live_server.url, size) as (pg, _):
        pg.goto(f"/doc/{doc_id}?q=条例")
        jumps = pg.locator("nav.jumps a")
        assert jumps.count() >= 2 and jumps.first.bounding_box()["y"] < size["height"]
        check_page(pg, "document", size)
        pg.locator("nav.jumps a[href='#similar']").click()
        assert pg.evaluate("window.scrollY") > 0
        top = pg.locator("#similar").bounding_box()["y"]
        assert -1 <= top <= 50, top  # the section is at the top of the window
        pg.locator("#similar a").first.click()
        pg.wait_for_url(lambda u: "/doc/" in u and doc_id not in u)


@pytest.mark.parametrize("size", WIDTHS)
def test_advanced_form_leads_to_the_same_results_as_a_typed_query(browser, live_server, size):  # noqa: F811
    with open_page(browser, live_server.url, size) as (pg, _):
        pg.goto("/search?q=条例")
        pg.locator("header a.advanced").click()
        pg.wait_for_url(re.compile(r"/advanced$"))
        check_page(pg, "advanced", size)
        pg.get_by_label("包含以下全部词语").fill("条例 管理")
        pg.get_by_label("不包含以下词语").fill("废止")
        pg.get_by_label("仅标题").check()
        pg.locator("#f-agency").fill("")
        pg.locator("#f-from").fill("2010-01-01")
        pg.locator("form.advanced-form button[type=submit]").click()
        pg.wait_for_url(re.compile(r"/search\?"))
        state = parse_qs(urlsplit(pg.url).query)
        assert state["q"] == ["title:条例 title:管理 -title:废止"] and state["from"] == ["2010-01-01"]
        total = api(live_server.url, "/api/search?" + urlsplit(pg.url).query)["total"]
        assert total > 0 and f"找到 {total} 篇文件" in pg.locator("h1").inner_text()
        alternate = pg.locator("link[rel=alternate][type='application/json']").get_attribute("href")
        assert api(live_server.url, alternate)["total"] == total  # the page's own JSON


@pytest.mark.parametrize("size", WIDTHS)
def test_a_long_passage_is_posted_and_its_results_stay_shareable(browser, live_server, size):  # noqa: F811
    passage = ("为了加强出版物发行的管理，发展和繁荣文化事业，促进社会主义精神文明建设" * 30)[:1000]
    with open_page(browser, live_server.url, size) as (pg, _):
        pg.goto("/advanced")
        pg.locator("#f-long").fill(passage + "多余")  # the box holds at most 1,000 characters
        assert len(pg.locator("#f-long").input_value()) == 1000
        pg.locator("form.long-text button").click()
        pg.wait_for_url(re.compile(r"/search\?qid=[0-9a-f]{20}$"))
        heading = pg.locator("h1").inner_text()
        assert "找到" in heading and passage[:20] in heading and len(heading) < 100  # the h1 shows its start only
        assert pg.locator("a.filter-toggle").bounding_box()["y"] < size["height"] / 2
        shared = pg.url
        check_page(pg, "posted-query", size)
    with open_page(browser, live_server.url, size) as (pg, _):  # another reader, the same URL
        pg.goto(shared)
        assert pg.locator("h1").inner_text() == heading
        resp = pg.goto("/search?q=" + "字" * 1001)
        assert resp.status == 400 and resp.headers["content-security-policy"]
        assert "查询有 1001 个字，最多 1000 个字" in pg.locator("main").inner_text()
        check_page(pg, "query-too-long", size)


@pytest.mark.parametrize("size", WIDTHS)
def test_export_downloads_are_named_from_the_query(browser, live_server, size):  # noqa: F811
    from datetime import datetime
    from zoneinfo import ZoneInfo

    day = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    with open_page(browser, live_server.url, size) as (pg, _):
        pg.goto("/search?q=安全生产")
        for fmt in ("CSV", "XLSX"):
            with pg.expect_download() as info:
                pg.locator("p.export a", has_text=fmt).click()
            assert info.value.suggested_filename == f"govsearch-安全生产-{day}.{fmt.lower()}"


@pytest.mark.parametrize("size", WIDTHS)
def test_english_interface_marks_chinese_content(browser, live_server, size):  # noqa: F811
    with open_page(browser, live_server.url, size) as (pg, _):
        pg.goto("/search?q=条例&lang=en")
        assert pg.evaluate("document.documentElement.lang") == "en"
        wrong = pg.evaluate(
            "[...document.querySelectorAll('.hit h2 a, .snippet, .hit .meta, .badge, "
            ".facet .label span:not([aria-hidden]):not(.visually-hidden)')]"
            ".filter(e => e.closest('[lang]').lang !== 'zh-CN').length"
        )
        assert wrong == 0
        check_page(pg, "results-english", size)
