"""Crawler parts without a crawl: canonical URLs, address checks, size limits, profiles, links."""

from __future__ import annotations

import gzip
import io
import ipaddress

import pytest
from bs4 import BeautifulSoup

from indexer.crawl.attachments import attachment_text
from indexer.crawl.crawler import CrawlStats
from indexer.crawl.fetch import Fetcher, FetchError, FetchPolicy, _decode
from indexer.crawl.links import Scope, attachment_links, json_links, list_page_links, script_pages
from indexer.crawl.netguard import BlockedAddress, PinnedHTTPConnection, address_problem, embedded_ipv4, resolve
from indexer.crawl.politeness import HostSlots, Robots
from indexer.crawl.profiles import ProfileError, guess_profile, load_profile
from indexer.crawl.progress import ProgressLine
from indexer.crawl.urls import BadURL, canonical_url

from .crawl_site.server import Route, Site


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://WWW.Gz.GOV.cn:80/a/./b/../c.html?b=2&a=1&utm_source=x#top", "http://www.gz.gov.cn/a/c.html?a=1&b=2"),
        ("https://x.gov.cn:443", "https://x.gov.cn/"),
        ("http://x.gov.cn/zwgk/?spm=1.2&from=timeline&id=7", "http://x.gov.cn/zwgk/?id=7"),
        ("http://x.gov.cn/%e4%b8%ad.html?q=%D6%D0", "http://x.gov.cn/%E4%B8%AD.html?q=%D6%D0"),  # GBK query kept
        ("http://x.gov.cn/通知.html", "http://x.gov.cn/%E9%80%9A%E7%9F%A5.html"),
        ("http://政府.中国/", "http://xn--mxtq1m.xn--fiqs8s/"),
    ],
)
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


def test_canonical_url_refuses_what_cannot_be_fetched():
    for bad in ("javascript:void(0)", "mailto:a@b.cn", "ftp://x.cn/a", "http:///nohost", "http://x.cn:99999/"):
        with pytest.raises(BadURL):
            canonical_url(bad)


