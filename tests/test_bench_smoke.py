"""The speed benchmark runs end to end on 200 documents: one table, and three systems that agree on the data.

No timings are asserted: this checks the benchmark code, not the machine.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bench.corpus import STARD, meta_for, records
from bench.run import SYSTEMS, run
from bench.workload import KIND_LABELS

from .conftest import need_shared

SIZE = 200


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, Path]:
    need_shared(STARD)
    out = tmp_path_factory.mktemp("bench")
    args = argparse.Namespace(queries=3, clients=2, seconds=1.0, no_http=False, out=out, keep=False)
    results, table = run(SIZE, SYSTEMS, args)
    return results, table, out


@pytest.mark.slow
def test_one_table_with_every_measure_for_every_system(bench) -> None:
    results, table, out = bench
    assert table.count("| ours | baseline | tantivy |") == 1
    for label in (
        "indexing, documents/s",
        "index size, MB",
        "HTTP, requests/s",
        "server peak memory, MB",
        *(f"{KIND_LABELS[k]}: p95 ms" for k in KIND_LABELS),
    ):
        assert label in table
    assert (out / str(SIZE) / "report.md").read_text().strip() == table.strip()
    assert all(r.http["errors"] == 0 and r.http["requests"] > 0 for r in results.values())


@pytest.mark.slow
def test_the_three_systems_index_and_answer_the_same_documents(bench) -> None:
    results, _, _ = bench
    assert {r.docs for r in results.values()} == {SIZE}
    by_number = {meta_for(rec["id"]).doc_number: rec["id"] for rec in records(SIZE)}
    for name in SYSTEMS:  # a 文号 lookup finds its one document first, in every system
        firsts = [page[0] if page else None for page in results[name].answers["docnum"]]
        assert firsts and all(f in by_number.values() for f in firsts), (name, firsts)
    firsts = {name: [p[:1] for p in results[name].answers["docnum"]] for name in SYSTEMS}
    assert firsts["ours"] == firsts["baseline"] == firsts["tantivy"]


@pytest.mark.slow
def test_the_pages_only_mode_measures_every_page_kind(tmp_path: Path) -> None:
    """`make bench-pages`: ours only, every page kind, the hostile comparison and a cold start, one table."""
    from bench.pages import KINDS, LABELS

    need_shared(STARD)
    args = argparse.Namespace(pages_only=True, pages=2, colds=1, no_http=True, out=tmp_path, keep=False)
    results, table = run(SIZE, ["ours"], args)
    assert list(results) == ["ours"] and "baseline" not in table
    for label in [*(LABELS[k].split(" of ")[0] for k in KINDS), "cold start to the first answer", "beside hostile"]:
        assert label in table  # the export's label names its real number of rows
    assert "Term tables for document pages and arrays for a cold start" in table and "errors)" not in table
    from bench.summary import load_runs, render

    runs = load_runs(sorted((tmp_path / str(SIZE)).glob("results-*.json")))
    assert len(runs) == 1 and "| cold start to the first answer |" in render(runs)
