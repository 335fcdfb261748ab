"""Ingest: file kinds, idempotence, bad input reported per record with nothing good lost."""

from __future__ import annotations

import json
from pathlib import Path

from indexer.config import Settings
from indexer.engine.whoosh.backend import WhooshBackend
from indexer.generations import open_index
from indexer.ingest import ingest
from indexer.models import SearchRequest

from .conftest import LAWS, SEED, head_jsonl, need_shared


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records),
        encoding="utf-8",
    )
    return path


def ids_in(ix: Path) -> set[str]:
    with open_index(ix).searcher() as s:
        return {f["id"] for f in s.all_stored_fields()}


def test_reingest_is_idempotent_and_changed_records_are_replaced(tmp_path):
    need_shared(LAWS)
    recs = head_jsonl(LAWS, 30)
    src = write_jsonl(tmp_path / "a.jsonl", recs)
    ix = tmp_path / "ix"
    first = ingest([str(src)], ix)
    assert (first.added, first.updated, first.unchanged, first.skipped) == (30, 0, 0, 0)
    again = ingest([str(src)], ix)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 30)
    recs[3] = {**recs[3], "title": recs[3]["title"] + "（修订版）"}
    write_jsonl(src, recs)
    third = ingest([str(src)], ix)
    assert (third.added, third.updated, third.unchanged) == (0, 1, 29)
    backend = WhooshBackend(Settings(index_dir=ix))
    hits = backend.search(SearchRequest(q='"修订版"', collapse=False)).hits
    assert [h.doc_id for h in hits] == [recs[3]["id"]]
    assert len(ids_in(ix)) == 30


def test_bad_input_is_reported_per_record_and_good_records_go_in(tmp_path):
    need_shared(LAWS)
    good = head_jsonl(LAWS, 3)
    write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            good[0],
            "{not json",
            json.dumps({"id": "empty-1", "title": "", "body": ""}),
            good[1],
            "[1, 2]",
            json.dumps({"id": "x", "body": "正文"}).encode().decode(),
            good[2],
        ],
    )
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02PK\x03\x04" * 100)
    (tmp_path / "latin.txt").write_bytes(bytes(range(128, 256)) * 50)
    (tmp_path / "gbk.txt").write_bytes("关于做好安全生产工作的通知\n各乡镇人民政府：请做好安全生产。".encode("gbk"))
    (tmp_path / "bad.jsonl").write_bytes(b'{"id": "bad-utf8", "title": "\xff\xfe"}\n')
    ix = tmp_path / "ix"
    report = ingest([str(tmp_path)], ix)
    reasons = dict(report.failures)
    assert any("invalid JSON" in r for s, r in report.failures if s.endswith(":2"))
    assert any("empty record" in r for r in reasons.values())
    assert any("must be a JSON object" in r for r in reasons.values())
    assert any("binary file" in r for s, r in report.failures if s.endswith("binary.txt"))
    assert any("unknown encoding" in r for s, r in report.failures if s.endswith("latin.txt"))
    assert any("not UTF-8" in r for s, r in report.failures if "bad.jsonl" in s)
    assert report.skipped == 6
    held = ids_in(ix)
    assert {g["id"] for g in good} | {"x", "gbk"} <= held
    backend = WhooshBackend(Settings(index_dir=ix))
    assert backend.document("gbk")["title"] == "关于做好安全生产工作的通知"


