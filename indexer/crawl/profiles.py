"""Site profiles: TOML files saying where a site's list pages, detail pages and attachments are."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import soupsieve

PROFILE_DIR = Path(__file__).resolve().parent.parent / "data" / "profiles"
MODES = ("html", "gkmlpt", "sitemap")
FIELDS = ("title", "body", "agency", "doc_number", "index_no", "date", "date_issued", "topics", "doc_type", "status")


class ProfileError(ValueError):
    """A profile that does not exist or does not parse; the message names the file and the key."""


@dataclass(frozen=True)
class Profile:
    """How to crawl one site or one CMS family (see indexer/data/profiles/generic.toml for every key)."""

    name: str
    description: str = ""
    mode: str = "html"  # html | gkmlpt (JSON listing API) | sitemap
    start_urls: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()  # fnmatch patterns; empty: the hosts of the start URLs
    delay: float | None = None  # seconds between requests to one host; None: the command's --delay
    list_patterns: tuple[re.Pattern[str], ...] = ()
    list_selector: str = ""  # CSS: the part of a list page whose links are detail pages
    list_scope: str = "column"  # column: list pages under the start URL's folder only; site: any allowed host
    next_selector: str = ""  # CSS: "next page" links
    pagination_regex: re.Pattern[str] | None = None  # on the raw page: total pages, prefix, ext (TRS createPageHTML)
    pagination_template: str = "{prefix}_{n}.{ext}"
    max_list_pages: int = 200  # list pages followed from one start URL (pagination depth)
    detail_patterns: tuple[re.Pattern[str], ...] = ()
    detail_selector: str = ""  # CSS: links that are detail pages whatever their URL
    infer: bool = True  # without detail link_selector: take links that read as notices (see crawl/evidence.py)
    verify: bool = True  # check pages not matched by a URL pattern once fetched: a title, a body and a date
    attachment_pattern: re.Pattern[str] = re.compile(r"\.(?:pdf|docx?|wps|xlsx?|et)$", re.I)
    attachment_selector: str = ""  # CSS: only links inside these elements are attachments
    fields: dict[str, str] = field(default_factory=dict)  # record field -> CSS selector on detail pages
    json: dict[str, Any] = field(default_factory=dict)  # gkmlpt: items, url, total, page_param, page_size, hints
    seed_list: str = ""  # gov-site-list filter whose notice columns are added to start_urls
    source: str = ""  # the file it was read from


def available() -> dict[str, Path]:
    """Return the shipped profiles by name."""
    return {p.stem: p for p in sorted(PROFILE_DIR.glob("*.toml"))}


def load_profile(name_or_path: str) -> Profile:
    """Load a shipped profile by name, or a TOML file by path; `extends` pulls in a base profile."""
    data = _merged(name_or_path, seen=())
    return _build(data)


def _read(name_or_path: str) -> tuple[dict[str, Any], Path]:
    path = Path(name_or_path)
    if not (name_or_path.endswith(".toml") and path.is_file()):
        if name_or_path not in available():
            raise ProfileError(
                f"unknown profile {name_or_path!r}: choose one of {', '.join(available())} or give a .toml file"
            )
        path = available()[name_or_path]
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), path
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ProfileError(f"{path}: {e}") from None


def _merged(name_or_path: str, seen: tuple[str, ...]) -> dict[str, Any]:
    if name_or_path in seen:
        raise ProfileError(f"profile {name_or_path!r} extends itself: {' -> '.join([*seen, name_or_path])}")
    data, path = _read(name_or_path)
    data.setdefault("name", path.stem)
    data["source"] = str(path)
    base = data.pop("extends", None)
    if not base:
        return data
    return _deep_merge(_merged(base, (*seen, name_or_path)), data)


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = _deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _build(d: dict[str, Any]) -> Profile:
    where = d.get("source", d.get("name", "?"))
    lst, det, att = d.get("list", {}), d.get("detail", {}), d.get("attachments", {})
    if d.get("mode", "html") not in MODES:
        raise ProfileError(f"{where}: mode must be one of {', '.join(MODES)}")
    unknown = set(d.get("fields", {})) - set(FIELDS)
    if unknown:
        raise ProfileError(f"{where}: unknown [fields] {', '.join(sorted(unknown))}; known: {', '.join(FIELDS)}")
    _check_selectors(
        where,
        {
            "[list] link_selector": lst.get("link_selector", ""),
            "[list] next_selector": lst.get("next_selector", ""),
            "[detail] link_selector": det.get("link_selector", ""),
            "[attachments] link_selector": att.get("link_selector", ""),
        },
    )
    try:
        return Profile(
            name=d["name"],
            description=d.get("description", ""),
            mode=d.get("mode", "html"),
            start_urls=tuple(d.get("start_urls", ())),
            allowed_hosts=tuple(d.get("allowed_hosts", ())),
            delay=d.get("delay"),
            list_patterns=_patterns(lst.get("url_patterns", ())),
            list_selector=lst.get("link_selector", ""),
            list_scope=lst.get("scope", "column"),
            next_selector=lst.get("next_selector", ""),
            pagination_regex=re.compile(lst["pagination_regex"]) if lst.get("pagination_regex") else None,
            pagination_template=lst.get("pagination_template", "{prefix}_{n}.{ext}"),
            max_list_pages=int(lst.get("max_pages", 200)),
            detail_patterns=_patterns(det.get("url_patterns", ())),
            detail_selector=det.get("link_selector", ""),
            infer=_flag(where, det, "infer"),
            verify=_flag(where, det, "verify"),
            attachment_pattern=re.compile(att.get("url_pattern", Profile.attachment_pattern.pattern), re.I),
            attachment_selector=att.get("link_selector", ""),
            fields=dict(d.get("fields", {})),
            json=dict(d.get("json", {})),
            seed_list=d.get("seed_list", ""),
            source=d.get("source", ""),
        )
    except (re.error, TypeError, ValueError) as e:
        raise ProfileError(f"{where}: {e}") from None


def _flag(where: str, table: dict[str, Any], key: str) -> bool:
    """Read a true/false key of [detail]; a string such as "false" would read as true, so refuse it."""
    value = table.get(key, True)
    if not isinstance(value, bool):
        raise ProfileError(f"{where}: [detail] {key} must be true or false, not {value!r}")
    return value


def _check_selectors(where: str, selectors: dict[str, Any]) -> None:
    """Refuse a CSS selector that does not parse now, rather than in the middle of a crawl."""
    for key, selector in selectors.items():
        if not selector:
            continue
        try:
            soupsieve.compile(str(selector))
        except soupsieve.SelectorSyntaxError as e:
            raise ProfileError(f"{where}: {key} is not a CSS selector: {str(e).splitlines()[0]}") from None


def _patterns(items: Any) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in items)


def guess_profile(url: str) -> str:
    """Pick the shipped family profile for a bare URL: gkmlpt API, sitemap, else the generic HTML one."""
    if "/gkmlpt/api/" in url:
        return "gkmlpt"
    if re.search(r"sitemap[^/]*\.xml(?:\.gz)?(?:$|\?)", url):
        return "sitemap"
    return "generic"
