"""Verify an index directory: the record store, every Whoosh segment, and that the two agree."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import whoosh.index

from .build import current_generation, store_path
from .store import RecordStore


@dataclass
class CheckReport:
    """What `govsearch check` found."""

    problems: list[str] = field(default_factory=list)
    records: int = 0
    indexed: int = 0
    segments: int = 0

    @property
    def ok(self) -> bool:
        """Tell whether the index is sound."""
        return not self.problems


def check_index(index_dir: Path) -> CheckReport:
    """Open every segment, read every stored document, and compare the index with the stored records."""
    report = CheckReport()
    index_dir = Path(index_dir)
    if not store_path(index_dir).exists():
        report.problems.append(f"no record store at {store_path(index_dir)}")
        return report
    try:
        store = RecordStore(store_path(index_dir), readonly=True)
        verdict = store.db.execute("PRAGMA integrity_check").fetchone()[0]
        expected = {r[0] for r in store.db.execute("SELECT id FROM records WHERE indexed = 1")}
        report.records = store.count()
        pending = store.count(pending_only=True)
        store.close()
    except sqlite3.DatabaseError as e:
        report.problems.append(f"record store unreadable: {e}")
        return report
    if verdict != "ok":
        report.problems.append(f"record store damaged: {verdict}")
    if pending:
        report.problems.append(f"{pending} records are stored but not indexed yet (run govsearch ingest to finish)")
    _check_whoosh(index_dir, expected, report)
    return report


def _check_whoosh(index_dir: Path, expected: set[str], report: CheckReport) -> None:
    gen = current_generation(index_dir)
    if gen is None or not (index_dir / gen).is_dir():
        report.problems.append("no current index generation (CURRENT missing or points nowhere)")
        return
    try:
        ix = whoosh.index.open_dir(str(index_dir / gen))
        with ix.searcher() as s:
            report.segments = len(ix._segments())
            found: list[str] = []
            for fields in s.all_stored_fields():
                found.append(fields["id"])
            for name in ("title", "cbody"):
                sum(1 for _ in s.reader().all_terms() if _[0] == name)  # reads every term of the field
    except Exception as e:  # noqa: BLE001 - any failure to read a segment is damage to report, not to raise
        report.problems.append(f"index generation {gen} unreadable: {type(e).__name__}: {e}")
        return
    report.indexed = len(found)
    if len(found) != len(set(found)):
        report.problems.append(f"{len(found) - len(set(found))} documents are indexed twice")
    missing, extra = expected - set(found), set(found) - expected
    if missing:
        report.problems.append(f"{len(missing)} stored records missing from the index, e.g. {sorted(missing)[:3]}")
    if extra:
        report.problems.append(f"{len(extra)} indexed documents without a stored record, e.g. {sorted(extra)[:3]}")
