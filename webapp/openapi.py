"""The OpenAPI 3.1 description of the JSON API and the exports, built from the same limits the code enforces."""

from __future__ import annotations

from typing import Any

from indexer.api import FACET_FIELDS, SORTS

from .openapi_site import QID, site_paths, with_head
from .params import FALSE_WORDS, MAX_PAGE, MAX_QUERY_CHARS, TRUE_WORDS

NULLABLE_STRING: dict[str, Any] = {"type": ["string", "null"]}
FORMATS = ("csv", "jsonl", "xlsx")
ERROR = {"$ref": "#/components/schemas/Error"}


def _param(name: str, schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description, **extra}


def search_parameters(max_page_size: int) -> list[dict[str, Any]]:
    """Return the query parameters shared by /api/search, the exports and the feed."""
    flags = {"type": "string", "enum": ["", *TRUE_WORDS, *FALSE_WORDS], "description": "Empty: the default."}
    day = {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 0}]}  # empty: no bound
    params = [
        _param(
            "q",
            {"type": "string", "maxLength": MAX_QUERY_CHARS},
            'Query: words are ANDed; "quoted phrase"; -word excludes; OR; title:, 文号:, 机关:, date:A..B.',
        ),
        _param(
            "page",
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
            "Page number; pages past the 10,000th hit come back with no hits and a warning.",
        ),
        _param("per_page", {"type": "integer", "minimum": 1, "maximum": max_page_size}, "Hits per page."),
        _param(
            "sort", {"type": "string", "enum": ["", *SORTS]}, "relevance (also when empty), newest or oldest first."
        ),
        _param("from", day, "Published on or after this day (YYYY-MM-DD); empty for no bound."),
        _param("to", day, "Published on or before this day (YYYY-MM-DD); empty for no bound."),
        _param("issued_from", day, "Written (成文日期) on or after this day (YYYY-MM-DD); empty for no bound."),
        _param("issued_to", day, "Written (成文日期) on or before this day (YYYY-MM-DD); empty for no bound."),
        _param("synonyms", flags, "Also search the synonyms of the query words (default on)."),
        _param("all", flags, "Show every copy of a notice republished at several places (default off)."),
        _param("fix", flags, "When nothing matches, show the results of a spelling correction (default on)."),
    ]
    for name in FACET_FIELDS:
        params.append(
            _param(
                name,
                {"type": "array", "items": {"type": "string"}},
                f"Facet filter on {name}; repeat it to OR several values. Different facets AND.",
                style="form",
                explode=True,
            )
        )
    return params


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def components() -> dict[str, Any]:
    """Return the schemas of the responses."""
    hit = {
        "type": "object",
        "required": ["id", "title", "url", "agency", "doc_number", "date", "snippet", "score"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "url": {"type": "string"},
            "agency": NULLABLE_STRING,
            "doc_number": NULLABLE_STRING,
            "date": {"type": ["string", "null"], "format": "date"},
            "snippet": {"type": "string", "description": "HTML: escaped text, <mark> around matches"},
            "score": {"type": "number"},
            "topics": {"type": "array", "items": {"type": "string"}},
            "doc_type": NULLABLE_STRING,
            "region": NULLABLE_STRING,
            "status": NULLABLE_STRING,
            "duplicates": {"type": "integer", "minimum": 0},
        },
    }
    bucket = {
        "type": "object",
        "required": ["value", "count", "selected"],
        "properties": {
            "value": {"type": "string"},
            "count": {"type": "integer", "minimum": 0},
            "selected": {"type": "boolean"},
        },
    }
    page = {
        "type": "object",
        "required": ["query", "total", "page", "per_page", "hits", "facets"],
        "properties": {
            "query": {"type": "string"},
            "total": {
                "type": "integer",
                "minimum": 0,
                "description": "Every matching document, copies included: the rows of the export of the same query.",
            },
            "collapsed": {
                "type": "integer",
                "minimum": 0,
                "description": "Matching copies (转载) folded under another hit; pages list total - collapsed.",
            },
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "sort": {"type": "string", "enum": list(SORTS)},
            "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
            "facets": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"$ref": "#/components/schemas/FacetBucket"}},
            },
            "also_searched": {"type": "array", "items": {"type": "string"}},
            "did_you_mean": NULLABLE_STRING,
            "corrected": NULLABLE_STRING,
            "warnings": {"type": "array", "items": {"type": "string"}},
        },
    }
    record = {
        "type": "object",
        "required": ["id"],
        "additionalProperties": True,
        "description": "The document record of INTERFACE.md, unknown fields kept as they came.",
        "properties": {
            "id": {"type": "string"},
            "url": NULLABLE_STRING,
            "title": NULLABLE_STRING,
            "body": NULLABLE_STRING,
            "agency": NULLABLE_STRING,
            "doc_number": NULLABLE_STRING,
            "index_no": NULLABLE_STRING,
            "date": NULLABLE_STRING,
            "date_issued": NULLABLE_STRING,
            "topics": {"type": "array", "items": {"type": "string"}},
            "doc_type": NULLABLE_STRING,
            "region": NULLABLE_STRING,
            "status": NULLABLE_STRING,
            "attachments": {"type": "array", "items": {"type": "object"}},
            "also_published_at": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {"id": {"type": "string"}, "url": NULLABLE_STRING},
                },
            },
            "cites_documents": {"type": "array", "items": {"type": "string"}},
            "cited_by": {"type": "array", "items": {"type": "string"}},
        },
    }
    error = {
        "type": "object",
        "required": ["ok", "error"],
        "properties": {"ok": {"const": False}, "error": {"type": "string"}},
    }
    return {"schemas": {"Hit": hit, "FacetBucket": bucket, "SearchPage": page, "Record": record, "Error": error}}


