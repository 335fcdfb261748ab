"""`govsearch crawl` against a real HTTP server on 127.0.0.1 serving real Guangzhou/Tianhe pages.

Covers politeness, failures and their reasons, charsets, canonical URLs, attachments, WARC provenance,
incremental re-crawls, and a crawl killed with SIGKILL then resumed.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from indexer.cli import main
from indexer.crawl.archive import read_response
from indexer.crawl.command import make_jobs
from indexer.crawl.crawler import CrawlConfig, Crawler, Job
from indexer.crawl.fetch import FetchPolicy
from indexer.crawl.profiles import load_profile
from indexer.crawl.state import CrawlState

from .crawl_site.gov import (
    FIXTURES,
    add_gkmlpt,
    add_sitemap,
    detail,
    gov_site,
    kill_site,
    make_attachments,
    set_version,
    small_site,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"
FIXTURE_DIR = SHARED / "corpus" / "html_fixtures" / "guangzhou_tianhe"
FAST = [
    "--allow-private",
    "--delay",
    "0",
    "--timeout",
    "0.5",
    "--retries",
    "1",
    "--backoff",
    "0.05",
    "--max-bytes",
    "200000",
]
START = "/zwgk/tzgg/index.html"


def need_fixtures() -> Path:
    """Skip with a clear reason when ../shared (the real fixture pages) is absent."""
    if not FIXTURE_DIR.is_dir():
        pytest.skip(f"real fixture pages not found at {FIXTURE_DIR} (../shared is absent on this machine)")
    return FIXTURE_DIR


def crawl(index: Path, *args: str):
    return CliRunner().invoke(main, ["crawl", *args, "--index", str(index), *FAST], catch_exceptions=False)


def records(index: Path) -> dict[str, dict]:
    """Return the stored records by the path of their URL."""
    with sqlite3.connect(index / "records.sqlite") as db:
        recs = [json.loads(r) for (r,) in db.execute("SELECT record FROM records")]
    return {"/" + r["url"].split("/", 3)[3]: r for r in recs}


def state_rows(index: Path) -> dict[str, tuple[str, str, str | None]]:
    with sqlite3.connect(index / "crawl.sqlite") as db:
        return {u: (k, s, e) for u, k, s, e in db.execute("SELECT url, kind, state, error FROM urls")}


@pytest.fixture(scope="module")
def attachments() -> dict[str, bytes]:
    return make_attachments()


@pytest.fixture(scope="module")
def site(attachments):
    site = gov_site(need_fixtures(), attachments)
    yield site
    site.stop()


@pytest.fixture(scope="module")
def first(site, tmp_path_factory):
    """The first crawl of the site: (result, index dir, request counts, request log)."""
    index = tmp_path_factory.mktemp("crawl") / "ix"
    result = crawl(index, site.base + START, "--concurrency", "4")
    return result, index, Counter(site.counts), list(site.log)


def test_first_crawl_indexes_real_pages_gbk_pages_and_redirect_targets(first):
    result, index, _, _ = first
    assert result.exit_code == 0, result.output
    recs = records(index)
    for name, file in FIXTURES.items():
        assert detail(name) in recs, file
    assert recs[detail("post_1002")]["doc_number"] == "穗府办规〔2021〕7号"
    assert recs[detail("post_1099")]["title"] == "中华人民共和国市场主体登记管理条例"  # reached through a 301
    gbk, bare = recs[detail("post_2001")], recs[detail("post_2002")]
    assert gbk["title"] == "关于做好2025年度城乡居民医保参保缴费工作的通知" and "王堃" in gbk["body"]
    assert bare["title"] == "关于调整2025年度最低生活保障标准的通知" and "1200元" in bare["body"]
    assert "全民健身月活动" in recs[detail("post_8001")]["title"]  # 500 first, then served
    assert "ingest: added 14" in result.output


def test_every_failure_is_reported_with_its_reason(first):
    result, _, _, _ = first
    out = result.output
    assert f"FAILED {result_base(first)}{detail('post_404')}: HTTP 404" in out
    assert "post_8002.html: timed out after 0.5 s" in out
    assert "post_8003.html: redirect loop: " in out and "/loop/b.html ->" in out
    assert "post_8004.html: refused: more than 200000 bytes (stopped reading)" in out
    assert "SKIPPED" in out and "post_3001.html: disallowed by robots.txt" in out
    assert "queshi.pdf: HTTP 404" in out


def result_base(first) -> str:
    log = first[3]
    return "http://" + log[0][1]["Host"]


def test_polite_requests_once_each_robots_obeyed_and_one_at_a_time(first, site):
    _, _, counts, log = first
    assert counts[f"{detail('post_3001').replace('content/', 'private/content/')}"] == 0
    assert counts["/robots.txt"] == 1
    retried = {detail("post_8001"): 2, detail("post_8002"): 2}  # a 500, a timeout: one retry each
    for path, n in counts.items():
        assert n == retried.get(path, 1), path  # 404s and the oversized page are not retried
    assert all(h["User-Agent"].startswith("govsearch-crawler/") for _, h, _ in log)
    assert site.max_active == 1  # --per-host 1 although --concurrency 4


def test_canonical_urls_and_scope(first):
    _, index, _, _ = first
    urls = state_rows(index)
    assert all(u.startswith("http://127.0.0.1:") for u in urls)  # www.thnet.gov.cn links never queued
    assert not [u for u in urls if "utm_source" in u or "#" in u or "/./" in u or u.startswith("HTTP")]
    assert sum(u.endswith("/post_1001.html") for u in urls) == 1


def test_attachment_text_is_indexed_under_the_notice_and_problems_are_reported(first):
    result, index, _, _ = first
    body = records(index)[detail("post_5001")]["body"]
    assert "附件1：房源清单.pdf\n公租房房源清单：幸福路88号小区共120套" in body
    assert "附件2：申请表.docx\n公共租赁住房申请表填写说明" in body
    assert "测试区幸福路88号3栋" in body  # the XLSX
    out = result.output
    assert "saomiao.pdf: scanned PDF without a text layer (1 page): no text indexed" in out
    assert "shuoming.docx: refused: word/document.xml unpacks" in out  # the zip bomb
    assert "jiuban.doc: unsupported attachment type: DOC" in out
    hits = (
        CliRunner()
        .invoke(main, ["search", "幸福路88号", "--index", str(index), "--json", "--filter", "attachment=有附件"])
        .output
    )
    assert [h["url"].endswith("post_5001.html") for h in json.loads(hits)["hits"]] == [True]


def test_records_point_at_the_exact_archived_bytes(first, site):
    _, index, _, _ = first
    rec = records(index)[detail("post_1002")]
    name, offset = rec["source"].removeprefix("warc:").split("#")
    archived = read_response(index / "warc" / name, int(offset), 10**7)
    assert archived.body == site.routes[detail("post_1002")].body
    with open(index / "warc" / name, "rb") as fh:
        requests = [r for r in ArchiveIterator(fh) if r.rec_type == "request"]
    assert requests and all(r.http_headers.get_header("User-Agent").startswith("govsearch-crawler/") for r in requests)


def test_second_crawl_is_conditional_and_reingests_only_the_changed_page(first, site):
    _, index, _, _ = first
    site.reset_counts()
    set_version(site, "第二版：增加了地下车库排查要求。")
    result = crawl(index, site.base + START, "--fail-on-error")
    assert result.exit_code == 1 and "URLs failed (see above)" in result.output  # the 404s, the loop ...
    assert "ingest: added 0, updated 1, unchanged 0" in result.output  # ... do not stop the ingest
    assert "第二版" in records(index)[detail("post_6001")]["body"]
    sent = {path: h for path, h, _ in site.log}
    assert "If-None-Match" in sent[detail("post_1001")] and "If-Modified-Since" in sent[detail("post_1001")]
    assert site.counts[detail("post_6002")] == 1  # no validators: fetched again, same content, not re-ingested
    assert site.counts[START] == 1 and site.counts["/robots.txt"] == 0  # robots.txt is kept for a day


def test_killed_crawl_resumes_without_losing_or_refetching(tmp_path, attachments):
    site = kill_site(need_fixtures(), attachments)
    index = tmp_path / "ix"
    cmd = [sys.executable, "-m", "indexer.cli", "crawl", site.base + START, "--index", str(index), *FAST]
    victim = detail("post_1005")  # linked from the second list page: half the site is done by then
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        site.kill_on = (victim, proc.pid)
        assert proc.wait(timeout=60) == -signal.SIGKILL
        before = Counter(site.counts)
        done = {u.split("/", 3)[3] for u, (_, s, _) in state_rows(index).items() if s in ("done", "failed")}
        assert done == {p.lstrip("/") for p in before} - {victim.lstrip("/"), "robots.txt"}  # nothing lost
        site.kill_on = None
        resumed = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr
        assert "resumed" in resumed.stdout
        for path, n in site.counts.items():
            assert n == (2 if path == victim else 1), path  # only the request the kill cut short is made again
        recs = records(index)
        assert {detail(n) for n in ("post_1001", "post_1005", "post_5001")} <= set(recs)
        assert "附件1：房源清单.pdf" in recs[detail("post_5001")]["body"]
    finally:
        site.stop()


class Crash(Exception):
    """Stands in for the process dying between the archive write and the state commit."""


class CrashingState(CrawlState):
    def save(self, run, visit, parent_depth):
        if visit.warc and visit.url.endswith("/post_1002.html"):
            raise Crash(visit.url)
        super().save(run, visit, parent_depth)


def test_warc_tail_is_replayed_after_a_crash_between_archive_and_state(tmp_path, attachments):
    site = kill_site(need_fixtures(), attachments)
    profile_file = tmp_path / "noattach.toml"
    profile_file.write_text('extends = "trs"\nname = "noattach"\n[attachments]\nurl_pattern = "[.]none$"\n', "utf-8")
    job = Job(load_profile(str(profile_file)), (site.base + START,))
    config = CrawlConfig(
        tmp_path / "crawl.sqlite", tmp_path / "warc", FetchPolicy(allow_private=True, timeout=2), delay=0.0
    )
    try:
        with pytest.raises(Crash):
            Crawler(job, config, CrashingState(config.state_path)).run()
        state = CrawlState(config.state_path)
        result = Crawler(job, config, state).run()
        state.close()
        assert result.resumed and result.finished and result.stats.recovered == 1
        assert site.counts[detail("post_1002")] == 1  # taken from the archive, not fetched again
    finally:
        site.stop()


def test_gkmlpt_listing_with_a_delay_stopped_at_max_pages_then_resumed(tmp_path):
    site = small_site()
    try:
        start = add_gkmlpt(site)
        args = ["crawl", start, "--index", str(tmp_path / "ix"), "--allow-private", "--delay", "0.2"]
        stopped = CliRunner().invoke(main, [*args, "--max-pages", "3", "--no-ingest"], catch_exceptions=False)
        assert stopped.exit_code == 0 and "stopped at --max-pages" in stopped.output
        starts = sorted(t for _, _, t in site.log)
        assert len(starts) == 4 and min(b - a for a, b in zip(starts, starts[1:], strict=False)) >= 0.18
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0 and "run 1 resumed, finished" in result.output, result.output
        recs = records(tmp_path / "ix")
        rec = recs["/gkmlpt/content/0/7002/post_7002.html"]
        assert (rec["doc_number"], rec["agency"], rec["date"]) == ("粤府函〔2025〕88号", "广东省人民政府", "2025-09-02")
        assert len(recs) == 3 and site.counts["/gkmlpt/api/all/5?page=2&sid=2"] == 1
        assert max(site.counts.values()) == 1  # robots.txt included: kept in the state between runs
    finally:
        site.stop()


def test_sitemap_mode_follows_the_index_and_stays_on_site(tmp_path, attachments):
    site = gov_site(need_fixtures(), attachments, edge_cases=False)
    try:
        start = add_sitemap(site)
        result = crawl(tmp_path / "ix", start)
        assert result.exit_code == 0, result.output
        assert set(records(tmp_path / "ix")) == {detail("post_1001"), detail("post_1002")}
        assert all("thnet" not in u for u in state_rows(tmp_path / "ix"))
    finally:
        site.stop()


def test_private_addresses_are_refused_without_the_flag(tmp_path):
    site = small_site()
    try:
        result = CliRunner().invoke(main, ["crawl", site.base + "/", "--index", str(tmp_path / "ix")])
        assert result.exit_code == 2 and "loopback address 127.0.0.1" in result.output
        assert "--allow-private" in result.output and not site.counts
    finally:
        site.stop()


def test_seed_list_and_profiles_without_fetching(tmp_path):
    run = CliRunner().invoke
    jobs = make_jobs((), None, "广东省人民政府")  # --from-list; a dry run would fetch, so the jobs are read directly
    assert [(j.profile.name, j.start_urls[:2]) for j in jobs] == [
        ("generic", ("https://www.gd.gov.cn/zwgk/wjk/qbwj/", "https://www.gd.gov.cn/zwgk/tzgg/"))
    ]
    assert make_jobs(("gd-gkmlpt",), None, None)[0].start_urls == (
        "https://www.gd.gov.cn/gkmlpt/api/all/5?page=1&sid=2",
    )
    assert "gkmlpt" in run(main, ["crawl", "--list-profiles"]).output
    bad = run(main, ["crawl", "no-such-profile", "--index", str(tmp_path)])
    assert bad.exit_code == 2 and "unknown profile" in bad.output and "Traceback" not in bad.output
    empty = run(main, ["crawl", "generic", "--index", str(tmp_path)])
    assert empty.exit_code == 2 and "has no start URLs" in empty.output
    assert run(main, ["crawl", "--index", str(tmp_path)]).exit_code == 2
