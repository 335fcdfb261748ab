"""Search as a plain function over a Whoosh searcher: hits, total and facet counts (no Flask here)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.searching import Results, Searcher

from .budget import BoundedSearcher, BudgetExceeded, Deadline, no_deadline, suggestable
from .engine.whoosh.columns import Columns, Matched, columns
from .engine.whoosh.matches import Matches, collect
from .engine.whoosh.schema import FACET_FIELDS, date_num_range
from .errors import BadRequest
from .highlight import snippet
from .models import FacetBucket, Hit, SearchPage, SearchRequest
from .query import ParsedQuery, parse, ranking_plan, to_whoosh
from .ranking import RERANK_DEPTH, WEIGHTS, Memo, Plan, Weights, ranking_searcher, rerank
from .relations import mark_versions
from .rerank import learned, load
from .store import RecordStore
from .suggest import correction, suggest

MAX_WINDOW = 10_000  # deepest hit a page may reach; the export gives the whole result set


def filter_query(req: SearchRequest) -> wq.Query | None:
    """Return the query for the facet filters and date range (values of one facet are ORed)."""
    by_field: dict[str, list[str]] = {}
    for name, value in req.filters:  # (names checked when the SearchRequest was made)
        by_field.setdefault(FACET_FIELDS[name], []).append(value)
    parts: list[wq.Query] = [wq.Or([wq.Term(f, v) for v in vs]) for f, vs in by_field.items()]
    if req.date_from or req.date_to:
        parts.append(wq.NumericRange("date_num", *date_num_range(req.date_from, req.date_to)))
    if req.issued_from or req.issued_to:
        parts.append(wq.NumericRange("issued_num", *date_num_range(req.issued_from, req.issued_to)))
    if req.collapse:
        parts.append(wq.Term("canonical", "1"))
    return wq.And(parts) if parts else None


def check_request(req: SearchRequest) -> None:
    """Raise BadRequest for a page deeper than a search serves (a SearchRequest checked the rest when made)."""
    if req.page * req.per_page > MAX_WINDOW:
        raise BadRequest(f"page × per_page must be at most {MAX_WINDOW}: export the whole result set instead")


def search(
    s: Searcher,
    req: SearchRequest,
    store: RecordStore | None = None,
    facet_size: int = 30,
    deadline: Deadline | None = None,
) -> SearchPage:
    """Run one query with facet filters; return a page of hits plus facet counts (past the deadline: what
    it has, marked partial)."""
    check_request(req)
    deadline = deadline or no_deadline()
    s = ranking_searcher(s)
    parsed = parse(req.q)
    q, expanded = to_whoosh(parsed, req.synonyms, reader=s.reader())
    cols = columns(s)
    matches = collect(s, q, scored=req.sort == "relevance")
    filtered = matches.allowed(cols, replace(req, collapse=False))  # every copy: the total counts them all
    shown = matches.one_per_group(cols, filtered) if req.collapse else filtered  # the hits, unselected facets
    plan = ranking_plan(parsed)
    if deadline.expired() and req.sort == "relevance":
        deadline.skip("re-ranking the top hits")
        plan = None
    listed, ordered = _run(s, q, req, req.page * req.per_page, plan, cols=cols, matches=matches, ok=shown)
    collapsed = int(filtered.sum()) - listed
    facets = facet_buckets(cols, matches, req, facet_size, shown=shown)
    rows = ordered[(req.page - 1) * req.per_page : req.page * req.per_page]
    bodies = store.get_many(r["id"] for r in rows) if store else {}
    sizes = store.group_sizes(r["dup_of"] for r in rows) if store else {}
    terms = parsed.terms() + expanded
    hits = tuple(to_hit(r, bodies.get(r["id"], {}), terms, sizes) for r in rows)
    hits = mark_versions(hits, store) if store else hits
    warnings = tuple(parsed.warnings) + ((deadline.warning(),) if deadline.partial else ())
    total = listed + collapsed
    if total or not req.q:
        return SearchPage(
            req, total, hits, facets, tuple(expanded), None, warnings, partial=deadline.partial, collapsed=collapsed
        )
    count = CloseCounts(s, req, deadline)  # the correction and the did-you-mean share what they evaluate
    fixed = _nothing_found(s, req, parsed, store, facet_size, deadline, count)
    if fixed is not None:
        return fixed
    suggestion = _suggestion(s, parsed, deadline, count)
    warnings = tuple(parsed.warnings) + ((deadline.warning(),) if deadline.partial else ())
    return SearchPage(req, total, hits, facets, tuple(expanded), suggestion, warnings, partial=deadline.partial)


class CloseCounts:
    """How many documents close query strings find under one request's filters: the candidates of a
    spelling correction and of a did-you-mean. A candidate differs from the query in a word or two, so the
    parts of the queries (each word's alternatives, each group) are evaluated once per request and kept
    (evaluate's memo), and each string is counted once; past the deadline a count raises BudgetExceeded."""

    def __init__(self, s: Searcher, req: SearchRequest, deadline: Deadline) -> None:
        self.s, self.req, self.deadline = s, req, deadline
        self.memo: dict[wq.Query, Any] = {}
        self.seen: dict[str, bool] = {}
        self.known: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        if text not in self.known:
            self.deadline.check()
            q, _ = to_whoosh(parse(text), self.req.synonyms, reader=self.s.reader(), seen=self.seen)
            matches = collect(self.s, q, scored=False, memo=self.memo)
            self.known[text] = int(matches.allowed(columns(self.s), self.req).sum())
        return self.known[text]


def _suggestion(s: Searcher, parsed: ParsedQuery, deadline: Deadline, count: CloseCounts) -> str | None:
    """Return a "did you mean" for a query without hits, within the deadline (None when out of time)."""
    if not suggestable(parsed):
        return None
    if deadline.expired():
        deadline.skip("a did-you-mean")
        return None
    try:
        return suggest(BoundedSearcher(s, deadline), parsed, count)
    except BudgetExceeded:
        deadline.skip("a did-you-mean")
        return None


def _nothing_found(
    s: Searcher,
    req: SearchRequest,
    parsed: ParsedQuery,
    store: RecordStore | None,
    facet_size: int,
    deadline: Deadline,
    count: CloseCounts,
) -> SearchPage | None:
    """Return the page of a spelling correction that finds documents (request.q kept), or None. Only a
    query of a few words is corrected (as for a did-you-mean): a pasted paragraph that finds nothing is no
    typo, and each candidate would search all of it again."""
    if not suggestable(parsed):
        return None
    if req.correct and deadline.expired():
        deadline.skip("a spelling correction")
        return None
    try:
        fixed = correction(s, parsed, count) if req.correct else None
    except BudgetExceeded:
        deadline.skip("a spelling correction")
        return None
    if fixed is None:
        return None
    page = search(s, replace(req, q=fixed, correct=False), store, facet_size, deadline)
    return replace(page, request=req, corrected=fixed)


def _run(
    s: Searcher,
    q: wq.Query,
    req: SearchRequest,
    limit: int | None,
    plan: Plan | None,
    weights: Weights = WEIGHTS,
    cols: Columns | None = None,
    matches: Matches | None = None,
    ok: np.ndarray | None = None,
    learn: bool = True,
) -> tuple[int, list[Any]]:
    """Search; return the total and the first `limit` hits (all when None) in their final order (the top
    hits re-ranked). Filters are masks over the matches (`ok`: already computed); ties go to the lower
    document number. `learn`: the learned re-ranker re-orders the top hits of a question."""
    ranker = load() if learn else None
    relevance = req.sort == "relevance"
    cols = cols or columns(s)
    matches = matches or collect(s, q, scored=relevance)
    ok = matches.allowed(cols, req) if ok is None else ok
    docs = matches.docnums[ok]
    total = len(docs)
    if relevance:
        scores = matches.scores[ok] if matches.scores is not None else np.zeros(total)
        deep = total if limit is None else min(total, max(limit, RERANK_DEPTH, ranker.depth if ranker else 0))
        if deep < total:  # the top `deep` by score, without sorting everything
            top = np.argpartition(-scores, deep - 1)[:deep]
            docs, scores = docs[top], scores[top]
        order = np.lexsort((docs, -scores))
        items = [(float(scores[i]), int(docs[i])) for i in order]
    else:
        dates = cols.dates[docs] if cols.dates is not None else np.zeros(total, dtype=np.int64)
        newest = req.sort == "date"
        order = np.lexsort((docs, -dates if newest else dates))
        if limit is not None:
            order = order[:limit]
        items = [(None, int(docs[i])) for i in order]
    hits = Results(s, q, items)[:]
    if relevance and plan is not None:
        memo: Memo = {}  # the words' positions in the top hits, read once for both re-rankings
        hits = rerank(s, hits, plan, weights, memo)
        hits = learned(s, hits, plan, ranker, memo) if ranker else hits
    return total, hits[:limit]


def facet_buckets(
    cols: Columns, matches: Matches, req: SearchRequest, size: int, shown: np.ndarray | None = None
) -> dict[str, tuple[FacetBucket, ...]]:
    """Count facet values; a facet with a selection counts as if its own selection were not made. `shown`:
    the matches the request shows, when already computed. Each distinct set of documents is turned into a
    mask once (every facet without a selection shares one)."""
    selected: dict[str, set[str]] = {}
    for name, value in req.filters:
        selected.setdefault(name, set()).add(value)
    out = {}
    everything: Matched | None = None
    for name in FACET_FIELDS:
        if name in selected:
            matched = _as_mask(cols, matches, matches.allowed(cols, req, without=name))
        else:
            if everything is None:
                everything = _as_mask(cols, matches, matches.allowed(cols, req) if shown is None else shown)
            matched = everything
        counts = cols.facets[name].counts(matched, cols.size)
        out[name] = facet_bucket_list(name, counts, selected.get(name, set()), size)
    return out


def _as_mask(cols: Columns, matches: Matches, ok: np.ndarray) -> Matched:
    """Return the matches that ok lets through as a mask over every document of the index."""
    matched = np.zeros(cols.size, dtype=bool)
    matched[matches.docnums[ok]] = True
    return Matched(matched)


def facet_bucket_list(name: str, counts: dict[Any, int], selected: set[str], size: int) -> tuple[FacetBucket, ...]:
    """Return a facet's buckets: the `size` largest (years newest first), selected values always."""
    items = [(str(v), n) for v, n in counts.items() if v not in (None, "")]
    if name == "region":
        items = [(v, n) for v, n in items if _region_visible(v, selected)]
    key = (lambda vn: -int(vn[0]) if vn[0].isdigit() else 0) if name == "year" else (lambda vn: (-vn[1], vn[0]))
    items.sort(key=key)
    shown = items[:size] + [(v, n) for v, n in items[size:] if v in selected]
    shown += [(v, 0) for v in sorted(selected - {v for v, _ in shown})]
    return tuple(FacetBucket(v, n, v in selected) for v, n in shown)


def _region_visible(value: str, selected: set[str]) -> bool:
    """Show provinces, the children of a selected region, and the siblings of a selected region and of its
    ancestors (drilling into 福州市 keeps 厦门市 one click away): province > city > county."""
    if "/" not in value or value in selected:
        return True
    parent = value.rsplit("/", 1)[0]
    return any(sel == parent or sel.startswith(parent + "/") for sel in selected)


def to_hit(r: Any, rec: dict[str, Any], terms: list[str], sizes: dict[str, int]) -> Hit:
    body = rec.get("body") or ""
    date = r.get("date")
    return Hit(
        doc_id=r["id"],
        title=r.get("title", ""),
        url=r.get("url") or "",
        agency=r.get("agency") or None,
        doc_number=r.get("doc_number") or None,
        date=date.date().isoformat() if date else None,
        snippet=snippet(body or r.get("title", ""), terms),
        score=float(r.score or 0.0),
        topics=tuple(t for t in (r.get("topics") or "").split(",") if t),
        doc_type=r.get("doc_type") or None,
        region=_deepest(r.get("region")),
        status=r.get("status") or None,
        duplicates=max(0, sizes.get(r.get("dup_of") or r["id"], 1) - 1),
    )


def _deepest(region: str | None) -> str | None:
    levels = [v for v in (region or "").split(",") if v]
    return max(levels, key=len) if levels else None


def iter_ids(s: Searcher, req: SearchRequest) -> Iterator[str]:
    """Yield the id of every hit of a request, in its sort order (for exports)."""
    s = ranking_searcher(s)
    parsed = parse(req.q)
    q, _ = to_whoosh(parsed, req.synonyms, reader=s.reader())
    _, hits = _run(s, q, req, None, ranking_plan(parsed))
    for hit in hits:
        yield hit["id"]


def rank_ids(
    s: Searcher,
    q: str | ParsedQuery,
    limit: int,
    weights: Weights = WEIGHTS,
    collapse: bool = False,
    learn: bool = True,
) -> list[str]:
    """Return the ids of the top hits of a query in relevance order, duplicates kept unless collapse (for
    bench/eval)."""
    return [h["id"] for h in ranked_hits(s, q, limit, weights, collapse, learn)]


def ranked_hits(
    s: Searcher,
    q: str | ParsedQuery,
    limit: int,
    weights: Weights = WEIGHTS,
    collapse: bool = False,
    learn: bool = True,
) -> list[Any]:
    """Return the top hits of a query in relevance order (for bench/eval and the ranker's training)."""
    s = ranking_searcher(s)
    parsed = parse(q) if isinstance(q, str) else q
    query, _ = to_whoosh(parsed, weights=weights, reader=s.reader())
    req = SearchRequest(q="", collapse=collapse)
    _, hits = _run(s, query, req, limit, ranking_plan(parsed), weights, learn=learn)
    return hits
