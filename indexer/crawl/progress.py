"""The progress line on a terminal and the summary at the end, with every failure and its reason."""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import TextIO

from indexer.ingest import IngestReport

from .crawler import CrawlStats, RunResult

REDRAW_SECONDS = 0.2


def stats_line(s: CrawlStats) -> str:
    """Return pages fetched, unchanged, queued, failed, skipped, bytes and rate in one line."""
    return (
        f"fetched {s.fetched}, unchanged {s.unchanged}, queued {s.queued}, failed {s.failed}, "
        f"skipped {s.skipped}, {s.bytes / 1e6:.1f} MB, {s.rate():.1f} req/s"
    )


class ProgressLine:
    """Redraw one status line on a terminal; print nothing when the stream is not one."""

    def __init__(self, stream: TextIO = sys.stderr, enabled: bool | None = None) -> None:
        self.stream = stream
        self.enabled = stream.isatty() if enabled is None else enabled
        self._last = 0.0
        self._width = 0

    def __call__(self, stats: CrawlStats) -> None:
        """Show the current counters (at most every REDRAW_SECONDS)."""
        now = time.monotonic()
        if not self.enabled or now - self._last < REDRAW_SECONDS:
            return
        self._last = now
        line = "crawl: " + stats_line(stats)
        self.stream.write("\r" + line.ljust(self._width))
        self.stream.flush()
        self._width = len(line)

    def close(self) -> None:
        """End the status line."""
        if self.enabled and self._width:
            self.stream.write("\n")
            self.stream.flush()


def summary(result: RunResult, label: str) -> list[str]:
    """Return the end-of-crawl summary of one run: counters, every failure and every unread attachment."""
    state = "finished" if result.finished else "stopped at --max-pages: run the same crawl again to continue"
    lines = [
        f"{label}: run {result.run} {'resumed, ' if result.resumed else ''}{state}",
        "  "
        + stats_line(result.stats)
        + (f", recovered {result.stats.recovered} from the archive" if result.stats.recovered else ""),
    ]
    reasons = Counter(_reason_key(reason) for _, _, reason in result.problems)
    if result.problems:
        lines.append(
            f"  {len(result.problems)} URLs failed or skipped: "
            + ", ".join(f"{r} ({n})" for r, n in reasons.most_common())
        )
        lines.extend(f"  {state.upper()} {url}: {reason}" for url, state, reason in result.problems)
    if result.notes:
        lines.append(f"  {len(result.notes)} attachments without text:")
        lines.extend(f"  NOTE {url}: {note}" for url, note in result.notes)
    return lines


def ingest_summary(report: IngestReport | None) -> list[str]:
    """Return what the ingest of the crawled pages did, with every page it could not index."""
    if report is None:
        return ["ingest: no new or changed pages"]
    return ["ingest: " + report.summary(), *(f"  NOT INDEXED {source}: {reason}" for source, reason in report.failures)]


def _reason_key(reason: str) -> str:
    key = reason.split(":")[0].strip()
    return key if key != "refused" else ":".join(reason.split(":")[:2]).strip()
