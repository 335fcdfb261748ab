"""Exports lose nothing: long texts continue in XLSX columns, named files, correct headers, a cost limit."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from click.testing import CliRunner
from flask import Flask

from indexer.config import Settings
from tests.browser_support import build_index
from webapp import create_app

from .conftest import LAWS, head_jsonl, need_shared

LONG_LINES = (1735, 2136)  # the two longest laws of the shared corpus: 107,519 and 93,733 characters
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def long_records() -> list[dict[str, Any]]:
    """Three short laws and the two longest of the shared corpus."""
    need_shared(LAWS)
    return head_jsonl(LAWS, 3) + [head_jsonl(LAWS, 1, start=i)[0] for i in LONG_LINES]


@pytest.fixture(scope="module")
def long_index(long_records: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of those five records."""
    return build_index(long_records, tmp_path_factory.mktemp("long") / "ix")


class CountingBackend:
    """The real backend, counting the calls that do export work (count, iter_records)."""

    def __init__(self, real: Any) -> None:
        self.real, self.calls = real, []

    def __getattr__(self, name: str) -> Any:
        if name in ("count", "iter_records", "search"):
            self.calls.append(name)
        return getattr(self.real, name)


def app_with(index_dir: Path, **settings: Any) -> Flask:
    """An app on index_dir whose backend counts its calls."""
    app = create_app(Settings(index_dir=index_dir, **settings))
    app.extensions["govsearch"]["backend"] = CountingBackend(app.extensions["govsearch"]["backend"])
    return app


def expected_name(q: str, fmt: str) -> str:
    """Return the file name the issue asks for: the query and today's date in Asia/Shanghai."""
    return f"govsearch-{q}-{datetime.now(ZoneInfo('Asia/Shanghai')).date().isoformat()}.{fmt}"


def test_xlsx_continues_long_texts_in_numbered_columns_and_the_hash_is_of_the_whole_text(long_index, long_records):
    client = create_app(Settings(index_dir=long_index)).test_client()
    resp = client.get("/export.xlsx?q=")
    assert resp.status_code == 200 and resp.headers["Content-Type"] == XLSX_TYPE
    sheet = openpyxl.load_workbook(io.BytesIO(resp.get_data()), read_only=True)["results"]
    rows = [[c or "" for c in r] for r in sheet.iter_rows(values_only=True)]
    header = rows[0]
    assert header[-4:] == ("body", "body_2", "body_3", "body_4") or header[-4:] == [
        "body",
        "body_2",
        "body_3",
        "body_4",
    ]
    first_body = header.index("body")
    by_id = {r["id"]: r for r in long_records}
    manifest = client.get("/export.manifest.json?q=&fmt=xlsx").get_json()
    hashes = {d["id"]: d["text_sha256"] for d in manifest["documents"]}
    assert "body_2" in manifest["xlsx_text"] and len(rows) - 1 == len(by_id) == manifest["count"]
    for r in rows[1:]:
        rec = dict(zip(header, r, strict=True))
        text = "".join(r[first_body:])
        assert all(len(c) <= 32_767 for c in r)
        assert text == by_id[rec["id"]]["body"], rec["id"]  # nothing cut
        whole = f"{by_id[rec['id']]['title']}\n{text}".encode()
        assert hashlib.sha256(whole).hexdigest() == rec["text_sha256"] == hashes[rec["id"]]


