"""Turn URL query parameters into a SearchRequest (shared by pages, API, feeds and exports)."""

from __future__ import annotations

import re
from datetime import date

from flask import abort, request
from werkzeug.datastructures import MultiDict

from indexer.api import FACET_FIELDS, BadRequest, SearchRequest, filter_value

MAX_QUERY_CHARS = 1000  # a longer query is refused: nobody types more, and it costs every clause
MAX_PAGE = 1_000_000  # a larger page number is refused; pages past the deepest reachable hit come back empty
# a URL's query string may be this long: a query of MAX_QUERY_CHARS Chinese characters, percent-encoded
# (9 bytes each), plus filters; gunicorn's own limit is lifted so that this check answers, not gunicorn's 414
MAX_QUERY_STRING_BYTES = 32_768
TRUE_WORDS, FALSE_WORDS = ("1", "true", "on"), ("0", "false", "off")
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")  # exactly YYYY-MM-DD, as the OpenAPI document says


LINK_PARAMS = (
    "q",
    "qid",
    "page",
    "per_page",
    "sort",
    "from",
    "to",
    "issued_from",
    "issued_to",
    "synonyms",
    "all",
    "fix",
    "lang",
    *FACET_FIELDS,
)


def link_args(args: MultiDict[str, str]) -> dict[str, list[str]]:
    """Return the parameters of this URL that the site defines, for building links from it.

    Anything else (e.g. _external, endpoint, fmt, doc_id) would be taken by url_for as its own argument.
    """
    return {k: args.getlist(k) for k in LINK_PARAMS if k in args}


class QueryTooLong(BadRequest):
    """A query over MAX_QUERY_CHARS characters; pages explain it in the reader's language."""

    def __init__(self, chars: int) -> None:
        super().__init__(f"query is {chars} characters long; at most {MAX_QUERY_CHARS} are allowed")
        self.chars = chars


def refuse_long_url() -> None:
    """Answer a request whose query string is over the app's own limit with 414 (before_request hook)."""
    size = len(request.environ.get("QUERY_STRING", ""))
    if size > MAX_QUERY_STRING_BYTES:
        abort(414, f"the query string is {size} bytes; at most {MAX_QUERY_STRING_BYTES} are allowed")


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
    """Read q, page, per_page, sort, from, to, synonyms, all, fix and the facet filters from the URL."""
    q = args.get("q", "")
    if len(q) > MAX_QUERY_CHARS:
        raise QueryTooLong(len(q))
    sort = args.get("sort") or "relevance"  # (SearchRequest checks it, and the filters)
    filters = tuple((name, filter_value(name, v)) for name in FACET_FIELDS for v in args.getlist(name) if v)
    return SearchRequest(
        q=q,
        filters=filters,
        sort=sort,
        page=_int(args, "page", 1, 1, MAX_PAGE),
        per_page=_int(args, "per_page", page_size, 1, max_page_size),
        date_from=_day(args, "from"),
        date_to=_day(args, "to"),
        issued_from=_day(args, "issued_from"),
        issued_to=_day(args, "issued_to"),
        synonyms=_flag(args, "synonyms", True),
        collapse=not _flag(args, "all", False),
        correct=_flag(args, "fix", True),
    )
