"""Hostile documents and files: markup shown as text everywhere, formulas neutralised, ids never paths,
oversized, broken and malicious files refused with a reason while every good record of the batch goes in."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from lxml import etree
from lxml import html as lxml_html

from indexer.config import Settings
from indexer.generations import store_path
from indexer.ingest import ingest_items
from indexer.sources import Item

from .conftest import LAWS, head_jsonl, need_shared

FIGURES: dict[str, object] = {}
XSS = [
    '<script>alert("t")</script>',
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">点我</a>',
    '"><svg onload=alert(1)>',
    "'><body onload=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    "</textarea></title><script>alert(1)</script>",
    "<div><p>未闭合的<b>标签",
    "<!--",
    "]]><script>x</script>",
    "<style>*{display:none}</style>",
    "{{7*7}}",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
]
FORMULAS = ['=HYPERLINK("http://evil.example","点击")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "\t=1+1", "\r=1+1"]
PATH_IDS = [
    "../../etc/passwd",
    "/etc/passwd",
    "..\\..\\windows\\win.ini",
    "gen-x/../../escape",
    "%2e%2e%2fsecret",
    "records.sqlite",
    "CURRENT",
    ".lock",
    " ../spaced",
    "a" * 200,
]
REFUSED_IDS = ["a\x00b", "a" * 201, "\x1b[31m"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MB = 1024 * 1024


def hostile_records() -> list[dict[str, Any]]:
    """Documents whose every field carries markup, scripts, javascript: URLs or spreadsheet formulas."""
    body = "\n".join(f"第{i}条 安全生产 {x} 安全生产" for i, x in enumerate(XSS, start=1))
    page = (
        "<html><head><title>关于安全生产的公告</title><script>alert(2)</script></head><body>"
        "<h1 onclick='alert(3)'>关于安全生产的公告</h1><p>正文 安全生产 <img src=x onerror=alert(4)> "
        "&lt;script&gt;alert(5)&lt;/script&gt;</p><a href='javascript:alert(6)'>附件.pdf</a></body></html>"
    )
    return [
        {
            "id": "xss-1",
            "title": f"关于{XSS[0]}安全生产的通知{XSS[3]}",
            "body": body,
            "url": "javascript:alert(1)",
            "agency": "<b onmouseover=alert(1)>某局</b>",
            "doc_number": "<i>国发〔2014〕5号</i>",
            "topics": ["<script>x</script>", "安全生产"],
            "region": "<svg onload=alert(1)>",
            "date": "2014-12-01",
            "attachments": [{"url": "javascript:alert(1)", "name": XSS[1]}],
            "extra": XSS[2],
        },
        {"id": "xss-2", "html": page, "url": "https://example.gov.cn/a.html"},
        {
            "id": "formula-1",
            "title": FORMULAS[0],
            "body": f"{FORMULAS[1]}\n安全生产",
            "agency": FORMULAS[2],
            "doc_number": FORMULAS[3],
            "topics": [FORMULAS[4]],
            "region": FORMULAS[5],
            "note": "=cmd",
        },
        *[{"id": i, "title": f"路径 {n} 安全生产", "body": "安全生产"} for n, i in enumerate(PATH_IDS)],
        *[{"id": i, "title": "不应入库", "body": "安全生产"} for i in REFUSED_IDS],
    ]


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of hostile documents and a few real laws; nothing may be written outside it."""
    need_shared(LAWS)
    root = tmp_path_factory.mktemp("hostile")
    before = set(root.parent.rglob("*"))
    items = [Item(f"hostile:{n}", record=r) for n, r in enumerate(hostile_records() + head_jsonl(LAWS, 5))]
    report = ingest_items(items, root / "ix")
    assert report.added == len(items) - len(REFUSED_IDS), report.failures
    assert all("invalid id" in reason for _, reason in report.failures), report.failures
    created = {p for p in set(root.parent.rglob("*")) - before if root / "ix" not in (p, *p.parents)}
    assert created <= {root}, f"files written outside the index: {sorted(created)[:5]}"
    names = {p.name for p in (root / "ix").iterdir()}
    assert names <= {"records.sqlite", "records.sqlite-wal", "records.sqlite-shm", "CURRENT", ".lock"} | {
        n for n in names if n.startswith("gen-")
    }, names
    return root / "ix"


@pytest.fixture(scope="module")
def hostile_client(hostile_index: Path) -> FlaskClient:
    """A test client over the hostile index."""
    from webapp import create_app

    return create_app(Settings(index_dir=hostile_index)).test_client()


