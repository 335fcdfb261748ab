"""Benchmark corpus: STARD statute articles with synthetic, deterministic government metadata.

STARD articles carry no 文号, date or issuer. So that 文号 lookup, facets and date sort have real work to
do, every record gets an agency, a 文号 (that agency's 机关代字 + year + serial), a publication date, a
体裁 and a 有效性, all derived from a SHA-1 of its id: the same id always gets the same metadata. The
scale corpus repeats the real articles with distinct ids (``<id>~<copy>``), so copies get fresh metadata.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
STARD = SHARED / "corpus" / "benchmarks" / "stard_corpus.jsonl"
STARD_QUERIES = SHARED / "corpus" / "benchmarks" / "stard_train_queries.jsonl"
FIRST_DAY = date(2000, 1, 1)
DAYS = 9131  # 2000-01-01 .. 2024-12-31
# (agency, 机关代字): central and provincial issuers whose names normalize() keeps as they are
ISSUERS = (
    ("国务院", "国发"),
    ("国务院办公厅", "国办发"),
    ("财政部", "财税"),
    ("民政部", "民发"),
    ("教育部", "教发"),
    ("公安部", "公通字"),
    ("生态环境部", "环发"),
    ("交通运输部", "交规划发"),
    ("商务部", "商资发"),
    ("最高人民法院", "法发"),
    ("国家税务总局", "税总发"),
    ("应急管理部", "应急"),
    ("广东省人民政府", "粤府"),
    ("上海市人民政府", "沪府发"),
    ("北京市人民政府", "京政发"),
    ("浙江省人民政府", "浙政发"),
    ("四川省人民政府", "川府发"),
    ("山东省人民政府", "鲁政发"),
)
DOC_TYPES = ("通知", "意见", "决定", "办法", "规定", "条例", "批复", "公告")
STATUSES = ("有效", "有效", "有效", "失效", "废止", "已修订")


@dataclass(frozen=True, slots=True)
class Meta:
    """The synthetic metadata of one record."""

    agency: str
    doc_number: str
    published: date
    doc_type: str
    status: str


def meta_for(doc_id: str) -> Meta:
    """Return the deterministic metadata of an id (a hash of the id picks every value)."""
    h = int.from_bytes(hashlib.sha1(doc_id.encode()).digest()[:8], "big")
    agency, prefix = ISSUERS[h % len(ISSUERS)]
    day = FIRST_DAY + timedelta(days=(h >> 8) % DAYS)
    serial = (h >> 24) % 9000 + 1
    return Meta(
        agency,
        f"{prefix}〔{day.year}〕{serial}号",
        day,
        DOC_TYPES[(h >> 40) % len(DOC_TYPES)],
        STATUSES[(h >> 48) % len(STATUSES)],
    )


def with_meta(rec: dict[str, Any]) -> dict[str, Any]:
    """Return a STARD record with its synthetic metadata, as an ingest record."""
    m = meta_for(rec["id"])
    return {
        "id": rec["id"],
        "title": rec["title"],
        "body": rec["body"],
        "agency": m.agency,
        "doc_number": m.doc_number,
        "date": m.published.isoformat(),
        "doc_type": m.doc_type,
        "status": m.status,
    }


def read_stard(limit: int | None = None, path: Path = STARD) -> list[dict[str, Any]]:
    """Return the first `limit` STARD articles (all when None)."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in itertools.islice(fh, limit)]


def records(size: int, path: Path = STARD) -> Iterator[dict[str, Any]]:
    """Yield `size` records with metadata, repeating the real articles under new ids past the end."""
    base = read_stard(size, path)
    for n in range(size):
        rec, copy = base[n % len(base)], n // len(base)
        yield with_meta(rec if copy == 0 else {**rec, "id": f"{rec['id']}~{copy}"})


def write_jsonl(recs: Iterator[dict[str, Any]], out: Path) -> tuple[int, int]:
    """Write records as JSON Lines; return (count, bytes of title + body text in UTF-8)."""
    count = text_bytes = 0
    with out.open("w", encoding="utf-8") as fh:
        for rec in recs:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            count += 1
            text_bytes += len(rec["title"].encode()) + len(rec["body"].encode())
    return count, text_bytes


def read_queries(path: Path = STARD_QUERIES) -> list[str]:
    """Return the STARD citizen questions, in file order."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line)["query"] for line in fh]
