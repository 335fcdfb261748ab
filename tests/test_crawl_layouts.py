"""Crawling sites of CMSs the crawler has never seen: five column layouts served on 127.0.0.1.

Every notice is taken and nothing outside the columns; politeness, conditional re-crawls and resuming hold on
these layouts too; --dry-run writes nothing; --suggest-profile writes a profile that takes the same pages; a
crawl that finds no notice says where it looked and exits 1.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.cli import main
from indexer.crawl.archive import read_response

from .crawl_site.gov import add_gkmlpt, make_attachments, small_site
from .crawl_site.layouts import TOPICS, Layout, build
from .crawl_site.server import Route, Site

SHARED = Path(__file__).resolve().parents[2] / "shared"
FIXTURE_DIR = SHARED / "corpus" / "html_fixtures" / "guangzhou_tianhe"
FAST = ["--allow-private", "--delay", "0", "--timeout", "2", "--retries", "1", "--backoff", "0.05"]


def need_fixtures() -> Path:
    """Skip with a clear reason when ../shared (the real fixture pages) is absent."""
    if not FIXTURE_DIR.is_dir():
        pytest.skip(f"real fixture pages not found at {FIXTURE_DIR} (../shared is absent on this machine)")
    return FIXTURE_DIR


def run(*args: str):
    return CliRunner().invoke(main, ["crawl", *args, *FAST], catch_exceptions=False)


def indexed(index: Path) -> set[str]:
    """Return the site paths (with query) of the records in the index."""
    with sqlite3.connect(index / "records.sqlite") as db:
        urls = [json.loads(r)["url"] for (r,) in db.execute("SELECT record FROM records")]
    return {"/" + u.split("/", 3)[3] for u in urls}


def records(index: Path) -> dict[str, dict]:
    with sqlite3.connect(index / "records.sqlite") as db:
        recs = [json.loads(r) for (r,) in db.execute("SELECT record FROM records")]
    return {"/" + r["url"].split("/", 3)[3]: r for r in recs}


def serve() -> tuple[Site, dict[str, Layout]]:
    """Serve the layouts the heuristics were settled on (the held-out ones are scored by bench/crawl_eval.py)."""
    site = Site()
    site.start()
    attachments = {k: v for k, v in make_attachments().items() if k in ("fangyuan.pdf", "shenqingbiao.docx")}
    return site, build(site, need_fixtures(), attachments).layouts


def starts(site: Site, *layouts: Layout) -> list[str]:
    return [site.base + s for layout in layouts for s in layout.starts]


@pytest.fixture(scope="module")
def served():
    site, layouts = serve()
    yield site, layouts
    site.stop()


@pytest.fixture(scope="module")
def first(served, tmp_path_factory):
    """One crawl of every layout's columns: (result, index, request counts, request log)."""
    site, layouts = served
    site.reset_counts()
    index = tmp_path_factory.mktemp("layouts") / "ix"
    result = run(*starts(site, *layouts.values()), "--index", str(index), "--concurrency", "4")
    return result, index, Counter(site.counts), list(site.log)


def test_every_notice_is_crawled_and_nothing_outside_the_columns(first, served):
    result, index, counts, _ = first
    _, layouts = served
    assert result.exit_code == 0, result.output
    expected = set().union(*(layout.notices for layout in layouts.values()))
    assert indexed(index) == expected
    for layout in layouts.values():
        assert not [p for p in layout.outside | layout.disallowed if counts[p]], layout.name  # never requested
        assert not layout.rejected & indexed(index)  # fetched, found not to be a notice, kept out


