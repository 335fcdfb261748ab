"""HTTP GET with the crawler's manners and limits: the one place network errors are caught."""

from __future__ import annotations

import http.client
import random
import socket
import ssl
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from .netguard import BlockedAddress, open_connection, resolve
from .urls import BadURL, canonical_url

USER_AGENT = "govsearch-crawler/0.1 (+government document search; obeys robots.txt)"
ROBOTS_TOKEN = "govsearch-crawler"  # the product token robots.txt groups are matched against
REDIRECTS = {301, 302, 303, 307, 308}
RETRY_STATUS = {429, 500, 502, 503, 504, 520, 521, 522, 523, 524}
MAX_RETRY_AFTER = 60.0  # seconds; a longer Retry-After is cut to this


class FetchError(Exception):
    """A request that produced no usable HTTP response; reason is one line for the summary."""

    def __init__(self, reason: str, *, retryable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


@dataclass(frozen=True)
class FetchPolicy:
    """How requests are made; every limit has a default that is polite to a government web server."""

    user_agent: str = USER_AGENT
    timeout: float = 20.0  # seconds for connect, for each read, and for the whole response
    retries: int = 2  # extra attempts after a 5xx, 429, timeout or connection error (never after a 4xx)
    backoff: float = 2.0  # seconds before the first retry; doubled for each further one
    max_bytes: int = 10 * 1024 * 1024  # a page larger than this is refused (stops reading)
    max_redirects: int = 5
    allow_private: bool = False  # allow loopback/private/link-local addresses (tests, intranets)


@dataclass(frozen=True)
class Response:
    """One HTTP response after redirects."""

    url: str  # the canonical URL that answered
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes  # content-decoded
    raw: bytes  # as received (before Content-Encoding was undone), for the archive
    ip: str
    request_headers: tuple[tuple[str, str], ...] = ()
    redirects: tuple[str, ...] = field(default=())  # URLs that redirected here, in order

    def header(self, name: str) -> str | None:
        """Return the first value of a header, case-insensitively."""
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    @property
    def content_type(self) -> str:
        """Return the Content-Type header, or ''."""
        return self.header("Content-Type") or ""


Gate = Callable[[str], None]  # called before each request (redirect hops too): waits, or raises FetchError


class Fetcher:
    """GET with timeouts, retries with back-off, redirects with a limit and loop detection, and a size limit."""

    def __init__(self, policy: FetchPolicy, gate: Gate | None = None) -> None:
        self.policy = policy
        self.gate = gate

    def get(self, url: str, headers: dict[str, str] | None = None, max_bytes: int | None = None) -> Response:
        """Fetch url, following redirects; return the final response (any status).

        Raises:
            FetchError: no response (timeouts, connection errors, loops, size or address refusals).
        """
        seen: list[str] = []
        limit = max_bytes or self.policy.max_bytes
        while True:
            if url in seen:
                raise FetchError("redirect loop: " + " -> ".join([*seen[seen.index(url) :], url]))
            if len(seen) > self.policy.max_redirects:
                raise FetchError(f"more than {self.policy.max_redirects} redirects")
            resp = self._with_retries(url, headers if not seen else None, limit)
            location = resp.header("Location")
            if resp.status not in REDIRECTS or not location:
                return replace(resp, redirects=tuple(seen))
            seen.append(url)
            try:
                url = canonical_url(location, base=url)
            except BadURL as e:
                raise FetchError(f"bad redirect: {e}") from None

    def _with_retries(self, url: str, headers: dict[str, str] | None, limit: int) -> Response:
        attempt = 0
        while True:
            last = attempt >= self.policy.retries
            try:
                resp = self._once(url, headers, limit)
            except FetchError as e:
                if not e.retryable or last:
                    raise
                self._sleep(attempt, None)
            else:
                if resp.status not in RETRY_STATUS or last:
                    return resp
                self._sleep(attempt, resp.header("Retry-After"))
            attempt += 1

    def _sleep(self, attempt: int, retry_after: str | None) -> None:
        delay = self.policy.backoff * 2**attempt
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER))
        time.sleep(delay * random.uniform(1.0, 1.2))

    def _once(self, url: str, headers: dict[str, str] | None, limit: int) -> Response:
        if self.gate:
            self.gate(url)
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        sent = {
            "User-Agent": self.policy.user_agent,
            "Accept-Encoding": "gzip, deflate",
            "Accept": "text/html,application/xhtml+xml,application/json,application/xml;q=0.9,*/*;q=0.8",
            "Accept-Language": "zh-CN,zh;q=0.9",
            "Connection": "close",
            **(headers or {}),
        }
        try:
            ip = resolve(parts.hostname or "", port, self.policy.allow_private)
            conn = open_connection(parts.scheme, parts.hostname or "", port, ip, self.policy.timeout)
        except BlockedAddress as e:
            raise FetchError(f"refused: {e}") from None
        except socket.gaierror as e:
            raise FetchError(f"DNS lookup failed: {e.strerror}", retryable=e.errno == socket.EAI_AGAIN) from None
        except OSError as e:
            raise FetchError(f"DNS lookup failed: {e}") from None
        try:
            return self._exchange(conn, url, sent, limit, ip)
        except TimeoutError:
            raise FetchError(f"timed out after {self.policy.timeout:g} s", retryable=True) from None
        except ssl.SSLCertVerificationError as e:
            raise FetchError(f"TLS certificate rejected: {e.verify_message}") from None
        except (OSError, http.client.HTTPException) as e:
            raise FetchError(f"connection error: {type(e).__name__}: {e}", retryable=True) from None
        finally:
            conn.close()

    def _exchange(
        self, conn: http.client.HTTPConnection, url: str, sent: dict[str, str], limit: int, ip: str
    ) -> Response:
        deadline = time.monotonic() + self.policy.timeout
        parts = urlsplit(url)
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=sent)
        resp = conn.getresponse()
        raw = _read(resp, conn, limit, deadline) if 200 <= resp.status < 300 else b""  # error pages are not kept
        body = _decode(raw, resp.getheader("Content-Encoding") or "", limit)
        return Response(
            url=url,
            status=resp.status,
            reason=resp.reason,
            headers=tuple(resp.getheaders()),
            body=body,
            raw=raw,
            ip=ip,
            request_headers=tuple(sent.items()),
        )


def _read(resp: http.client.HTTPResponse, conn: http.client.HTTPConnection, limit: int, deadline: float) -> bytes:
    """Read the body in chunks, stopping at the size limit or the overall deadline (a slow drip counts)."""
    length = resp.getheader("Content-Length", "")
    if length.isdigit() and int(length) > limit:
        raise FetchError(f"refused: {length} bytes is over the {limit} byte limit")
    chunks, size = [], 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        if conn.sock is not None:
            conn.sock.settimeout(min(remaining, conn.timeout or remaining))
        chunk = resp.read1(64 * 1024)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise FetchError(f"refused: more than {limit} bytes (stopped reading)")
        chunks.append(chunk)


def _decode(raw: bytes, encoding: str, limit: int) -> bytes:
    """Undo gzip/deflate Content-Encoding without letting a small body inflate past the limit."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity") or not raw:
        return raw
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise FetchError(f"unsupported Content-Encoding: {encoding}")
    for wbits in (47,) if encoding != "deflate" else (15, -15):
        inflater = zlib.decompressobj(wbits)
        try:
            out = inflater.decompress(raw, limit + 1)
        except zlib.error:
            continue
        if len(out) > limit or inflater.unconsumed_tail:
            raise FetchError(f"refused: body inflates to more than {limit} bytes")
        return out
    raise FetchError(f"corrupt {encoding} body")
