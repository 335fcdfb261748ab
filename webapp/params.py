"""Turn URL query parameters into a SearchRequest (shared by pages, API, feeds and exports)."""

from __future__ import annotations

import re
from datetime import date

from werkzeug.datastructures import MultiDict

from indexer.engine.whoosh.schema import FACET_FIELDS
from indexer.errors import BadRequest
from indexer.models import SearchRequest

MAX_QUERY_CHARS = 1000  # a longer query is refused: nobody types more, and it costs every clause
MAX_PAGE = 1_000_000  # a larger page number is refused; pages past the deepest reachable hit come back empty
SORTS = ("relevance", "date", "date_asc")
TRUE_WORDS, FALSE_WORDS = ("1", "true", "on"), ("0", "false", "off")
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")  # exactly YYYY-MM-DD, as the OpenAPI document says


LINK_PARAMS = ("q", "page", "per_page", "sort", "from", "to", "synonyms", "all", "lang", *FACET_FIELDS)


def link_args(args: MultiDict[str, str]) -> dict[str, list[str]]:
    """Return the parameters of this URL that the site defines, for building links from it.

    Anything else (e.g. _external, endpoint, fmt, doc_id) would be taken by url_for as its own argument.
    """
    return {k: args.getlist(k) for k in LINK_PARAMS if k in args}


def _int(args: MultiDict[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = args.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[+-]?\d{1,12}", raw.strip()):
        raise BadRequest(f"{name} must be a whole number, not {raw[:20]!r}")
    value = int(raw)
    if not lo <= value <= hi:
        raise BadRequest(f"{name} must be between {lo} and {hi}")
    return value


def _day(args: MultiDict[str, str], name: str) -> date | None:
    raw = args.get(name)
    if not raw:  # an empty date input of the page's form means "no bound"
        return None
    try:
        if not ISO_DAY.fullmatch(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a date YYYY-MM-DD, not {raw[:20]!r}") from None


def _flag(args: MultiDict[str, str], name: str, default: bool) -> bool:
    raw = args.get(name) or ""
    if raw == "":
        return default
    if raw not in TRUE_WORDS + FALSE_WORDS:
        raise BadRequest(f"{name} must be one of {', '.join(TRUE_WORDS + FALSE_WORDS)}")
    return raw in TRUE_WORDS


def search_request(args: MultiDict[str, str], page_size: int = 20, max_page_size: int = 100) -> SearchRequest:
    """Read q, page, per_page, sort, from, to, synonyms, all and the facet filters from the URL."""
    q = args.get("q", "")
    if len(q) > MAX_QUERY_CHARS:
        raise BadRequest(f"query is {len(q)} characters long; at most {MAX_QUERY_CHARS} are allowed")
    sort = args.get("sort") or "relevance"
    if sort not in SORTS:
        raise BadRequest(f"unknown sort {sort[:20]!r}: use relevance, date or date_asc")
    filters = tuple((name, v) for name in FACET_FIELDS for v in args.getlist(name) if v)
    return SearchRequest(
        q=q,
        filters=filters,
        sort=sort,
        page=_int(args, "page", 1, 1, MAX_PAGE),
        per_page=_int(args, "per_page", page_size, 1, max_page_size),
        date_from=_day(args, "from"),
        date_to=_day(args, "to"),
        synonyms=_flag(args, "synonyms", True),
        collapse=not _flag(args, "all", False),
    )
