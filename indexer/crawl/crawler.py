"""The crawl loop: take queued URLs, fetch them politely, archive what changed, queue what it links to."""

from __future__ import annotations

import hashlib
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path

from lxml import etree

from .archive import Archived, WarcArchive, iter_responses
from .fetch import Fetcher, FetchError, FetchPolicy, Response
from .links import Scope, start_kind
from .politeness import HostSlots, Robots
from .profiles import Profile
from .reader import PageReader
from .state import CrawlState, Link, Task, Visit
from .urls import canonical_url, host_of


@dataclass(frozen=True)
class CrawlConfig:
    """Where state and archives go, and how hard the crawler may push."""

    state_path: Path
    warc_dir: Path
    policy: FetchPolicy = FetchPolicy()
    delay: float = 1.0  # seconds between two requests to one host; a robots.txt Crawl-delay may raise it
    per_host: int = 1  # requests in flight to one host
    workers: int = 4  # requests in flight in all
    max_pages: int = 0  # stop after this many requests (0: no limit); the next crawl resumes the run
    max_attachment_bytes: int = 50 * 1024 * 1024
    parse_timeout: float = 30.0  # seconds to read one attachment's text
    max_depth: int = 0  # list pages at most this many links from a start URL (0: the profile's [list] max_pages)
    max_site_pages: int = 0  # URLs queued per host in one run (0: no limit); links past it are counted, not queued
    dry_run: bool = False  # no WARC, attachments listed but not fetched, every link's evidence kept for the report


@dataclass(frozen=True)
class Job:
    """One profile and its start URLs: a crawl run is resumed when the same job is crawled again."""

    profile: Profile
    start_urls: tuple[str, ...]

    def key(self) -> str:
        """Return the identity of the job, for resuming."""
        return self.profile.name + ":" + hashlib.sha1("\n".join(sorted(self.start_urls)).encode()).hexdigest()[:12]


@dataclass
class CrawlStats:
    """Counters for the progress line and the summary."""

    fetched: int = 0  # 200 responses that were new or changed
    unchanged: int = 0  # 304, or a 200 with the same content as last time
    failed: int = 0
    skipped: int = 0  # robots.txt or off-site
    recovered: int = 0  # archived by a killed crawl, processed now
    capped: int = 0  # links not queued: their host reached max_site_pages
    bytes: int = 0
    queued: int = 0
    started: float = field(default_factory=time.monotonic)

    def rate(self) -> float:
        """Return requests per second so far."""
        done = self.fetched + self.unchanged + self.failed
        return done / max(time.monotonic() - self.started, 1e-6)


@dataclass
class RunResult:
    """What one crawl run did."""

    run: int
    resumed: bool
    finished: bool  # the queue is empty; the caller marks the run finished once its pages are ingested
    stats: CrawlStats
    problems: list[tuple[str, str, str]]  # (url, failed|skipped, reason)
    notes: list[tuple[str, str]]  # (attachment url, why its text was not read)


