"""Ingest refuses what is not text, whatever its name, and ids the site could not reach; nothing else is lost."""

from __future__ import annotations

import html
import json
import random
from pathlib import Path

import pytest
from flask import url_for

from indexer.config import Settings
from indexer.ingest import ingest
from indexer.store import RecordStore
from webapp import create_app

SEED = Path(__file__).resolve().parents[1] / "corpus" / "000_7eabf1a7e4b02af4.txt"
GOOD = {"id": "ok-1", "title": "关于做好安全生产工作的通知", "body": "各区县人民政府：请做好安全生产工作。"}


def _random_bytes(n: int, seed: int) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.getrandbits(8) for _ in range(n))


@pytest.mark.parametrize("suffix", [".html", ".htm", ".txt"])
def test_random_bytes_are_refused_whatever_the_extension(tmp_path, suffix):
    junk = tmp_path / f"junk{suffix}"
    junk.write_bytes(_random_bytes(50_000, 7).replace(b"\x00", b"\x01"))  # no NUL: the binary sniff must not decide
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(GOOD, ensure_ascii=False) + "\n", encoding="utf-8")
    report = ingest([str(junk), str(good)], tmp_path / "ix")
    assert report.added == 1 and report.skipped == 1
    ((source, reason),) = report.failures
    assert source.endswith(junk.name)
    assert reason.startswith(("not text", "unknown encoding")), reason


def test_a_real_page_with_a_few_broken_characters_is_kept(tmp_path):
    text = SEED.read_text(encoding="utf-8")
    page = f"<html><head><title>关于做好安全生产工作的通知</title></head><body><p>{text}\ufffd\ufffd</p></body></html>"
    (tmp_path / "page.html").write_text(page, encoding="utf-8")
    report = ingest([str(tmp_path / "page.html")], tmp_path / "ix")
    assert report.added == 1, report.failures


def test_a_record_whose_body_is_mostly_control_characters_is_refused(tmp_path):
    bad = {"id": "ctl", "title": "标题", "body": "".join(chr(i % 31 + 1) for i in range(3000))}
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(bad) + "\n" + json.dumps(GOOD, ensure_ascii=False) + "\n", encoding="utf-8")
    report = ingest([str(path)], tmp_path / "ix")
    assert report.added == 1
    assert report.failures[0][1].startswith("not text: ")


@pytest.mark.parametrize("doc_id", ["../x", "..", ".", "a/../b", "a/./b", "a//b", "/x", "x/", "a\\..\\b"])
def test_ids_that_a_url_path_cannot_carry_are_refused(tmp_path, doc_id):
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps({**GOOD, "id": doc_id}, ensure_ascii=False) + "\n" + json.dumps(GOOD) + "\n", "utf-8")
    report = ingest([str(path)], tmp_path / "ix")
    assert (report.added, report.skipped) == (1, 1)
    assert "path segments" in report.failures[0][1]


def test_ids_with_unusual_characters_are_reached_from_the_pages(tmp_path):
    ids = ["gov/2021/a b", "x?y#z", "100%", "a..b", ".hidden", "文件/第1号", "a+b&c=d"]
    path = tmp_path / "r.jsonl"
    rows = [{**GOOD, "id": i, "body": GOOD["body"] + f" 编号{n}"} for n, i in enumerate(ids)]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    report = ingest([str(path)], tmp_path / "ix")
    assert report.added == len(ids), report.failures
    store = RecordStore(tmp_path / "ix" / "records.sqlite", readonly=True)
    assert store.ids() == set(ids)
    store.close()
    app = create_app(Settings(index_dir=tmp_path / "ix"))
    client = app.test_client()
    page = client.get("/search?q=安全生产&all=1").get_data(as_text=True)
    with app.test_request_context():
        links = {i: url_for("search.document", doc_id=i) for i in ids}
    for doc_id, link in links.items():
        assert html.escape(link) in page  # the results page links each document by this URL
        resp = client.get(link)
        assert resp.status_code == 200, (doc_id, link)
        assert client.get("/api" + link).get_json()["id"] == doc_id
