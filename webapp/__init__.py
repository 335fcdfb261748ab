"""govsearch web app: faceted search pages, document pages, JSON API, feeds and exports."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from indexer.backend import open_backend
from indexer.config import Settings
from indexer.errors import BadRequest

from . import facets, i18n
from .params import link_args

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
STATIC_MAX_AGE = 3600  # seconds browsers may keep app.css and the icon without asking again


def create_app(settings: Settings | None = None) -> Flask:
    """Create the app on an index; the backend is opened once and shared, searchers per thread."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.extensions["govsearch"] = {"settings": settings, "backend": open_backend(settings)}
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = STATIC_MAX_AGE
    from . import api, export, meta, views

    for bp in (views.bp, api.bp, export.bp, meta.bp):
        app.register_blueprint(bp)
    app.register_error_handler(BadRequest, _bad_request)
    app.register_error_handler(HTTPException, _http_error)
    app.url_defaults(i18n.add_lang_to_urls)
    app.after_request(i18n.remember_lang)
    app.after_request(_security_headers)
    app.jinja_env.globals.update(
        t=i18n.t,
        lang=i18n.lang,
        switch_lang_url=switch_lang_url,
        chart_w=facets.CHART_W,
        chart_h=facets.CHART_H,
        more_after=facets.MORE_AFTER,
    )
    app.jinja_env.filters["xml_text"] = meta.xml_text
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True  # tidy HTML source
    return app


def switch_lang_url() -> str:
    """Return this page's URL in the other interface language."""
    other = "zh" if i18n.lang() == "en" else "en"
    args = {**link_args(request.args), "lang": [other]}
    if request.endpoint and request.endpoint.startswith("search.") and request.view_args is not None:
        return url_for(request.endpoint, **request.view_args, **args)
    return url_for("search.home", lang=other)


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/export", "/healthz", "/openapi"))


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Any:
    if _wants_json():
        return jsonify(ok=False, error=message), status, headers or {}
    titles = {400: "error_400", 404: "error_404", 405: "error_405"}
    title = i18n.t(titles[status]) if status in titles else str(status)
    return render_template("error.html", status=status, title=title, message=message, q=""), status, headers or {}


def _bad_request(e: BadRequest) -> Any:
    return _error(400, str(e))


def _http_error(e: HTTPException) -> Any:
    if e.code == 404:
        return _error(404, "not found" if _wants_json() else "")
    allow = getattr(e, "valid_methods", None)  # a 405 must say which methods are allowed (RFC 9110)
    return _error(e.code or 500, e.description or e.name, {"Allow": ", ".join(allow)} if allow else None)


def _security_headers(resp: Response) -> Response:
    resp.headers.setdefault("Content-Security-Policy", CSP)
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    if resp.mimetype == "text/html":
        resp.vary.add("Cookie")  # the interface language may come from the cookie
    return resp
