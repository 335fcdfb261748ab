"""Verify an index directory: the record store, every Whoosh segment, and that the two agree."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import whoosh.index
from whoosh.reading import IndexReader

from .generations import current_generation, journal_landed, store_path
from .store import RecordStore

PENDING = "not indexed yet"  # the wording of the one problem that is unfinished work, not damage


@dataclass
class CheckReport:
    """What `govsearch check` found."""

    problems: list[str] = field(default_factory=list)
    records: int = 0
    indexed: int = 0
    segments: int = 0
    pending: int = 0
    postings: int = 0

    @property
    def ok(self) -> bool:
        """Tell whether the index is sound and up to date."""
        return not self.problems

    @property
    def damage(self) -> list[str]:
        """Return the problems that are damage (everything but records still waiting to be indexed)."""
        return [p for p in self.problems if PENDING not in p]


@dataclass
class _Stored:
    """What the record store says: every id, the ids the index must hold, their titles, the pending ones."""

    ids: set[str]
    expected: set[str]
    titles: dict[str, str]
    pending: int


def check_index(index_dir: Path) -> CheckReport:
    """Open every segment, read every posting and stored document, and compare the index with the records."""
    report = CheckReport()
    index_dir = Path(index_dir)
    if not store_path(index_dir).exists():
        report.problems.append(f"no record store at {store_path(index_dir)}")
        return report
    stored = _read_store(index_dir, report)
    if stored is None:
        return report
    report.records, report.pending = len(stored.ids), stored.pending
    if stored.pending:
        report.problems.append(
            f"{stored.pending} records are stored but {PENDING} "
            "(an ingest was interrupted: run govsearch ingest to finish)"
        )
    found = _read_whoosh(index_dir, report)
    if found is not None:
        _compare(stored, found, report)
    return report


def _read_store(index_dir: Path, report: CheckReport) -> _Stored | None:
    try:
        store = RecordStore(store_path(index_dir), readonly=True)
        try:
            verdict = store.db.execute("PRAGMA integrity_check").fetchone()[0]
            rows = store.db.execute("SELECT id, indexed, json_extract(record, '$.title') FROM records").fetchall()
            landed = journal_landed(store, index_dir)
        finally:
            store.close()
    except sqlite3.DatabaseError as e:
        report.problems.append(f"record store unreadable: {e}")
        return None
    if verdict != "ok":
        report.problems.append(f"record store damaged: {verdict}")
    pending = {r[0] for r in rows if not r[1]}
    # a commit that reached the index before the store was told holds every record pending at the time
    expected = {r[0] for r in rows if r[1]} | (pending if landed else set())
    return _Stored(
        ids={r[0] for r in rows},
        expected=expected,
        titles={r[0]: r[2] or "" for r in rows},
        pending=0 if landed else len(pending),
    )


def _read_whoosh(index_dir: Path, report: CheckReport) -> dict[str, list[str]] | None:
    """Return id -> stored titles of every live document, reading every segment in full; None if unreadable."""
    gen = current_generation(index_dir)
    if gen is None or not (index_dir / gen).is_dir():
        report.problems.append("no current index generation (CURRENT missing or points nowhere)")
        return None
    found: dict[str, list[str]] = {}
    try:
        ix = whoosh.index.open_dir(str(index_dir / gen))
        with ix.reader() as reader:
            leaves = reader.leaf_readers()
            report.segments = len(leaves)
            for leaf, _ in leaves:
                _read_segment(leaf, found, report)
    except Exception as e:  # noqa: BLE001 - any failure to read a segment is damage to report, not to raise
        report.problems.append(f"index generation {gen} unreadable: {type(e).__name__}: {str(e)[:200]}")
        return None
    report.indexed = sum(len(v) for v in found.values())
    return found


def _read_segment(leaf: IndexReader, found: dict[str, list[str]], report: CheckReport) -> None:
    """Read every stored document, every posting list and every column of one segment."""
    size = leaf.doc_count_all()
    for docnum in range(size):
        if not leaf.is_deleted(docnum):
            fields = leaf.stored_fields(docnum)
            found.setdefault(fields["id"], []).append(fields.get("title", ""))
    for name, fieldobj in leaf.schema.items():
        if fieldobj.indexed:
            report.postings += _read_postings(leaf, name, size)
        if fieldobj.column_type and leaf.has_column(name):
            _ = list(leaf.column_reader(name, translate=False))


def _read_postings(leaf: IndexReader, name: str, size: int) -> int:
    """Read every posting of one field; raise ValueError on a document number out of order or range."""
    count = 0
    for term in leaf.lexicon(name):
        last = -1
        for docnum, _value in leaf.postings(name, term).all_items():
            if not last < docnum < size:
                raise ValueError(f"field {name}: posting for document {docnum} out of order or range")
            last = docnum
            count += 1
    return count


def _compare(stored: _Stored, found: dict[str, list[str]], report: CheckReport) -> None:
    twice = [i for i, titles in found.items() if len(titles) > 1]
    if twice:
        report.problems.append(f"{len(twice)} documents are indexed twice, e.g. {sorted(twice)[:3]}")
    missing, extra = stored.expected - found.keys(), found.keys() - stored.ids
    if missing:
        report.problems.append(f"{len(missing)} stored records missing from the index, e.g. {sorted(missing)[:3]}")
    if extra:
        report.problems.append(f"{len(extra)} indexed documents without a stored record, e.g. {sorted(extra)[:3]}")
    differ = sorted(i for i in stored.expected & found.keys() if found[i][0] != stored.titles[i])
    if differ:
        report.problems.append(f"{len(differ)} indexed documents differ from their stored record, e.g. {differ[:3]}")
