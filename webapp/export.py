"""Exports of the whole result set: /export.csv, /export.jsonl, /export.xlsx and the manifest."""

from __future__ import annotations

import tempfile
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request, stream_with_context, url_for

from indexer.export import EXPORTERS, MEDIA_TYPES, export_request, manifest, write_xlsx

from .api import backend, request_from_url
from .params import link_args

bp = Blueprint("export", __name__)


def _args() -> dict[str, Any]:
    return link_args(request.args)


def _request() -> Any:
    """Return the export's request: every copy, unless ?all=0 asks for one per group (issue 19)."""
    req = request_from_url()
    return export_request(req, None if request.args.get("all", "") == "" else not req.collapse)


@bp.get("/export.<fmt>")
def export(fmt: str) -> Any:
    """Stream every hit of the query as CSV, JSONL or XLSX."""
    if fmt not in MEDIA_TYPES:
        abort(404)
    req = _request()
    records = backend().iter_records(req)
    headers = {
        "Content-Disposition": f'attachment; filename="govsearch-export.{fmt}"',
        "Link": f'<{url_for("export.export_manifest", _external=True, fmt=fmt, **_args())}>; rel="describedby"',
    }
    if fmt == "xlsx":  # a zip container cannot be streamed: spool to a temporary file on disk
        spool = tempfile.TemporaryFile()
        write_xlsx(records, spool, manifest(req, backend().version(), None, request.url, fmt))
        spool.seek(0)
        return Response(_chunks(spool), mimetype=MEDIA_TYPES[fmt], headers=headers)
    return Response(stream_with_context(EXPORTERS[fmt](records)), mimetype=MEDIA_TYPES[fmt], headers=headers)


def _chunks(fh: Any, size: int = 1 << 16) -> Any:
    with fh:
        while chunk := fh.read(size):
            yield chunk


@bp.get("/export.manifest.json")
def export_manifest() -> Any:
    """Return the provenance manifest of an export: query, index version, a SHA-256 per document."""
    req = _request()
    fmt = request.args.get("fmt", "csv")
    args = {k: v for k, v in _args().items() if k != "fmt"}
    rerun = url_for("export.export", fmt=fmt if fmt in MEDIA_TYPES else "csv", _external=True, **args)
    return jsonify(manifest(req, backend().version(), backend().iter_records(req), rerun, fmt))
