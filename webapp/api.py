"""JSON API: /api/search, /api/doc/<id>, /healthz (see INTERFACE.md and /openapi.json)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request

from indexer.api import MAX_WINDOW, SearchPage, SearchRequest, Settings

from .params import search_request
from .saved import resolve

bp = Blueprint("api", __name__)


def backend() -> Any:
    """Return the app's search backend."""
    return current_app.extensions["govsearch"]["backend"]


def settings() -> Settings:
    """Return the app's settings."""
    return current_app.extensions["govsearch"]["settings"]  # type: ignore[no-any-return]


def request_from_url() -> SearchRequest:
    """Return the SearchRequest of this request's query string."""
    s = settings()
    return search_request(resolve(request.args), s.page_size, s.max_page_size)


def run_search(req: SearchRequest) -> SearchPage:
    """Search; a page past the deepest reachable hit comes back empty, with the total and the facets."""
    if req.page * req.per_page <= MAX_WINDOW:
        return backend().search(req)  # type: ignore[no-any-return]
    first = backend().search(replace(req, page=1))
    note = f"page {req.page} lies past hit {MAX_WINDOW}: narrow the search or export the whole result set"
    return replace(first, request=req, hits=(), warnings=(*first.warnings, note))


@bp.get("/api/search")
def api_search() -> Any:
    """Search; the JSON of INTERFACE.md."""
    return jsonify(run_search(request_from_url()).to_json())


def doc_record(doc_id: str) -> dict[str, Any]:
    """Return the full record of one document with its other copies and citations, or abort with 404."""
    b = backend()
    rec = b.document(doc_id)
    if rec is None:
        abort(404)
    cites, cited_by = b.citations(doc_id)
    return {
        **rec,
        "also_published_at": [{"id": d["id"], "url": d.get("url")} for d in b.duplicates(doc_id)],
        "versions": b.versions(doc_id),
        "cites_documents": [h.doc_id for h in cites],
        "cited_by": [h.doc_id for h in cited_by],
    }


@bp.get("/api/doc/<path:doc_id>", merge_slashes=False)
def api_doc(doc_id: str) -> Any:
    """Return the full record of one document."""
    return jsonify(doc_record(doc_id))


@bp.get("/healthz")
def healthz() -> Any:
    """Tell a load balancer whether the index answers."""
    return jsonify(ok=True, index=backend().version())
