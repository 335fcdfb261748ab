"""Machine-readable views: the Atom feed of a search, the OpenSearch description, the OpenAPI document."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request, url_for

from indexer.export import software_version

from .api import request_from_url, run_search, settings
from .i18n import t
from .openapi import openapi_document
from .params import link_args

bp = Blueprint("meta", __name__)

FEED_SIZE = 50  # newest entries in a feed; readers poll it, they do not page through it
# characters XML 1.0 cannot carry at all, not even escaped: drop them from feed text
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    """Return value as text that XML 1.0 can carry (escaping is the template's job)."""
    return NOT_XML.sub("", "" if value is None else str(value))


def _stamp(day: str | None) -> str:
    return f"{day}T00:00:00Z" if day else "1970-01-01T00:00:00Z"


@bp.get("/search.atom")
def feed() -> Any:
    """Return the newest documents of a search as an Atom feed."""
    req = request_from_url()
    page = run_search(replace(req, sort="date", page=1, per_page=min(req.per_page, FEED_SIZE)))
    args = {k: v for k, v in link_args(request.args).items() if k not in ("page", "per_page", "sort")}
    newest = max((h.date for h in page.hits if h.date), default=None)
    body = render_template(
        "feed.atom.xml",
        page=page,
        q=req.q,
        self_url=url_for("meta.feed", _external=True, **args),
        html_url=url_for("search.results", _external=True, sort="date", **args),
        updated=_stamp(newest) if newest else datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        stamp=_stamp,
    )
    return Response(body, mimetype="application/atom+xml")


@bp.get("/opensearch.xml")
def opensearch() -> Any:
    """Return the OpenSearch description, so browsers can add the site as a search engine."""
    root = url_for("search.home", _external=True).rstrip("/")
    lang = "&lang=en" if request.args.get("lang") == "en" else ""
    body = render_template("opensearch.xml", root=root, lang_arg=lang, short_name=t("opensearch"))
    return Response(body, mimetype="application/opensearchdescription+xml")


@bp.get("/openapi.json")
def openapi() -> Any:
    """Return the OpenAPI 3.1 document of the JSON API and the exports."""
    return jsonify(openapi_document(settings().max_page_size, software_version()))
