"""Writes through the Sphinx backend: each document on its own shard, updates and deletes reach it,
and after the same writes the Whoosh and Sphinx backends still answer alike (hierarchical regions too)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from indexer.backend import ingest_paths, open_writer
from indexer.config import Settings
from indexer.engine.whoosh.backend import WhooshBackend
from indexer.engine.whoosh.writer import WhooshWriter
from indexer.models import Document, SearchRequest
from indexer.sphinx.client import Nodes, SphinxError
from indexer.sphinx.engine import SphinxBackend
from indexer.sphinx.shards import shard_name, shard_of
from indexer.sphinx.sync import LAYOUT_KEY, check_cluster
from indexer.store import RecordStore

from .conftest import LAWS, SEED, head_jsonl, need_shared
from .test_sphinx_cluster import running_cluster, sphinx_settings_for, sync
from .test_sphinx_parity import assert_same

pytestmark = pytest.mark.sphinx

REGIONS = [
    "福建省/福州市/闽侯县/上街镇",
    "福建省/福州市/闽侯县",
    "福建省/福州市",
    "福建省/厦门市",
    "浙江省/杭州市",
    "浙江省",
]


def crafted(i: int, **changes: object) -> Document:
    """A small notice with a region path, topics and a 文号."""
    doc = Document(
        f"craft-{i:03d}",
        url=f"http://example.gov.cn/{i}",
        title=f"关于做好第{i}批安全生产检查的通知",
        body=f"各乡镇人民政府：请做好安全生产工作。编号{i}。",
        agency="闽侯县人民政府",
        doc_number=f"侯政办〔2014〕{100 + i}号",
        published=date(2014, 1 + i % 12, 1 + i % 28),
        topics=("安全生产", "应急管理") if i % 2 else ("安全生产",),
        doc_type="通知",
        region=REGIONS[i % len(REGIONS)],
        status="有效" if i % 3 else "失效",
    )
    return doc.with_(**changes)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("nodes")) as c:
        yield c


@pytest.fixture(scope="module")
def pair(tmp_path_factory, cluster):
    """The same 40 laws, the seed notice and 24 crafted notices in a Whoosh index and a Sphinx cluster."""
    need_shared(LAWS)
    src = tmp_path_factory.mktemp("src") / "laws.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in head_jsonl(LAWS, 40)), encoding="utf-8")
    w_settings = Settings(index_dir=tmp_path_factory.mktemp("wx"))
    s_settings = sphinx_settings_for(tmp_path_factory.mktemp("sx"), cluster)
    for settings in (w_settings, s_settings):
        report = ingest_paths([str(src), str(SEED)], settings)
        assert (report.added, report.skipped) == (41, 0)
        open_writer(settings).add(crafted(i) for i in range(24))
    sphinx = SphinxBackend(s_settings)
    yield WhooshBackend(w_settings), sphinx, (WhooshWriter(w_settings), open_writer(s_settings)), s_settings
    sphinx.close()


def shard_contents(settings: Settings) -> list[set[str]]:
    """Return the doc ids each node's own shard holds."""
    nodes = Nodes(settings.sphinx_nodes)
    try:
        return [
            {
                r[0]
                for r in nodes.query(
                    f"SELECT doc_id FROM {shard_name(i)} LIMIT 10000 OPTION max_matches=10000", node=i
                ).sets[0]
            }
            for i in range(len(nodes))
        ]
    finally:
        nodes.close()


def check(settings: Settings) -> list[str]:
    """Return check_cluster's findings for the store and nodes of settings."""
    store, nodes = RecordStore(settings.index_dir / "records.sqlite"), Nodes(settings.sphinx_nodes)
    try:
        return check_cluster(store, nodes)
    finally:
        nodes.close()
        store.close()


def test_every_document_lives_on_its_own_shard_only(pair):
    _, sphinx, _, settings = pair
    assert check(settings) == []
    shards = shard_contents(settings)
    ids = sphinx.store().ids()
    assert shards[0] | shards[1] == ids and not shards[0] & shards[1]
    assert all(shard_of(i, 2) == k for k, held in enumerate(shards) for i in held)


