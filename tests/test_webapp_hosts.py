"""Absolute URLs come from the configured base URL, never from the Host header; a malformed Host is a 400."""

from __future__ import annotations

import json
import logging
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.test import EnvironBuilder, run_wsgi_app
from werkzeug.wrappers import Response

from indexer.config import Settings
from webapp import create_app
from webapp.hosts import listening_base_url, valid_base_url, well_formed_host

BASE = "https://search.example.gov.cn/govsearch"
PAGES = ("/", "/search?q=条例", "/search.atom?q=条例", "/opensearch.xml", "/no-such-page", "/doc/no-such-doc")
JSON_PAGES = ("/api/search?q=条例", "/export.csv?q=条例", "/export.manifest.json?q=条例", "/healthz", "/api/nope")
ATOM = "{http://www.w3.org/2005/Atom}"


def raw_get(app: Flask, path: str, headers: dict[str, str]) -> Response:
    """GET path through the bare WSGI interface (Flask's test client decodes the Host itself, before and after)."""
    path, _, query = path.partition("?")
    builder = EnvironBuilder(path=path, query_string=query, headers=headers)
    try:
        body, status, response_headers = run_wsgi_app(app, builder.get_environ(), buffered=True)
    finally:
        builder.close()
    return Response(b"".join(body), status=status, headers=response_headers)


@pytest.fixture(scope="module")
def based_app(index_dir: Path) -> Flask:
    """The app on the session index with a public base URL that has a path."""
    return create_app(Settings(index_dir=index_dir, base_url=BASE + "/"))


@pytest.mark.parametrize("path", PAGES + JSON_PAGES)
@pytest.mark.parametrize("host", ["a..b", "a b", "x:99999", "-..", "evil.example/x", "a\u00e9b.example", "xn--"])
def test_malformed_host_is_our_400_without_a_traceback(app, caplog, path: str, host: str) -> None:
    caplog.set_level(logging.DEBUG)
    resp = raw_get(app, path, {"Host": host})
    assert resp.status_code == 400, (path, host, resp.status_code)
    assert resp.headers["Content-Security-Policy"] and resp.headers["X-Content-Type-Options"] == "nosniff"
    if path.startswith(("/api", "/export", "/healthz")):
        assert json.loads(resp.get_data()) == {"ok": False, "error": "malformed Host header"}
    else:
        html = resp.get_data(as_text=True)
        assert "400 · 请求有误" in html and "malformed Host header" in html and 'href="/"' in html
    assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]


def test_well_formed_foreign_host_is_served_with_links_from_the_base_url(based_app: Flask) -> None:
    client = based_app.test_client()
    headers = {"Host": "evil.example:8443"}
    osd = ET.fromstring(client.get("/opensearch.xml", headers=headers).data)
    templates = [u.get("template") for u in osd.iter("{http://a9.com/-/spec/opensearch/1.1/}Url")]
    assert templates and all(t.startswith(BASE + "/") for t in templates), templates
    feed = ET.fromstring(client.get("/search.atom?q=条例", headers=headers).data)
    ids = [e.text for e in feed.iter(f"{ATOM}id")]
    links = [e.get("href") for e in feed.iter(f"{ATOM}link") if e.get("rel") in ("self", "alternate")]
    assert len(ids) > 1 and all(u.startswith(BASE + "/") for u in ids + links), (ids, links)
    resp = client.get("/export.csv?q=条例", headers=headers)
    assert resp.status_code == 200 and resp.headers["Link"].startswith(f"<{BASE}/export.manifest.json?")
    rerun = client.get("/export.manifest.json?q=条例&fmt=jsonl", headers=headers).get_json()["rerun"]
    assert rerun.startswith(f"{BASE}/export.jsonl?") and "evil.example" not in repr(resp.headers) + rerun


def test_default_base_url_is_the_listening_address_with_a_warning_for_every_interface(caplog) -> None:
    caplog.set_level(logging.WARNING, logger="govsearch")
    assert listening_base_url("127.0.0.1", 8000) == "http://127.0.0.1:8000"
    assert listening_base_url("::1", 8001) == "http://[::1]:8001"
    assert not caplog.records
    assert listening_base_url("0.0.0.0", 8000) == "http://0.0.0.0:8000"
    assert "GOVSEARCH_BASE_URL" in caplog.text


def test_base_url_setting_from_env_and_refused_when_malformed(index_dir: Path) -> None:
    assert Settings.from_env({"GOVSEARCH_BASE_URL": BASE}).base_url == BASE
    assert valid_base_url(BASE + "/") == BASE
    for bad in ("search.example", "ftp://x.example", "http://a..b/", "javascript:alert(1)"):
        with pytest.raises(ValueError, match="absolute http"):
            create_app(Settings(index_dir=index_dir, base_url=bad))


@pytest.mark.parametrize(
    ("host", "ok"),
    [("example.gov.cn", True), ("127.0.0.1:8000", True), ("[::1]:80", True), ("a..b", False), ("", False)],
)
def test_well_formed_host(host: str, ok: bool) -> None:
    assert well_formed_host(host) is ok
