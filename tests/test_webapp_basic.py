"""Every route through the Flask test client, with its errors."""

from __future__ import annotations

import csv
import io


def test_home_and_search_pages(client):
    assert client.get("/").status_code == 200
    r = client.get("/search?q=人民政府")
    assert r.status_code == 200 and "找到" in r.get_data(as_text=True)
    assert "Content-Security-Policy" in r.headers


def test_api_search_shape(client):
    data = client.get("/api/search?q=安全生产&per_page=3").get_json()
    assert {"query", "total", "page", "per_page", "hits", "facets"} <= set(data)
    assert len(data["hits"]) <= 3
    assert {"id", "title", "url", "agency", "doc_number", "date", "snippet", "score"} <= set(data["hits"][0])


def test_doc_pages_and_unknown_doc(client):
    doc_id = client.get("/api/search?q=人民政府").get_json()["hits"][0]["id"]
    assert client.get(f"/api/doc/{doc_id}").get_json()["id"] == doc_id
    assert client.get(f"/doc/{doc_id}").status_code == 200
    r = client.get("/api/doc/no-such-document")
    assert r.status_code == 404 and r.get_json() == {"ok": False, "error": "not found"}
    assert client.get("/doc/no-such-document").status_code == 404


def test_bad_parameters_are_400(client):
    for url in (
        "/api/search?q=x&page=abc",
        "/api/search?q=x&per_page=0",
        "/api/search?q=x&page=99999999",
        "/api/search?q=x&sort=colour",
        "/api/search?q=x&from=yesterday",
        "/search?q=x&page=-1",
    ):
        r = client.get(url)
        assert r.status_code == 400, url
    assert client.get("/api/search?q=x&page=abc").get_json()["ok"] is False


def test_csv_export_streams_every_hit(client):
    total = client.get("/api/search?q=人民政府&all=1").get_json()["total"]  # exports hold every copy (issue 19)
    r = client.get("/export.csv?q=人民政府")
    body = r.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) - 1 == total
    assert "describedby" in r.headers["Link"]


def test_healthz(client):
    assert client.get("/healthz").get_json()["ok"] is True


def test_facet_links_are_what_url_for_builds(app):
    """facets.results_url builds each link without url_for: the same URL, whatever the values hold."""
    from flask import url_for

    from webapp.facets import results_url

    odd = ["征地 补偿", 'a"b&c=d#e+f?g/h', "100%", "中华人民共和国/北京市", "!$'()*,:;@~", "é ü", ""]
    for page in ("/search?q=x", "/search?q=x&lang=en", "/search?q=x&lang=zh"):
        _same_urls(app, page, odd)
    with app.test_request_context("/search?q=x"):
        assert results_url({"page": ["2"]}) == url_for("search.results") == "/search"


def _same_urls(app, page: str, odd: list[str]) -> None:
    from flask import url_for

    from webapp.facets import results_url

    with app.test_request_context(page):
        for i, value in enumerate(odd):
            args = {"q": [value, "第二"], "page": ["3"], "agency": odd[: i + 1], **({"lang": ["en"]} if i % 2 else {})}
            for changes in ({}, {"region": value}, {"agency": None}, {"agency": [value, "x"]}, {"q": None}):
                new = {k: v for k, v in args.items() if k != "page"}
                for k, v in changes.items():
                    if v is None:
                        new.pop(k, None)
                    else:
                        new[k] = [v] if isinstance(v, str) else v
                assert results_url(args, **changes) == url_for("search.results", **new), (page, value, changes)
