"""Medians of several bench runs' page tables, each run with the load average it started at.

python -m bench.summary var/bench/65278/results-*.json
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .http_load import percentile
from .pages import KINDS, LABELS

EXTRA = ("export_whole",)


def load_runs(paths: Sequence[Path]) -> list[dict[str, Any]]:
    """Return the runs (results JSON) that measured the page kinds, in the order given."""
    runs = [json.loads(Path(p).read_text()) for p in paths]
    for r in runs:
        if r.get("pages"):
            r["pages"]["cold_cpu_ms"] = [1000 * s for s in r["pages"].get("cold_cpu_s", [])]
    return [r for r in runs if r.get("pages")]


def rows(runs: list[dict[str, Any]]) -> list[tuple[str, list[float], list[float]]]:
    """Return (measure, each run's p50, each run's p95) for every page row."""
    out = []
    for kind in (*KINDS, *EXTRA):
        values = [r["pages"]["latency_ms"].get(kind, []) for r in runs]
        out.append((LABELS[kind], [percentile(v, 50) for v in values], [percentile(v, 95) for v in values]))
    for key, label in (
        ("cold_ms", "cold start to the first answer"),
        ("cold_cpu_ms", "cold start, the server's CPU time to the first answer"),
        ("normal_alone_ms", "normal results pages alone"),
        ("normal_hostile_ms", "normal results pages beside hostile clients"),
    ):
        values = [v for v in (r["pages"].get(key, []) for r in runs) if v]  # runs that measured it
        out.append((label, [percentile(v, 50) for v in values], [percentile(v, 95) for v in values]))
    return out


def render(runs: list[dict[str, Any]]) -> str:
    """Return the Markdown table: the median over the runs, then each run's figures."""
    loads = ", ".join(f"{r['load_at_start'][0]:.2f}" for r in runs)
    head = f"{len(runs)} runs at {runs[0]['size']:,} documents; load average at the start of each: {loads}"
    lines = [head, "", "| measure, ms | median p50 | median p95 | runs' p95 |", "| --- | --- | --- | --- |"]
    for label, p50s, p95s in rows(runs):
        if not p95s:
            continue
        each = " / ".join(f"{v:.1f}" for v in p95s)
        lines.append(f"| {label} | {statistics.median(p50s):.1f} | {statistics.median(p95s):.1f} | {each} |")
    mem = [r["pages"]["peak_mb"] for r in runs]
    lines.append(
        f"| server peak memory, MB | {statistics.median(mem):,.0f} | | {' / '.join(f'{m:,.0f}' for m in mem)} |"
    )
    tables = [r["term_tables_seconds"] for r in runs if r.get("term_tables_seconds") is not None]
    build = runs[0]["results"]["ours"]["build_seconds"]
    if tables and build:
        lines.append("")
        lines.append(
            f"Term tables + warm arrays: median {statistics.median(tables):.2f} s per ingest of"
            f" {build:.1f} s ({100 * statistics.median(tables) / build:.1f}%)."
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the medians of the runs named on the command line."""
    paths = [Path(p) for p in (sys.argv[1:] if argv is None else argv)]
    runs = load_runs(paths)
    if not runs:
        print("no run with page rows among the files given")
        return 2
    print(render(runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
