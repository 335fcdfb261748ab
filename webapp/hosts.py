"""The public base URL of absolute links, and a guard that keeps a malformed Host header out of the app.

Absolute URLs (feeds, OpenSearch, export links, manifests) never come from the Host header: behind a shared
cache a reflected Host would poison what other readers get.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import abort, current_app, request, url_for
from werkzeug.sansio.utils import host_is_trusted

DEFAULT_BASE_URL = "http://127.0.0.1:8000"  # `govsearch serve`'s default address, for apps made without one
BAD_HOST = "govsearch.bad_host"  # environ key: the malformed Host header a request came with
ANY_ADDRESS = ("0.0.0.0", "::", "")  # listening on these, the listening address is no public URL

log = logging.getLogger("govsearch")


def listening_base_url(host: str, port: int) -> str:
    """Return the base URL of the address a server listens on, warning when that is every interface."""
    if host in ANY_ADDRESS:
        log.warning(
            "listening on %r: absolute links will name http://%s:%d; set GOVSEARCH_BASE_URL to the public URL",
            host,
            host or "0.0.0.0",
            port,
        )
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def valid_base_url(url: str) -> str:
    """Return url without a trailing slash, or raise ValueError when it is not an absolute http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or not well_formed_host(parts.netloc):
        raise ValueError(f"base URL must be an absolute http(s) URL, not {url!r}")
    return url.rstrip("/")


def well_formed_host(host: str) -> bool:
    """Tell whether a Host header is host[:port] with valid characters and labels (a..b is not)."""
    if not host_is_trusted(host.lower(), None):
        return False
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if name.startswith("["):
        return True
    try:  # empty or over-long labels and broken punycode (xn--) fail here, as in werkzeug's routing and URLs
        name.encode("idna").decode("idna")
    except UnicodeError:
        return False
    return True


class HostGuard:
    """WSGI middleware: a request with a malformed Host is given the base URL's host and marked for a 400.

    werkzeug would raise BadHost while building the URL adapter, and the error page could not build a link.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]], base_url: str) -> None:
        self.app = app
        self.netloc = urlsplit(base_url).netloc

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST")
        if host is not None and not well_formed_host(host):
            environ[BAD_HOST] = host
            environ["HTTP_HOST"] = self.netloc
        return self.app(environ, start_response)


def refuse_bad_host() -> None:
    """Answer a request that came with a malformed Host header with 400 (before_request hook)."""
    if BAD_HOST in request.environ:
        abort(400, "malformed Host header")


def base_url() -> str:
    """Return the app's public base URL."""
    return str(current_app.extensions["govsearch"]["base_url"])


def external_url(endpoint: str, **values: Any) -> str:
    """Return the absolute URL of an endpoint under the public base URL, whatever Host the request named."""
    path = url_for(endpoint, **values)
    return base_url() + path.removeprefix(request.script_root)
