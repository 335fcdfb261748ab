"""The evidence that a link is a notice, and the check of a fetched page, without a crawl."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from indexer.crawl.evidence import (
    diagnose,
    groups,
    in_chrome,
    more_text,
    notice_groups,
    pager_text,
    selector_of,
    title_like,
)
from indexer.crawl.links import Scope, list_page_links
from indexer.crawl.profiles import ProfileError, load_profile
from indexer.crawl.verify import classify

FIXTURE_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "html_fixtures" / "guangzhou_tianhe"
BASE = "http://x.gov.cn/xxgk/tzgg/index.html"
COLUMN = "http://x.gov.cn/xxgk/tzgg/"


def on_site(url: str) -> bool:
    return url.startswith("http://x.gov.cn/")


@pytest.mark.parametrize(
    "text",
    [
        "关于做好2025年秋季森林防火工作的通知",
        "县人民政府关于调整城乡居民最低生活保障标准的批复",
        "广州市公共租赁住房保障办法",
        "广州市人民政府办公厅关于印发特困人员救助供养实施办法的通知（穗府办规〔2021〕7号）",
        "关于印发《农村人居环境整治提升实施方案》的通知（征求意见稿）",
        "县长带您走进美丽乡村建设一线看变化",  # no 文种, but a long sentence of Chinese
    ],
)
def test_notice_titles(text):
    assert title_like(text)


@pytest.mark.parametrize(
    "text", ["首页", "网站地图", "联系我们", "关于我们", "更多>>", "下一页", "广东省人民政府门户网站", "English", "12"]
)
def test_not_notice_titles(text):
    assert not title_like(text)


def test_pager_and_more_links():
    assert all(pager_text(t) for t in ("下一页", "下页", "尾页", "3", "»", "›", "next"))
    assert not any(pager_text(t) for t in ("首页", "关于开展检查的通知"))  # 首页 is also the home page's link
    assert more_text("更多>>") and more_text("更多") and not more_text("更多信息公开目录")


PAGE = """<html><body>
<div class="header"><ul><li><a href="/">首页</a></li><li><a href="/xxgk/">信息公开</a></li></ul></div>
<div class="position"><a href="/">首页</a> &gt; <a href="/xxgk/tzgg/">通知公告</a></div>
<div class="main"><ul class="list">
<li><a href="a1.html">关于做好2025年秋季森林防火工作的通知</a><span>2025-09-01</span></li>
<li><a href="a2.html">关于开展2025年度安全生产大检查的通知</a><span>2025-08-20</span></li>
<li><a href="a3.html">征兵公告</a><span>2025-08-01</span></li></ul></div>
<div class="side"><ul>
<li><a href="/other/h1.html">关于开展第一批政务服务满意度调查的通知</a><span>2025-06-01</span></li>
<li><a href="/other/h2.html">关于开展第二批政务服务满意度调查的通知</a><span>2025-06-02</span></li></ul></div>
<div class="footer"><a href="/wzdt.html">网站地图</a> <a href="/lxwm.html">联系我们</a></div></body></html>"""


def test_the_column_list_is_taken_not_the_sidebar_navigation_or_footer():
    soup = BeautifulSoup(PAGE, "lxml")
    picked = notice_groups(groups(soup, BASE, COLUMN, on_site))
    assert [url for g in picked for url, _, _ in g.links] == [
        COLUMN + "a1.html",
        COLUMN + "a2.html",
        COLUMN + "a3.html",
    ]
    assert picked[0].why() == (
        "3 links repeating in ul.list: 2/3 read as notice titles, 3/3 with a date beside, 3/3 in the column folder"
    )  # 征兵公告 is too short to read as a title alone; its list carries it
    assert selector_of(soup, picked[0], {id(a) for _, a, _ in picked[0].links}) == "ul.list > li > a"
    assert in_chrome(soup.select_one(".position a")) and in_chrome(soup.select_one(".footer a"))
    assert not in_chrome(soup.select_one("ul.list a"))


def test_outside_the_folder_only_the_best_group_and_a_known_block_wins_a_short_page():
    main = "".join(
        f'<li><a href="/info/{n}.html">关于开展第{n}次安全检查的通知</a><em>2025-08-0{n}</em></li>' for n in (1, 2)
    )
    side = "".join(
        f'<p><a href="/info/9{n}.html">关于第{n}批政务服务满意度调查的通知</a> 2025-06-0{n}</p>' for n in range(4)
    )
    soup = BeautifulSoup(f'<div class="l"><div>{side}</div></div><div class="r"><ul>{main}</ul></div>', "lxml")
    found = groups(soup, BASE, COLUMN, on_site)
    alone = notice_groups(found)
    assert [g.block_name() for g in alone] == ["div"]  # judged alone, the longer sidebar wins
    main_key = next(g.key() for g in found if g.block_name() == "ul")
    assert [g.block_name() for g in notice_groups(found, {main_key})] == ["ul"]  # the column's block, from page 1


def test_a_page_of_navigation_says_why_no_notice_is_there():
    soup = BeautifulSoup(
        '<ul class="nav">' + "".join(f'<li><a href="/l{k}/">栏目{k}</a></li>' for k in range(5)), "lxml"
    )
    found = groups(soup, BASE, COLUMN, on_site)
    assert not notice_groups(found)
    assert diagnose(found).startswith("5 links (5 in navigation/footer), none reads as a list of notices")
    assert diagnose([]) == "no links on the page"


def test_a_fetched_page_is_a_notice_a_list_or_neither():
    soup = BeautifulSoup(PAGE, "lxml")
    assert classify(BASE, PAGE.encode(), "text/html; charset=utf-8", soup, on_site).kind == "list"
    stub = "<html><head><title>视频</title></head><body><h1>视频：县长带您走进乡村</h1><video></video></body></html>"
    verdict = classify(COLUMN + "v.html", stub.encode(), "text/html", BeautifulSoup(stub, "lxml"), on_site)
    assert (verdict.kind, verdict.why) == ("page", "not a notice: no body, no date")


def test_the_real_saved_pages_are_notices_and_the_one_directory_page_a_list():
    if not FIXTURE_DIR.is_dir():
        pytest.skip(f"real fixture pages not found at {FIXTURE_DIR} (../shared is absent on this machine)")
    kinds = {}
    for path in sorted(FIXTURE_DIR.glob("*.html")):
        body = path.read_bytes()
        soup = BeautifulSoup(body, "lxml")
        kinds[path.name] = classify(COLUMN + "p.html", body, "text/html", soup, lambda url: True).kind  # any host
    assert len(kinds) == 47
    assert {name for name, kind in kinds.items() if kind != "detail"} == {"20b_广州劳动仲裁服务指南_目录.html"}
    assert kinds["20b_广州劳动仲裁服务指南_目录.html"] == "list"  # a 目录 of 15 guides: a column inside the column


def test_profile_switches_must_be_booleans(tmp_path):
    quoted = tmp_path / "quoted.toml"
    quoted.write_text('extends = "generic"\n[detail]\ninfer = "false"\n', "utf-8")
    with pytest.raises(ProfileError, match=r"\[detail\] infer must be true or false, not 'false'"):
        load_profile(str(quoted))
    off = tmp_path / "off.toml"
    off.write_text('extends = "generic"\n[detail]\ninfer = false\nverify = false\n', "utf-8")
    assert (load_profile(str(off)).infer, load_profile(str(off)).verify) == (False, False)
    soup = BeautifulSoup(PAGE, "lxml")
    taken = {lk.kind for lk in list_page_links(load_profile("generic"), BASE, soup, PAGE, 0, Scope(("x.gov.cn",)))}
    assert "candidate" in taken  # on by default
    off_kinds = {lk.kind for lk in list_page_links(load_profile(str(off)), BASE, soup, PAGE, 0, Scope(("x.gov.cn",)))}
    assert not off_kinds & {"candidate", "detail"}  # off: only known URL patterns, as before


def test_known_cms_patterns_stay_strong_evidence_outside_navigation():
    html = (
        '<div class="nav"><a href="/zwgk/content/post_9.html">关于开展检查的通知</a></div>'
        '<ul><li><a href="/other/t20250101_5.html">外栏目</a></li></ul>'  # no title, no date: the URL is enough
    )
    links = list_page_links(load_profile("generic"), BASE, BeautifulSoup(html, "lxml"), html, 0, Scope(("x.gov.cn",)))
    assert [(lk.url, lk.kind, lk.why) for lk in links] == [
        ("http://x.gov.cn/other/t20250101_5.html", "detail", "URL pattern of a known CMS")
    ]
