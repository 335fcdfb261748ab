"""The record's fields are declared once (models.RECORD_FIELDS); records, ingest and exports follow it."""

from __future__ import annotations

from pathlib import Path

from indexer.export import COLUMNS, DERIVED_COLUMNS, row
from indexer.models import RECORD_FIELDS, RECORD_KEYS, Document
from indexer.pipeline import KNOWN, to_document

SEED = Path(__file__).resolve().parents[1] / "corpus" / "000_7eabf1a7e4b02af4.txt"


def _seed_document() -> Document:
    return to_document(
        {
            "id": "seed",
            "url": "https://example.gov.cn/seed.html",
            "body": SEED.read_text(encoding="utf-8"),
            "date": "2015-01-20",
            "attachments": [{"url": "https://example.gov.cn/a.pdf", "name": "附件1"}],
            "keywords": ["政府信息公开"],
            "colour": "kept as it came",
        }
    )


def test_a_record_has_the_declared_fields_in_order_and_comes_back_equal() -> None:
    doc = _seed_document()
    rec = doc.to_record()
    assert [k for k in rec if k in RECORD_KEYS] == [f.key for f in RECORD_FIELDS]
    assert rec["colour"] == "kept as it came" and rec["cites"][0] == "侯政办〔2014〕120号"
    assert Document.from_record(rec) == doc


def test_ingest_and_exports_derive_their_fields_from_the_declaration() -> None:
    given = {f.key for f in RECORD_FIELDS if f.given}
    assert KNOWN - given == {"html", "html_bytes"} and "cites" not in KNOWN
    assert [c for c in COLUMNS if c not in {key for _, key in DERIVED_COLUMNS}] == [
        f.key for f in sorted((f for f in RECORD_FIELDS if f.column), key=lambda f: f.column)
    ]
    cells = dict(zip(COLUMNS, row(_seed_document().to_record()), strict=True))
    assert cells["id"] == "seed" and cells["date"] == "2015-01-20" and len(cells["text_sha256"]) == 64
