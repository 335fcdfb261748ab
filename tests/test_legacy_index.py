"""An index built before the Whoosh fast path moved (tests/data/legacy_index) still opens and answers."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from indexer.analysis import fold
from indexer.backend import open_backend
from indexer.config import Settings
from indexer.models import SearchRequest

LEGACY = Path(__file__).resolve().parent / "data" / "legacy_index" / "index"


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    """A copy of the committed legacy index (opening may write a lock file; the committed one stays as built)."""
    if not (LEGACY / "CURRENT").exists():
        pytest.skip(f"legacy index not found at {LEGACY}")
    return Path(shutil.copytree(LEGACY, tmp_path / "index"))


def _records(index_dir: Path) -> dict[str, dict]:
    with sqlite3.connect(index_dir / "records.sqlite") as db:
        return {doc_id: json.loads(rec) for doc_id, rec in db.execute("SELECT id, record FROM records")}


def test_legacy_toc_names_the_old_codec_path(legacy: Path) -> None:
    gen = (legacy / "CURRENT").read_text().strip()
    toc = next((legacy / gen).glob("_MAIN_*.toc")).read_bytes()
    assert b"indexer.segments" in toc and b"ArraysCodec" in toc
    assert list((legacy / gen).glob("*.arr")), "the bulk segment keeps common terms as arrays"


@pytest.mark.parametrize("word", ["安全生产", "大气污染防治", "政府信息公开"])
def test_legacy_index_answers_every_record_holding_a_word(legacy: Path, word: str) -> None:
    records = _records(legacy)
    expected = {i for i, r in records.items() if word in fold(r.get("title", "") + r.get("body", ""))}
    assert expected, f"the fixture holds records with {word}"
    backend = open_backend(Settings(index_dir=legacy))
    page = backend.search(SearchRequest(q=f'"{word}"', per_page=100, collapse=False))
    assert {h.doc_id for h in page.hits} == expected
    assert page.total == len(expected)


def test_legacy_index_filters_and_reads_records(legacy: Path) -> None:
    backend = open_backend(Settings(index_dir=legacy))
    page = backend.search(SearchRequest(q="通知", filters=(("region", "福建省"),), per_page=100, collapse=False))
    records = _records(legacy)
    assert page.hits
    assert all(records[h.doc_id].get("region", "").startswith("福建省") for h in page.hits)
    assert backend.document("legacy-003")["doc_number"] == records["legacy-003"]["doc_number"]
