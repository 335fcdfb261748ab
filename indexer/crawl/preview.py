"""--dry-run and --suggest-profile: crawl in memory, print what would be taken, write the suggested profile."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import click

from .crawler import CrawlConfig, Job
from .explain import dry_run, no_notice, profile_toml, report
from .netguard import BlockedAddress, resolve


class UsageError(click.ClickException):
    """Bad input or usage: one line on stderr, exit status 2."""

    exit_code = 2


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


def preview(jobs: list[Job], config: CrawlConfig, suggest: bool, output: Path | None) -> None:
    """Crawl each job in memory and print what it would take, or write the suggested profile; exit 1 if no notice."""
    if suggest and len(jobs) > 1:
        names = ", ".join(job.profile.name for job in jobs)
        raise UsageError(f"--suggest-profile writes one profile: give start URLs of one profile, not {names}")
    if output is not None and output.exists():
        raise UsageError(f"{output} exists: remove it or name another file (nothing was crawled)")
    if not config.policy.allow_private:
        check_public(u for job in jobs for u in job.start_urls)
    empty, profiles = [], []
    for job in jobs:
        if not suggest:
            click.echo(f"{job.profile.name}: " + " ".join(job.start_urls))
        run = dry_run(job, config)
        for text in [] if suggest else report(job, run):
            click.echo(text)
        line = no_notice(job, run.pages)
        empty += [line] if line else []
        profiles += [] if line else [profile_toml(job, run)]
    if suggest and profiles:
        write_profile("\n".join(profiles), output)
    if empty:
        raise click.ClickException("\n".join(empty))


def write_profile(text: str, output: Path | None) -> None:
    """Write the suggested profile to output, or to standard output."""
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        with open(output, "x", encoding="utf-8") as fh:  # "x": never overwrite a profile the user kept
            fh.write(text)
    except OSError as e:
        raise UsageError(f"cannot write {output}: {e.strerror or e}") from None
    click.echo(f"wrote {output}", err=True)
