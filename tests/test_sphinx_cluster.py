"""A real 2-node Sphinx cluster for the tests: install sphinxsearch if missing, start, stop. Helpers live here."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from indexer.config import Settings
from indexer.generations import store_path
from indexer.sphinx import client
from indexer.sphinx.cluster import Cluster, plan_nodes, searchd_path
from indexer.sphinx.conf import Tuning
from indexer.sphinx.writer import sync_cluster
from indexer.store import RecordStore

APT_TIMEOUT = 900  # seconds for apt-get update + install, lock wait included


def ensure_sphinx() -> str:
    """Return searchd's path, installing Debian's sphinxsearch first if needed; skip when that cannot be."""
    if client.pymysql is None:
        pytest.skip("the Sphinx backend needs PyMySQL: pip install PyMySQL==1.2.4")
    if searchd_path():
        return str(searchd_path())
    if not shutil.which("apt-get"):
        pytest.skip("sphinxsearch is not installed and there is no apt-get to install it")
    if os.geteuid() != 0:
        pytest.skip("sphinxsearch is not installed and installing it needs root: apt-get install sphinxsearch")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "-o", "DPkg::Lock::Timeout=600", "sphinxsearch"],
    ):
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=APT_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.skip(f"{' '.join(cmd)} took more than {APT_TIMEOUT} s")
        if done.returncode != 0:
            pytest.skip(f"{' '.join(cmd)} failed: {done.stderr.strip()[-300:]}")
    if not searchd_path():
        pytest.skip("sphinxsearch installed but searchd is not on PATH")
    return str(searchd_path())


@pytest.fixture(scope="session")
def sphinx_installed() -> str:
    """Session fixture: searchd installed (apt-get, lock timeout 600 s) or the test skipped with the reason."""
    return ensure_sphinx()


@contextmanager
def running_cluster(root: Path, count: int = 2, tuning: Tuning | None = None) -> Iterator[Cluster]:
    """Run a cluster of searchd processes on free 127.0.0.1 ports; stop it (SIGTERM) afterwards."""
    ensure_sphinx()  # installs once per session; afterwards it only finds searchd
    cluster = Cluster(plan_nodes(root, count), tuning)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def copy_store(index_dir: Path, target: Path) -> Path:
    """Copy an index directory's record store (only) into target; return target."""
    target.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(store_path(index_dir)) as src, sqlite3.connect(store_path(target)) as dst:
        src.backup(dst)
    return target


def sphinx_settings_for(index_dir: Path, cluster: Cluster, **extras: object) -> Settings:
    """Return Settings that select the Sphinx backend on a cluster."""
    return Settings(index_dir=index_dir, backend="sphinx", sphinx_nodes=cluster.addresses, extras=dict(extras))


def sync(settings: Settings, rebuild: bool = False) -> None:
    """Push the record store of settings.index_dir to the cluster."""
    store = RecordStore(store_path(settings.index_dir))
    try:
        sync_cluster(store, settings, rebuild=rebuild)
    finally:
        store.close()


@pytest.mark.sphinx
def test_cluster_starts_answers_and_stops_quickly(sphinx_installed, tmp_path):
    with running_cluster(tmp_path) as cluster:
        assert [n.number for n in cluster.nodes] == [1, 2]
        assert all(cluster.running(n) for n in (1, 2))
        conf = cluster.nodes[0].config_path.read_text()
        assert f"agent = 127.0.0.1:{cluster.nodes[1].api_port}:shard2" in conf
        assert "binlog_flush = 2" in conf and "collation_server = binary" in conf
        start = time.monotonic()
    assert time.monotonic() - start < 3.0  # SIGTERM with no client connected: no 3 s wait per node
    assert not any(cluster.running(n) for n in (1, 2))
