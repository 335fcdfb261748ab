"""URL state of a results page: facet buckets with toggle links, selection chips, pager and year chart."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote_plus

from flask import current_app, g, url_for

from indexer.api import FacetBucket, SearchRequest

from .i18n import t

Args = dict[str, list[str]]  # the query string, every parameter with all its values, in order
FACET_ORDER = ("topic", "agency", "region", "year", "doc_type", "status", "attachment")  # as the sidebar lists them
MORE_AFTER = 8  # facet values shown before a "more" disclosure
CHART_W, CHART_H, CHART_TOP, CHART_BOTTOM, CHART_SIDE = 480, 150, 18, 22, 18  # SVG geometry (user units)
MAX_BAR_W = 40  # a few years do not make a few huge bars
MAX_CHART_YEARS = 60  # longest span drawn with a slot per year
PAGER_RADIUS = 2  # page links shown either side of the current one
QUERY_SAFE = "!$'()*,/:;?@"  # what werkzeug's url_for leaves unescaped in a query string (werkzeug.urls)


@dataclass
class BucketView:
    """One facet value as the page shows it: label, count, selected, the link that toggles it."""

    value: str
    label: str
    count: int
    selected: bool
    url: str
    children: list[BucketView] = field(default_factory=list)


@dataclass
class FacetView:
    """One facet: its name, heading and buckets (a tree for regions)."""

    name: str
    label: str
    buckets: list[BucketView]


@dataclass
class Chip:
    """A selection the reader made, with the link that removes it (value: the data part, in Chinese)."""

    label: str
    url: str
    value: str = ""


@dataclass
class Bar:
    """One bar of the year chart: geometry in SVG user units and the link that filters to its year."""

    year: str
    count: int
    x: float
    y: float
    width: float
    height: float
    url: str
    label: str
    selected: bool
    show_year: bool


def results_url(args: Args, **changes: str | list[str] | None) -> str:
    """Return the results URL for args with some parameters set (None removes one); back to page 1. The
    URL is url_for's (its path, and its query string encoded as werkzeug encodes one), without building
    the route again for each of a page's hundred facet links."""
    new = {k: list(v) for k, v in args.items() if k != "page"}
    for name, value in changes.items():
        if value is None or value == []:
            new.pop(name, None)
        else:
            new[name] = [value] if isinstance(value, str) else list(value)
    if "results_path" not in g:
        g.results_path = url_for("search.results", lang=None)  # the path alone (None: no default added)
    current_app.inject_url_defaults("search.results", new)  # as url_for does (the interface language)
    pairs = [(k, v) for k, vs in new.items() for v in ([vs] if isinstance(vs, str) else vs)]
    query = "&".join(f"{_quoted(k)}={_quoted(v)}" for k, v in pairs)
    return f"{g.results_path}?{query}" if query else g.results_path


@lru_cache(maxsize=4096)
def _quoted(text: str) -> str:
    """Return text quoted as urlencode quotes a query string's names and values: the query and the selected
    values recur in every link of a page (a 30-character question is 90 bytes to quote, a hundred times)."""
    return quote_plus(text, safe=QUERY_SAFE)


def _related_region(a: str, b: str) -> bool:
    return a.startswith(b + "/") or b.startswith(a + "/")


def toggled(values: Sequence[str], name: str, value: str) -> list[str]:
    """Return the selected values of a facet after clicking value (a region replaces its ancestors/descendants)."""
    if value in values:
        return [v for v in values if v != value]
    if name == "region":  # province > city > county: drilling down narrows instead of OR-ing with the parent
        return [v for v in values if not _related_region(v, value)] + [value]
    return [*values, value]


def _bucket(args: Args, name: str, b: FacetBucket) -> BucketView:
    label = b.value.rsplit("/", 1)[-1] if name == "region" else b.value
    return BucketView(
        b.value, label, b.count, b.selected, results_url(args, **{name: toggled(args.get(name, []), name, b.value)})
    )


