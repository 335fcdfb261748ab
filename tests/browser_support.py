"""Fixtures for real-browser tests: a live server on the session index and Debian's headless Chromium."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"  # screenshots (git-ignored)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}  # a common phone viewport, CSS pixels
DESKTOP = {"width": 1280, "height": 900}


def chromium_path() -> str | None:
    """Return Debian's Chromium binary, or None when it is not installed."""
    return shutil.which("chromium") or (shutil.which("chromium-browser"))


class LiveServer:
    """A werkzeug server for a Flask app on a free 127.0.0.1 port, in a thread."""

    def __init__(self, app: Any) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(app: Any) -> Iterator[LiveServer]:
    """The session app served over HTTP on 127.0.0.1."""
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (skips with the reason when it is missing)."""
    path = chromium_path()
    if path is None:
        pytest.skip("chromium is not installed: run `make e2e-system-deps` (Debian chromium, fonts-noto-cjk)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed in the venv")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh desktop-sized page with its own cookies; fails the test on a JavaScript error or a CSP violation."""
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url, locale="zh-CN", accept_downloads=True)
    pg = context.new_page()
    problems: list[str] = []
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    pg.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    pg.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    yield pg
    context.close()
    assert not problems, problems


def screenshot(pg: Any, name: str) -> Path:
    """Save a full-page screenshot into tests/artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path


def serious_violations(pg: Any) -> list[str]:
    """Run axe-core in the page; return the serious and critical violations, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(pg).response["violations"]
    return [f"{v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])}: {v['nodes'][0]['target']})"
            for v in found if v.get("impact") in ("serious", "critical")]