def _export_op(params: list[dict[str, Any]]) -> dict[str, Any]:
    exports = {
        f: {"schema": {"type": "string"}}
        for f in (
            "text/csv",
            "application/x-ndjson",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    }
    return {
        "operationId": "export",
        "summary": "Every hit of a search as CSV, JSON Lines or XLSX, streamed; HEAD does no export work.",
        "parameters": [
            {"name": "fmt", "in": "path", "required": True, "schema": {"type": "string", "enum": list(FORMATS)}},
            *params,
            QID,
        ],
        "responses": {
            "200": {"description": "The whole result set, named govsearch-<query>-<day>.<fmt>.", "content": exports},
            "400": _json(ERROR, "A parameter is malformed, or the export is over the HTTP limit (export_max_rows)."),
            "404": _json(ERROR, "No such format, or an unknown saved query id."),
            "414": _json(ERROR, "The query string is too long."),
        },
    }


def _api_paths(params: list[dict[str, Any]]) -> dict[str, Any]:
    doc_id = {"name": "doc_id", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
    health = {"type": "object", "required": ["ok"], "properties": {"ok": {"const": True}, "index": {"type": "object"}}}
    export = _export_op(params)
    search = {
        "200": _json({"$ref": "#/components/schemas/SearchPage"}, "A page."),
        "400": _json(ERROR, "A parameter is malformed or out of range."),
        "404": _json(ERROR, "Unknown saved query id."),
        "414": _json(ERROR, "The query string is too long."),
    }
    record = {"200": _json({"$ref": "#/components/schemas/Record"}, "The record."), "404": _json(ERROR, "No such one.")}
    return {
        "/api/search": {
            "get": {
                "operationId": "search",
                "summary": "Search; hits plus facet counts.",
                "parameters": [*params, QID],
                "responses": search,
            }
        },
        "/api/doc/{doc_id}": {
            "get": {
                "operationId": "document",
                "summary": "The full record of one document.",
                "parameters": [doc_id],
                "responses": record,
            }
        },
        "/export.{fmt}": with_head({"get": export}),
        "/healthz": {
            "get": {
                "operationId": "health",
                "summary": "Whether the index answers.",
                "responses": {"200": _json(health, "The index answers.")},
            }
        },
    }


def openapi_document(max_page_size: int, version: str) -> dict[str, Any]:
    """Return the OpenAPI 3.1 document of every public path: the JSON API, exports, feeds and pages."""
    params = search_parameters(max_page_size)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "govsearch API",
            "version": version,
            "description": "Full-text search over Chinese government documents. Every HTML page links to its JSON.",
        },
        "paths": {**_api_paths(params), **site_paths(params)},
        "components": components(),
    }
