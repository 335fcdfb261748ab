"""Compressed responses: brotli when installed, else gzip.

Pages, JSON, feeds and exports are text that shrinks 4 to 10 times. A response is compressed when the client
accepts an encoding we have (Accept-Encoding), it is a 200 of a text type, and nothing encoded it already;
every such response carries Vary: Accept-Encoding, so a shared cache keeps the versions apart. A streamed
export stays streamed: each chunk the exporter yields is compressed as it comes, and the compressor is
flushed once the output has gathered STREAM_FLUSH bytes (and after the first chunk, so the header row
reaches the client at once) rather than after every row, which would cost most of the gain.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from flask import Flask, Response, request

COMPRESSIBLE = (
    "text/html",
    "text/csv",
    "text/plain",
    "text/css",
    "application/json",
    "application/x-ndjson",
    "application/atom+xml",
    "application/opensearchdescription+xml",
    "application/xml",
)
MIN_BYTES = 512  # smaller bodies are sent as they are: the headers would eat the gain
GZIP_LEVEL = 5  # zlib's level 5 is within a few per cent of 9 at about a third of the time
BROTLI_QUALITY = 4  # brotli's level 4 beats gzip -9 on our pages at gzip -5's speed (11 is for static files)
STREAM_FLUSH = 32 * 1024  # compressed-side bytes gathered before a streamed chunk is sent


class _Encoder(Protocol):
    def compress(self, data: bytes) -> bytes: ...
    def flush(self) -> bytes: ...
    def finish(self) -> bytes: ...


class _Gzip:
    def __init__(self) -> None:
        self._z = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # 16+: the gzip wrapper

    def compress(self, data: bytes) -> bytes:
        return self._z.compress(data)

    def flush(self) -> bytes:
        return self._z.flush(zlib.Z_SYNC_FLUSH)

    def finish(self) -> bytes:
        return self._z.flush(zlib.Z_FINISH)


class _Brotli:
    def __init__(self, brotli: Any) -> None:
        self._c = brotli.Compressor(quality=BROTLI_QUALITY)

    def compress(self, data: bytes) -> bytes:
        return self._c.process(data)  # type: ignore[no-any-return]

    def flush(self) -> bytes:
        return self._c.flush()  # type: ignore[no-any-return]

    def finish(self) -> bytes:
        return self._c.finish()  # type: ignore[no-any-return]


def _brotli() -> Any:
    try:
        import brotli  # optional: gzip serves every client without it
    except ImportError:
        return None
    return brotli


def encodings() -> tuple[str, ...]:
    """Return the content codings this process can produce, preferred first."""
    return ("br", "gzip") if _brotli() is not None else ("gzip",)


def chosen_encoding(accept: Any) -> str | None:
    """Return the coding to use for a request's Accept-Encoding (werkzeug Accept), or None."""
    for name in encodings():
        if accept[name] > 0:  # q=0 refuses a coding; a missing header accepts none
            return name
    return None


def encoder(name: str) -> _Encoder:
    """Return a fresh compressor for a coding that encodings() lists."""
    return _Brotli(_brotli()) if name == "br" else _Gzip()


def compressed_chunks(chunks: Iterable[bytes], enc: _Encoder) -> Iterator[bytes]:
    """Compress a stream chunk by chunk; send after the first chunk, then every STREAM_FLUSH bytes."""
    pending, first = b"", True
    try:
        for chunk in chunks:
            pending += enc.compress(chunk)
            if first or len(pending) >= STREAM_FLUSH:
                yield pending + enc.flush()
                pending, first = b"", False
        yield pending + enc.finish()
    finally:  # also when the client goes away: the exporter's own clean-up (its request context, spool files)
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def compress_response(resp: Response) -> Response:
    """Compress a response in place when the client accepts it and it is worth it (an after_request hook)."""
    if resp.mimetype not in COMPRESSIBLE or resp.direct_passthrough:
        return resp  # files sent as they are (static files: send_file streams them from disk)
    resp.vary.add("Accept-Encoding")
    if resp.status_code != 200 or "Content-Encoding" in resp.headers or request.method == "HEAD":
        return resp
    name = chosen_encoding(request.accept_encodings)
    if name is None:
        return resp
    if resp.is_streamed:
        resp.response = compressed_chunks(resp.response, encoder(name))
        resp.headers.pop("Content-Length", None)
    else:
        body = resp.get_data()
        if len(body) < MIN_BYTES:
            return resp
        enc = encoder(name)
        resp.set_data(enc.compress(body) + enc.finish())
    resp.headers["Content-Encoding"] = name
    return resp


def install(app: Flask) -> None:
    """Compress the app's text responses (static files keep create_app's cache headers and ETags)."""
    app.after_request(compress_response)
