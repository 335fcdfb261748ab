"""Fixtures for real-browser tests: a live server on the session index and Debian's headless Chromium."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"  # screenshots (git-ignored)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}  # a common phone viewport, CSS pixels
DESKTOP = {"width": 1280, "height": 900}


# Hostile and hierarchical records: markup, event handlers and javascript: URLs must render as text;
# 福建省 > 福州市 > 闽侯县 exercises the region drill-down; evil-1 and evil-2 cite evil-3 by its 文号.
HOSTILE_RECORDS: list[dict[str, Any]] = [
    {
        "id": "evil-1",
        "url": "javascript:alert(1)",
        "title": "<script>alert('t')</script>恶意标题 安全生产",
        "body": '正文<img src=x onerror=alert(1)> 安全生产 <a href="javascript:alert(2)">点我</a> </mark><mark> '
        "依据侯政办〔2014〕120号执行。",
        "agency": '"><svg onload=alert(3)>机关',
        "doc_number": "<b>文号</b>",
        "date": "2014-05-01",
        "topics": ["<i>主题</i>", "安全生产"],
        "doc_type": "通知",
        "region": "福建省/福州市/闽侯县",
        "status": "有效",
    },
    {
        "id": "evil-2",
        "url": "https://www.example.gov.cn/a?x=1&y=<2>",
        "title": "福州市安全生产应急预案",
        "body": "为做好安全生产工作，根据侯政办〔2014〕120号，制定本预案。",
        "agency": "福州市人民政府",
        "date": "2015-03-02",
        "region": "福建省/福州市",
        "doc_type": "预案",
        "status": "有效",
        "topics": ["安全生产"],
    },
    {
        "id": "evil-3",
        "url": "https://www.example.gov.cn/b",
        "title": "闽侯县关于安全生产检查的通知",
        "body": "开展安全生产检查。附件见下。",
        "agency": "闽侯县人民政府",
        "doc_number": "侯政办〔2014〕120号",
        "date": "2016-07-03",
        "region": "福建省/福州市/闽侯县",
        "doc_type": "通知",
        "status": "有效",
        "topics": ["安全生产"],
        "html": '<html><body><h1>闽侯县关于安全生产检查的通知</h1><div class="content"><p>开展安全生产检查。</p>'
        '<a href="https://www.example.gov.cn/files/plan.pdf">检查表.pdf</a> '
        '<a href="ftp://files.example.gov.cn/list.xls">名单.xls</a></div></body></html>',
    },
    {
        "id": "plain-4",
        "url": "https://www.example.gov.cn/c",
        "title": "厦门市安全生产工作要点",
        "body": "安全生产工作要点。",
        "agency": "厦门市人民政府",
        "date": "2017-01-05",
        "region": "福建省/厦门市",
        "doc_type": "通知",
        "status": "失效",
        "topics": ["安全生产", "应急管理"],
    },
]


def build_index(records: list[dict[str, Any]], index_dir: Path) -> Path:
    """Ingest records (INTERFACE.md JSON Lines) into an index directory; return it."""
    from indexer.ingest import ingest

    index_dir.mkdir(parents=True, exist_ok=True)
    src = index_dir.parent / f"{index_dir.name}-records.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    report = ingest([str(src)], index_dir)
    assert report.skipped == 0, report.failures
    return index_dir


@pytest.fixture(scope="session")
def hostile_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """An app over a small index of hostile and hierarchical records."""
    from indexer.config import Settings
    from webapp import create_app

    return create_app(Settings(index_dir=build_index(HOSTILE_RECORDS, tmp_path_factory.mktemp("hostile") / "ix")))


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:  # keep test output readable
        pass


def chromium_path() -> str | None:
    """Return Debian's Chromium binary, or None when it is not installed."""
    return shutil.which("chromium") or (shutil.which("chromium-browser"))


class LiveServer:
    """A werkzeug server for a Flask app on a free 127.0.0.1 port, in a thread."""

    def __init__(self, app: Any) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
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


def _is_problem(message: Any, pg: Any) -> bool:
    """Tell whether a console message is an error, other than the page's own error status (a 404 page)."""
    own_status = message.text.startswith("Failed to load resource") and message.location.get("url") == pg.url
    return bool(message.type == "error" and not own_status)


@contextmanager
def open_page(browser: Any, base_url: str, viewport: dict[str, int] = DESKTOP) -> Iterator[tuple[Any, list[str]]]:
    """Open a page with its own cookies; on leaving, fail if it saw a JavaScript error, a CSP violation or a dialog."""
    context = browser.new_context(viewport=viewport, base_url=base_url, locale="zh-CN", accept_downloads=True)
    pg = context.new_page()
    problems: list[str] = []
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    pg.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if _is_problem(m, pg) else None)
    pg.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    try:
        yield pg, problems
    finally:
        context.close()
    assert not problems, problems


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh desktop-sized page on the session app (see open_page)."""
    with open_page(browser, live_server.url) as (pg, _):
        yield pg


def screenshot(pg: Any, name: str, full_page: bool = True, max_height: int = 4000) -> Path:
    """Save a screenshot (the whole page, cut at max_height CSS pixels) into tests/artifacts/; return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    if full_page:
        size = pg.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        pg.screenshot(
            path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": size[0], "height": min(size[1], max_height)}
        )
    else:
        pg.screenshot(path=str(path))
    return path


def serious_violations(pg: Any) -> list[str]:
    """Run axe-core in the page; return the serious and critical violations, one line each."""
    axe = pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright-python is not installed")
    found = axe.Axe().run(pg).response["violations"]
    return [
        f"{v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])}: {v['nodes'][0]['target']})"
        for v in found
        if v.get("impact") in ("serious", "critical")
    ]
