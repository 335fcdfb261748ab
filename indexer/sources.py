"""Read input files into raw records: JSONL, JSON, text and HTML files, folders, standard input."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

SUFFIXES = (".jsonl", ".json", ".txt", ".html", ".htm")
MAX_FILE_BYTES = 20 * 1024 * 1024  # a text or HTML page larger than this is refused, not read
MAX_LINE_BYTES = 20 * 1024 * 1024  # one JSONL record larger than this is refused
MAX_JSON_BYTES = 50 * 1024 * 1024  # a whole .json file is parsed in memory (several times its size): refuse beyond


@dataclass(frozen=True, slots=True)
class Item:
    """One raw record read from an input, or the reason it could not be read."""

    source: str  # path, path:line, or <stdin>:line
    record: dict[str, Any] | None = None
    error: str | None = None
    size: int = 0  # bytes consumed, for the progress bar


def input_files(paths: Iterable[str]) -> list[str]:
    """Expand folders (recursively, known suffixes only) and keep files and '-' as given."""
    out: list[str] = []
    for p in paths:
        path = Path(p)
        if p == "-" or not path.is_dir():
            out.append(p)
            continue
        out.extend(str(f) for f in sorted(path.rglob("*")) if f.is_file() and f.suffix.lower() in SUFFIXES)
    return out


def total_bytes(files: Iterable[str]) -> int:
    """Return the summed size of the files (stdin counts as 0)."""
    return sum(Path(f).stat().st_size for f in files if f != "-" and Path(f).is_file())


def read_items(files: Iterable[str]) -> Iterator[Item]:
    """Yield every record of every input, and one error item per unreadable input or line."""
    for f in files:
        if f == "-":
            yield from _jsonl(sys.stdin.buffer, "<stdin>")
            continue
        path = Path(f)
        if not path.exists():
            yield Item(f, error="no such file")
        elif not path.is_file():
            yield Item(f, error="not a regular file")
        else:
            yield from _read_safely(path)


def _read_safely(path: Path) -> Iterator[Item]:
    """Read one file; an I/O error (permissions, a failing disk) ends that file with one error item."""
    try:
        yield from _read_file(path)
    except OSError as e:
        yield Item(str(path), error=f"cannot read the file: {e.strerror or e}")


def _read_file(path: Path) -> Iterator[Item]:
    suffix, size = path.suffix.lower(), path.stat().st_size
    if suffix == ".jsonl":
        with path.open("rb") as fh:
            yield from _jsonl(fh, str(path))
    elif suffix == ".json":
        yield from _json(path, size)
    elif suffix in (".txt", ".html", ".htm"):
        yield _page(path, size)
    else:
        yield Item(
            str(path),
            error=f"unsupported file type {suffix or '(none)'}: expected one of " + " ".join(SUFFIXES),
            size=size,
        )


def _jsonl(fh: BinaryIO, name: str) -> Iterator[Item]:
    for n, (raw, size) in enumerate(_lines(fh), start=1):
        where = f"{name}:{n}"
        if size > MAX_LINE_BYTES:
            yield Item(where, error=f"record of {size} bytes is over the {MAX_LINE_BYTES} byte limit", size=size)
        elif raw.strip():
            yield _parse_json_record(raw, where)


def _lines(fh: BinaryIO) -> Iterator[tuple[bytes, int]]:
    """Yield (line, size); an endless line is skipped in chunks instead of read into memory."""
    while line := fh.readline(MAX_LINE_BYTES + 1):
        size = len(line)
        if size > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while chunk := fh.readline(1024 * 1024):
                size += len(chunk)
                if chunk.endswith(b"\n"):
                    break
            line = b""
        yield line, size


def _parse_json_record(raw: bytes, where: str) -> Item:
    obj, error = _decode_json(raw)
    if error is not None:
        return Item(where, error=error, size=len(raw))
    if not isinstance(obj, dict):
        return Item(where, error=f"a record must be a JSON object, not {type(obj).__name__}", size=len(raw))
    return Item(where, record=obj, size=len(raw))


def _decode_json(raw: bytes) -> tuple[Any, str | None]:
    """Return (value, None), or (None, the reason the bytes are not JSON)."""
    try:
        return json.loads(raw.decode("utf-8-sig")), None
    except UnicodeDecodeError as e:
        return None, f"not UTF-8 ({e.reason} at byte {e.start})"
    except json.JSONDecodeError as e:
        return None, f"invalid JSON: {e.msg} at column {e.colno}"
    except ValueError as e:  # a number of more than 4300 digits
        return None, f"invalid JSON: {str(e)[:80]}"
    except RecursionError:
        return None, "invalid JSON: nested too deep"


def _json(path: Path, size: int) -> Iterator[Item]:
    if size > MAX_JSON_BYTES:
        yield Item(
            str(path),
            error=f"file of {size} bytes is over the {MAX_JSON_BYTES} byte limit for .json (use .jsonl)",
            size=size,
        )
        return
    raw = _read_at_most(path, MAX_JSON_BYTES)
    if len(raw) > MAX_JSON_BYTES:
        yield Item(str(path), error=f"file grew past the {MAX_JSON_BYTES} byte limit while being read", size=size)
        return
    obj, error = _decode_json(raw) if raw.strip() else (None, "empty file")
    del raw
    if error is not None:
        yield Item(str(path), error=error, size=size)
        return
    rows = obj if isinstance(obj, list) else [obj]
    for n, value in enumerate(rows, start=1):
        where = f"{path}[{n}]" if isinstance(obj, list) else str(path)
        if isinstance(value, dict):
            yield Item(where, record=value, size=size // max(len(rows), 1))
        else:
            yield Item(where, error=f"a record must be a JSON object, not {type(value).__name__}")


def _page(path: Path, size: int) -> Item:
    if size > MAX_FILE_BYTES:
        return Item(str(path), error=f"file of {size} bytes is over the {MAX_FILE_BYTES} byte limit", size=size)
    data = _read_at_most(path, MAX_FILE_BYTES)
    if len(data) > MAX_FILE_BYTES:
        return Item(str(path), error=f"file grew past the {MAX_FILE_BYTES} byte limit while being read", size=size)
    if not data.strip():
        return Item(str(path), error="empty file", size=size)
    if b"\x00" in data[:8192]:
        return Item(str(path), error="binary file (NUL bytes), not text or HTML", size=size)
    record: dict[str, Any] = {"id": path.stem, "source": f"file:{path}"}
    if path.suffix.lower() == ".txt":
        text = decode_text(data)
        if text is None:
            return Item(str(path), error="unknown encoding: neither UTF-8 nor GB18030", size=size)
        record["body"] = text
    else:
        record["html_bytes"] = data  # decoded by the extractor, which reads the declared charset
    return Item(str(path), record=record, size=size)


def _read_at_most(path: Path, limit: int) -> bytes:
    """Read a file, but never more than limit + 1 bytes (its size may have changed since it was checked)."""
    with path.open("rb") as fh:
        return fh.read(limit + 1)


def decode_text(data: bytes) -> str | None:
    """Decode a plain-text file: UTF-8 (with or without BOM), else GB18030, else None."""
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text
    return None


def _looks_like_text(text: str) -> bool:
    sample = text[:20000]
    bad = sum(1 for c in sample if (ord(c) < 32 and c not in "\n\r\t\f") or 0xE000 <= ord(c) <= 0xF8FF)
    return bad <= len(sample) // 100


def stdin_is_tty() -> bool:
    """Tell whether standard input is a terminal (then '-' would wait for typing)."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        return False