def test_stdin_txt_html_and_folders_are_read(tmp_path, monkeypatch):
    import io
    import sys

    html = tmp_path / "site" / "notice.html"
    html.parent.mkdir()
    html.write_bytes(
        "<html><head><meta charset='gbk'><title>关于征地补偿标准的公告</title></head>"
        "<body><h1>关于征地补偿标准的公告</h1><p>根据有关规定，现将征地补偿标准公告如下。</p></body></html>".encode(
            "gbk"
        )
    )
    monkeypatch.setattr(
        sys,
        "stdin",
        io.TextIOWrapper(
            io.BytesIO(
                json.dumps({"id": "from-stdin", "title": "标准", "body": "来自标准输入"}, ensure_ascii=False).encode()
            )
        ),
    )
    ix = tmp_path / "ix"
    report = ingest([str(SEED), str(tmp_path / "site"), "-"], ix)
    assert (report.added, report.skipped) == (3, 0), report.failures
    backend = WhooshBackend(Settings(index_dir=ix))
    assert backend.document("notice")["title"] == "关于征地补偿标准的公告"
    assert backend.search(SearchRequest(q="征地补偿标准")).total >= 2


def test_aliases_and_unknown_fields_are_kept(tmp_path):
    rec = {
        "id": "alias-1",
        "title": "关于开展安全生产大检查的通知",
        "body": "各单位：请开展检查。",
        "date_published": "2014年12月3日",
        "category": ["安全生产"],
        "issuing_body": "闽侯县人民政府",
        "custom_field": {"a": 1},
    }
    ix = tmp_path / "ix"
    ingest([str(write_jsonl(tmp_path / "r.jsonl", [rec]))], ix)
    stored = WhooshBackend(Settings(index_dir=ix)).document("alias-1")
    assert stored["date"] == "2014-12-03"
    assert "安全生产" in stored["topics"]
    assert stored["custom_field"] == {"a": 1}


INGEST_SCRIPT = """
import json, sys
from indexer import ingest
ingest.PARALLEL_AFTER, ingest.PREPARE_BATCH = int(sys.argv[3]), 4
r = ingest.ingest([sys.argv[1]], sys.argv[2])
print(json.dumps([r.added, r.updated, r.unchanged, r.skipped, r.failures, r.total, r.workers]))
"""


def test_records_prepared_in_worker_processes_are_stored_as_in_one_process(tmp_path):
    """A big ingest prepares records in worker processes: the store, the counts and the failures are the ones
    a single process gives, in input order, with repeated ids, changed records, skips and bad lines. Each
    ingest runs in a fresh process, as `govsearch ingest` does (a process running threads does not fork)."""
    import sqlite3
    import subprocess
    import sys

    need_shared(LAWS)
    recs = head_jsonl(LAWS, 60)
    lines = [*recs[:25], "{not json", {"id": "empty-1", "title": "", "body": ""}, *recs[25:]]
    lines += [{**recs[3], "title": recs[3]["title"] + "（修订）"}, recs[7], {**recs[3], "body": "改过的正文"}]
    changed = {**recs[10], "title": recs[10]["title"] + "（二）"}

    def run(ix: Path, parallel_after: int):
        reports = []
        for content in (lines, [*lines, changed]):  # the second: unchanged records are not prepared again
            src = write_jsonl(tmp_path / "a.jsonl", content)
            cmd = [sys.executable, "-c", INGEST_SCRIPT, str(src), str(ix), str(parallel_after)]
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=True).stdout
            reports.append(json.loads(out.strip().splitlines()[-1]))
        db = sqlite3.connect(ix / "records.sqlite")
        rows = db.execute("SELECT id, hash, record, sig, dup_of, indexed FROM records ORDER BY id").fetchall()
        db.close()
        return rows, [r[:6] for r in reports], [r[6] for r in reports]

    serial, parallel = run(tmp_path / "one", 10**9), run(tmp_path / "many", 5)
    from indexer.engine.whoosh.writer import BULK_PROCS

    assert serial[2] == [0, 0] and parallel[2] == [BULK_PROCS if BULK_PROCS > 1 else 0] * 2  # 1 core: no worker
    assert parallel[0] == serial[0] and parallel[1] == serial[1]
    assert serial[1][0][:4] == [60, 2, 1, 2]
    assert serial[1][1][:4] == [0, 4, 60, 2]  # recs[3] flips three times, recs[10] changed
    assert len(serial[0]) == 60
