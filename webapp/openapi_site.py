"""The OpenAPI paths of the pages, feeds, manifest and static files: every public path, not only the JSON API."""

from __future__ import annotations

from typing import Any

from .params import MAX_QUERY_CHARS

ERROR = {"$ref": "#/components/schemas/Error"}
HTML = {"text/html": {"schema": {"type": "string"}}}


def _page(description: str) -> dict[str, Any]:
    return {"description": description, "content": HTML}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _param(name: str, schema: dict[str, Any], description: str, where: str = "query") -> dict[str, Any]:
    return {"name": name, "in": where, "required": where == "path", "schema": schema, "description": description}


LANG = _param("lang", {"type": "string"}, "Interface language: en for English; anything else is Chinese.")
QID = _param("qid", {"type": "string"}, "Id of a query sent by POST to /search; the URL's own parameters win.")
MANIFEST = {
    "type": "object",
    "required": ["query", "filters", "sort", "format", "index", "rerun", "count", "documents"],
    "properties": {
        "query": {"type": "string"},
        "filters": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
        "sort": {"type": "string"},
        "format": {"type": "string"},
        "index": {"type": "object"},
        "rerun": {"type": "string", "description": "URL of the same export, under the configured base URL"},
        "xlsx_text": {"type": "string", "description": "XLSX only: how a long body continues in body_2, body_3 ..."},
        "count": {"type": "integer", "minimum": 0},
        "documents": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "text_sha256"],
                "properties": {"id": {"type": "string"}, "text_sha256": {"type": "string"}},
            },
        },
    },
}
ADVANCED_FIELDS = {
    "all_words": "every one of these words",
    "any_words": "at least one of these words",
    "phrase": "this exact phrase",
    "none_words": "none of these words",
    "scope": "title: the words in the title only; anything else: the full text",
    "agency": "发文机关",
    "doc_number": "文号",
    "region": "地区 (a path such as 福建省/福州市)",
    "doc_type": "体裁",
    "status": "有效性",
    "from": "published on or after (YYYY-MM-DD)",
    "to": "published on or before (YYYY-MM-DD)",
    "issued_from": "written (成文日期) on or after (YYYY-MM-DD), where the index supports it",
    "issued_to": "written (成文日期) on or before (YYYY-MM-DD), where the index supports it",
}


def _errors(bad: dict[str, Any], long: dict[str, Any], unknown: dict[str, Any]) -> dict[str, Any]:
    return {"400": bad, "404": unknown, "414": long}


def _search_paths(search_params: list[dict[str, Any]]) -> dict[str, Any]:
    bad, long = _page("A parameter is malformed or out of range."), _page("The query string is too long.")
    fields = {p["name"]: p["schema"] for p in search_params} | {"q": {"type": "string", "maxLength": MAX_QUERY_CHARS}}
    form = {"application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": fields}}}
    return {
        "get": {
            "operationId": "results",
            "summary": "A page of results with facets; its JSON is /api/search with the same parameters.",
            "parameters": [*search_params, QID, LANG],
            "responses": {"200": _page("Results."), **_errors(bad, long, _page("Unknown saved query id."))},
        },
        "post": {
            "operationId": "post_search",
            "summary": f"Send a query of up to {MAX_QUERY_CHARS} characters; see its results at /search?qid=.",
            "requestBody": {"required": True, "content": form},
            "responses": {
                "303": {"description": "Saved: see Location, /search?qid=<hash of the query>."},
                "400": bad,
                "503": _page("This server cannot keep queries sent by POST."),
            },
        },
    }


def _pages() -> dict[str, Any]:
    advanced = [_param(k, {"type": "string"}, v) for k, v in ADVANCED_FIELDS.items()]
    doc = [
        _param("doc_id", {"type": "string", "minLength": 1}, "Document id.", "path"),
        _param("q", {"type": "string"}, "Words to mark in the text (cut at the query limit)."),
        LANG,
    ]
    return {
        "/": _get("home", "The search page.", [LANG], {"200": _page("The search page.")}),
        "/advanced": _get(
            "advanced",
            "The advanced-search form; submitted, it redirects to the /search URL of the same search.",
            [*advanced, LANG],
            {
                "200": _page("The form."),
                "303": {"description": "The /search URL the form makes."},
                "400": _page("Bad."),
            },
        ),
        "/doc/{doc_id}": _get(
            "document_page",
            "One document, the words of q marked; its JSON is /api/doc/{doc_id}.",
            doc,
            {"200": _page("The document."), "404": _page("No such document.")},
        ),
    }


def _machine(search_params: list[dict[str, Any]]) -> dict[str, Any]:
    errors = _errors(
        _json(ERROR, "Malformed, or over the export limit."),
        _json(ERROR, "Too long."),
        _json(ERROR, "Unknown saved query id."),
    )
    fmt = _param("fmt", {"type": "string"}, "csv, jsonl or xlsx (default csv).")
    atom = {"200": {"description": "The feed.", "content": {"application/atom+xml": {"schema": {"type": "string"}}}}}
    atom |= _errors(_page("A parameter is malformed."), _page("Too long."), _page("Unknown saved query id."))
    osd = {"application/opensearchdescription+xml": {"schema": {"type": "string"}}}
    files = {"text/css": {"schema": {"type": "string"}}, "image/svg+xml": {"schema": {"type": "string"}}}
    name = _param("filename", {"type": "string", "minLength": 1}, "app.css or favicon.svg.", "path")
    return {
        "/search.atom": _get(
            "feed",
            "The newest documents of a search as Atom; links under the base URL.",
            [*search_params, QID],
            atom,
        ),
        "/export.manifest.json": with_head(
            _get(
                "export_manifest",
                "The provenance manifest of an export: query, index version, a SHA-256 per document.",
                [*search_params, QID, fmt],
                {"200": _json(MANIFEST, "The manifest."), **errors},
            )
        ),
        "/opensearch.xml": _get(
            "opensearch", "The OpenSearch description.", [LANG], {"200": {"description": "It.", "content": osd}}
        ),
        "/openapi.json": _get("openapi", "This document.", [], {"200": _json({"type": "object"}, "OpenAPI 3.1.")}),
        "/static/{filename}": _get(
            "static",
            "The stylesheet and the icon.",
            [name],
            {"200": {"description": "The file.", "content": files}, "404": _page("No such file.")},
        ),
    }


def with_head(item: dict[str, Any]) -> dict[str, Any]:
    """Return a path item with a HEAD operation beside its GET: the same parameters, headers only."""
    get = item["get"]
    head = {**get, "operationId": get["operationId"] + "_head", "summary": "The headers only: no export work."}
    head["responses"] = {k: {"description": v["description"]} for k, v in get["responses"].items()}
    return {**item, "head": head}


def _get(op: str, summary: str, params: list[dict[str, Any]], responses: dict[str, Any]) -> dict[str, Any]:
    return {"get": {"operationId": op, "summary": summary, "parameters": params, "responses": responses}}


def site_paths(search_params: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the paths of the HTML pages, the feeds, the manifest and the static files."""
    return {"/search": _search_paths(search_params), **_pages(), **_machine(search_params)}
