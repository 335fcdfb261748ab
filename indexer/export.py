"""Serialise a whole result set: CSV, JSONL and XLSX, streamed, plus the provenance manifest."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from importlib.metadata import PackageNotFoundError, version
from typing import Any, BinaryIO
from urllib.parse import quote

from .models import RECORD_FIELDS, SearchRequest

# columns made per row, not fields of the record: each with its place among the record fields' columns
DERIVED_COLUMNS = (
    (14, "text_sha256"),
    (14, "copy_group"),  # the id of the copy a collapsed search shows for this row's group of copies (转载)
    (14, "is_canonical"),  # 1 on that copy
    (14, "version_of"),  # the id of the version in force, when the row is one version of a law or 办法
    (14, "validity"),  # 已修订 / 废止 on an older version
)
COLUMNS = tuple(
    key
    for _, _, key in sorted(
        [(f.column, 0, f.key) for f in RECORD_FIELDS if f.column]
        + [(place, n, key) for n, (place, key) in enumerate(DERIVED_COLUMNS, start=1)]
    )
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # cells a spreadsheet would run as formulas
XLSX_CELL_MAX = 32_767  # characters Excel holds in one cell; a longer body continues in body_2, body_3 ...
CHINA_TIME = timezone(timedelta(hours=8), "Asia/Shanghai")  # no daylight saving since 1991: a fixed offset
NAME_CHARS = 40  # characters of the query kept in an export's file name
NOT_IN_NAMES = re.compile(r'[\\/:*?"<>|%;,\s]+')  # not allowed in file names somewhere, or ambiguous in headers


def software_version() -> str:
    """Return the installed govsearch version."""
    try:
        return version("govsearch")
    except PackageNotFoundError:
        return "unknown"


def text_sha256(rec: dict[str, Any]) -> str:
    """Return the SHA-256 of a record's text (title, newline, body) as stored."""
    return hashlib.sha256(f"{rec.get('title') or ''}\n{rec.get('body') or ''}".encode()).hexdigest()


def safe_cell(value: Any) -> str:
    """Return a cell value as text that no spreadsheet will evaluate as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) if not isinstance(v, dict) else v.get("url", "") for v in value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def row(rec: dict[str, Any]) -> list[str]:
    """Return the export columns of one record."""
    values = {**rec, "text_sha256": text_sha256(rec)}
    return [safe_cell(values.get(c)) for c in COLUMNS]


def to_csv(records: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """Yield a UTF-8 CSV with BOM (Excel opens Chinese right), one chunk per record."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    yield b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")
    for rec in records:
        buf.seek(0)
        buf.truncate()
        writer.writerow(row(rec))
        yield buf.getvalue().encode("utf-8")


