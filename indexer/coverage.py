"""Coverage of the metadata fields: how many stored records state each field, per source file or host."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

COVERAGE_FIELDS = ("title", "agency", "region", "status", "date", "date_issued", "doc_number")
# a LawRefBook or other repository source: "github:owner/repo@commit:path" -> "owner/repo"
_REPO_SOURCE = re.compile(r"^github:([^@:]+)")


@dataclass
class Coverage:
    """Counts of records with each field filled, overall and per origin (source file or crawled host)."""

    total: int = 0
    filled: Counter[str] = field(default_factory=Counter)
    per_origin: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, record: dict[str, Any]) -> None:
        """Count one stored record."""
        origin = origin_of(record)
        self.total += 1
        self.per_origin[origin]["_records"] += 1
        for name in COVERAGE_FIELDS:
            if record.get(name) not in (None, "", []):
                self.filled[name] += 1
                self.per_origin[origin][name] += 1

    def table(self, top: int = 30) -> str:
        """Return the coverage as a plain-text table: one row for all records, then one per origin."""
        head = f"{'origin':<48} {'records':>8} " + " ".join(f"{n:>11}" for n in COVERAGE_FIELDS)
        rows = [head, _row("(all)", self.total, self.filled)]
        biggest = sorted(self.per_origin.items(), key=lambda kv: -kv[1]["_records"])[:top]
        rows += [_row(origin, counts["_records"], counts) for origin, counts in biggest]
        return "\n".join(rows)

    def to_json(self) -> dict[str, Any]:
        """Return the counts as a JSON-ready object."""
        return {
            "total": self.total,
            "filled": {n: self.filled[n] for n in COVERAGE_FIELDS},
            "per_origin": {
                o: {"records": c["_records"], **{n: c[n] for n in COVERAGE_FIELDS}} for o, c in self.per_origin.items()
            },
        }


def _row(name: str, total: int, counts: Counter[str]) -> str:
    cells = " ".join(f"{counts[n]:>6} {100 * counts[n] / max(total, 1):>3.0f}%" for n in COVERAGE_FIELDS)
    return f"{name[:48]:<48} {total:>8} {cells}"


def origin_of(record: dict[str, Any]) -> str:
    """Name where a record came from: the host of its URL, else its repository folder or file."""
    host = urlsplit(str(record.get("url") or "")).hostname
    if host:
        return host
    source = record.get("source") or ""
    source = str(source[0] if isinstance(source, list) and source else source).split(";", 1)[0].strip()
    if m := _REPO_SOURCE.match(source):
        parts = source.split(":", 2)[-1].split("/")
        return f"{m[1]}:" + "/".join(parts[: 2 if parts[0] == "DLC" else 1][: len(parts) - 1])
    if source.startswith("file:"):
        return source[5:].rsplit("/", 1)[0] + "/"
    return source.split("[", 1)[0] or "(unknown)"


def coverage_of(records: Iterable[str | dict[str, Any]]) -> Coverage:
    """Count the coverage of stored records (JSON text or dicts)."""
    cov = Coverage()
    for rec in records:
        cov.add(json.loads(rec) if isinstance(rec, str) else rec)
    return cov


def store_coverage(path: Path) -> Coverage:
    """Count the coverage of every record in a record store file (opened read-only)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return coverage_of(rec for (rec,) in db.execute("SELECT record FROM records"))
    finally:
        db.close()
