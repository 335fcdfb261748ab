"""Find the links a profile cares about: list pages, detail pages, attachments, sitemap and JSON entries."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bs4 import BeautifulSoup
from lxml import etree

from .evidence import anchor_text, anchors, groups, in_chrome, more_text, notice_groups, pager_text
from .profiles import Profile
from .state import Link
from .urls import BadURL, canonical_url, directory_of, host_allowed

CHINA_TZ = timezone(timedelta(hours=8))
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True)


class Scope:
    """Which hosts may be fetched, for one crawl."""

    def __init__(self, hosts: tuple[str, ...]) -> None:
        self.hosts = hosts

    def allows(self, url: str) -> bool:
        """Tell whether url is on an allowed host."""
        return host_allowed(url, self.hosts)


def start_kind(profile: Profile, url: str) -> str:
    """Say what a start URL is: an API listing, a sitemap, a detail page or a list page."""
    if profile.mode == "gkmlpt":
        return "api"
    if profile.mode == "sitemap":
        return "sitemap"
    return "detail" if _matches(profile.detail_patterns, url) else "list"


def _matches(patterns: tuple[re.Pattern[str], ...], url: str) -> bool:
    return any(p.search(url) for p in patterns)


def list_page_links(
    profile: Profile,
    url: str,
    soup: BeautifulSoup,
    raw: str,
    depth: int,
    scope: Scope,
    blocks: dict[str, set[str]] | None = None,
) -> list[Link]:
    """Return the detail pages and further list pages (pagination, nested columns) linked from a list page.

    blocks maps a column folder to the keys of its notice blocks seen so far; it is read and updated.
    """
    found: dict[str, Link] = {}
    for link in detail_links(profile, url, soup, depth, scope, blocks):
        found.setdefault(link.url, link)
    if depth + 1 < profile.max_list_pages:
        for link in more_list_pages(profile, url, soup, raw, depth, scope):
            if link.url not in found:
                found[link.url] = link
    found.pop(url, None)
    return list(found.values())


def detail_links(
    profile: Profile, url: str, soup: BeautifulSoup, depth: int, scope: Scope, blocks: dict[str, set[str]] | None = None
) -> list[Link]:
    """Return a list page's notices: known URL patterns, the profile's selector, else the page's evidence."""
    found: dict[str, Link] = {}
    area = soup.select(profile.list_selector) if profile.list_selector else [soup]
    chosen = {id(a) for a in soup.select(profile.detail_selector)} if profile.detail_selector else set()
    checked = "candidate" if profile.verify else "detail"
    for part in area:
        for link, a in anchors(part, url, scope.allows):
            if in_chrome(a):
                continue  # navigation, header and footer links are not the column's notices
            if _matches(profile.detail_patterns, link):
                found.setdefault(link, Link(link, "detail", depth + 1, why="URL pattern of a known CMS"))
            elif id(a) in chosen and not _is_file(profile, link):
                found.setdefault(link, Link(link, checked, depth + 1, why="[detail] link_selector"))
        if profile.infer and not profile.detail_selector:
            column = directory_of(url)
            known = blocks.setdefault(column, set()) if blocks is not None else set()
            picked = notice_groups(groups(part, url, column, scope.allows), known)
            known.update(g.key() for g in picked)
            for group in picked:
                for link, _, text in group.links:
                    if pager_text(text) or more_text(text) or _is_file(profile, link):
                        continue  # a pager in the list block (more_list_pages takes it), or a file, not a page
                    found.setdefault(link, Link(link, checked, depth + 1, why=group.why()))
    return list(found.values())


def _is_file(profile: Profile, url: str) -> bool:
    """Tell whether a link is a file (PDF, DOC ...): listed files have no notice page to check or index."""
    return bool(profile.attachment_pattern.search(urlsplit(url).path))


def more_list_pages(profile: Profile, url: str, soup: BeautifulSoup, raw: str, depth: int, scope: Scope) -> list[Link]:
    """Return the further list pages of a column: pager links, list URLs and 更多 links in its folder, script."""
    found: dict[str, Link] = {}
    column = directory_of(url)
    nexts = {id(a) for a in soup.select(profile.next_selector)} if profile.next_selector else set()
    for link, a in anchors(soup, url, scope.allows):
        in_column = profile.list_scope == "site" or link.startswith(column)
        text = anchor_text(a)
        if id(a) in nexts:
            why = "[list] next_selector"
        elif not in_column:
            continue
        elif _matches(profile.list_patterns, link):
            why = "list URL pattern, in the column folder"
        elif pager_text(text):
            why = f"pager link {text!r}, in the column folder"
        elif more_text(text):
            why = f"{text!r} link, in the column folder"
        else:
            continue
        found.setdefault(link, Link(link, "list", depth + 1, why=why))
    for link in script_pages(profile, url, raw):
        if scope.allows(link):
            found.setdefault(link, Link(link, "list", depth + 1, why="pagination written by script"))
    return list(found.values())


