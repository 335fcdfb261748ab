"""Exports of the whole result set: /export.csv, /export.jsonl, /export.xlsx and the manifest."""

from __future__ import annotations

import tempfile
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request, stream_with_context

from indexer.api import (
    EXPORTERS,
    MEDIA_TYPES,
    BadRequest,
    SearchRequest,
    content_disposition,
    export_request,
    file_name,
    manifest,
    write_xlsx,
)

from .api import backend, request_from_url, settings
from .hosts import external_url
from .params import link_args

bp = Blueprint("export", __name__)


def _args() -> dict[str, Any]:
    return link_args(request.args)


def check_cost(req: SearchRequest) -> int:
    """Return the number of records an export would hold; refuse one over the HTTP limit (400)."""
    n = backend().count(req)
    limit = settings().export_max_rows
    if n > limit:
        raise BadRequest(
            f"this export would hold {n} records; at most {limit} can be exported over HTTP: "
            "narrow the search, or run `govsearch export` on the server, which has no limit"
        )
    return n


def _headers(req: SearchRequest, fmt: str) -> dict[str, str]:
    return {
        "Content-Type": MEDIA_TYPES[fmt],
        "Content-Disposition": content_disposition(file_name(req.q, fmt)),
        "Link": f'<{external_url("export.export_manifest", fmt=fmt, **_args())}>; rel="describedby"',
    }


def _request() -> Any:
    """Return the export's request: every copy, unless ?all=0 asks for one per group (issue 19)."""
    req = request_from_url()
    return export_request(req, None if request.args.get("all", "") == "" else not req.collapse)


@bp.route("/export.<fmt>", methods=["GET", "HEAD"])
def export(fmt: str) -> Any:
    """Stream every hit of the query as CSV, JSONL or XLSX; HEAD answers the headers and does no export work."""
    if fmt not in MEDIA_TYPES:
        abort(404)
    req = _request()
    headers = _headers(req, fmt)
    if request.method == "HEAD":
        return Response(status=200, headers=headers)
    check_cost(req)
    records = backend().iter_records(req)
    if fmt == "xlsx":  # a zip container cannot be streamed: spool to a temporary file on disk
        spool = tempfile.TemporaryFile()
        info = manifest(req, backend().version(), None, external_url("export.export", fmt=fmt, **_args()), fmt)
        write_xlsx(records, spool, info, backend().store().max_chars("body"))
        spool.seek(0)
        return Response(_chunks(spool), headers=headers)
    return Response(stream_with_context(EXPORTERS[fmt](records)), headers=headers)


def _chunks(fh: Any, size: int = 1 << 16) -> Any:
    with fh:
        while chunk := fh.read(size):
            yield chunk


@bp.route("/export.manifest.json", methods=["GET", "HEAD"])
def export_manifest() -> Any:
    """Return the provenance manifest of an export: query, index version, a SHA-256 per document."""
    req = _request()
    if request.method == "HEAD":  # the manifest hashes every record: HEAD does none of that work
        return Response(status=200, content_type="application/json")
    fmt = request.args.get("fmt", "csv")
    fmt = fmt if fmt in MEDIA_TYPES else "csv"
    args = {k: v for k, v in _args().items() if k != "fmt"}
    rerun = external_url("export.export", fmt=fmt, **args)
    check_cost(req)
    return jsonify(manifest(req, backend().version(), backend().iter_records(req), rerun, fmt))