def assert_inert(page: str, where: str) -> None:
    """Assert an HTML page runs nothing from the content: no script, no on* handler, no javascript: URL."""
    tree = lxml_html.fromstring(page)
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        assert el.tag not in ("script", "iframe", "object", "embed", "base"), f"<{el.tag}> in {where}"
        assert not (el.tag == "meta" and el.get("http-equiv", "").lower() == "refresh"), where
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), f"{name}= on <{el.tag}> in {where}"
            compact = "".join(ch for ch in value if ch.isprintable() and not ch.isspace()).lower()
            assert not compact.startswith(("javascript:", "vbscript:", "data:text/html")), f"{name}={value} in {where}"


def assert_marks_only(fragment: str, where: str) -> None:
    """Assert a snippet is escaped text with <mark> elements and nothing else."""
    wrapper = lxml_html.fragment_fromstring(f"<div>{fragment}</div>")
    tags = {el.tag for el in wrapper.iter() if isinstance(el.tag, str)} - {"div"}
    assert tags <= {"mark"}, f"{tags} in the snippet of {where}: {fragment[:200]}"


def test_markup_in_documents_is_shown_as_text_everywhere(hostile_client: FlaskClient) -> None:
    """Results, snippets, document pages, the API and the feed show hostile markup as text; nothing runs."""
    shown = 0
    urls = [
        "/search?q=安全生产",
        "/search?q=" + quote(XSS[0]),
        "/search?topic=" + quote("<script>x</script>"),
        "/doc/xss-1?q=安全生产",
        "/doc/xss-2?q=安全生产",
        "/doc/formula-1",
        "/doc/" + quote(XSS[1]),
        "/search?q=" + quote('"><svg onload=alert(1)>'),
        "/?lang=" + quote(XSS[0]),
    ]
    for url in urls:
        resp = hostile_client.get(url)
        page = resp.get_data(as_text=True)
        assert resp.status_code in (200, 404), url
        assert_inert(page, url)
        shown += page.count("&lt;script&gt;")
    doc = hostile_client.get("/doc/xss-1?q=安全生产").get_data(as_text=True)
    text = lxml_html.fromstring(doc).text_content()
    assert all(x in text for x in XSS[:4]), "the markup is not shown as text on the document page"
    api = hostile_client.get("/api/search?q=安全生产&per_page=50").get_json()
    assert {"xss-1", "xss-2"} <= {h["id"] for h in api["hits"]}
    for hit in api["hits"]:
        assert_marks_only(hit["snippet"], hit["id"])
    feed = etree.fromstring(hostile_client.get("/search.atom?q=安全生产").get_data())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [t.text for t in feed.findall("a:entry/a:title", ns)]
    assert any(t and XSS[0] in t for t in titles), titles
    for summary in feed.findall("a:entry/a:summary", ns):
        assert summary.get("type") == "html"
        assert_marks_only(summary.text or "", "feed")
    FIGURES["escaped <script> shown as text"] = shown


def test_csp_forbids_inline_script(hostile_client: FlaskClient) -> None:
    """Every HTML page sends a Content-Security-Policy without inline or eval'd script."""
    for url in ("/", "/search?q=安全生产", "/doc/xss-1", "/doc/no-such-document"):
        resp = hostile_client.get(url)
        policy = {d.split()[0]: d.split()[1:] for d in resp.headers["Content-Security-Policy"].split(";") if d.strip()}
        scripts = policy.get("script-src", policy.get("default-src"))
        assert scripts and not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(scripts), policy
        assert policy.get("object-src") == ["'none'"] and resp.headers["X-Content-Type-Options"] == "nosniff"


