"""Compressed responses (gzip, brotli) with Vary: Accept-Encoding; exports still stream; static cache headers."""

from __future__ import annotations

import gzip
import json
import zlib

import pytest

brotli = pytest.importorskip("brotli", reason="brotli is pinned in pyproject.toml; `make install` installs it")

PAGES = [
    ("/search?q=安全生产", "text/html"),
    ("/api/search?q=安全生产", "application/json"),
    ("/export.csv?q=安全生产", "text/csv"),
    ("/export.jsonl?q=安全生产", "application/x-ndjson"),
]


@pytest.mark.parametrize(("url", "mimetype"), PAGES)
def test_text_responses_are_gzipped_when_accepted(client, url: str, mimetype: str) -> None:
    plain = client.get(url)
    packed = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert plain.status_code == packed.status_code == 200 and packed.mimetype == mimetype
    assert "Content-Encoding" not in plain.headers and "Accept-Encoding" in plain.vary
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.vary
    assert len(packed.data) < len(plain.data) / 2
    body = gzip.decompress(packed.data)
    if mimetype == "text/html":  # a fresh CSP nonce or timestamp would differ: compare the hits' links
        assert body.count(b'href="/doc/') == plain.data.count(b'href="/doc/') > 0
    else:
        assert body == plain.data


@pytest.mark.parametrize(("url", "mimetype"), PAGES)
def test_brotli_is_preferred_when_the_client_takes_both(client, url: str, mimetype: str) -> None:
    packed = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["Content-Encoding"] == "br"
    if mimetype != "text/html":
        assert brotli.decompress(packed.data) == client.get(url).data


def test_a_refused_coding_is_not_used(client) -> None:
    resp = client.get("/api/search?q=安全生产", headers={"Accept-Encoding": "br;q=0, gzip"})
    assert resp.headers["Content-Encoding"] == "gzip"
    resp = client.get("/api/search?q=安全生产", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in resp.headers and json.loads(resp.data)["total"] > 0


def test_errors_and_tiny_bodies_are_sent_as_they_are(client) -> None:
    missing = client.get("/api/doc/no-such-document", headers={"Accept-Encoding": "gzip"})
    assert missing.status_code == 404 and "Content-Encoding" not in missing.headers
    health = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert health.status_code == 200 and "Content-Encoding" not in health.headers and health.get_json()["ok"]


def test_a_compressed_export_streams_its_first_chunk_before_the_body_is_made(client) -> None:
    """The first chunk (the CSV header row, which the exporter yields before it reads any record) reaches the
    client on its own, decodable, while the rest of the export is still to be produced."""
    resp = client.get("/export.csv?q=法", headers={"Accept-Encoding": "gzip"}, buffered=False)
    assert resp.is_streamed and resp.headers["Content-Encoding"] == "gzip" and "Content-Length" not in resp.headers
    chunks = iter(resp.response)
    first = next(chunks)
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    head = decoder.decompress(first)
    assert head.startswith(b"\xef\xbb\xbfid,title,url") and head.count(b"\n") == 1  # the header row, flushed alone
    rest = b"".join(chunks)  # the records are produced only now
    body = head + decoder.decompress(rest) + decoder.flush()
    resp.close()
    assert body == client.get("/export.csv?q=法").data and body.count(b"\n") > 100


def test_static_files_carry_cache_headers(client) -> None:
    resp = client.get("/static/app.css", headers={"Accept-Encoding": "gzip"})
    assert resp.status_code == 200
    assert "max-age=" in resp.headers["Cache-Control"] and int(resp.cache_control.max_age) >= 3600
    assert resp.headers.get("ETag") or resp.headers.get("Last-Modified")
    resp.close()