def test_csv_and_jsonl_keep_one_whole_body_field(long_index, long_records):
    client = create_app(Settings(index_dir=long_index)).test_client()
    longest = max(long_records, key=lambda r: len(r["body"]))
    text = client.get("/export.csv?q=").get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert "body_2" not in rows[0] and {r["id"]: r["body"] for r in rows}[longest["id"]] == longest["body"]
    lines = [json.loads(x) for x in client.get("/export.jsonl?q=").get_data(as_text=True).splitlines()]
    assert {r["id"]: r["body"] for r in lines}[longest["id"]] == longest["body"] and len(longest["body"]) > 100_000


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("csv", "text/csv; charset=utf-8"), ("jsonl", "application/x-ndjson; charset=utf-8"), ("xlsx", XLSX_TYPE)],
)
def test_files_are_named_from_the_query_and_the_day_in_shanghai_with_correct_headers(client, fmt, content_type):
    resp = client.get(f"/export.{fmt}?q=安全生产")
    assert resp.status_code == 200 and resp.headers["Content-Type"] == content_type
    disposition = resp.headers["Content-Disposition"]
    ascii_name, utf8_name = disposition.split("; filename=")[1].split("; filename*=")
    assert disposition.startswith("attachment; ") and ascii_name.isascii() and ascii_name.startswith('"govsearch-')
    assert utf8_name.startswith("UTF-8''") and unquote(utf8_name[7:]) == expected_name("安全生产", fmt)
    assert resp.headers["Link"].endswith('>; rel="describedby"')


@pytest.mark.parametrize(
    ("q", "name"),
    [
        ('国发〔2023〕5号 "a/b" <x>|y*?', "国发〔2023〕5号_a_b_x_y"),
        ("", None),
        ("条例" * 40, "条例" * 20),
        ("\u202e\x00\t..会议..", "会议"),
    ],
)
def test_file_names_are_cut_short_and_stripped_of_characters_not_allowed(client, q, name):
    disposition = client.get("/export.csv", query_string={"q": q}).headers["Content-Disposition"]
    got = unquote(disposition.split("filename*=UTF-8''")[1])
    day = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    assert got == (f"govsearch-{name}-{day}.csv" if name else f"govsearch-{day}.csv")


def test_http_exports_have_a_cost_limit_with_a_clear_message(long_index):
    app = app_with(long_index, export_max_rows=4)
    client = app.test_client()
    for path in ("/export.csv?q=", "/export.xlsx?q=", "/export.jsonl?q=", "/export.manifest.json?q="):
        resp = client.get(path)
        assert resp.status_code == 400, path
        error = resp.get_json()["error"]
        assert "would hold 5 records; at most 4" in error and "govsearch export" in error
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    fewer = client.get('/export.csv?q="人民检察院刑事诉讼规则"')  # fewer hits: under the limit
    assert fewer.status_code == 200 and len(list(csv.reader(io.StringIO(fewer.get_data(as_text=True))))) == 2


def test_head_of_an_export_does_no_export_work(long_index):
    app = app_with(long_index, export_max_rows=1)
    backend = app.extensions["govsearch"]["backend"]
    resp = app.test_client().head("/export.xlsx?q=")
    assert resp.status_code == 200 and resp.get_data() == b"" and backend.calls == []
    assert resp.headers["Content-Type"] == XLSX_TYPE and "filename*=" in resp.headers["Content-Disposition"]


def test_default_limit_admits_the_whole_shared_corpus() -> None:
    need_shared(LAWS)
    policy = LAWS.parent / "policy_transparency_metadata.jsonl"
    n = sum(p.read_bytes().count(b"\n") for p in (LAWS, policy) if p.exists())
    assert n > 45_000 and Settings().export_max_rows >= n


def test_the_cli_export_has_no_limit_and_continues_long_texts(long_index, tmp_path, long_records):
    from indexer.cli import main

    out = tmp_path / "all.xlsx"
    env = {"GOVSEARCH_EXPORT_MAX_ROWS": "1"}
    result = CliRunner().invoke(
        main, ["export", "", "--index", str(long_index), "--format", "xlsx", "--output", str(out)], env=env
    )
    assert result.exit_code == 0, result.output
    rows = list(
        openpyxl.load_workbook(io.BytesIO(out.read_bytes()), read_only=True)["results"].iter_rows(values_only=True)
    )
    assert len(rows) - 1 == len(long_records) and rows[0][-1] == "body_4"
