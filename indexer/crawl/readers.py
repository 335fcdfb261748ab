"""Text of attachment files: PDF (pypdf), DOCX (zip + XML), XLSX (openpyxl), XLS (xlrd), with size guards.

These run inside the child process that attachments.py starts, under CPU, memory and wall-clock limits.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from indexer.sources import decode_text

MAX_PDF_PAGES = 2000
MAX_ZIP_MEMBERS = 5000
MAX_UNZIPPED = 200 * 1024 * 1024  # bytes a DOCX/XLSX may unpack to in all
MAX_RATIO = 200  # a member unpacking to more than this many times its packed size is a bomb
MAX_CELLS = 2_000_000
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
READERS = {"pdf": "read_pdf", "docx": "read_docx", "xlsx": "read_xlsx", "xls": "read_xls", "txt": "read_txt"}
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class Unreadable(Exception):
    """A file whose text cannot or must not be read; the message becomes the attachment's note."""


def sniff(data: bytes, name: str) -> str:
    """Tell the file type from its first bytes, then from its name: pdf, docx, xlsx, xls, doc, wps, et, or other."""
    ext = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if data.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return "other"
        return "docx" if "word/document.xml" in names else "xlsx" if "xl/workbook.xml" in names else "zip"
    if data.startswith(OLE_MAGIC):
        return ext if ext in ("doc", "wps", "xls", "et") else "ole"
    return ext if ext in ("doc", "wps", "et", "ofd", "rar", "zip", "txt") else "other"


def read_text(kind: str, data: bytes, max_chars: int) -> tuple[str, str]:
    """Return (text, note) of a file of a known kind; note says what was not read."""
    if kind not in READERS:
        raise Unreadable(f"unsupported attachment type: {kind.upper()} (no maintained reader)")
    text, note = globals()[READERS[kind]](data, max_chars)
    if len(text) > max_chars:
        text, note = text[:max_chars], f"text cut at {max_chars} characters"
    return text, note


def read_pdf(data: bytes, max_chars: int) -> tuple[str, str]:
    """Read the text layer of a PDF; a PDF without one (a scan) is reported, not returned empty."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise Unreadable("encrypted PDF: no text read")
        pages = reader.pages
        parts, size = [], 0
        for page in list(pages)[:MAX_PDF_PAGES]:
            parts.append(page.extract_text() or "")
            size += len(parts[-1])
            if size > max_chars:
                break
    except (PdfReadError, KeyError, ValueError, TypeError) as e:
        raise Unreadable(f"unreadable PDF: {type(e).__name__}: {str(e)[:120]}") from None
    text = "\n".join(p.strip() for p in parts if p.strip())
    if len("".join(text.split())) < 10 * max(1, min(len(pages), 3)):
        count = f"{len(pages)} page" + ("s" if len(pages) != 1 else "")
        raise Unreadable(f"scanned PDF without a text layer ({count}): no text indexed")
    note = f"only the first {MAX_PDF_PAGES} of {len(pages)} pages read" if len(pages) > MAX_PDF_PAGES else ""
    return text, note


def _zip(data: bytes) -> zipfile.ZipFile:
    """Open an Office zip after checking member count, unpacked size and compression ratio (zip bombs)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as e:
        raise Unreadable(f"corrupt Office file: {e}") from None
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise Unreadable(f"refused: {len(infos)} zip members (zip bomb?)")
    unpacked = sum(i.file_size for i in infos)
    if unpacked > MAX_UNZIPPED:
        raise Unreadable(f"refused: unpacks to {unpacked} bytes, over {MAX_UNZIPPED} (zip bomb?)")
    for i in infos:
        if i.file_size > 1024 * 1024 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise Unreadable(f"refused: {i.filename} unpacks {i.file_size // max(i.compress_size, 1)}x (zip bomb?)")
    return zf


def read_docx(data: bytes, max_chars: int) -> tuple[str, str]:
    """Read paragraphs (tables included) of word/document.xml."""
    from lxml import etree

    zf = _zip(data)
    try:
        with zf.open("word/document.xml") as fh:
            paragraphs = list(
                _docx_paragraphs(
                    etree.iterparse(fh, events=("end",), resolve_entities=False, no_network=True, huge_tree=False),
                    max_chars,
                )
            )
    except (etree.XMLSyntaxError, KeyError, zipfile.BadZipFile) as e:
        raise Unreadable(f"corrupt DOCX: {e}") from None
    return "\n".join(p for p in paragraphs if p.strip()), ""


def _docx_paragraphs(events: Iterator[tuple[str, object]], max_chars: int) -> Iterator[str]:
    buf: list[str] = []
    size = 0
    for _, el in events:
        tag = el.tag  # type: ignore[attr-defined]
        if tag == f"{W}t":
            buf.append(el.text or "")  # type: ignore[attr-defined]
        elif tag == f"{W}tab":
            buf.append("\t")
        elif tag == f"{W}p":
            line = "".join(buf)
            buf = []
            size += len(line)
            yield line
            if size > max_chars:
                return
            el.clear()  # type: ignore[attr-defined]


def read_xlsx(data: bytes, max_chars: int) -> tuple[str, str]:
    """Read every sheet's cell values, one row per line, cells separated by tabs."""
    import openpyxl

    _zip(data)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile) as e:
        raise Unreadable(f"corrupt XLSX: {type(e).__name__}: {e}") from None
    rows = ((ws.title, ws.iter_rows(values_only=True)) for ws in book.worksheets)
    return _table_text(rows, max_chars), ""


def read_xls(data: bytes, max_chars: int) -> tuple[str, str]:
    """Read an Excel 97-2003 workbook."""
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except xlrd.XLRDError as e:
        raise Unreadable(f"corrupt XLS: {e}") from None
    sheets = (book.sheet_by_index(i) for i in range(book.nsheets))
    rows = ((s.name, (s.row_values(r) for r in range(s.nrows))) for s in sheets)
    return _table_text(rows, max_chars), ""


def _table_text(sheets: Iterator[tuple[str, Iterator[tuple[object, ...] | list[object]]]], max_chars: int) -> str:
    lines, cells, size = [], 0, 0
    for title, rows in sheets:
        lines.append(f"[{title}]")
        for row in rows:
            values = ["" if v is None else str(v) for v in row]
            cells += len(values)
            line = "\t".join(values).rstrip()
            if line:
                lines.append(line)
                size += len(line)
            if size > max_chars or cells > MAX_CELLS:
                return "\n".join(lines)
    return "\n".join(lines)


def read_txt(data: bytes, max_chars: int) -> tuple[str, str]:
    """Decode a plain-text attachment (UTF-8, else GB18030)."""
    text = decode_text(data)
    if text is None:
        raise Unreadable("text attachment in an unknown encoding")
    return text, ""