class Crawler:
    """Crawl one job into the state file and the WARC archive."""

    def __init__(
        self, job: Job, config: CrawlConfig, state: CrawlState, on_progress: Callable[[CrawlStats], None] | None = None
    ) -> None:
        self.job, self.config, self.state, self.on_progress = job, config, state, on_progress
        self.profile = job.profile
        if config.max_depth:
            self.profile = replace(self.profile, max_list_pages=min(self.profile.max_list_pages, config.max_depth))
        self.seeds = [canonical_url(u) for u in job.start_urls]
        self.scope = Scope(self.profile.allowed_hosts or tuple(sorted({host_of(u).split(":")[0] for u in self.seeds})))
        self.slots = HostSlots(self.profile.delay if self.profile.delay is not None else config.delay, config.per_host)
        pacer = Fetcher(config.policy, gate=lambda url: self.slots.pace(host_of(url)))
        self.robots = Robots(pacer, state, self.slots)
        self.fetcher = Fetcher(config.policy, gate=self._gate)
        self.reader = PageReader(
            self.profile, self.scope, config.policy.max_bytes, config.parse_timeout, config.dry_run
        )
        self.stats = CrawlStats()
        self._lock = threading.Lock()
        self._unrecorded = False
        self.run_id = 0
        self.archive: WarcArchive | None = None
        self.found: dict[str, tuple[str, str, str]] = {}  # dry run: url -> (kind, why, the page linking it)
        self._queued: set[str] = set()  # URLs of this run, for max_site_pages
        self._per_host: Counter[str] = Counter()

    def run(self) -> RunResult:
        """Resume or start the run, crawl until the queue is empty or max_pages, and report."""
        seeds = [Link(u, start_kind(self.profile, u), 0) for u in self.seeds]
        self.run_id, resumed = self.state.begin_run(self.job.key(), seeds)
        self._queued = {url for url, *_ in self.state.pages(self.run_id)}
        if not self.config.dry_run:
            self.archive = WarcArchive(self.config.warc_dir, f"crawl-{self.run_id:06d}")
        try:
            self._recover()
            stopped = self._loop()
        finally:
            if self.archive is not None:
                self.archive.close()
        return RunResult(
            self.run_id,
            resumed,
            not stopped,
            self.stats,
            self.state.problems(self.run_id),
            self.state.attachment_notes(self.run_id),
        )

    def _loop(self) -> bool:
        """Run the frontier to its end; return True when max_pages stopped it first."""
        inflight: dict[Future[None], Task] = {}
        started = 0
        limit = self.config.max_pages
        with ThreadPoolExecutor(self.config.workers, thread_name_prefix="crawl") as pool:
            while True:
                room = self.config.workers - len(inflight)
                if limit:
                    room = min(room, limit - started)
                if room > 0:
                    for task in self.state.next_tasks(self.run_id, room, {t.url for t in inflight.values()}):
                        inflight[pool.submit(self._visit, task)] = task
                        started += 1
                if not inflight:
                    return bool(limit) and started >= limit and self.state.queued(self.run_id) > 0
                done, _ = wait(inflight, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in done:
                    del inflight[future]
                    future.result()  # a bug in the crawler surfaces here instead of being lost
                self._progress()

    def _progress(self) -> None:
        self.stats.queued = self.state.queued(self.run_id)
        if self.on_progress:
            self.on_progress(self.stats)

    def _gate(self, url: str) -> None:
        """Check every request, redirect hops included: allowed host, robots.txt; then wait for the host."""
        if not self.scope.allows(url):
            raise FetchError(f"refused: redirected off the allowed hosts, to {url}")
        reason = self.robots.check(url)
        if reason:
            raise FetchError(f"refused: {reason}: {url}")
        self.slots.pace(host_of(url))

    def _visit(self, task: Task) -> None:
        """Fetch one URL and store the outcome; errors end up in the state, never in an exception."""
        reason = self.robots.check(task.url)
        if reason:
            self._save(task, Visit(task.url, "skipped", error=reason))
            return
        headers = {}
        if task.hash and task.etag:
            headers["If-None-Match"] = task.etag
        if task.hash and task.last_modified:
            headers["If-Modified-Since"] = task.last_modified
        limit = self.config.max_attachment_bytes if task.kind == "attachment" else self.config.policy.max_bytes
        with self.slots.slot(host_of(task.url)):  # held until stored: one host's pages are recorded in order
            try:
                resp = self.fetcher.get(task.url, headers, max_bytes=limit)
            except FetchError as e:
                self._save(task, Visit(task.url, "failed", error=e.reason))
                return
            visit = self._outcome(task, resp)
            visit.size = len(resp.raw)
            self._save(task, visit, resp if visit.changed else None)

    def _save(self, task: Task, visit: Visit, archive: Response | None = None) -> None:
        with self._lock:  # archive then state, in one order for all threads: the WARC tail is the redo log
            if visit.links:
                visit.links = self._admit(task, visit.links)
            if archive is not None and self.archive is not None:
                visit.warc, visit.offset, visit.warc_end = self.archive.write(archive, task.url, self._new_warc)
                if self._unrecorded:
                    visit.warc_end = None  # keep the redo point before the response the state missed
            try:
                self.state.save(self.run_id, visit, task.depth)
            except BaseException:
                self._unrecorded = True  # archived but not recorded: the next run replays it from the WARC
                raise
            self._count(visit)

    def _admit(self, task: Task, links: list[Link]) -> list[Link]:
        """Keep the links a run may queue (max_site_pages per host); a dry run notes them all, fetches no attachment."""
        if self.config.dry_run:
            for link in links:
                self.found.setdefault(link.url, (link.kind, link.why, task.url))
            links = [lk for lk in links if lk.kind != "attachment"]
        cap = self.config.max_site_pages
        if not cap:
            return links
        if not self._per_host and self._queued:
            self._per_host.update(host_of(u) for u in self._queued)
        kept = []
        for link in links:
            host = host_of(link.url)
            if link.url not in self._queued:
                if self._per_host[host] >= cap:
                    self.stats.capped += 1
                    continue
                self._queued.add(link.url)
                self._per_host[host] += 1
            kept.append(link)
        return kept

    def _new_warc(self, name: str) -> None:
        self.state.add_warc(name, self.run_id)  # before its first byte: a killed crawl's tail is found again

    def _count(self, visit: Visit) -> None:
        s = self.stats
        s.bytes += visit.size
        if visit.state == "skipped":
            s.skipped += 1
        elif visit.state == "failed":
            s.failed += 1
        elif visit.changed:
            s.fetched += 1
        else:
            s.unchanged += 1

    def _outcome(self, task: Task, page: Response | Archived) -> Visit:
        """Turn a response into a visit: 304 and same-content 200s are unchanged, others are parsed."""
        if page.status == 304:
            return Visit(task.url, "done", status=304)
        if page.status != 200:
            return Visit(task.url, "failed", status=page.status, error=f"HTTP {page.status}")
        digest = hashlib.sha1(page.body).hexdigest()
        visit = Visit(
            task.url,
            "done",
            status=200,
            etag=page.header("ETag"),
            hash=digest,
            last_modified=page.header("Last-Modified"),
            content_type=page.content_type,
        )
        if digest == task.hash:
            return visit
        try:
            visit.links, visit.text, visit.note, visit.kind = self.reader.read(task, page)
        except (ValueError, etree.XMLSyntaxError, zlib.error) as e:  # JSON, XML or gzip errors in the page itself
            return Visit(task.url, "failed", status=200, error=f"unreadable {task.kind} page: {str(e)[:200]}")
        visit.changed = True
        return visit

    def _recover(self) -> None:
        """Process responses a killed crawl archived but did not record (the WARC tail is its redo log)."""
        limit = max(self.config.max_attachment_bytes, self.config.policy.max_bytes)
        for name, committed in self.state.warcs(self.run_id):
            path = self.config.warc_dir / name
            if not path.is_file() or path.stat().st_size <= committed:
                continue
            size = path.stat().st_size
            for offset, page in iter_responses(path, committed, limit):
                task = self.state.queued_task(self.run_id, page.task)
                if task is None:
                    continue
                visit = self._outcome(task, page)
                visit.warc, visit.offset, visit.warc_end = name, offset, size
                self.state.save(self.run_id, visit, task.depth)
                self._count(visit)
                self.stats.recovered += 1