def script_pages(profile: Profile, url: str, raw: str) -> list[str]:
    """Expand pagination written by script, e.g. TRS `createPageHTML(12, 0, "index", "html")`."""
    m = profile.pagination_regex.search(raw) if profile.pagination_regex else None
    if not m:
        return []
    groups = m.groupdict()
    total = min(int(groups.get("total") or 0), profile.max_list_pages)
    names = (profile.pagination_template.format(n=n, **groups) for n in range(1, total))
    return [canonical_url(name, base=url) for name in names]


def attachment_links(profile: Profile, url: str, soup: BeautifulSoup, depth: int, scope: Scope) -> list[Link]:
    """Return the attachments linked from a detail page, named by their link text."""
    area = soup.select(profile.attachment_selector) if profile.attachment_selector else [soup]
    found: dict[str, Link] = {}
    for part in area:
        for link, a in anchors(part, url, scope.allows):
            path = urlsplit(link).path
            label = " ".join(a.get_text(" ", strip=True).split()) or a.get("title", "")
            if profile.attachment_pattern.search(path) or profile.attachment_pattern.search(label):
                found.setdefault(
                    link,
                    Link(
                        link, "attachment", depth + 1, name=label or path.rsplit("/", 1)[-1], why=f"file link {label!r}"
                    ),
                )
    return list(found.values())


def select_fields(profile: Profile, soup: BeautifulSoup) -> dict[str, str]:
    """Read record fields with the profile's CSS selectors; `sel@attr` reads an attribute."""
    out: dict[str, str] = {}
    for name, spec in profile.fields.items():
        selector, _, attr = spec.partition("@")
        values = [(n.get(attr, "") if attr else n.get_text("\n", strip=True)) for n in soup.select(selector)]
        text = "\n".join(v.strip() for v in values if v and v.strip())
        if text:
            out[name] = text
    return out


def sitemap_links(profile: Profile, body: bytes, depth: int, scope: Scope) -> list[Link]:
    """Return the pages (detail) and nested sitemaps of a sitemap or sitemap index."""
    root = etree.fromstring(body, _XML) if body.strip() else None
    if root is None:
        return []
    nested = root.tag.endswith("sitemapindex")
    links = []
    for loc in root.iter(f"{SITEMAP_NS}loc", "loc"):
        try:
            url = canonical_url((loc.text or "").strip())
        except BadURL:
            continue
        if not scope.allows(url):
            continue
        if nested:
            links.append(Link(url, "sitemap", depth + 1, why="nested sitemap"))
        elif not profile.detail_patterns or _matches(profile.detail_patterns, url):
            links.append(Link(url, "detail", depth + 1, why="listed in the sitemap"))
    return links


def json_links(profile: Profile, url: str, body: bytes, depth: int, scope: Scope) -> list[Link]:
    """Return the detail pages of one page of a JSON listing (gkmlpt), with their metadata, and the next page."""
    spec = profile.json
    data = json.loads(body.decode("utf-8-sig"))
    items = _dig(data, spec.get("items", "articles")) or []
    links = []
    for item in items if isinstance(items, list) else []:
        try:
            link = canonical_url(str(_dig(item, spec.get("url", "url")) or ""), base=url)
        except BadURL:
            continue
        if scope.allows(link):
            links.append(Link(link, "detail", depth + 1, hints=_hints(item, spec.get("hints", {})), why="JSON listing"))
    nxt = _next_page(url, spec, data, len(items) if isinstance(items, list) else 0)
    if nxt and depth + 1 < profile.max_list_pages:
        links.append(Link(nxt, "api", depth + 1, why="next page of the JSON listing"))
    return links


def _dig(obj: Any, path: str) -> Any:
    for key in path.split("."):
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def _hints(item: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any] | None:
    hints = {}
    for field, key in mapping.items():
        value = _dig(item, key)
        if value in (None, "", []):
            continue
        if field.startswith("date") and isinstance(value, int | float):
            value = datetime.fromtimestamp(value, CHINA_TZ).date().isoformat()  # gkmlpt sends Unix seconds
        hints[field] = value
    return hints or None


def _next_page(url: str, spec: dict[str, Any], data: Any, count: int) -> str | None:
    param = spec.get("page_param", "page")
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    page = int(query.get(param, "1") or 1)
    total = _dig(data, spec.get("total", "total"))
    if count == 0 or (isinstance(total, int) and page * count >= total):  # a short last page costs one request
        return None
    query[param] = str(page + 1)
    return canonical_url(urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), "")))
