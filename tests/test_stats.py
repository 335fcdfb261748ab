"""`govsearch stats` prints each metadata field's coverage, overall and per source file or crawled host."""

from __future__ import annotations

import json

from click.testing import CliRunner

from indexer.cli import main
from indexer.coverage import COVERAGE_FIELDS, origin_of
from indexer.generations import store_path
from indexer.ingest import ingest
from indexer.store import RecordStore
from tests.conftest import LAWS, POLICY, head_jsonl, need_shared


def test_stats_prints_coverage_per_field_and_origin(tmp_path):
    need_shared(LAWS)
    need_shared(POLICY)
    rows = head_jsonl(LAWS, 30, start=880) + head_jsonl(POLICY, 400)[::4]
    src = tmp_path / "r.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    ingest([str(src)], tmp_path / "ix")
    result = CliRunner().invoke(main, ["stats", "--index", str(tmp_path / "ix")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    table = {
        line.split()[0]: line.split()[1:]
        for line in result.output.splitlines()
        if line.startswith(("(all)", "www.", "LawRefBook"))
    }
    store = RecordStore(store_path(tmp_path / "ix"), readonly=True)
    records = list(store.get_many(store.ids()).values())
    store.close()
    cells = table["(all)"]
    assert int(cells[0]) == len(records) == len(rows)
    for i, field in enumerate(COVERAGE_FIELDS):
        assert int(cells[1 + 2 * i]) == sum(1 for r in records if r.get(field)), field
    origins = {origin_of(r) for r in records}
    assert "www.gd.gov.cn" in origins and any(o.startswith("LawRefBook/Laws:") for o in origins)
    for origin in origins & set(table):
        mine = [r for r in records if origin_of(r) == origin]
        assert int(table[origin][0]) == len(mine)
        assert int(table[origin][3]) == sum(1 for r in mine if r.get("agency")), origin