def _tree(views: list[BucketView]) -> list[BucketView]:
    """Nest region buckets under their shown parent, keeping the backend's order among siblings."""
    by_value = {v.value: v for v in views}
    roots = []
    for v in views:
        parent = by_value.get(v.value.rsplit("/", 1)[0]) if "/" in v.value else None
        (parent.children if parent is not None else roots).append(v)
    return roots


def facet_views(facets: dict[str, tuple[FacetBucket, ...]], args: Args) -> list[FacetView]:
    """Return every facet that has values, with toggle links built from the current URL."""
    out = []
    for name in sorted(facets, key=lambda n: FACET_ORDER.index(n) if n in FACET_ORDER else len(FACET_ORDER)):
        buckets = facets[name]
        views = [_bucket(args, name, b) for b in buckets]
        if views:
            out.append(FacetView(name, t(f"facet_{name}"), _tree(views) if name == "region" else views))
    return out


def chips(req: SearchRequest, args: Args) -> list[Chip]:
    """Return the removable selections: each facet value, and the date range."""
    out = [
        Chip(
            t("facet_chip", facet=t(f"facet_{name}"), value=""),
            results_url(args, **{name: toggled(args.get(name, []), name, value)}),
            value,
        )
        for name, value in req.filters
    ]
    if req.date_from or req.date_to:
        a = req.date_from.isoformat() if req.date_from else "…"
        b = req.date_to.isoformat() if req.date_to else "…"
        out.append(Chip(t("date_chip", a=a, b=b), results_url(args, **{"from": None, "to": None})))
    if req.issued_from or req.issued_to:
        a = req.issued_from.isoformat() if req.issued_from else "…"
        b = req.issued_to.isoformat() if req.issued_to else "…"
        out.append(Chip(t("issued_chip", a=a, b=b), results_url(args, issued_from=None, issued_to=None)))
    return out


def year_chart(buckets: Iterable[FacetBucket], args: Args) -> list[Bar]:
    """Return the bars of a results-per-year chart; each links to the results of that year alone."""
    years = {int(b.value): b for b in buckets if b.value.isdigit() and b.count > 0}
    if not years:
        return []
    first, last = min(years), max(years)
    if last - first + 1 > MAX_CHART_YEARS:  # too long a span for a slot per year: one slot per year present
        slots = sorted(years)
    else:  # a slot for every year of the span, so gaps show as gaps
        slots = list(range(first, last + 1))
    top = max(b.count for b in years.values())
    step = (CHART_W - 2 * CHART_SIDE) / len(slots)
    every = max(1, -(-len(slots) // 10))  # label at most 10 slots so the labels never overlap
    bars = []
    for i, year in enumerate(slots):
        b = years.get(year)
        if b is None:
            continue
        height = max(2.0, (CHART_H - CHART_TOP - CHART_BOTTOM) * b.count / top)
        only_this = args.get("year") == [b.value]
        width = min(step * 0.8, MAX_BAR_W)
        x = CHART_SIDE + i * step + (step - width) / 2
        bars.append(
            Bar(
                b.value,
                b.count,
                round(x, 1),
                round(CHART_H - CHART_BOTTOM - height, 1),
                round(width, 1),
                round(height, 1),
                results_url(args, year=None if only_this else b.value),
                t("chart_bar", year=b.value, n=b.count),
                b.selected,
                (len(slots) - 1 - i) % every == 0,
            )
        )
    return bars


def pager(page: int, pages: int) -> list[int | None]:
    """Return the page numbers to link: the first, the last, and a window around the current (None: a gap)."""
    shown = sorted({1, pages, *range(max(1, page - PAGER_RADIUS), min(pages, page + PAGER_RADIUS) + 1)})
    out: list[int | None] = []
    for n in shown:
        if out and out[-1] is not None and n - out[-1] > 1:
            out.append(None)
        out.append(n)
    return out