def test_exported_cells_never_run_as_formulas(hostile_client: FlaskClient) -> None:
    """CSV and XLSX exports neutralise cells starting with = + - @ (XLSX read back with openpyxl)."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(hostile_client.get("/export.xlsx?q=安全生产").get_data()))
    cells = [c for row in book["results"].iter_rows(min_row=2) for c in row if c.value is not None]
    assert any("HYPERLINK" in str(c.value) for c in cells), "the formula document is not in the export"
    for c in cells:
        assert c.data_type != "f" and not str(c.value).startswith(FORMULA_START), (c.coordinate, c.value)
    rows = list(csv.reader(io.StringIO(hostile_client.get("/export.csv?q=安全生产").get_data(as_text=True))))
    assert any("HYPERLINK" in v for r in rows for v in r)
    assert not [v for r in rows[1:] for v in r if v.startswith(FORMULA_START)]
    FIGURES["export cells checked"] = f"{len(cells)} XLSX cells, {sum(map(len, rows))} CSV cells"


def test_document_ids_never_become_file_paths(hostile_client: FlaskClient, hostile_index: Path) -> None:
    """Ids like ../../etc/passwd are plain keys: served as records, never read from or written to disk."""
    served = 0
    for doc_id in (i.strip() for i in PATH_IDS):  # ids are stored trimmed
        resp = hostile_client.get("/api/doc/" + quote(doc_id, safe=""))
        if doc_id.startswith("/"):  # a path segment cannot start with "/": a clear 404, never another id
            assert resp.status_code == 404 and resp.get_json()["ok"] is False, resp.status_code
            continue
        assert resp.status_code == 200 and resp.get_json()["id"] == doc_id, doc_id
        page = hostile_client.get("/doc/" + quote(doc_id, safe="")).get_data(as_text=True)
        assert "root:x:0:0" not in page and "路径" in page, doc_id
        served += 1
    FIGURES["path-like ids served as records"] = f"{served} of {len(PATH_IDS)} (ids starting with / redirect)"
    for url in (
        "/api/doc/..%2F..%2F..%2Fetc%2Fshadow",
        "/doc/%2e%2e/%2e%2e/etc/shadow",
        "/api/doc/a%00b",
        "/doc/" + quote(str(hostile_index / "records.sqlite"), safe=""),
    ):
        resp = hostile_client.get(url, follow_redirects=True)
        assert resp.status_code == 404 and b"SQLite format" not in resp.get_data(), url
    assert store_path(hostile_index).stat().st_size > 0


def sparse(path: Path, size: int, head: bytes = b"") -> Path:
    """Create a file of `size` bytes that takes no disk space beyond its head."""
    with path.open("wb") as fh:
        fh.write(head)
        fh.truncate(size)
    return path


def long_line(path: Path, size: int) -> None:
    """Append one JSON record of about `size` bytes, streamed (never held in memory)."""
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"id": "too-long", "title": "超长", "body": "')
        for _ in range(size // MB):
            fh.write("安" * (MB // 3))
        fh.write('"}\n')


def hostile_files(folder: Path, good: list[dict[str, Any]]) -> dict[str, str]:
    """Write good records among hostile files; return {file or record: the reason expected in its skip line}."""
    lines = [
        json.dumps(good[0], ensure_ascii=False),
        "{not json",
        '{"id": "trunc", "title": "半截',
        json.dumps({"id": "gbk-line", "title": "国标"}, ensure_ascii=False),
        "[1, 2]",
        "1" * 5000,
        "[" * 100_000,
        json.dumps(good[1], ensure_ascii=False),
        '{"id": "x", "title": "\\ud800坏字", "body": "正文"}',
        json.dumps({"id": "nested", "title": "嵌套", "extra": json.loads("[" * 60 + "]" * 60)}),
        json.dumps({"id": "long-body", "title": "超长正文", "body": "安全生产。" * 300_000}, ensure_ascii=False),
        "\ufeff" + json.dumps(good[2], ensure_ascii=False),
    ]
    data = "\n".join(lines).encode("utf-8").replace("国标".encode(), "国标".encode("gbk")) + b"\n"
    (folder / "mixed.jsonl").write_bytes(data + "é".encode("latin-1") + b"\n")
    long_line(folder / "mixed.jsonl", 21 * MB)
    (folder / "good.jsonl").write_text("".join(json.dumps(g, ensure_ascii=False) + "\n" for g in good[3:]), "utf-8")
    page = (
        "<html><head><meta charset='gbk'><title>关于做好防汛工作的通知</title></head>"
        "<body><div id='zoomcon'><p>各乡镇：请做好防汛"
    )
    (folder / "truncated.html").write_bytes(page.encode("gbk")[:-7])
    (folder / "deep.html").write_text("<html><body>" + "<div>" * 200_000 + "深" + "</div>" * 10 + "</bo", "utf-8")
    (folder / "utf16.txt").write_bytes("关于防汛的通知\n正文".encode("utf-16"))
    (folder / "latin1.txt").write_bytes(bytes(range(128, 256)) * 40)
    huge_files(folder)
    return {
        "mixed.jsonl:2": "invalid JSON",
        "mixed.jsonl:3": "invalid JSON",
        "mixed.jsonl:4": "not UTF-8",
        "mixed.jsonl:5": "must be a JSON object",
        "mixed.jsonl:6": "invalid JSON",
        "mixed.jsonl:7": "invalid JSON",
        "mixed.jsonl:10": "nested deeper",
        "mixed.jsonl:13": "not UTF-8",
        "mixed.jsonl:14": "byte limit",
        "huge.html": "byte limit",
        "huge.txt": "byte limit",
        "huge.json": "byte limit",
        "huge.jsonl:1": "byte limit",
        "latin1.txt": "unknown encoding",
    }


def huge_files(folder: Path) -> list[Path]:
    """Write 200 MB files of every kind (sparse: no disk space, but 200 MB to read)."""
    return [
        sparse(folder / "huge.html", 200 * MB, b"<html><head><title>"),
        sparse(folder / "huge.txt", 200 * MB),
        sparse(folder / "huge.json", 200 * MB, b'[{"id": "a"}'),
        sparse(folder / "huge.jsonl", 200 * MB, b'{"id": "huge", "body": "'),
    ]


def peak_rss(pid: int) -> int:
    """Return a live process's peak resident memory so far (VmHWM) in MiB, or 0 once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return next((int(line.split()[1]) // 1024 for line in status.splitlines() if line.startswith("VmHWM:")), 0)


