"""Canonical URLs, so that one page is fetched once however it was linked."""

from __future__ import annotations

import fnmatch
import posixpath
import re
from urllib.parse import parse_qsl, quote, unquote_to_bytes, urlencode, urljoin, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
# parameters that only say where a visitor came from; the page is the same without them
TRACKING = re.compile(
    r"^(?:utm_\w+|spm|gclid|fbclid|msclkid|yclid|from|isappinstalled|share_?token|scene|clicktime|enterid"
    r"|wfr|sharer_?\w*|_hsenc|_hsmi|mc_cid|mc_eid|ref_?src)$",
    re.I,
)
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"


class BadURL(ValueError):
    """A link that is not an http(s) URL the crawler can fetch."""


def canonical_url(url: str, base: str = "") -> str:
    """Resolve against base; lower-case scheme and host; drop default port, fragment and tracking; sort the query."""
    url = urljoin(base, url.strip()) if base else url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise BadURL(f"not an http(s) URL: {url[:200]}")
    host = _host(parts.hostname or "")
    if not host:
        raise BadURL(f"no host in URL: {url[:200]}")
    try:
        port = parts.port
    except ValueError:
        raise BadURL(f"bad port in URL: {url[:200]}") from None
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, _path(parts.path), _query(parts.query), ""))


def _host(host: str) -> str:
    host = host.strip(".").lower()
    if ":" in host:  # IPv6 literal
        return f"[{host}]"
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        raise BadURL(f"bad host name: {host[:100]}") from None


def _path(path: str) -> str:
    if not path:
        return "/"
    trailing = path.endswith("/")
    path = posixpath.normpath(path)  # resolves ./ and ../
    if path.startswith("//"):
        path = "/" + path.lstrip("/")
    path = quote(unquote_to_bytes(path), safe=_SAFE_PATH.replace("%", ""))
    return path + "/" if trailing and not path.endswith("/") else path


def _query(query: str) -> str:
    # latin-1 round-trips any bytes, so GBK-encoded values stay exactly as they were sent
    query = quote(query, safe="".join(chr(c) for c in range(33, 127)))
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True, encoding="latin-1") if not TRACKING.match(k)]
    return urlencode(sorted(pairs), doseq=True, encoding="latin-1")


def host_of(url: str) -> str:
    """Return the host[:port] part of a canonical URL."""
    return urlsplit(url).netloc


def origin_of(url: str) -> str:
    """Return scheme://host[:port] of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def host_allowed(url: str, patterns: tuple[str, ...]) -> bool:
    """Tell whether the URL's host matches one of the allowed host patterns (fnmatch, e.g. *.gz.gov.cn)."""
    host = (urlsplit(url).hostname or "").lower()
    return any(fnmatch.fnmatchcase(host, p.lower()) for p in patterns)


def directory_of(url: str) -> str:
    """Return the URL up to and including the last '/' of its path (a list page's column)."""
    parts = urlsplit(url)
    path = parts.path if parts.path.endswith("/") else parts.path.rsplit("/", 1)[0] + "/"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))
