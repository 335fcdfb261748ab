"""HTML pages: the search page, results with facets and a year chart, the document page."""

from __future__ import annotations

import sqlite3
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from markupsafe import Markup

from indexer.api import MAX_WINDOW, BadRequest, Hit, mark_all, query_terms

from .api import backend, request_from_url, run_search, settings
from .facets import Args, chips, facet_views, pager, results_url, year_chart
from .params import MAX_QUERY_CHARS, link_args, search_request
from .richtext import render_text
from .saved import QID_PARAM, saved_queries

bp = Blueprint("search", __name__)

METADATA_ROWS = ("index_no", "agency", "doc_number", "date_issued", "date", "topics", "doc_type", "region", "status")
NOT_KEPT_BY_FORMS = ("page", "from", "to")  # the date-range form keeps every other parameter of the URL


def current_args() -> Args:
    """Return the query string of this request, every value of every parameter."""
    return link_args(request.args)


def is_http(url: str | None) -> bool:
    """Tell whether a URL is safe to link: http(s) only, never javascript:, data: or a relative path."""
    return bool(url) and str(url).lower().startswith(("http://", "https://"))


def precedents_first(rec: dict[str, Any], similar: list[Hit]) -> list[Hit]:
    """Order similar documents so those of other agencies and other provinces come first (a stable sort)."""
    agency, province = rec.get("agency"), (rec.get("region") or "").split("/")[0]

    def same(h: Hit) -> int:
        same_region = bool(province) and (h.region or "").split("/")[0] == province
        return int(bool(agency) and h.agency == agency) + int(same_region)

    return sorted(similar, key=same)


@bp.get("/")
def home() -> Any:
    """Show the search box and what it understands."""
    return render_template("search.html", page=None, q="")


def results_context(args: Args) -> dict[str, Any]:
    """Compute a results page: hits, facets with toggle links, selections, year chart and pager."""
    req = request_from_url()
    page = run_search(req)
    pages = min(max(1, -(-page.listed // req.per_page)), MAX_WINDOW // req.per_page)
    return {
        "page": page,
        "req": req,
        "q": req.q,
        "args": args,
        "facets": facet_views(page.facets, args),
        "chips": chips(req, args),
        "bars": year_chart(page.facets.get("year", ()), args),
        "pages": pages,
        "pager": pager(req.page, pages),
        "state": [(k, v) for k, vs in args.items() if k not in NOT_KEPT_BY_FORMS for v in vs if v != ""],
        "export_args": {k: v for k, v in args.items() if k not in ("page", "lang")},
    }


@bp.get("/search")
def results() -> Any:
    """Show a page of results; every state of the page is in its URL."""
    return render_template("search.html", results_url=results_url, Markup=Markup, **results_context(current_args()))


@bp.post("/search")
def post_search() -> Any:
    """Take a query by POST (up to the query limit) and show its results under a shareable ?qid= URL."""
    if "q" not in request.form:
        raise BadRequest("POST /search takes the query in the form field q (application/x-www-form-urlencoded)")
    search_request(request.form, settings().page_size, settings().max_page_size)  # refuse what GET refuses
    args = {k: v for k, v in link_args(request.form).items() if k not in (QID_PARAM, "page", "lang")}
    try:
        qid = saved_queries().save(args)
    except sqlite3.OperationalError:  # e.g. a read-only index directory: say so, and lose nothing silently
        abort(503, "this server cannot keep queries sent by POST; send the query in the URL (GET /search?q=)")
    lang = request.form.get("lang")
    return redirect(url_for("search.results", qid=qid, lang=lang if lang in ("zh", "en") else None), 303)


def document_context(doc_id: str, q: str) -> dict[str, Any]:
    """Compute a document page: record, marked text, links, precedents, citations and other copies."""
    b = backend()
    rec = b.document(doc_id)
    if rec is None:
        abort(404)
    terms = query_terms(q) if q else []
    body = mark_all(rec.get("body") or "", terms).replace("<mark>", '<mark id="first-match">', 1)
    cites, cited_by = b.citations(doc_id)
    return {
        "rec": rec,
        "q": q,
        "doc_id": doc_id,
        "rows": METADATA_ROWS,
        "body_html": render_text(body),
        "has_match": "<mark" in body,  # our highlighter's output: escaped text + <mark>
        "original": rec.get("url") if is_http(rec.get("url")) else None,
        "attachments": [
            {**a, "href": a.get("url") if is_http(a.get("url")) else None}
            for a in rec.get("attachments") or []
            if isinstance(a, dict)
        ],
        "similar": precedents_first(rec, b.similar(doc_id)),
        "cites": cites,
        "cited_by": cited_by,
        "copies": [{**c, "href": c.get("url") if is_http(c.get("url")) else None} for c in b.duplicates(doc_id)],
        "versions": b.versions(doc_id),
    }


@bp.get("/doc/<path:doc_id>", merge_slashes=False)
def document(doc_id: str) -> Any:
    """Show one document with the query terms of ?q= marked in its text."""
    q = request.args.get("q", "")[:MAX_QUERY_CHARS]
    return render_template("document.html", **document_context(doc_id, q))
