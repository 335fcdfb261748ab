"""Check a page taken on evidence once fetched: a notice, a list page (a column inside the column), or neither."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bs4 import BeautifulSoup

from indexer.extract import extract
from indexer.models import Document, RawPage, SkipDocument

from .evidence import groups, notice_groups
from .urls import directory_of

FULL_DATE = re.compile(r"(?:19|20)\d{2}\s*(?:[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}|年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)")
MIN_BODY = 60  # characters: less is a stub, a redirect notice or an empty template
LIST_LINKS = 3  # notice links that make a page a list page when little text stands beside them
LIST_PROSE = 200  # characters of text beyond its listing that a list page may have (headings, pager, intro)
DATE_REACH = 400  # characters after the title, or at either end of the body, where a notice's date stands


@dataclass(frozen=True)
class Verdict:
    """What a fetched candidate turned out to be, and why."""

    kind: str  # detail (a notice) | list (a column inside the column) | page (neither: not ingested)
    why: str


def classify(url: str, body: bytes, content_type: str, soup: BeautifulSoup, allowed: Callable[[str], bool]) -> Verdict:
    """Tell whether a fetched candidate is a notice (title, body, date), a list page, or neither."""
    picked = notice_groups(groups(soup, url, directory_of(url), allowed))
    listed = sum(len(g.links) for g in picked)
    listing = sum(len(text) + 12 for g in picked for _, _, text in g.links)  # 12: the date beside each
    try:
        doc = extract(RawPage(url=url, body=body, content_type=content_type))
    except SkipDocument:
        return Verdict("list", f"a list page: {picked[0].why()}") if listed else Verdict("page", "no text at all")
    if listed >= LIST_LINKS and len(doc.body) - listing < LIST_PROSE:
        return Verdict("list", f"a list page: {picked[0].why()}")
    titled = bool(doc.title) and not any(n.startswith("no title") for n in doc.notes)
    checks = (("title", titled), ("body", len(doc.body) >= MIN_BODY), ("date", _has_date(doc, soup)))
    missing = [name for name, ok in checks if not ok]
    if missing:
        return Verdict("page", "not a notice: no " + ", no ".join(missing))
    return Verdict("detail", "has a title, a body and a date")


def _has_date(doc: Document, soup: BeautifulSoup) -> bool:
    """A 发布日期 the extractor found, a date under the title, or a 落款 date at the end of the body."""
    if doc.published or doc.issued:
        return True
    if FULL_DATE.search(doc.body[:DATE_REACH]) or FULL_DATE.search(doc.body[-DATE_REACH:]):
        return True
    text = " ".join(soup.get_text(" ", strip=True).split())
    at = text.find(doc.title or "\0")
    return at >= 0 and bool(FULL_DATE.search(text[at : at + DATE_REACH]))
