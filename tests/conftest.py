"""Shared fixtures: a real index built once per session from real documents."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from indexer.config import Settings

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEED = ROOT / "corpus" / "000_7eabf1a7e4b02af4.txt"
LAWS = SHARED / "corpus" / "lawrefbook_laws.jsonl"
POLICY = SHARED / "corpus" / "policy_transparency_metadata.jsonl"
N_LAWS = 1000  # lawrefbook documents in the session index
N_POLICY = 300  # metadata-only records (no body) in the session index


def need_shared(path: Path = LAWS) -> Path:
    """Skip the test with a clear reason when ../shared (the development corpus) is absent."""
    if not path.exists():
        pytest.skip(f"development corpus not found at {path} (../shared is absent on this machine)")
    return path


def seed_paragraphs(n: int) -> list[str]:
    """Return the seed notice's first n paragraphs of 20+ characters: real text that is always here, for
    tests that need more than one document when ../shared is absent."""
    lines = SEED.read_text(encoding="utf-8", errors="replace").splitlines()
    return [p.strip() for p in lines if len(p.strip()) >= 20][:n]


def head_jsonl(path: Path, n: int, start: int = 0) -> list[dict]:
    """Return records start..start+n of a JSONL file."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in itertools.islice(fh, start, start + n)]


@pytest.fixture(scope="session")
def corpus_files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The session corpus: the seed notice, 1,000 laws and 300 metadata-only policy records."""
    need_shared(LAWS)
    need_shared(POLICY)
    tmp = tmp_path_factory.mktemp("corpus")
    laws, policy = tmp / "laws.jsonl", tmp / "policy.jsonl"
    laws.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in head_jsonl(LAWS, N_LAWS)), "utf-8")
    policy.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in head_jsonl(POLICY, N_POLICY)), "utf-8")
    return [str(SEED), str(laws), str(policy)]


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory, corpus_files: list[str]) -> Path:
    """A real index of the session corpus."""
    from indexer.ingest import ingest

    ix = tmp_path_factory.mktemp("ix")
    report = ingest(corpus_files, ix)
    assert report.skipped == 0, report.failures[:5]
    return ix


@pytest.fixture(scope="session")
def settings(index_dir: Path) -> Settings:
    return Settings(index_dir=index_dir)


@pytest.fixture(scope="session")
def backend(settings: Settings):
    from indexer.engine.whoosh.backend import WhooshBackend

    return WhooshBackend(settings)


@pytest.fixture(scope="session")
def app(settings: Settings):
    from webapp import create_app

    return create_app(settings)


@pytest.fixture
def client(app):
    return app.test_client()
