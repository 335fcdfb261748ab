"""The govsearch command line: exit codes, --json equals the API, clear errors."""

from __future__ import annotations

import json

from click.testing import CliRunner

from indexer.cli import main


def run(*args, **kw):
    return CliRunner().invoke(main, list(args), catch_exceptions=False, **kw)


def test_search_json_is_the_api_object(index_dir, client):
    r = run("search", "人民政府", "--index", str(index_dir), "--json", "--limit", "5")
    assert r.exit_code == 0
    cli = json.loads(r.output)
    api = client.get("/api/search?q=人民政府&per_page=5").get_json()
    assert cli == api


def test_bad_usage_exits_2_without_traceback(index_dir):
    r = run("search", "x", "--index", str(index_dir), "--no-such-option")
    assert r.exit_code == 2 and "Traceback" not in r.output
    r = run("search", "x", "--index", str(index_dir), "--filter", "novalue")
    assert r.exit_code == 2 and "FIELD=VALUE" in r.output


def test_missing_index_is_one_clear_line(tmp_path):
    r = run("search", "x", "--index", str(tmp_path / "nothing"))
    assert r.exit_code == 1 and "no index at" in r.output and "Traceback" not in r.output


def test_ingest_missing_path_exits_2(tmp_path):
    r = run("ingest", str(tmp_path / "nope.jsonl"), "--index", str(tmp_path / "ix"))
    assert r.exit_code == 2 and "no such file" in r.output


def test_export_writes_every_hit_and_a_manifest(index_dir, tmp_path, client):
    out = tmp_path / "out.jsonl"
    r = run("export", "人民政府", "--index", str(index_dir), "--format", "jsonl", "--output", str(out))
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    api = client.get("/api/search?q=人民政府").get_json()  # its total counts every copy, as the export holds
    total = api["total"]
    assert len(rows) == total == client.get("/api/search?q=人民政府&all=1").get_json()["total"]
    manifest = json.loads((tmp_path / "out.jsonl.manifest.json").read_text(encoding="utf-8"))
    assert manifest["query"] == "人民政府" and manifest["count"] == total
    assert [d["id"] for d in manifest["documents"]] == [row["id"] for row in rows]
    assert all(len(d["text_sha256"]) == 64 for d in manifest["documents"])
    assert all(row["copy_group"] for row in rows) and not manifest["collapse_duplicates"]
    one = tmp_path / "one.jsonl"
    r = run(
        "export", "人民政府", "--index", str(index_dir), "--format", "jsonl", "--output", str(one), "--one-per-group"
    )
    assert r.exit_code == 0, r.output
    listed = api["total"] - api["collapsed"]  # the hits the pages list: one per group of copies
    assert len(one.read_text(encoding="utf-8").splitlines()) == listed < total


def test_ingest_shows_a_progress_bar_on_a_terminal_and_a_summary(tmp_path):
    import os
    import pty
    import subprocess
    import sys

    from .conftest import SEED

    main_fd, child_fd = pty.openpty()
    gs = os.path.join(os.path.dirname(sys.executable), "govsearch")
    proc = subprocess.run(
        [gs, "ingest", str(SEED), "--index", str(tmp_path / "ix")],
        stderr=child_fd,
        stdout=subprocess.PIPE,
        text=True,
        timeout=120,
    )
    os.close(child_fd)
    shown = b""
    while True:
        try:
            chunk = os.read(main_fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(main_fd)
    assert proc.returncode == 0
    assert "ingest" in shown.decode() and "100%" in shown.decode()
    assert proc.stdout.strip().startswith("added 1, updated 0, unchanged 0, skipped 0")


def test_check_reports_a_sound_index(index_dir):
    r = run("check", "--index", str(index_dir))
    assert r.exit_code == 0 and r.output.strip().endswith("ok")
