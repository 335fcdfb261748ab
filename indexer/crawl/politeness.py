"""Per-host pacing and concurrency, and robots.txt (RFC 9309, parsed by Protego)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from protego import Protego

from .fetch import ROBOTS_TOKEN, Fetcher, FetchError
from .urls import host_of, origin_of

ROBOTS_MAX_AGE = 24 * 3600.0  # RFC 9309: a cached robots.txt should not be used for longer than a day
ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309: parse at least 500 KiB
MAX_CRAWL_DELAY = 60.0  # a larger Crawl-delay is cut to this, else one line could stall a crawl for hours


class HostSlots:
    """At most per_host requests in flight to one host, and starts at least delay seconds apart."""

    def __init__(self, delay: float, per_host: int) -> None:
        self.delay = delay
        self.per_host = per_host
        self._lock = threading.Lock()
        self._sems: dict[str, threading.Semaphore] = {}
        self._next: dict[str, float] = {}
        self._delays: dict[str, float] = {}

    def raise_delay(self, host: str, delay: float) -> None:
        """Use a longer delay for one host (its robots.txt Crawl-delay)."""
        with self._lock:
            self._delays[host] = max(self.delay, min(delay, MAX_CRAWL_DELAY))

    def delay_for(self, host: str) -> float:
        """Return the seconds kept between two requests to host."""
        with self._lock:
            return self._delays.get(host, self.delay)

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        """Hold one of the host's concurrent slots."""
        with self._lock:
            sem = self._sems.setdefault(host, threading.Semaphore(self.per_host))
        with sem:
            yield

    def pace(self, host: str) -> None:
        """Sleep until this host may receive the next request, and book that moment."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next.get(host, now))
            self._next[host] = start + self._delays.get(host, self.delay)
        if start > now:
            time.sleep(start - now)


class RobotsStore(Protocol):
    """Where fetched robots.txt files are kept between runs (the crawl state)."""

    def robots(self, origin: str) -> tuple[int, bytes, float] | None:
        """Return (status, body, fetched_at) of the stored robots.txt, or None."""

    def save_robots(self, origin: str, status: int, body: bytes) -> None:
        """Store a fetched robots.txt."""


class Robots:
    """robots.txt rules per origin, fetched once a day: 4xx allows everything, 5xx or no answer disallows all."""

    def __init__(self, fetcher: Fetcher, store: RobotsStore, slots: HostSlots, token: str = ROBOTS_TOKEN) -> None:
        self.fetcher = fetcher
        self.store = store
        self.slots = slots
        self.token = token
        self._lock = threading.Lock()
        self._rules: dict[str, Protego | str] = {}  # origin -> parsed rules, or "allow" / the reason to disallow
        self._origin_locks: dict[str, threading.Lock] = {}

    def check(self, url: str) -> str | None:
        """Return why robots.txt forbids url, or None when it may be fetched."""
        rules = self._for(origin_of(url))
        if isinstance(rules, str):
            return None if rules == "allow" else rules
        return None if rules.can_fetch(url, self.token) else "disallowed by robots.txt"

    def sitemaps(self, url: str) -> list[str]:
        """Return the Sitemap: lines of the origin's robots.txt."""
        rules = self._for(origin_of(url))
        return [] if isinstance(rules, str) else list(rules.sitemaps)

    def _for(self, origin: str) -> Protego | str:
        with self._lock:
            lock = self._origin_locks.setdefault(origin, threading.Lock())
        with lock:
            if origin not in self._rules:
                self._rules[origin] = self._load(origin)
            return self._rules[origin]

    def _load(self, origin: str) -> Protego | str:
        cached = self.store.robots(origin)
        if cached and time.time() - cached[2] < ROBOTS_MAX_AGE:
            status, body = cached[0], cached[1]
        else:
            try:
                resp = self.fetcher.get(origin + "/robots.txt", max_bytes=4 * ROBOTS_MAX_BYTES)
            except FetchError as e:
                return f"robots.txt unreachable ({e.reason}): not crawling this site"
            status, body = resp.status, resp.body
            if status < 500:
                self.store.save_robots(origin, status, body)
        return self._parse(origin, status, body)

    def _parse(self, origin: str, status: int, body: bytes) -> Protego | str:
        if 400 <= status < 500:
            return "allow"
        if status >= 300:
            return f"robots.txt answered HTTP {status}: not crawling this site"
        rules = Protego.parse(body[:ROBOTS_MAX_BYTES].decode("utf-8", "replace"))
        delay = rules.crawl_delay(self.token)
        if delay:
            self.slots.raise_delay(host_of(origin), float(delay))
        return rules