@pytest.mark.parametrize(
    ("q", "filters"),
    [
        ("安全生产", ()),
        ("", (("region", "福建省"),)),
        ("", (("region", "福建省/福州市"),)),
        ("通知", (("region", "福建省/福州市/闽侯县"), ("region", "浙江省"))),
        ("", (("topic", "应急管理"),)),
        ("侯政办〔2014〕105号", ()),
        ('"第7批"', ()),
        ("", (("status", "失效"),)),
        ("", (("agency", "闽侯县人民政府"),)),
    ],
)
def test_crafted_documents_match_whoosh_with_region_drill_down(pair, q, filters):
    whoosh, sphinx, _, _ = pair
    assert_same(whoosh, sphinx, SearchRequest(q=q, filters=filters, sort="date", collapse=False))


def test_region_facet_shows_the_children_of_a_selection(pair):
    _, sphinx, _, _ = pair
    page = sphinx.search(SearchRequest(filters=(("region", "福建省/福州市"),), collapse=False))
    values = {b.value for b in page.facets["region"]}
    assert {"福建省", "浙江省", "福建省/福州市", "福建省/福州市/闽侯县"} <= values
    assert "福建省/福州市/闽侯县/上街镇" not in values  # grandchildren stay folded


def test_updates_and_deletes_reach_the_owning_shard_and_match_whoosh(pair):
    whoosh, sphinx, writers, settings = pair
    changed = [crafted(3, title="关于第3批危险化学品检查的紧急通知"), crafted(8, region="浙江省/宁波市")]
    for writer in writers:
        report = writer.update([*changed, crafted(999)])
        assert (report.updated, report.missing) == (2, 1)
        assert writer.update(changed).unchanged == 2
        assert writer.delete(["craft-005", "craft-006", "no-such-id"]).deleted == 2
    assert [h.doc_id for h in sphinx.search(SearchRequest(q="危险化学品")).hits] == ["craft-003"]
    assert sphinx.search(SearchRequest(q='"编号5。"')).total == 0
    shards = shard_contents(settings)
    assert "craft-005" not in shards[0] | shards[1]
    assert "craft-003" in shards[shard_of("craft-003", 2)]
    whoosh = WhooshBackend(whoosh.settings)  # a fresh one: a refreshed searcher counted replaced documents twice
    for q, filters in [("通知", ()), ("", (("region", "浙江省"),)), ("检查", (("year", "2014"),))]:
        assert_same(whoosh, sphinx, SearchRequest(q=q, filters=filters, sort="date", collapse=False))


def test_ids_with_quotes_backslashes_and_non_ascii_round_trip(pair):
    _, sphinx, writers, settings = pair
    odd = [
        crafted(60, doc_id="it's\\odd-1", title="关于奇怪编号甲的通知"),
        crafted(61, doc_id="国发〔2014〕5号/附件 2", title="关于奇怪编号乙的通知"),
    ]
    assert writers[1].add(odd).indexed == 2
    found = sphinx.search(SearchRequest(q="奇怪编号", collapse=False)).hits
    assert {h.doc_id for h in found} == {d.doc_id for d in odd}
    assert all(d.doc_id in shard_contents(settings)[shard_of(d.doc_id, 2)] for d in odd)
    assert writers[1].delete([d.doc_id for d in odd]).deleted == 2
    assert sphinx.search(SearchRequest(q="奇怪编号", collapse=False)).total == 0


def test_an_unchanged_reingest_pushes_nothing_and_a_rebuild_gives_the_same_cluster(pair):
    _, sphinx, writers, settings = pair
    before = sphinx.search(SearchRequest(q="安全生产", collapse=False)).total
    assert writers[1].add([crafted(1)]).indexed == 0
    sync(settings, rebuild=True)
    assert sphinx.search(SearchRequest(q="安全生产", collapse=False)).total == before
    assert sphinx.version()["documents"] == sphinx.store().count()
    assert writers[1].delete(["craft-010"]).deleted == 1 and check(settings) == []
    store = RecordStore(settings.index_dir / "records.sqlite")
    store.db.execute("DELETE FROM records WHERE id = 'craft-011'")  # behind the writer's back
    store.commit()
    store.close()
    assert check(settings) == ["the record store has changes not yet synced: run a sync"]
    sync(settings)
    assert check(settings) == []


def test_a_changed_layout_is_refused_until_rebuilt(pair):
    _, _, _, settings = pair
    store = RecordStore(settings.index_dir / "records.sqlite")
    try:
        store.set_meta(LAYOUT_KEY, "3:oldlayout")
        store.commit()
        with pytest.raises(SphinxError, match="layout changed"):
            sync(settings)
        sync(settings, rebuild=True)
        assert store.get_meta(LAYOUT_KEY).startswith("2:")
    finally:
        store.close()