def run_measured(cmd: list[str], timeout: float) -> tuple[subprocess.CompletedProcess[str], float, int]:
    """Run a command; return its result, wall seconds and peak RSS in MiB.

    The peak is the child's own high-water mark, polled from /proc: getrusage and wait4 would report the
    pytest process's size, which a forked child inherits in ru_maxrss.
    """
    start, peak = time.monotonic(), 0
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        while proc.poll() is None and time.monotonic() - start < timeout:
            peak = max(peak, peak_rss(proc.pid))
            time.sleep(0.02)
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(cmd, proc.returncode, out.read(), err.read())
    return done, time.monotonic() - start, peak


@pytest.mark.slow
def test_hostile_files_are_refused_with_a_reason_and_good_records_go_in(tmp_path: Path) -> None:
    """A batch of broken, oversized and mis-encoded files: each refused with its reason, in bounded time and memory."""
    need_shared(LAWS)
    good = [{**r, "body": r["body"][:2000]} for r in head_jsonl(LAWS, 8, start=100)]
    folder = tmp_path / "in"
    folder.mkdir()
    expected = hostile_files(folder, good)
    exe = Path(sys.executable).with_name("govsearch")
    done, seconds, rss = run_measured([str(exe), "ingest", str(folder), "--index", str(tmp_path / "ix")], 180)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    skipped = {
        line.split(": ", 1)[0].removeprefix("skipped ").removeprefix(str(folder) + "/"): line
        for line in done.stderr.splitlines()
        if line.startswith("skipped ")
    }
    for source, reason in expected.items():
        assert source in skipped and reason in skipped[source], (source, reason, sorted(skipped))
    from indexer.engine.whoosh.backend import WhooshBackend

    backend = WhooshBackend(Settings(index_dir=tmp_path / "ix"))
    held = {r["id"] for r in backend.iter_records(_all())}
    assert {g["id"] for g in good} <= held, sorted({g["id"] for g in good} - held)
    assert {"x", "truncated", "long-body"} <= held, held
    long_body = backend.document("long-body")
    assert len(long_body["body"]) <= 1_000_000 and any("truncated" in n for n in long_body.get("notes", []))
    assert "\ud800" not in backend.document("x")["title"]
    FIGURES["hostile batch"] = (
        f"{len(expected)} refused with their reason, {len(held)} documents in; "
        f"{seconds:.1f} s, peak RSS {rss} MiB; {done.stdout.strip()}"
    )
    assert seconds < 120 and rss < 1024, FIGURES["hostile batch"]