def test_gbk_real_pages_attachments_and_a_notice_in_two_columns(first, served):
    _, index, counts, _ = first
    site, layouts = served
    recs = records(index)
    gbk = recs["/s2/tzgg/show.php?id=201"]
    assert gbk["title"] in {title for title, _ in TOPICS} and "测试县人民政府办公室" in gbk["body"]  # no mojibake
    assert recs["/s4/zwgk/tzgg/art9102.html"]["doc_number"] == "穗府办规〔2021〕7号"  # a real saved page
    assert counts["/s4/zwgk/tzgg/art9101.html"] == 1  # linked from 通知公告 and 政策文件, fetched once
    assert "公租房房源清单：幸福路88号小区共120套" in recs["/s3/gzdt/detail/301.html"]["body"]  # the PDF's text
    nested = layouts["nested columns, 更多"]
    assert {p for p in nested.notices if "/zcwj/" in p} <= set(recs)  # reached only through the sub-column


def test_politeness_on_the_new_layouts(first):
    _, _, counts, log = first
    assert counts["/robots.txt"] == 1
    assert max(counts.values()) == 1  # every page once: no retries, no duplicates
    assert all(h["User-Agent"].startswith("govsearch-crawler/") for _, h, _ in log)


def test_one_request_at_a_time_per_host_and_the_delay(served, tmp_path):
    site, layouts = served
    site.reset_counts()
    site.max_active = 0
    layout = layouts["nested columns, 更多"]
    args = [*starts(site, layout), "--index", str(tmp_path / "ix"), "--concurrency", "4", "--no-ingest"]
    result = CliRunner().invoke(main, ["crawl", *args, "--allow-private", "--delay", "0.2"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    times = sorted(t for _, _, t in site.log)
    # the server's clock jitters each arrival on a busy machine; the span of all of them cannot shrink
    assert site.max_active == 1 and times[-1] - times[0] >= 0.2 * (len(times) - 1) - 0.1


def test_second_crawl_is_conditional_and_changes_nothing(first, served):
    _, index, _, _ = first
    site, layouts = served
    site.reset_counts()
    result = run(*starts(site, *layouts.values()), "--index", str(index))
    assert result.exit_code == 0, result.output
    assert "ingest: no new or changed pages" in result.output
    sent = {path: headers for path, headers, _ in site.log}
    assert "If-None-Match" in sent["/s1/xxgk/a1.html"] and "If-None-Match" in sent["/s2/tzgg/show.php?id=201"]
    assert max(site.counts.values()) == 1


def test_a_crawl_stopped_at_max_pages_resumes_without_refetching(tmp_path):
    site, layouts = serve()
    try:
        layout = layouts["div cards, 下一页, attachments"]
        args = [*starts(site, layout), "--index", str(tmp_path / "ix")]
        stopped = run(*args, "--max-pages", "6")
        assert stopped.exit_code == 0 and "stopped at --max-pages" in stopped.output
        resumed = run(*args)
        assert resumed.exit_code == 0 and "resumed, finished" in resumed.output, resumed.output
        assert indexed(tmp_path / "ix") == layout.notices
        assert max(site.counts.values()) == 1
    finally:
        site.stop()


def test_the_county_site_of_the_issue_is_crawled(served, tmp_path):
    site, layouts = served
    layout = layouts["table, ?page=N"]  # list pages link notices as /xxgk/a1.html, paged by ?page=N
    result = run(*starts(site, layout), "--index", str(tmp_path / "ix"))
    assert result.exit_code == 0, result.output
    assert "ingest: added 7," in result.output
    assert indexed(tmp_path / "ix") == {f"/s1/xxgk/a{n}.html" for n in range(1, 8)}


def test_a_crawl_that_finds_no_notice_says_where_it_looked_and_exits_1(tmp_path):
    site = Site()
    site.start()
    try:
        site.routes["/robots.txt"] = Route(b"", "text/plain", status=404)
        nav = "".join(f'<li><a href="/lm{k}/">栏目{k}</a></li>' for k in range(6))
        site.routes["/zwgk/"] = Route(f'<ul class="nav">{nav}</ul><p>本栏目暂无信息。</p>'.encode())
        result = run(site.base + "/zwgk/", "--index", str(tmp_path / "ix"))
        assert result.exit_code == 1
        error = [line for line in result.output.splitlines() if line.startswith("Error:")]
        assert len(error) == 1 and f"looked at {site.base}/zwgk/" in error[0]
        assert "none reads as a list of notices" in error[0] and "6 links (6 in navigation/footer)" in error[0]
        dry = run(site.base + "/zwgk/", "--dry-run")
        assert dry.exit_code == 1 and "no notice found" in dry.output
    finally:
        site.stop()


def test_dry_run_shows_what_it_would_take_and_why_and_writes_nothing(served, tmp_path):
    site, layouts = served
    site.reset_counts()
    result = run(*starts(site, layouts["div cards, 下一页, attachments"]), "--dry-run", "--index", str(tmp_path / "ix"))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "would take 3 list pages, 9 notices, 2 attachments" in out
    assert f"LIST       {site.base}/s3/gzdt/list_p2.htm  pager link '下一页'" in out
    assert f"NOTICE     {site.base}/s3/gzdt/detail/301.html  4 links repeating in div.cards" in out
    assert "with a date beside" in out and "checked: has a title, a body and a date" in out
    assert f"NOT TAKEN  {site.base}/s3/gzdt/detail/video1.html" in out and "not a notice: no body, no date" in out
    assert (
        f"ATTACHMENT {site.base}/s3/files/fangyuan.pdf  file link '附件1：fangyuan.pdf', "
        f"linked from {site.base}/s3/gzdt/detail/301.html; not fetched in a dry run"
    ) in out
    assert not list(tmp_path.iterdir())  # no index, no crawl state, no WARC, no lock file
    assert site.counts["/s3/files/fangyuan.pdf"] == 0  # attachments are listed, not fetched


@pytest.mark.parametrize(
    "name",
    [
        "table, ?page=N",
        "ul, index_N.html, GBK, absolute",
        "div cards, 下一页, attachments",
        "script pages, real pages, two columns",
        "nested columns, 更多",
    ],
)
def test_the_suggested_profile_takes_the_same_pages(served, tmp_path, name):
    site, layouts = served
    layout = layouts[name]
    profile = tmp_path / "site.toml"
    suggested = run(*starts(site, layout), "--suggest-profile", "--output", str(profile))
    assert suggested.exit_code == 0, suggested.output
    data = tomllib.loads(profile.read_text("utf-8"))
    assert data["extends"] == "generic" and data["detail"]["link_selector"]
    by_evidence = run(*starts(site, layout), "--index", str(tmp_path / "a"))
    by_profile = run(str(profile), "--index", str(tmp_path / "b"))
    assert by_evidence.exit_code == 0 and by_profile.exit_code == 0, by_profile.output
    assert indexed(tmp_path / "b") == indexed(tmp_path / "a") == layout.notices


def test_suggest_profile_to_stdout_and_bad_output_paths(served, tmp_path):
    site, layouts = served
    layout = layouts["ul, index_N.html, GBK, absolute"]
    out = run(*starts(site, layout), "--suggest-profile")
    assert out.exit_code == 0 and 'link_selector = "ul.news > li > a"' in out.output
    kept = tmp_path / "kept.toml"
    kept.write_text("# mine\n", "utf-8")
    again = run(*starts(site, layout), "--suggest-profile", "--output", str(kept))
    assert again.exit_code == 2 and "exists" in again.output and kept.read_text("utf-8") == "# mine\n"
    mixed = run(*starts(site, layout), site.base + "/gkmlpt/api/all/5?page=1&sid=2", "--suggest-profile")
    assert mixed.exit_code == 2 and "writes one profile" in mixed.output
    missing = run(*starts(site, layout), "--suggest-profile", "--output", str(tmp_path / "no" / "such.toml"))
    assert missing.exit_code == 2 and "cannot write" in missing.output and "Traceback" not in missing.output


def test_a_profile_with_a_broken_selector_is_refused_before_crawling(served, tmp_path):
    site, _ = served
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "generic"\n[detail]\nlink_selector = "ul >> li"\n', "utf-8")
    site.reset_counts()
    result = run("--profile", str(bad), site.base + "/s2/tzgg/index.html", "--index", str(tmp_path / "ix"))
    assert result.exit_code == 2 and "[detail] link_selector is not a CSS selector" in result.output
    assert not site.counts


def test_pages_and_depth_per_site_are_bounded(served, tmp_path):
    site, layouts = served
    layout = layouts["div cards, 下一页, attachments"]
    site.reset_counts()
    shallow = run(*starts(site, layout), "--index", str(tmp_path / "a"), "--max-depth", "2")
    assert shallow.exit_code == 0, shallow.output
    assert site.counts["/s3/gzdt/list_p2.htm"] == 1 and site.counts["/s3/gzdt/list_p3.htm"] == 0
    site.reset_counts()
    capped = run(*starts(site, layout), "--index", str(tmp_path / "b"), "--max-site-pages", "5")
    assert capped.exit_code == 0, capped.output
    assert "links not queued: their site reached --max-site-pages" in capped.output
    assert sum(n for path, n in site.counts.items() if path != "/robots.txt") == 5


def test_killed_crawl_of_a_new_layout_resumes_and_records_point_at_the_archive(tmp_path):
    site, layouts = serve()
    layout = layouts["div cards, 下一页, attachments"]
    index = tmp_path / "ix"
    cmd = [sys.executable, "-m", "indexer.cli", "crawl", *starts(site, layout), "--index", str(index), *FAST]
    victim = "/s3/gzdt/detail/305.html"  # on the second list page: the first page's notices are done by then
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        site.kill_on = (victim, proc.pid)
        assert proc.wait(timeout=60) == -signal.SIGKILL
        before = set(site.counts) - {victim, "/robots.txt"}
        with sqlite3.connect(index / "crawl.sqlite") as db:
            done = {"/" + u.split("/", 3)[3] for (u,) in db.execute("SELECT url FROM urls WHERE state = 'done'")}
        assert done == before  # everything answered before the kill was recorded
        site.kill_on = None
        resumed = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0 and "resumed" in resumed.stdout, resumed.stderr
        assert all(n == (2 if path == victim else 1) for path, n in site.counts.items())
        recs = records(index)
        assert set(recs) == layout.notices
        name, offset = recs["/s3/gzdt/detail/302.html"]["source"].removeprefix("warc:").split("#")
        archived = read_response(index / "warc" / name, int(offset), 10**7)
        assert archived.body == site.routes["/s3/gzdt/detail/302.html"].body  # the exact bytes, taken on evidence
    finally:
        site.stop()


def test_a_notice_given_as_the_start_url_is_indexed_and_listed_files_are_not_pages(served, tmp_path):
    site, _ = served
    result = run(site.base + "/s1/xxgk/a2.html", "--index", str(tmp_path / "a"))
    assert result.exit_code == 0, result.output
    assert indexed(tmp_path / "a") == {"/s1/xxgk/a2.html"}
    files = "".join(
        f'<li><a href="f{k}.pdf">关于公布第{k}批县级行政许可事项的通知</a><span>2025-08-0{k}</span></li>'
        for k in (1, 2, 3)
    )
    site.routes["/s9/wj/"] = Route(f'<ul class="list">{files}</ul><ul class="list2">'.encode())
    listed = run(site.base + "/s9/wj/", "--dry-run")
    assert listed.exit_code == 1 and "no notice found" in listed.output and ".pdf" not in listed.output
    assert "the list links files, not pages (3 links repeating in ul.list" in listed.output


def test_dry_run_of_a_json_listing_says_where_each_notice_came_from(tmp_path):
    site = small_site()
    try:
        result = run(add_gkmlpt(site), "--dry-run")
        assert result.exit_code == 0, result.output
        assert "would take 0 list pages, 3 notices, 0 attachments" in result.output
        assert f"NOTICE     {site.base}/gkmlpt/content/0/7002/post_7002.html  JSON listing" in result.output
        assert site.counts["/gkmlpt/api/all/5?page=2&sid=2"] == 1 and not list(tmp_path.iterdir())
    finally:
        site.stop()
