"""The fast path opens an index only under the Whoosh it was written for; otherwise one clear line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import whoosh
from click.testing import CliRunner

from indexer.cli import main
from indexer.config import Settings
from indexer.engine import whoosh as engine
from indexer.engine.whoosh import WHOOSH_VERSION, WhooshVersionError, check_whoosh_version
from indexer.engine.whoosh.backend import WhooshBackend

LEGACY = Path(__file__).resolve().parent / "data" / "legacy_index" / "index"


def test_the_installed_whoosh_is_the_one_the_fast_path_was_written_for() -> None:
    assert tuple(whoosh.__version__) == WHOOSH_VERSION
    check_whoosh_version()


def test_another_whoosh_is_refused_in_one_line_naming_both_versions() -> None:
    with pytest.raises(WhooshVersionError) as e:
        check_whoosh_version((2, 7, 4))
    message = str(e.value)
    assert "\n" not in message and "Whoosh 2.7.4 is installed" in message and "2.7.5" in message


def test_opening_or_searching_under_another_whoosh_fails_clearly(tmp_path: Path, monkeypatch) -> None:
    if not (LEGACY / "CURRENT").exists():
        pytest.skip(f"legacy index not found at {LEGACY}")
    index = shutil.copytree(LEGACY, tmp_path / "index")
    monkeypatch.setattr(engine, "WHOOSH_VERSION", (9, 9, 9))
    with pytest.raises(WhooshVersionError, match="written for Whoosh 9.9.9"):
        WhooshBackend(Settings(index_dir=index))
    result = CliRunner().invoke(main, ["search", "通知", "--index", str(index)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert [line for line in result.output.splitlines() if line] == [
        f"Error: Whoosh {whoosh.versionstring()} is installed but the index code was written for Whoosh 9.9.9: "
        "run `pip install whoosh-reloaded==9.9.9` (see indexer/engine/whoosh/README.md)"
    ]
