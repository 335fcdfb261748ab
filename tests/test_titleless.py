"""Metadata-only records without a title are kept, shown by their 文号 and found by it; a 令 with or without 第."""

from __future__ import annotations

import json

import pytest

from indexer.config import Settings
from indexer.ingest import ingest
from tests.conftest import POLICY, head_jsonl, need_shared
from webapp import create_app

DECREES = [
    {
        "id": f"decree-{n}",
        "title": f"某某条例{n}",
        "body": "第一条 为了规范管理，制定本条例。",
        "doc_number": f"国务院令第{n}号",
    }
    for n in (291, 292, 615)
]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """An index of real title-less policy records (Chongqing's have none), beside titled ones and decrees."""
    need_shared(POLICY)
    rows = [r for r in head_jsonl(POLICY, 43_439) if r.get("government", "").startswith("Chongqing")][:150]
    rows += head_jsonl(POLICY, 50) + DECREES + [{"id": "url-only", "url": "https://www.cq.gov.cn/zwgk/a.html"}]
    tmp = tmp_path_factory.mktemp("titleless")
    (tmp / "r.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    report = ingest([str(tmp / "r.jsonl")], tmp / "ix")
    assert report.skipped == 0, report.failures[:3]
    return create_app(Settings(index_dir=tmp / "ix")).test_client(), rows


def test_title_less_records_are_kept_and_found_by_their_doc_number(client):
    app, rows = client
    titleless = [r for r in rows if not r.get("title") and r.get("doc_number")]
    assert len(titleless) >= 100
    for rec in titleless[:60]:
        hits = app.get("/api/search", query_string={"q": rec["doc_number"]}).get_json()["hits"]
        assert rec["id"] in [h["id"] for h in hits], rec["doc_number"]
        hit = next(h for h in hits if h["id"] == rec["id"])
        assert hit["title"] == hit["doc_number"]  # shown by its 文号
        assert hit["region"] == "重庆市"
    doc = app.get(f"/api/doc/{titleless[0]['id']}").get_json()
    assert "no title in record; shown by its 文号" in doc["notes"]


def test_a_record_with_only_a_url_is_shown_by_it(client):
    app, _ = client
    assert app.get("/api/doc/url-only").get_json()["title"] == "https://www.cq.gov.cn/zwgk/a.html"
    assert "https://www.cq.gov.cn/zwgk/a.html" in app.get("/doc/url-only").get_data(as_text=True)


@pytest.mark.parametrize("q", ["国务院令291号", "国务院令第291号", "国务院令 第291号", "中华人民共和国国务院令第291号"])
def test_a_decree_is_found_with_or_without_di(client, q):
    app, _ = client
    ids = [h["id"] for h in app.get("/api/search", query_string={"q": q}).get_json()["hits"]]
    assert ids[:1] == ["decree-291"]
    assert "decree-292" not in ids


def test_real_decrees_are_found_without_di(tmp_path):
    """100 LawRefBook regulations numbered (中华人民共和国)国务院令第N号, each searched as 国务院令N号."""
    from tests.conftest import LAWS

    need_shared(LAWS)
    decrees = [r for r in head_jsonl(LAWS, 3284) if "国务院令第" in (r.get("doc_number") or "")][:100]
    assert len(decrees) == 100
    rows = [{**r, "body": r["body"][:2000]} for r in decrees]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    ingest([str(tmp_path / "d.jsonl")], tmp_path / "ix")
    app = create_app(Settings(index_dir=tmp_path / "ix")).test_client()
    found = 0
    for rec in decrees:
        q = rec["doc_number"].removeprefix("中华人民共和国").replace("令第", "令")
        hits = app.get("/api/search", query_string={"q": q, "all": "1"}).get_json()["hits"]
        found += rec["id"] in [h["id"] for h in hits]
    assert found == 100
