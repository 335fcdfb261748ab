"""An HTTP server on 127.0.0.1 that serves a table of routes and counts every request per path."""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT"


@dataclass
class Route:
    """What one path answers."""

    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    validators: bool = True  # send ETag and Last-Modified, answer conditional requests with 304
    fail_first: int = 0  # answer 500 to this many requests first
    delay: float = 0.0  # seconds to wait before answering (a slow server)
    stream: int = 0  # send this many filler bytes with no Content-Length (an oversized page)


class Site:
    """The routes, the request log and the counters of one test server."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.counts: Counter[str] = Counter()
        self.log: list[tuple[str, dict[str, str], float]] = []  # (path, request headers, monotonic time)
        self.lock = threading.Lock()
        self.active = 0
        self.max_active = 0
        self.kill_on: tuple[str, int] | None = None  # (path, pid): SIGKILL that process when path is requested
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> str:
        """Serve on a free port of 127.0.0.1 in a thread; return the base URL."""
        site = self

        class Handler(_Handler):
            pass

        Handler.site = site
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self.base

    @property
    def base(self) -> str:
        """Return http://127.0.0.1:PORT."""
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        """Stop serving."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def reset_counts(self) -> None:
        """Forget the requests seen so far."""
        with self.lock:
            self.counts.clear()
            self.log.clear()


class _Handler(BaseHTTPRequestHandler):
    site: Site
    protocol_version = "HTTP/1.0"  # the body ends when the connection closes: an oversized page has no length
    _release: Callable[[], None] | None = None  # set while a tracked request is answered (see _tracked)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        """Answer from the route table."""
        site, path = self.site, self.path
        with site.lock:
            site.counts[path] += 1
            site.log.append((path, dict(self.headers), time.monotonic()))
            count = site.counts[path]
            kill = site.kill_on
        if kill and kill[0] == path:
            os.kill(kill[1], signal.SIGKILL)
            return
        route = site.routes.get(path)
        try:
            if route is None:
                self._send(404, b"<h1>404 Not Found</h1>", "text/html", {})
            elif route.delay:
                time.sleep(route.delay)
                self._answer(route, count)
            else:
                self._tracked(route, count)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the crawler hung up (size limit, timeout): that is what some tests want

    def _tracked(self, route: Route, count: int) -> None:
        """Answer while counted as active, until the response can be complete on the client's side: before
        _send's headers end (the client has the Content-Length body right after them and may send its next
        request before this thread runs again), else when the answer returns."""
        site = self.site
        with site.lock:
            site.active += 1
            site.max_active = max(site.max_active, site.active)
        done = False

        def release() -> None:
            nonlocal done
            if not done:
                done = True
                with site.lock:
                    site.active -= 1

        self._release = release
        try:
            self._answer(route, count)
        finally:
            release()
            self._release = None

    def _answer(self, route: Route, count: int) -> None:
        if count <= route.fail_first:
            self._send(500, b"<h1>500 Internal Server Error</h1>", "text/html", {})
            return
        if route.stream:
            self._stream(route)
            return
        headers = dict(route.headers)
        if route.validators and route.status == 200:
            etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
            headers.update({"ETag": etag, "Last-Modified": LAST_MODIFIED})
            if self.headers.get("If-None-Match") == etag:
                self._send(304, b"", "", headers)
                return
        self._send(route.status, route.body, route.content_type, headers)

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for key, value in headers.items():
            self.send_header(key, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        if self._release is not None:
            self._release()
        self.end_headers()
        self.wfile.write(body)

    def _stream(self, route: Route) -> None:
        self.send_response(200)
        self.send_header("Content-Type", route.content_type)
        self.end_headers()
        chunk = b"<p>" + "很长的页面".encode() * 2000 + b"</p>\n"
        sent = 0
        while sent < route.stream:
            self.wfile.write(chunk)
            sent += len(chunk)
