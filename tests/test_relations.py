"""Copies and versions through ingest, the store, search, exports and pages, on real records; and an index
grouped by the old rules regrouped at its next ingest without reading any input again."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from indexer.config import Settings
from indexer.engine.whoosh.writer import sync_index
from indexer.generations import open_index, store_path
from indexer.ingest import ingest_items
from indexer.models import SearchRequest
from indexer.relations import STATE_KEY, records_state, regroup
from indexer.search import search
from indexer.sources import Item
from indexer.store import RecordStore

from .conftest import LAWS, POLICY, need_shared

THREE_NUMBERS = "广东省人民政府关于省政府领导班子分工的通知"  # 粤府〔2022〕88号, 〔2023〕6号, 〔2023〕67号
LISTED_TWICE = "广东省人民政府办公厅关于十三届全国人大二次会议第5697号建议会办意见的函"  # one 文号, two URLs
AMENDED = "上海市优化营商环境条例"  # 2020-04-10 and 2024-09-27


def _records() -> list[dict]:
    need_shared(LAWS)
    need_shared(POLICY)
    out = []
    for path, titles in ((POLICY, (THREE_NUMBERS, LISTED_TWICE)), (LAWS, (AMENDED,))):
        with path.open(encoding="utf-8") as fh:
            out += [json.loads(x) for x in fh if any(t in x[:400] for t in titles)]
    return [r for r in out if r.get("title") in (THREE_NUMBERS, LISTED_TWICE, AMENDED)]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ix = tmp_path_factory.mktemp("relations") / "ix"
    records = _records()
    assert len(records) == 7
    report = ingest_items([Item("relations", record=r) for r in records], ix)
    assert report.added == 7
    return ix


def _hits(index_dir: Path, q: str, collapse: bool = True) -> list:
    store = RecordStore(store_path(index_dir), readonly=True)
    try:
        with open_index(index_dir).searcher() as s:
            return list(search(s, SearchRequest(q=q, collapse=collapse), store).hits)
    finally:
        store.close()


def test_three_numbers_are_three_hits_and_one_notice_listed_twice_is_one(index_dir: Path) -> None:
    assert len(_hits(index_dir, f'title:"{THREE_NUMBERS}"')) == 3
    once = _hits(index_dir, f'title:"{LISTED_TWICE}"')
    assert len(once) == 1 and once[0].duplicates == 1
    assert len(_hits(index_dir, f'title:"{LISTED_TWICE}"', collapse=False)) == 2


def test_versions_are_all_shown_the_older_marked_and_linked(index_dir: Path) -> None:
    hits = {h.date: h for h in _hits(index_dir, f'title:"{AMENDED}"')}
    assert set(hits) == {"2020-04-10", "2024-09-27"}  # versions never collapse
    old, new = hits["2020-04-10"], hits["2024-09-27"]
    assert (old.validity, old.current_version) == ("已修订", new.doc_id)
    assert (new.validity, new.current_version) == (None, None)
    assert old.to_json()["current_version"] == new.doc_id


@pytest.fixture(scope="module")
def client(index_dir: Path):
    from webapp import create_app

    return create_app(Settings(index_dir=index_dir)).test_client()


def test_the_current_versions_page_lists_every_version(client, index_dir: Path) -> None:
    new = next(h for h in _hits(index_dir, f'title:"{AMENDED}"') if h.date == "2024-09-27")
    versions = client.get(f"/api/doc/{new.doc_id}").get_json()["versions"]
    assert [(v["date"], v["validity"], v["current"]) for v in versions] == [
        ("2024-09-27", "有效", True),
        ("2020-04-10", "已修订", False),
    ]
    page = client.get(f"/doc/{new.doc_id}").get_data(as_text=True)
    assert 'id="versions-title"' in page and "2020-04-10" in page and "已修订" in page


def test_results_page_marks_the_older_version_and_offers_both_copy_views(client) -> None:
    page = client.get("/search", query_string={"q": f'title:"{AMENDED}"'}).get_data(as_text=True)
    assert 'class="superseded"' in page and "已修订" in page
    assert 'class="copies-control"' in page and "all=1" in page
    copies = client.get("/search", query_string={"q": f'title:"{LISTED_TWICE}"'}).get_data(as_text=True)
    assert "另有 1 处转载</a>" in copies and "#copies-title" in copies


def test_exports_hold_every_copy_with_its_group_by_default(client) -> None:
    body = client.get("/export.csv", query_string={"q": f'title:"{LISTED_TWICE}"'}).get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 2
    assert len({r["copy_group"] for r in rows}) == 1 and sorted(r["is_canonical"] for r in rows) == ["0", "1"]
    one = client.get("/export.csv", query_string={"q": f'title:"{LISTED_TWICE}"', "all": "0"}).get_data()
    assert len(list(csv.DictReader(io.StringIO(one.decode("utf-8-sig"))))) == 1
    info = client.get("/export.manifest.json", query_string={"q": f'title:"{LISTED_TWICE}"'}).get_json()
    assert info["count"] == 2 and "copies (转载) included" in info["copies"]


def test_an_ingest_with_nothing_new_does_not_regroup(index_dir: Path) -> None:
    store = RecordStore(store_path(index_dir))
    try:
        assert store.get_meta(STATE_KEY) == records_state(store)
        assert regroup(store) == (0, 0)
    finally:
        store.close()


def test_a_bad_copies_flag_is_a_clear_error(client) -> None:
    r = client.get("/export.csv", query_string={"q": "条例", "all": "perhaps"})
    assert r.status_code == 400 and "all must be one of" in r.get_data(as_text=True)


def test_an_index_grouped_by_the_old_rules_is_regrouped_at_its_next_ingest(tmp_path: Path) -> None:
    """The old grouping put the three numbers in one group and had no version columns. An ingest with
    nothing new regroups from the store alone: nothing is read again, every relation comes out right."""
    ix = tmp_path / "ix"
    ingest_items([Item("relations", record=r) for r in _records()], ix)
    store = RecordStore(store_path(ix))
    ids = [
        r[0]
        for r in store.db.execute("SELECT id FROM records WHERE json_extract(record, '$.title') = ?", (THREE_NUMBERS,))
    ]
    store.db.execute("UPDATE records SET dup_of = ?, indexed = 0 WHERE id IN (?, ?, ?)", (min(ids), *ids))
    sync_index(store, ix)  # the index as the old grouping made it: collapsed to one hit
    store.db.execute("DROP INDEX records_version_of")
    store.db.execute("ALTER TABLE records DROP COLUMN version_of")
    store.db.execute("ALTER TABLE records DROP COLUMN validity")
    store.db.execute("DELETE FROM meta WHERE key = ?", (STATE_KEY,))  # the old version never wrote it
    store.commit()
    store.close()
    assert len(_hits(ix, f'title:"{THREE_NUMBERS}"')) == 1

    report = ingest_items([], ix)
    assert (report.added, report.updated) == (0, 0)
    assert len(_hits(ix, f'title:"{THREE_NUMBERS}"')) == 3
    store = RecordStore(store_path(ix), readonly=True)
    try:
        assert store.has_versions() and store.count(pending_only=True) == 0
        validity = dict(
            store.db.execute(
                "SELECT json_extract(record, '$.date'), validity FROM records WHERE version_of IS NOT NULL"
            )
        )
        assert validity == {"2020-04-10": "已修订", "2024-09-27": None}
    finally:
        store.close()
