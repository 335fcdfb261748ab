"""The documented query length (1,000 characters): answered within it, refused beyond it by our own error,
by GET or POST, through the app and through gunicorn; POSTed queries get a shareable id."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from indexer.config import Settings
from tests.browser_support import HOSTILE_RECORDS, build_index
from webapp import create_app
from webapp.params import MAX_QUERY_CHARS

LONG = ("安全生产" * 250)[:MAX_QUERY_CHARS]  # 1,000 Chinese characters: 9,000 bytes percent-encoded
TOO_LONG = LONG + "条"


def test_a_query_of_the_documented_length_is_answered_and_one_more_character_is_our_400(client):
    assert client.get("/api/search", query_string={"q": LONG}).status_code == 200
    assert client.get("/search", query_string={"q": LONG}).status_code == 200
    resp = client.get("/api/search", query_string={"q": TOO_LONG})
    assert resp.status_code == 400 and resp.get_json() == {
        "ok": False,
        "error": "query is 1001 characters long; at most 1000 are allowed",
    }
    page = client.get("/search", query_string={"q": TOO_LONG})
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and "400 · 请求有误" in html and "查询有 1001 个字，最多 1000 个字" in html
    english = client.get("/search", query_string={"q": TOO_LONG, "lang": "en"}).get_data(as_text=True)
    assert "The query is 1001 characters long; at most 1000 are allowed" in english
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_an_over_long_query_string_is_our_414(client):
    resp = client.get("/api/search?q=" + "x" * 40_000)
    assert resp.status_code == 414 and "at most 32768" in resp.get_json()["error"]
    page = client.get("/search?q=" + "x" * 40_000)
    assert page.status_code == 414 and "请求地址过长" in page.get_data(as_text=True)
    assert len(page.get_data()) < 10_000  # its links do not repeat the URL it refused


def test_a_posted_query_gets_a_shareable_id_that_is_a_hash_of_its_content(client):
    resp = client.post("/search", data={"q": LONG, "sort": "date", "topic": "安全生产"})
    assert resp.status_code == 303
    target = urlsplit(resp.headers["Location"])
    assert target.path == "/search" and list(parse_qs(target.query)) == ["qid"]
    again = client.post("/search", data={"topic": "安全生产", "sort": "date", "q": LONG})
    assert again.headers["Location"] == resp.headers["Location"]  # same content, same id
    qid = parse_qs(target.query)["qid"][0]
    page = client.get(f"/search?qid={qid}")
    assert page.status_code == 200 and LONG in page.get_data(as_text=True)
    by_id = client.get(f"/api/search?qid={qid}").get_json()
    by_q = client.get("/api/search", query_string={"q": LONG, "sort": "date", "topic": "安全生产"}).get_json()
    assert by_id["total"] == by_q["total"] and [h["id"] for h in by_id["hits"]] == [h["id"] for h in by_q["hits"]]
    second = client.get(f"/api/search?qid={qid}&page=2&per_page=1").get_json()  # the URL's own parameters win
    assert second["page"] == 2 and second["query"] == LONG


def test_a_posted_query_over_the_limit_is_refused_and_nothing_is_saved(client, app):
    before = app.extensions["govsearch"]["saved"].count()
    resp = client.post("/search", data={"q": TOO_LONG})
    assert resp.status_code == 400 and "最多 1000 个字" in resp.get_data(as_text=True)
    assert app.extensions["govsearch"]["saved"].count() == before


@pytest.mark.parametrize("qid", ["0" * 20, "not-a-hash", "A" * 20])
def test_an_unknown_query_id_is_a_clear_404(client, qid):
    resp = client.get(f"/api/search?qid={qid}")
    assert resp.status_code == 404 and "no saved query" in resp.get_json()["error"]
    assert "no saved query" in client.get(f"/search?qid={qid}").get_data(as_text=True)


def test_the_table_of_saved_queries_is_capped_least_recently_used_first(tmp_path: Path):
    ix = build_index(HOSTILE_RECORDS, tmp_path / "ix")
    app = create_app(Settings(index_dir=ix, saved_queries_max=3))
    client = app.test_client()
    ids = [
        parse_qs(urlsplit(client.post("/search", data={"q": w}).headers["Location"]).query)["qid"][0] for w in "甲乙丙"
    ]
    time.sleep(0.01)
    assert client.get(f"/search?qid={ids[0]}").status_code == 200  # used again: now the most recent
    client.post("/search", data={"q": "丁"})
    assert app.extensions["govsearch"]["saved"].count() == 3
    assert client.get(f"/search?qid={ids[1]}").status_code == 404  # the least recently used went first
    assert client.get(f"/search?qid={ids[0]}").status_code == 200
    assert (ix / "queries.sqlite").exists() and not list(ix.glob("gen-*/queries*"))  # beside the index, not in it


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def _wait_for(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if _get(url)[0] == 200:
                return True
        except OSError:
            time.sleep(0.25)
    return False


@pytest.mark.slow
def test_gunicorn_passes_the_documented_length_and_our_errors_answer_beyond(tmp_path: Path):
    ix = build_index(HOSTILE_RECORDS, tmp_path / "ix")
    port = _free_port()
    cmd = [sys.executable, "-m", "indexer.cli", "serve", "--index", str(ix), "--port", str(port), "--workers", "1"]
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        assert _wait_for(f"{base}/healthz", 60), "gunicorn did not answer /healthz"
        status, _, body = _get(f"{base}/api/search?q={quote(LONG)}")  # 9,000+ bytes: over gunicorn's old 4,094
        assert status == 200 and json.loads(body)["query"] == LONG
        checks: list[tuple[str, int, str]] = [
            (f"/api/search?q={quote(TOO_LONG)}", 400, "at most 1000 are allowed"),
            (f"/search?q={quote(TOO_LONG)}", 400, "请求有误"),
            ("/api/search?q=" + "x" * 40_000, 414, "at most 32768"),
        ]
        for path, code, text in checks:
            status, headers, body = _get(base + path)
            assert status == code and text in body.decode("utf-8"), (path[:40], status, body[:200])
            assert headers["X-Content-Type-Options"] == "nosniff" and "Content-Security-Policy" in headers
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "Traceback" not in err, err[-2000:]