@pytest.mark.parametrize(
    ("ip", "problem"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.1.1", "private"),
        ("172.16.0.9", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "non-public"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
        ("2002:7f00:1::1", "loopback address 127.0.0.1 (inside 2002:7f00:1::1)"),  # 6to4
        ("2002:c0a8:101::1", "private address 192.168.1.1"),
        ("2002:808:808::1", None),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback address 127.0.0.1"),  # Teredo client 127.0.0.1
        ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", "private address 2001:0:4136"),  # Teredo is never global
        ("::ffff:10.0.0.1", "private address 10.0.0.1"),  # IPv4-mapped
        ("::ffff:8.8.8.8", None),
        ("64:ff9b::7f00:1", "loopback address 127.0.0.1 (inside 64:ff9b::7f00:1)"),  # NAT64 well-known prefix
        ("64:ff9b::a9fe:a9fe", "link-local address 169.254.169.254"),
        ("64:ff9b::808:808", None),  # a public IPv4 host behind DNS64: allowed
        ("64:ff9b:1::7f00:1", "loopback address 127.0.0.1"),  # NAT64 local-use prefix, /96 translator
        ("64:ff9b:1:7f00:0:100::", "unspecified address 0.0.0.0"),  # /48 layout, 127.0.0.1 around the u octet
        ("64:ff9b:1:808:8:800:808:808", None),  # 8.8.8.8 in both layouts
    ],
)
def test_address_problem(ip, problem):
    found = address_problem(ipaddress.ip_address(ip))
    assert (found or "").startswith(problem or "") and (found is None) == (problem is None)


def test_nat64_local_prefix_decodes_the_rfc6052_48_layout():
    inner, translated = embedded_ipv4(ipaddress.IPv6Address("64:ff9b:1:7f00:0:100::"))
    assert translated and ipaddress.IPv4Address("127.0.0.1") in inner


@pytest.mark.parametrize("literal", ["2002:7f00:1::1", "64:ff9b::7f00:1", "::ffff:127.0.0.1", "64:ff9b:1::7f00:1"])
def test_resolve_refuses_ipv6_spellings_of_loopback_in_process(literal):
    with pytest.raises(BlockedAddress, match="127.0.0.1"):
        resolve(literal, 80, allow_private=False)


@pytest.fixture
def tiny_site():
    site = Site()
    site.start()
    site.routes["/"] = Route(b"<p>hello</p>")
    site.routes["/gz"] = Route(gzip.compress(bytes(5_000_000)), headers={"Content-Encoding": "gzip"})
    site.routes["/long"] = Route(b"x" * 50_000)
    yield site
    site.stop()


def test_loopback_is_refused_at_connect_time_without_allow_private(tiny_site):
    with pytest.raises(FetchError, match="refused: 127.0.0.1 resolves to a loopback address"):
        Fetcher(FetchPolicy(retries=0)).get(tiny_site.base + "/")
    assert not tiny_site.counts


def test_connection_goes_to_the_checked_address_not_a_new_dns_answer(tiny_site):
    port = int(tiny_site.base.rsplit(":", 1)[1])
    conn = PinnedHTTPConnection("rebind.invalid", port, "127.0.0.1", timeout=2)  # .invalid never resolves
    conn.request("GET", "/")
    assert conn.getresponse().read() == b"<p>hello</p>"
    conn.close()
    assert tiny_site.log[-1][1]["Host"] == f"rebind.invalid:{port}"


def test_size_limits_on_declared_length_and_on_gzip_bombs(tiny_site):
    fetcher = Fetcher(FetchPolicy(allow_private=True, retries=0, max_bytes=10_000))
    with pytest.raises(FetchError, match="50000 bytes is over the 10000 byte limit"):
        fetcher.get(tiny_site.base + "/long")
    with pytest.raises(FetchError, match="inflates to more than 10000 bytes"):
        fetcher.get(tiny_site.base + "/gz")
    with pytest.raises(FetchError, match="inflates"):
        _decode(gzip.compress(bytes(1_000_000)), "gzip", 1000)
    assert _decode(gzip.compress("通知".encode()), "gzip", 1000) == "通知".encode()


def test_profiles_load_extend_and_fail_clearly(tmp_path):
    trs = load_profile("trs")
    assert trs.mode == "html" and trs.fields["title"].startswith("meta[name=ArticleTitle]")
    assert trs.pagination_regex is not None  # inherited from generic
    assert load_profile("gd-gkmlpt").json["hints"]["doc_number"] == "document_number"
    loop = tmp_path / "loop.toml"
    loop.write_text(f'extends = "{loop}"\n', "utf-8")
    with pytest.raises(ProfileError, match="extends itself"):
        load_profile(str(loop))
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "generic"\n[fields]\nauthor = "p.a"\n', "utf-8")
    with pytest.raises(ProfileError, match="unknown \\[fields\\] author"):
        load_profile(str(bad))
    assert [
        guess_profile(u)
        for u in ("https://x.cn/gkmlpt/api/all/5?page=1&sid=2", "https://x.cn/sitemap.xml", "https://x.cn/zwgk/tzgg/")
    ] == ["gkmlpt", "sitemap", "generic"]


def test_list_page_links_pagination_and_attachments():
    profile, scope = load_profile("generic"), Scope(("x.gov.cn",))
    html = """<ul><li><a href="content/post_12.html">通知</a></li><li><a href="/other/t20250101_5.html">外栏目</a></li>
    <li><a href="http://y.gov.cn/content/post_1.html">外站</a></li><li><a href="../index.html">上级栏目</a></li>
    <li><a href="index_1.html">下一页</a></li></ul><script>createPageHTML(4, 0, "index", "html");</script>"""
    links = list_page_links(
        profile, "http://x.gov.cn/zwgk/tzgg/index.html", BeautifulSoup(html, "lxml"), html, 0, scope
    )
    got = {(lk.url.removeprefix("http://x.gov.cn"), lk.kind) for lk in links}
    assert got == {
        ("/zwgk/tzgg/content/post_12.html", "detail"),
        ("/other/t20250101_5.html", "detail"),
        ("/zwgk/tzgg/index_1.html", "list"),
        ("/zwgk/tzgg/index_2.html", "list"),
        ("/zwgk/tzgg/index_3.html", "list"),
    }  # not the parent column, not the other host
    assert (
        script_pages(profile, "http://x.gov.cn/a/index.html", "createPageHTML(900, 0, 'index', 'shtml')")[-1]
        == f"http://x.gov.cn/a/index_{profile.max_list_pages - 1}.shtml"
    )
    page = '<a href="/u/1.pdf">附件1</a><a href="/download?id=3" title="x">申请表.docx</a><a href="/a.html">x</a>'
    found = attachment_links(profile, "http://x.gov.cn/c/post_1.html", BeautifulSoup(page, "lxml"), 1, scope)
    assert [(a.url, a.name) for a in found] == [
        ("http://x.gov.cn/u/1.pdf", "附件1"),
        ("http://x.gov.cn/download?id=3", "申请表.docx"),
    ]


def test_json_listing_next_page_stops_at_total():
    profile, scope = load_profile("gkmlpt"), Scope(("x.gov.cn",))
    body = (
        b'{"total": 3, "articles": [{"url": "http://x.gov.cn/a/post_1.html", "document_number": "A1"}, '
        b'{"url": "http://x.gov.cn/a/post_2.html"}]}'
    )
    first = json_links(profile, "http://x.gov.cn/gkmlpt/api/all/5?page=1&sid=2", body, 0, scope)
    assert [lk.kind for lk in first] == ["detail", "detail", "api"]
    assert first[0].hints == {"doc_number": "A1"} and first[2].url.endswith("?page=2&sid=2")
    last = json_links(profile, "http://x.gov.cn/gkmlpt/api/all/5?page=2&sid=2", body, 0, scope)
    assert [lk.kind for lk in last] == ["detail", "detail"]


class MemoryRobots:
    def __init__(self):
        self.saved = {}

    def robots(self, origin):
        return None

    def save_robots(self, origin, status, body):
        self.saved[origin] = (status, body)


def test_robots_rules_crawl_delay_and_status_codes(tiny_site):
    tiny_site.routes["/robots.txt"] = Route(
        b"User-agent: *\nCrawl-delay: 3\nDisallow: /private/\nSitemap: http://x.gov.cn/sitemap.xml\n", "text/plain"
    )
    slots = HostSlots(0.5, 1)
    robots = Robots(Fetcher(FetchPolicy(allow_private=True, retries=0)), MemoryRobots(), slots)
    assert robots.check(tiny_site.base + "/private/a.html") == "disallowed by robots.txt"
    assert robots.check(tiny_site.base + "/zwgk/a.html") is None
    assert slots.delay_for(tiny_site.base.split("://")[1]) == 3.0
    assert robots.sitemaps(tiny_site.base + "/") == ["http://x.gov.cn/sitemap.xml"]
    assert robots._parse("o", 404, b"") == "allow"  # RFC 9309: no robots.txt, no rules
    assert "not crawling" in robots._parse("o", 503, b"")  # server error: assume everything is disallowed


def test_attachment_reader_is_stopped_at_its_time_limit():
    found = attachment_text(b"%PDF-1.4\n" + bytes(1000), "slow.pdf", timeout=0.01)
    assert found.kind == "pdf" and "took over 0.01 s: stopped" in found.note and not found.text


def test_progress_line_on_a_terminal():
    out = io.StringIO()
    line = ProgressLine(out, enabled=True)
    line(CrawlStats(fetched=3, unchanged=1, failed=1, queued=7, bytes=2_500_000))
    line.close()
    text = out.getvalue()
    assert text.startswith("\rcrawl: fetched 3, unchanged 1, queued 7, failed 1, skipped 0, 2.5 MB, ")
    assert text.endswith(" req/s\n")
    quiet = io.StringIO()
    ProgressLine(quiet)(CrawlStats())  # not a terminal: nothing
    assert quiet.getvalue() == ""
