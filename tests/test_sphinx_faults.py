"""Faults: a stopped node gives a partial-results warning (or an error), never a silently smaller total;
a node killed with SIGKILL replays its binlog on restart with nothing lost."""

from __future__ import annotations

import pytest

from indexer.backend import ingest_paths, open_writer
from indexer.models import SearchRequest
from indexer.sphinx.client import PartialResults, SphinxError
from indexer.sphinx.engine import SphinxBackend
from indexer.sphinx.shards import shard_of

from .conftest import SEED
from .test_sphinx_cluster import running_cluster, sphinx_settings_for, sync
from .test_sphinx_writes import check, crafted, shard_contents

pytestmark = pytest.mark.sphinx
QUERY = SearchRequest(q="安全生产", collapse=False)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A 2-node cluster holding the seed notice and 40 crafted notices, and a warn-policy backend."""
    with running_cluster(tmp_path_factory.mktemp("nodes")) as cluster:
        settings = sphinx_settings_for(tmp_path_factory.mktemp("sx"), cluster)
        ingest_paths([str(SEED)], settings)
        open_writer(settings).add(crafted(i) for i in range(40))
        backend = SphinxBackend(settings)
        yield cluster, settings, backend
        backend.close()


def stop(cluster, backend, number: int, sig: str = "term") -> None:
    """Close our connections first (searchd then stops at once), then stop or kill a node."""
    backend.close()
    if sig == "kill":
        cluster.kill(number)
    else:
        cluster.stop(number)


def test_a_stopped_node_gives_a_clear_partial_warning_or_an_error(setup):
    cluster, settings, backend = setup
    full = backend.search(QUERY)
    on_node_1 = len({r["id"] for r in backend.iter_records(QUERY)} & shard_contents(settings)[0])
    assert full.warnings == () and full.total == 41 and 0 < on_node_1 < 41
    stop(cluster, backend, 2)
    try:
        page = backend.search(QUERY)
        assert page.total == on_node_1 < full.total
        assert page.warnings and all("partial results" in w and "did not answer" in w for w in page.warnings)
        assert sum(b.count for b in page.facets["attachment"]) == on_node_1  # facets count the same shards
        strict = SphinxBackend(settings.with_(extras={"sphinx_partial": "error"}))
        with pytest.raises(PartialResults, match="agent"):
            strict.search(QUERY)
        strict.close()
        with pytest.raises(PartialResults):
            list(backend.iter_records(QUERY))  # an export is never silently incomplete
        shards = backend.version()["shards"]
        assert shards[1]["documents"] is None and "down" in shards[1]["error"]
        assert backend.version()["documents"] is None
    finally:
        backend.close()
        cluster.start(2)
    again = backend.search(QUERY)
    assert (again.total, again.warnings) == (full.total, ())


def test_with_node_1_down_node_2_answers_with_a_warning(setup):
    cluster, settings, backend = setup
    full = backend.search(QUERY).total
    stop(cluster, backend, 1)
    try:
        page = backend.search(QUERY)
        assert 0 < page.total < full and page.warnings
        assert backend.similar("craft-001") and backend.document("craft-001")  # document pages still work
    finally:
        backend.close()
        cluster.start(1)
    assert backend.search(QUERY).total == full and backend.search(QUERY).warnings == ()


@pytest.mark.parametrize("number", [2, 1])
def test_a_killed_node_replays_its_binlog_with_nothing_lost(setup, number):
    cluster, settings, backend = setup
    writer = open_writer(settings)
    fresh = [crafted(i, title=f"关于第{i}批尾矿库安全检查的通知") for i in range(100 + 20 * number, 120 + 20 * number)]
    assert writer.add(fresh).indexed == 20  # acknowledged: in the RAM chunk and the binlog only
    before = shard_contents(settings)
    total = backend.search(QUERY).total
    assert any(shard_of(d.doc_id, 2) == number - 1 for d in fresh)
    stop(cluster, backend, number, "kill")
    cluster.start(number)
    assert shard_contents(settings) == before
    assert check(settings) == []
    assert backend.search(QUERY).total == total
    assert {h.doc_id for h in backend.search(SearchRequest(q="尾矿库", per_page=100)).hits} >= {d.doc_id for d in fresh}
    assert writer.delete([fresh[0].doc_id]).deleted == 1  # and the restarted node takes writes again
    assert backend.search(QUERY).total == total - 1


def test_a_write_to_a_stopped_node_fails_clearly_and_the_next_sync_delivers_it(setup):
    cluster, settings, backend = setup
    writer = open_writer(settings)
    i = next(i for i in range(300, 400) if shard_of(f"craft-{i:03d}", 2) == 1)
    doc = crafted(i, title=f"关于第{i}批排水防涝检查的通知")
    stop(cluster, backend, 2)
    try:
        with pytest.raises(SphinxError, match="node 2"):
            writer.add([doc])
        assert backend.document(doc.doc_id) is not None  # kept in the record store ...
        assert check(settings) != []  # ... and known to be missing from its shard
    finally:
        cluster.start(2)
    sync(settings)
    assert check(settings) == []
    assert [h.doc_id for h in backend.search(SearchRequest(q="排水防涝")).hits] == [doc.doc_id]
