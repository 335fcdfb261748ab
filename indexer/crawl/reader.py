"""Read a fetched page: the links it gives, an attachment's text, and what a candidate turned out to be."""

from __future__ import annotations

import zlib

from bs4 import BeautifulSoup

from indexer.extract import decode_html

from .archive import Archived
from .attachments import attachment_text
from .evidence import diagnose, groups, notice_groups, selector_of
from .fetch import Response
from .links import Scope, attachment_links, json_links, list_page_links, sitemap_links
from .profiles import Profile
from .state import Link, Task
from .urls import directory_of
from .verify import classify

NOT_HTML = ("application/pdf", "application/msword", "application/vnd.", "application/zip", "image/", "audio/")
Parsed = tuple[list[Link], str | None, str | None, str | None]  # links, text, note, kind it turned out to be


class PageReader:
    """Turn fetched pages into links and text with one profile, for one crawl."""

    def __init__(self, profile: Profile, scope: Scope, max_bytes: int, parse_timeout: float, explain: bool = False):
        self.profile, self.scope = profile, scope
        self.max_bytes, self.parse_timeout = max_bytes, parse_timeout
        self.explain = explain
        self.selectors: dict[str, int] = {}  # explain: CSS selector of each notice group -> links it took
        self.blocks: dict[str, set[str]] = {}  # column folder -> its notice blocks so far (this process only)

    def read(self, task: Task, page: Response | Archived) -> Parsed:
        """Return the links, text, note and (for a candidate) the kind a page turned out to be."""
        kind, depth = task.kind, task.depth
        if kind == "attachment":
            found = attachment_text(page.body, page.url.rsplit("/", 1)[-1], self.parse_timeout)
            return [], found.text, found.note, None
        if kind == "api":
            return json_links(self.profile, page.url, page.body, depth, self.scope), None, None, None
        if kind == "sitemap":
            body = _gunzip(page.body, self.max_bytes)
            return sitemap_links(self.profile, body, depth, self.scope), None, None, None
        if page.content_type.lower().startswith(NOT_HTML):
            raise ValueError(f"not an HTML page ({page.content_type})")
        html = decode_html(page.body, page.content_type)
        soup = BeautifulSoup(html, "lxml")
        if kind in ("candidate", "page"):
            return self._check(task, page, soup, html)
        if kind == "list":
            return self._list(page, soup, html, depth)
        return attachment_links(self.profile, page.url, soup, depth, self.scope), None, None, None

    def _list(self, page: Response | Archived, soup: BeautifulSoup, html: str, depth: int) -> Parsed:
        """Read a list page; a start URL that lists nothing may be a notice; else note why none is here."""
        url = page.url
        known = set(self.blocks.get(directory_of(url), ()))
        links = list_page_links(self.profile, url, soup, html, depth, self.scope, self.blocks)
        if self.explain and self.profile.infer and not self.profile.detail_selector:
            self._note_selectors(url, soup, known)
        if any(lk.kind in ("detail", "candidate") for lk in links):
            return links, None, None, None
        if depth == 0 and self.profile.verify:  # the user gave a notice's own URL
            verdict = classify(url, page.body, page.content_type, soup, self.scope.allows)
            if verdict.kind == "detail":
                return attachment_links(self.profile, url, soup, depth, self.scope), None, verdict.why, "detail"
        found = groups(soup, url, directory_of(url), self.scope.allows)
        listed = notice_groups(found)
        if listed:  # the list's links were all files: nothing to check or index as a page
            return links, None, f"no notice here: the list links files, not pages ({listed[0].why()})", None
        return links, None, "no notice here: " + diagnose(found), None

    def _note_selectors(self, url: str, soup: BeautifulSoup, known: set[str]) -> None:
        """Keep a CSS selector for each group of notices taken here (for --suggest-profile)."""
        picked = notice_groups(groups(soup, url, directory_of(url), self.scope.allows), known)
        taken = {id(a) for g in picked for _, a, _ in g.links}
        for group in picked:
            selector = selector_of(soup, group, taken)
            self.selectors[selector] = self.selectors.get(selector, 0) + len(group.links)

    def _check(self, task: Task, page: Response | Archived, soup: BeautifulSoup, html: str) -> Parsed:
        """Check a page taken on evidence: a notice keeps its attachments, a list page is read as one."""
        verdict = classify(page.url, page.body, page.content_type, soup, self.scope.allows)
        if verdict.kind == "list":
            return self._list(page, soup, html, task.depth)[0], None, verdict.why, "list"
        if verdict.kind == "detail":
            return attachment_links(self.profile, page.url, soup, task.depth, self.scope), None, verdict.why, "detail"
        return [], None, verdict.why, "page"


def _gunzip(body: bytes, limit: int) -> bytes:
    """Unpack a .xml.gz sitemap, refusing one that inflates past limit."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    inflater = zlib.decompressobj(47)
    out = inflater.decompress(body, limit + 1)
    if len(out) > limit:
        raise ValueError(f"sitemap inflates to more than {limit} bytes")
    return out