def test_200_mb_files_are_refused_before_they_are_read(tmp_path: Path) -> None:
    """Files of 200 MB are refused by their size: the ingest's peak memory stays far below 200 MB more than idle."""
    (tmp_path / "in").mkdir()
    huge_files(tmp_path / "in")
    exe = str(Path(sys.executable).with_name("govsearch"))
    (tmp_path / "empty.jsonl").write_text("")
    _, _, base = run_measured([exe, "ingest", str(tmp_path / "empty.jsonl"), "--index", str(tmp_path / "ix0")], 120)
    done, seconds, rss = run_measured([exe, "ingest", str(tmp_path / "in"), "--index", str(tmp_path / "ix")], 120)
    assert done.returncode == 0 and "skipped 4" in done.stdout, done.stderr
    assert sum("byte limit" in line for line in done.stderr.splitlines() if line.startswith("skipped")) == 4
    FIGURES["200 MB files"] = f"4 refused in {seconds:.1f} s; peak RSS {rss} MiB (an empty ingest: {base} MiB)"
    assert rss - base < 64, FIGURES["200 MB files"]


def _all() -> Any:
    from indexer.models import SearchRequest

    return SearchRequest(q="", collapse=False)


def zip_bomb_docx() -> bytes:
    """A DOCX whose document.xml unpacks to 300 MB of the same run of text."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            chunk = b"<w:p><w:r><w:t>" + b"A" * (MB - 40) + b"</w:t></w:r></w:p>"
            fh.write(b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
            for _ in range(300):
                fh.write(chunk)
            fh.write(b"</w:body></w:document>")
    return buf.getvalue()


def looping_pdf() -> bytes:
    """A PDF whose page tree contains itself and whose xref chain points back at itself."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
        b"<< /Length 0 >>\nstream\n\nendstream",
    ]
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for n, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref, xref)
    return bytes(out)


@pytest.mark.parametrize(
    ("name", "make", "expected"), [("bomb.docx", zip_bomb_docx, "zip bomb"), ("loop.pdf", looping_pdf, "PDF")]
)
def test_attachment_bombs_are_refused_in_bounded_time(name: str, make: Any, expected: str) -> None:
    """The crawler's attachment reader refuses a zip bomb and survives a looping PDF, within its limits."""
    attachments = pytest.importorskip("indexer.crawl.attachments")
    data = make()
    start = time.monotonic()
    got = attachments.attachment_text(data, name, timeout=20)
    seconds = time.monotonic() - start
    FIGURES[f"attachment {name}"] = f"{len(data)} bytes -> {got.note!r} in {seconds:.1f} s"
    assert not got.text.strip() or len(got.text) <= attachments.MAX_TEXT, got.text[:100]
    assert got.note and expected in got.note, got
    assert seconds < 25


@pytest.fixture(scope="module", autouse=True)
def _print_figures() -> Any:
    yield
    for name, value in FIGURES.items():
        print(f"\n[hostile] {name}: {value}")


@pytest.mark.slow
def test_a_hostile_long_query_answers_within_seconds(tmp_path: Path) -> None:
    """A 1,000-character query of one repeated word must not hold a worker for long (a cheap denial of service)."""
    need_shared(LAWS)
    docs = [{**r, "body": r["body"][:600]} for r in head_jsonl(LAWS, 40)]
    (tmp_path / "docs.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), "utf-8")
    ingest_items([Item("docs", record=d) for d in docs], tmp_path / "ix")
    exe = str(Path(sys.executable).with_name("govsearch"))
    timings = []
    for q in ("政府", "政府 " * 333):
        start = time.monotonic()
        subprocess.run(
            [exe, "search", q, "--index", str(tmp_path / "ix"), "--json"], capture_output=True, timeout=60, check=True
        )
        timings.append(time.monotonic() - start)
    FIGURES["query of 333 repeated words"] = f"{timings[1]:.1f} s (one word: {timings[0]:.1f} s, start-up included)"
    assert timings[1] < timings[0] + 2.0, FIGURES["query of 333 repeated words"]


def test_scrub_replaces_every_lone_surrogate_in_flat_and_nested_records():
    """The flat-record path (one search over every key and string) gives what the per-string walk gives."""
    from indexer.pipeline import scrub

    assert scrub({"id": "a", "title": "好\ud800", "n": 3, "x": None}) == {
        "id": "a",
        "title": "好\ufffd",
        "n": 3,
        "x": None,
    }
    assert scrub({"\udc00k": "v", "ok": True}) == {"\ufffdk": "v", "ok": True}
    assert scrub({"id": "a", "tags": ["\ud800", {"k": "\udfff"}]}) == {"id": "a", "tags": ["\ufffd", {"k": "\ufffd"}]}
    clean = {"id": "a", "title": "标题", "body": "正文", "n": 1.5}
    assert scrub(clean) == clean and scrub(clean) is not clean
