"""Raw responses in gzip WARC files (warcio), so every indexed record can be traced to the exact bytes."""

from __future__ import annotations

import io
import os
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .fetch import Response

MAX_WARC_BYTES = 1024**3  # a new file is started past this size
TASK_HEADER = "Govsearch-Task-URI"  # WARC extension field: the URL asked for, before redirects
HOP_HEADERS = {"transfer-encoding"}  # the body is stored de-chunked, so this header would lie


@dataclass(frozen=True)
class Archived:
    """A response read back from a WARC file."""

    url: str  # the URL that answered
    task: str  # the URL the crawler asked for (differs after a redirect)
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes  # content-decoded

    def header(self, name: str) -> str | None:
        """Return the first value of a header, case-insensitively."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def content_type(self) -> str:
        """Return the Content-Type header, or ''."""
        return self.header("Content-Type") or ""


class WarcArchive:
    """Append-only WARC files named after the run; write() returns where the response record starts."""

    def __init__(self, directory: Path, prefix: str, max_bytes: int = MAX_WARC_BYTES) -> None:
        self.directory = Path(directory)
        self.prefix = prefix
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._fh: io.BufferedWriter | None = None
        self._name = ""
        self._serial = 0

    def write(
        self, resp: Response, task: str, on_new_file: Callable[[str], None] | None = None
    ) -> tuple[str, int, int]:
        """Append the response and its request; fsync; return (file name, record offset, end offset)."""
        with self._lock:
            fh = self._file(on_new_file)
            writer = WARCWriter(fh, gzip=True)
            offset = fh.tell()
            record = writer.create_warc_record(
                resp.url,
                "response",
                payload=io.BytesIO(resp.raw),
                length=len(resp.raw),
                http_headers=StatusAndHeaders(
                    f"{resp.status} {resp.reason}",
                    [(k, v) for k, v in resp.headers if k.lower() not in HOP_HEADERS],
                    protocol="HTTP/1.1",
                ),
                warc_headers_dict={"WARC-IP-Address": resp.ip, TASK_HEADER: task},
            )
            writer.write_record(record)
            writer.write_record(_request_record(writer, resp, record.rec_headers.get_header("WARC-Record-ID")))
            fh.flush()
            os.fsync(fh.fileno())
            return self._name, offset, fh.tell()

    def _file(self, on_new_file: Callable[[str], None] | None) -> io.BufferedWriter:
        if self._fh is not None and self._fh.tell() < self.max_bytes:
            return self._fh
        if self._fh is not None:
            self._fh.close()
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        self._name = f"{self.prefix}-{stamp}-{os.getpid()}-{self._serial:03d}.warc.gz"
        self._serial += 1
        if on_new_file is not None:
            on_new_file(self._name)  # registered before the first byte is written, for recovery
        self._fh = open(self.directory / self._name, "ab")  # kept open across writes, closed by close()
        return self._fh

    def close(self) -> None:
        """Close the current file."""
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None


def _request_record(writer: WARCWriter, resp: Response, concurrent_to: str) -> object:
    parts = urlsplit(resp.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = [("Host", parts.netloc), *resp.request_headers]
    return writer.create_warc_record(
        resp.url,
        "request",
        payload=io.BytesIO(b""),
        length=0,
        http_headers=StatusAndHeaders(f"GET {target} HTTP/1.1", headers, is_http_request=True),
        warc_headers_dict={"WARC-Concurrent-To": concurrent_to},
    )


def read_response(path: Path, offset: int, limit: int) -> Archived:
    """Read the response record at offset of a WARC file.

    Raises:
        ValueError: no response record there, or its body inflates past limit.
    """
    with open(path, "rb") as fh:
        fh.seek(offset)
        for record in ArchiveIterator(fh):
            if record.rec_type != "response":
                break
            return _archived(record, limit)
    raise ValueError(f"no response record at {path}#{offset}")


def iter_responses(path: Path, start: int, limit: int) -> Iterator[tuple[int, Archived]]:
    """Yield (offset, response) of each complete response record from start; stop at a torn tail."""
    with open(path, "rb") as fh:
        fh.seek(start)
        records = ArchiveIterator(fh)
        try:
            for record in records:
                if record.rec_type != "response":
                    continue
                archived = _archived(record, limit)
                yield records.get_record_offset(), archived  # an absolute file offset
        except (ArchiveLoadFailed, EOFError, zlib.error, ValueError):
            return  # the process was killed while writing this record: it was never committed


def _archived(record: object, limit: int) -> Archived:
    http = record.http_headers  # type: ignore[attr-defined]
    body = record.content_stream().read(limit + 1)  # type: ignore[attr-defined]
    if len(body) > limit:
        raise ValueError(f"archived body inflates past {limit} bytes")
    url = record.rec_headers.get_header("WARC-Target-URI")  # type: ignore[attr-defined]
    task = record.rec_headers.get_header(TASK_HEADER) or url  # type: ignore[attr-defined]
    return Archived(url=url, task=task, status=int(http.get_statuscode()), headers=tuple(http.headers), body=body)
