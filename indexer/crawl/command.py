"""`govsearch crawl SITE_OR_URL... [--index DIR]`: a polite crawl, then ingest of what changed."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from indexer.config import Settings
from indexer.errors import IndexBusy, IndexError_
from indexer.ingest import IngestReport

from .crawler import CrawlConfig, Crawler, Job, RunResult
from .fetch import USER_AGENT, FetchPolicy
from .netguard import BlockedAddress, resolve
from .profiles import Profile, ProfileError, available, guess_profile, load_profile
from .progress import ProgressLine, ingest_summary, summary
from .records import ingest_pending
from .seeds import SeedListMissing, notice_columns
from .state import CrawlState
from .urls import BadURL, canonical_url


class UsageError(click.ClickException):
    """Bad input or usage: one line on stderr, exit status 2."""

    exit_code = 2


def _list_profiles(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    for name in available():
        profile = load_profile(name)
        starts = f" ({len(profile.start_urls)} start URLs)" if profile.start_urls else ""
        click.echo(f"{name:<14} {profile.mode:<8} {profile.description}{starts}")
    ctx.exit(0)


@click.command("crawl")
@click.argument("targets", metavar="SITE_OR_URL...", nargs=-1)
@click.option(
    "--index",
    "index_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Index directory (default: $GOVSEARCH_INDEX, else ./var/index).",
)
@click.option(
    "--profile",
    "profile_name",
    default=None,
    help="Profile (name or .toml file) for bare URLs; default: guessed from the URL.",
)
@click.option(
    "--from-list",
    "from_list",
    default=None,
    metavar="FILTER",
    help="Add notice columns from the gov-site-list package whose site/column/URL contains FILTER ('all').",
)
@click.option(
    "--list-profiles",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_list_profiles,
    help="Show the shipped profiles and exit.",
)
@click.option("--dry-run", is_flag=True, help="Print the profiles and start URLs, fetch nothing.")
@click.option("--allow-private", is_flag=True, help="Allow loopback, private and link-local addresses.")
@click.option(
    "--delay", type=click.FloatRange(0), default=1.0, show_default=True, help="Seconds between requests to one host."
)
@click.option(
    "--per-host", type=click.IntRange(1, 16), default=1, show_default=True, help="Requests in flight per host."
)
@click.option(
    "--concurrency", type=click.IntRange(1, 64), default=4, show_default=True, help="Requests in flight in all."
)
@click.option("--timeout", type=click.FloatRange(0.05), default=20.0, show_default=True, help="Seconds per request.")
@click.option("--retries", type=click.IntRange(0, 10), default=2, show_default=True, help="Retries after 5xx/timeouts.")
@click.option(
    "--backoff",
    type=click.FloatRange(0),
    default=2.0,
    show_default=True,
    help="Seconds before the first retry (doubled for each further one).",
)
@click.option("--max-pages", type=click.IntRange(0), default=0, help="Stop after N requests; the next crawl resumes.")
@click.option("--max-bytes", type=click.IntRange(1024), default=10 * 2**20, show_default=True, help="Page size limit.")
@click.option("--max-attachment-bytes", type=click.IntRange(1024), default=50 * 2**20, show_default=True)
@click.option("--user-agent", default=USER_AGENT, show_default=True)
@click.option(
    "--state",
    "state_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Crawl state file (default: INDEX/crawl.sqlite).",
)
@click.option(
    "--warc-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="WARC archive folder (default: INDEX/warc).",
)
@click.option("--no-ingest", is_flag=True, help="Crawl and archive only; a later crawl ingests.")
@click.option("--fail-on-error", is_flag=True, help="Exit 1 when any URL failed.")
def crawl_cmd(
    targets: tuple[str, ...],
    index_dir: Path | None,
    profile_name: str | None,
    from_list: str | None,
    dry_run: bool,
    state_path: Path | None,
    warc_dir: Path | None,
    no_ingest: bool,
    fail_on_error: bool,
    **opts: Any,
) -> None:
    """Crawl government sites politely (robots.txt, delays, conditional requests), then ingest what changed.

    SITE_OR_URL is a start URL or a site profile (see --list-profiles).
    """
    settings = Settings.from_env(index_dir=index_dir)
    jobs = make_jobs(targets, profile_name, from_list)
    if dry_run:
        for job in jobs:
            click.echo(f"{job.profile.name}: " + " ".join(job.start_urls))
        return
    config = make_config(settings.index_dir, state_path, warc_dir, **opts)
    if not config.policy.allow_private:
        check_public(u for job in jobs for u in job.start_urls)
    with crawl_lock(config.state_path):
        state = CrawlState(config.state_path)
        try:
            results = [(job, crawl_job(job, config, state)) for job in jobs]
            report = None if no_ingest else ingest(results, state, config, settings)
            for _, result in results:
                if result.finished and not no_ingest:
                    state.finish_run(result.run)  # only now: a crash before this resumes and ingests again
        finally:
            state.close()
    report_all(results, report, no_ingest, fail_on_error)


def make_jobs(targets: tuple[str, ...], profile_name: str | None, from_list: str | None) -> list[Job]:
    """Turn the arguments into jobs: site profiles with their start URLs, bare URLs grouped by profile."""
    if not targets and not from_list:
        raise UsageError("give at least one SITE_OR_URL (a start URL or a profile; see --list-profiles)")
    bare: dict[str, list[str]] = {}
    jobs: list[Job] = []
    try:
        for target in targets:
            if "://" in target:
                bare.setdefault(profile_name or guess_profile(target), []).append(_url(target))
            else:
                jobs.append(_site_job(load_profile(target)))
        if from_list:
            bare.setdefault(profile_name or "generic", []).extend(_url(u) for u in notice_columns(from_list))
        jobs.extend(Job(load_profile(name), tuple(dict.fromkeys(urls))) for name, urls in bare.items())
    except ProfileError as e:
        raise UsageError(str(e)) from None
    except SeedListMissing as e:
        raise click.ClickException(str(e)) from None
    return jobs


def _url(text: str) -> str:
    try:
        return canonical_url(text)
    except BadURL as e:
        raise UsageError(str(e)) from None


def _site_job(profile: Profile) -> Job:
    urls = [*profile.start_urls, *(notice_columns(profile.seed_list) if profile.seed_list else [])]
    if not urls:
        raise UsageError(
            f"profile {profile.name!r} has no start URLs: give URLs, e.g. "
            f"govsearch crawl --profile {profile.name} https://www.example.gov.cn/zwgk/tzgg/"
        )
    return Job(profile, tuple(dict.fromkeys(_url(u) for u in urls)))


def make_config(index_dir: Path, state_path: Path | None, warc_dir: Path | None, **o: Any) -> CrawlConfig:
    """Build the crawl configuration from the options."""
    policy = FetchPolicy(
        user_agent=o["user_agent"],
        timeout=o["timeout"],
        retries=o["retries"],
        backoff=o["backoff"],
        max_bytes=o["max_bytes"],
        allow_private=o["allow_private"],
    )
    return CrawlConfig(
        state_path=state_path or index_dir / "crawl.sqlite",
        warc_dir=warc_dir or index_dir / "warc",
        policy=policy,
        delay=o["delay"],
        per_host=o["per_host"],
        workers=o["concurrency"],
        max_pages=o["max_pages"],
        max_attachment_bytes=o["max_attachment_bytes"],
    )


def check_public(urls: Iterator[str]) -> None:
    """Refuse start URLs on private addresses up front (each request checks again at connect time)."""
    for url in urls:
        parts = urlsplit(url)
        try:
            resolve(parts.hostname or "", parts.port or 80, allow_private=False)
        except BlockedAddress as e:
            raise UsageError(f"refused {url}: {e}") from None
        except OSError:
            continue  # unresolvable now: the crawl reports it with the other failures


@contextmanager
def crawl_lock(state_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the state file, or fail at once: one crawl per state file."""
    state_path.parent.mkdir(parents=True, exist_ok=True)
    with open(state_path.with_name(state_path.name + ".lock"), "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise click.ClickException(f"another crawl is using {state_path}") from None
        yield


def crawl_job(job: Job, config: CrawlConfig, state: CrawlState) -> RunResult:
    """Crawl one job with a progress line on the terminal."""
    line = ProgressLine()
    try:
        return Crawler(job, config, state, on_progress=line).run()
    finally:
        line.close()


def ingest(
    results: list[tuple[Job, RunResult]], state: CrawlState, config: CrawlConfig, settings: Settings
) -> IngestReport | None:
    """Ingest the changed pages of every job in one pass over the index."""
    batches = [(state, result.run, job.profile) for job, result in results]
    try:
        return ingest_pending(batches, config.warc_dir, settings.index_dir, lock_timeout=settings.lock_timeout)
    except IndexBusy as e:
        raise click.ClickException(f"{e}; the crawled pages are kept and ingested by the next crawl") from None
    except (OSError, IndexError_) as e:
        raise click.ClickException(f"cannot write the index at {settings.index_dir}: {e}") from None


def report_all(
    results: list[tuple[Job, RunResult]], report: IngestReport | None, no_ingest: bool, fail_on_error: bool
) -> None:
    """Print every job's summary and the ingest's (failures on stderr); fail when a site gave nothing at all."""
    lines = [text for job, result in results for text in summary(result, job.profile.name)]
    lines += [] if no_ingest else ingest_summary(report)
    for text in lines:
        click.echo(text, err=text.startswith(("  FAILED", "  SKIPPED", "  NOT INDEXED")))
    dead = [job.profile.name for job, r in results if r.stats.failed and not (r.stats.fetched or r.stats.unchanged)]
    if dead:
        raise click.ClickException(f"nothing could be fetched for {', '.join(dead)}")
    failed = sum(result.stats.failed for _, result in results)
    if failed and fail_on_error:
        raise click.ClickException(f"{failed} URLs failed (see above)")