def to_jsonl(records: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """Yield one JSON object per line: the full record plus the SHA-256 of its text."""
    for rec in records:
        yield (json.dumps({**rec, "text_sha256": text_sha256(rec)}, ensure_ascii=False) + "\n").encode("utf-8")


def body_columns(max_body_chars: int) -> tuple[str, ...]:
    """Return the XLSX columns a body of max_body_chars characters needs: body, body_2, body_3 ..."""
    n = max(1, -(-max_body_chars // XLSX_CELL_MAX))
    return ("body", *(f"body_{i}" for i in range(2, n + 1)))


def xlsx_row(rec: dict[str, Any], n_body: int) -> list[str]:
    """Return one record's XLSX cells: the body cut into n_body cells of at most XLSX_CELL_MAX characters."""
    cells = row(rec)
    body = cells.pop()  # COLUMNS ends with body
    parts = [body[i : i + XLSX_CELL_MAX] for i in range(0, len(body), XLSX_CELL_MAX)] or [""]
    if len(parts) > n_body:  # the columns are fixed by the first row: never cut a text silently
        raise ValueError(f"record {rec.get('id')!r}: a body of {len(body)} characters needs {len(parts)} columns")
    return [*cells, *parts]


def write_xlsx(
    records: Iterable[dict[str, Any]],
    out: BinaryIO,
    manifest: dict[str, Any] | None = None,
    max_body_chars: int = 0,
) -> int:
    """Write an XLSX workbook in constant memory; return the number of rows written.

    max_body_chars, the longest stored body, fixes the number of body columns before the first row.
    """
    import xlsxwriter

    book = xlsxwriter.Workbook(
        out, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "in_memory": False}
    )
    sheet = book.add_worksheet("results")
    bodies = body_columns(max_body_chars)
    sheet.write_row(0, 0, (*COLUMNS[:-1], *bodies))
    n = 0
    for n, rec in enumerate(records, start=1):
        sheet.write_row(n, 0, xlsx_row(rec, len(bodies)))
    if manifest is not None:
        info = book.add_worksheet("manifest")
        for i, (k, v) in enumerate((k, v) for k, v in manifest.items() if k != "documents"):
            info.write_row(i, 0, [k, safe_cell(json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v)])
    book.close()
    return n


def manifest(
    req: SearchRequest,
    index_version: dict[str, Any],
    records: Iterable[dict[str, Any]] | None,
    rerun_url: str | None = None,
    fmt: str = "",
) -> dict[str, Any]:
    """Return the provenance manifest: how the set was made, so it can be made again."""
    docs = [{"id": r["id"], "text_sha256": text_sha256(r)} for r in records] if records is not None else None
    out: dict[str, Any] = {
        "query": req.q,
        "filters": [list(f) for f in req.filters],
        "sort": req.sort,
        "date_from": req.date_from.isoformat() if req.date_from else None,
        "date_to": req.date_to.isoformat() if req.date_to else None,
        "synonyms": req.synonyms,
        "collapse_duplicates": req.collapse,
        "copies": COPIES_ONE if req.collapse else COPIES_ALL,
        "format": fmt,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "index": index_version,
        "software": {"govsearch": software_version()},
        "rerun": rerun_url,
    }
    if fmt == "xlsx":
        out["xlsx_text"] = (
            f"a body longer than {XLSX_CELL_MAX} characters continues in the next columns (body_2, body_3 ...); "
            "join them to get the text that text_sha256 hashes"
        )
    if docs is not None:
        out["count"] = len(docs)
        out["documents"] = docs
    return out


def file_name(q: str, fmt: str, now: datetime | None = None) -> str:
    """Return an export's file name: the query, cut short and made safe, and the day in Asia/Shanghai."""
    day = (now or datetime.now(UTC)).astimezone(CHINA_TIME).date().isoformat()
    words = "".join(c for c in unicodedata.normalize("NFC", q) if unicodedata.category(c)[0] not in "CZ" or c == " ")
    words = NOT_IN_NAMES.sub("_", words).strip("._-")[:NAME_CHARS].rstrip("._-")
    return f"govsearch-{words}-{day}.{fmt}" if words else f"govsearch-{day}.{fmt}"


def content_disposition(name: str) -> str:
    """Return an attachment header for a file name: an ASCII fallback plus RFC 6266's UTF-8 filename*."""
    fallback = name if name.isascii() else "govsearch-" + "-".join(name.rsplit("-", 3)[-3:])  # the day only
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


COPIES_ALL = (
    "every matching document is a row, copies (转载) included; copy_group names each row's group of copies "
    "(the id of the copy a collapsed search shows), is_canonical marks that copy"
)
COPIES_ONE = "one row per group of copies (转载): the copy a collapsed search shows; ask all=1 for every copy"


def export_request(req: SearchRequest, every_copy: bool | None) -> SearchRequest:
    """Return the request an export runs: every copy unless the user asked for one per group."""
    return replace(req, collapse=False) if every_copy is None else replace(req, collapse=not every_copy)


EXPORTERS: dict[str, Callable[[Iterable[dict[str, Any]]], Iterator[bytes]]] = {"csv": to_csv, "jsonl": to_jsonl}
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
