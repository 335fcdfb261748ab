"""Exports of the whole result set: /export.csv, /export.jsonl, /export.xlsx and the manifest."""

from __future__ import annotations

import tempfile
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request, stream_with_context

from indexer.export import EXPORTERS, MEDIA_TYPES, manifest, write_xlsx

from .api import backend, request_from_url
from .hosts import external_url
from .params import link_args

bp = Blueprint("export", __name__)


def _args() -> dict[str, Any]:
    return link_args(request.args)


@bp.get("/export.<fmt>")
def export(fmt: str) -> Any:
    """Stream every hit of the query as CSV, JSONL or XLSX."""
    if fmt not in MEDIA_TYPES:
        abort(404)
    req = request_from_url()
    records = backend().iter_records(req)
    headers = {
        "Content-Disposition": f'attachment; filename="govsearch-export.{fmt}"',
        "Link": f'<{external_url("export.export_manifest", fmt=fmt, **_args())}>; rel="describedby"',
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
    req = request_from_url()
    fmt = request.args.get("fmt", "csv")
    args = {k: v for k, v in _args().items() if k != "fmt"}
    rerun = external_url("export.export", fmt=fmt if fmt in MEDIA_TYPES else "csv", **args)
    return jsonify(manifest(req, backend().version(), backend().iter_records(req), rerun, fmt))
