"""What a crawl takes and why: the --dry-run report, the one-line answer when no notice is found, and the
site profile that --suggest-profile writes from the selectors the evidence picked."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from .crawler import CrawlConfig, Crawler, Job, RunResult
from .profiles import available
from .progress import ProgressLine
from .state import CrawlState

LABELS = {"list": "LIST", "detail": "NOTICE", "page": "NOT TAKEN", "candidate": "NOTICE?", "attachment": "ATTACHMENT"}
MAX_LOOKED = 3  # list pages named in the one-line answer


@dataclass
class Explained:
    """A crawl run in memory: what it did, every page with its kind, state and note, and why each was linked."""

    result: RunResult
    pages: list[tuple[str, str, str, str]]  # (url, kind, state, note or error)
    found: dict[str, tuple[str, str, str]]  # url -> (kind when linked, why, the page linking it)
    selectors: dict[str, int]  # CSS selector of each notice group -> links it took


def dry_run(job: Job, config: CrawlConfig) -> Explained:
    """Crawl a job without writing anything (state in memory, no WARC, attachments not fetched)."""
    config = replace(config, dry_run=True)
    state = CrawlState(Path(":memory:"))
    line = ProgressLine()
    try:
        crawler = Crawler(job, config, state, on_progress=line)
        result = crawler.run()
        return Explained(result, state.pages(result.run), crawler.found, crawler.reader.selectors)
    finally:
        line.close()
        state.close()


def report(job: Job, run: Explained) -> list[str]:
    """Return, for each start URL, the list pages, notices and attachments the crawl would take, and why."""
    seeds = set(job.start_urls)
    by_seed: dict[str, list[str]] = {seed: [] for seed in job.start_urls}
    rows = [(url, kind, state, note) for url, kind, state, note in run.pages]
    rows += [
        (url, "attachment", "", f"{why}, linked from {parent}; not fetched in a dry run")
        for url, (kind, why, parent) in run.found.items()
        if kind == "attachment"
    ]
    for url, kind, state, note in rows:
        by_seed[_seed_of(url, run.found, seeds) or job.start_urls[0]].append(_line(url, kind, state, note, run, seeds))
    lines = []
    for seed, entries in by_seed.items():
        counts = {k: sum(e.lstrip().startswith(LABELS[k] + " ") for e in entries) for k in ("list", "detail")}
        attachments = sum(e.lstrip().startswith("ATTACHMENT") for e in entries)
        lines.append(
            f"{seed}: would take {counts['list']} list pages, {counts['detail']} notices, {attachments} attachments"
        )
        lines.extend(entries)
    return lines


def _line(url: str, kind: str, state: str, note: str, run: Explained, seeds: set[str]) -> str:
    """Return one report line: what the page is, and the evidence it was taken on or what fetching it showed."""
    if state in ("failed", "skipped"):
        return f"  {state.upper():<10} {url}  {note}"
    why = "start URL" if url in seeds else run.found.get(url, ("", "", ""))[1]
    if kind == "attachment":
        why = note
    elif note:
        why = f"{why} ({note})" if kind == "list" else f"{why}; checked: {note}"
    return f"  {LABELS.get(kind, kind.upper()):<10} {url}  {why}"


def _seed_of(url: str, found: dict[str, tuple[str, str, str]], seeds: set[str]) -> str | None:
    seen = set()
    while url not in seeds and url in found and url not in seen:
        seen.add(url)
        url = found[url][2]
    return url if url in seeds else None


def no_notice(job: Job, pages: list[tuple[str, str, str, str]]) -> str | None:
    """Return the one line that says why a job found no notice and where it looked, or None when it found some."""
    if any(kind == "detail" and state == "done" for _, kind, state, _ in pages):
        return None
    looked = [(url, note) for url, kind, state, note in pages if kind in ("list", "sitemap", "api")][:MAX_LOOKED]
    where = "; ".join(f"{url} ({note or 'no notice links'})" for url, note in looked) or ", ".join(job.start_urls)
    return f"no notice found for {job.profile.name}: looked at {where}"


def profile_toml(job: Job, run: Explained) -> str:
    """Return a site profile (TOML) with the detail-link selectors the evidence picked, for review."""
    host = urlsplit(job.start_urls[0]).hostname or "site"
    name = "site-" + host.replace(".", "-").strip("[]").replace(":", "-")
    notices = sum(kind == "detail" and state == "done" for _, kind, state, _ in run.pages)
    lists = [url for url, kind, state, _ in run.pages if kind == "list" and state == "done"]
    selectors = sorted(run.selectors, key=lambda s: -run.selectors[s])
    out = [
        f"# Suggested by `govsearch crawl --suggest-profile` from {len(lists)} list pages and {notices} notices.",
        "# Review the selectors, then crawl with: govsearch crawl THIS_FILE.toml",
        f"extends = {json.dumps(job.profile.name if job.profile.name in available() else 'generic')}",
        f"name = {json.dumps(name)}",
        f"start_urls = {json.dumps(list(job.start_urls), ensure_ascii=False)}",
        "",
        "[detail]",
        "# links these pick on a list page are notices (checked once fetched: a title, a body and a date)",
        f"link_selector = {json.dumps(', '.join(selectors), ensure_ascii=False)}",
    ]
    out += [f"# {selector}: {count} links" for selector in selectors for count in (run.selectors[selector],)]
    return "\n".join(out) + "\n"
