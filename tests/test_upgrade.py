"""An existing index gets the new fields at its next ingest, from its stored records, fetching nothing again."""

from __future__ import annotations

import json
import sqlite3

from indexer.config import Settings
from indexer.generations import store_path
from indexer.ingest import ingest
from indexer.pipeline import PIPELINE_VERSION, to_document
from indexer.store import RecordStore
from indexer.upgrade import VERSION_KEY
from tests.conftest import LAWS, POLICY, head_jsonl, need_shared
from webapp import create_app

QINGPU = {
    "id": "qingpu",
    "url": "https://www.shanghai.gov.cn/nw12344/20221010/a.html",
    "title": "关于印发青浦区某某实施方案的通知",
    "doc_number": "青府发〔2022〕54号",
}


def _age(index_dir, rows):
    """Make the store look written by the previous pipeline: old version, old derived fields, no raw input."""
    db = sqlite3.connect(store_path(index_dir))
    for doc_id, fields in rows.items():
        (rec,) = db.execute("SELECT record FROM records WHERE id = ?", (doc_id,)).fetchone()
        db.execute("UPDATE records SET record = ? WHERE id = ?", (json.dumps({**json.loads(rec), **fields}), doc_id))
    db.execute("UPDATE records SET raw = NULL WHERE id = 'qingpu'")
    db.execute("UPDATE meta SET value = '2' WHERE key = ?", (VERSION_KEY,))
    db.commit()
    db.close()


def test_next_ingest_renormalises_stored_records_without_their_sources(tmp_path):
    need_shared(LAWS)
    need_shared(POLICY)
    laws = [r for r in head_jsonl(LAWS, 40, start=892) if r.get("region") == "河南" and r.get("header")][:3]
    rows = [*laws, QINGPU]
    src = tmp_path / "src.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    ix = tmp_path / "ix"
    ingest([str(src)], ix)
    law = laws[0]["id"]
    # what the previous pipeline stored: split region values, a guessed region, no agency, no 有效性
    _age(ix, {law: {"region": "河南", "agency": None}, "qingpu": {"region": "青海省", "agency": None}})
    src.unlink()  # nothing can be read again
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"id": "new", "title": "新通知", "body": "正文"}, ensure_ascii=False) + "\n", "utf-8")
    report = ingest([str(other)], ix)
    assert report.upgraded >= 2 and report.added == 1
    store = RecordStore(store_path(ix), readonly=True)
    assert store.get_meta(VERSION_KEY) == PIPELINE_VERSION
    rec, qingpu = store.get(law), store.get("qingpu")
    store.close()
    fresh = to_document(laws[0]).to_record()  # what this pipeline makes of the same input
    assert {k: rec[k] for k in ("region", "agency", "date_issued")} == {
        k: fresh[k] for k in ("region", "agency", "date_issued")
    }
    assert rec["region"].startswith("河南省/") and rec["agency"].endswith("人民代表大会常务委员会")
    assert qingpu["region"] == "上海市/青浦区"  # a record stored without raw input: region derived anew
    client = create_app(Settings(index_dir=ix)).test_client()
    found = client.get("/api/search", query_string={"q": "", "region": rec["region"], "all": "1"}).get_json()
    assert law in [h["id"] for h in found["hits"]]  # the index holds the new fields too
    assert ingest([str(other)], ix).upgraded == 0  # done once
