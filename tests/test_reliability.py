"""Crash safety and concurrency: SIGKILL during ingest and rebuild, disk full, read-only, live server under updates."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

from indexer.check import check_index
from indexer.config import Settings
from indexer.engine.whoosh.backend import REFRESH_SECONDS, WhooshBackend
from indexer.generations import current_generation, journal_landed, open_index, store_path
from indexer.ingest import ingest
from indexer.models import SearchRequest
from indexer.store import RecordStore

from .conftest import LAWS, head_jsonl, need_shared

BODY_CHARS = 1000  # real laws cut to this length: the same code paths, a fraction of the indexing time
KILLS = 20  # SIGKILLs the crash test must land while an ingest holds the writer lock
BATCH_DOCS = 8  # new documents per ingest in the crash test
CRASH_BODY_CHARS = 400  # shorter still in the crash test: each of its runs is checked twice in full
CRASH_BUDGET = 240.0  # seconds the kill loop may take before it stops adding kills
REQUESTS = 2000  # requests the concurrency test must send across its clients
CLIENTS = 8
SERVER_BUDGET = 150.0  # seconds the client threads may run at most
FIGURES: dict[str, object] = {}  # what each test measured, printed at the end of the module


@pytest.fixture(scope="module", autouse=True)
def _print_figures() -> Iterator[None]:
    yield
    for name, value in FIGURES.items():
        print(f"\n[reliability] {name}: {value}")


def real_docs(n: int, start: int = 0, chars: int = BODY_CHARS) -> list[dict]:
    """Return n real laws from the development corpus, bodies cut to `chars` characters."""
    need_shared(LAWS)
    return [{**r, "body": (r.get("body") or "")[:chars]} for r in head_jsonl(LAWS, n, start)]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    """Write records as JSON Lines."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def govsearch(*args: str) -> list[str]:
    """Return the command line of the installed `govsearch` script."""
    exe = Path(sys.executable).with_name("govsearch")
    return [str(exe), *args] if exe.exists() else [sys.executable, "-m", "indexer.cli", *args]


def run_cli(*args: str, timeout: float = 120, **kw: object) -> subprocess.CompletedProcess[str]:
    """Run govsearch to the end and capture its output."""
    return subprocess.run(govsearch(*args), capture_output=True, text=True, timeout=timeout, check=False, **kw)


def lock_held(ix: Path) -> bool:
    """Tell whether another process holds the index's writer lock (probed without waiting)."""
    try:
        with open(ix / ".lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(fh, fcntl.LOCK_UN)
            return False
    except BlockingIOError:
        return True


def wait_for_lock(proc: subprocess.Popen, ix: Path, timeout: float = 30) -> bool:
    """Wait until the child holds the writer lock; False if it ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if lock_held(ix):
            return True
        time.sleep(0.005)
    return False


def whoosh_ids(ix: Path) -> list[str]:
    """Return the id of every live document in the current Whoosh generation (repeats kept)."""
    with open_index(ix).searcher() as s:
        return [f["id"] for f in s.all_stored_fields()]


def store_ids(ix: Path) -> tuple[set[str], set[str]]:
    """Return (every stored id, the ids the store says the index holds, a commit that landed included)."""
    store = RecordStore(store_path(ix), readonly=True)
    try:
        rows = store.db.execute("SELECT id, indexed FROM records").fetchall()
        landed = journal_landed(store, ix)
    finally:
        store.close()
    return {r[0] for r in rows}, {r[0] for r in rows if r[1] or landed}


def assert_sound(ix: Path, before: set[str]) -> set[str]:
    """Assert the index opens, answers, and holds exactly the last completed commit; return its ids."""
    ids = whoosh_ids(ix)
    held = set(ids)
    stored, committed = store_ids(ix)
    assert len(ids) == len(held), "a document is indexed twice"
    assert held in (before, stored), f"partial commit: {len(held - before)} new of {len(stored - before)}"
    assert committed == held, f"store and index disagree: {sorted(committed ^ held)[:5]}"
    report = check_index(ix)
    assert not report.damage, report.problems
    assert (report.pending == 0) == (held == stored), report.problems
    backend = WhooshBackend(Settings(index_dir=ix))
    assert backend.search(SearchRequest(q="", collapse=False, per_page=1)).total == len(held)
    assert backend.search(SearchRequest(q="条例", collapse=False)).total > 0
    return held


def kill_point(ix: Path, before: set[str], after: set[str]) -> str:
    """Name where a kill landed, from what the store and the index hold afterwards."""
    if after != before:
        return "after the index commit"
    return "before the store commit" if store_ids(ix)[0] == before else "between the store and the index commit"


def assert_complete(ix: Path, expected: set[str] | None = None) -> set[str]:
    """Assert every stored record (and every expected id) is indexed and the check is clean; return the ids."""
    stored, committed = store_ids(ix)
    held = set(whoosh_ids(ix))
    assert held == stored == committed, (len(held), len(stored), len(committed))
    assert expected is None or held == expected, sorted(held ^ expected)[:5]
    report = check_index(ix)
    assert report.ok, report.problems
    return held


@dataclass
class Reader:
    """A backend opened before a writer starts, searched from a thread for as long as the writer runs."""

    ix: Path
    totals: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.backend = WhooshBackend(Settings(index_dir=self.ix))
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                self.totals[self.backend.search(SearchRequest(q="", collapse=False, per_page=1)).total] += 1
            except Exception as e:  # noqa: BLE001 - every failure of a reader is what this test counts
                self.errors.append(f"{type(e).__name__}: {e}")
            time.sleep(0.02)

    def close(self) -> None:
        """Stop searching."""
        self.stop.set()
        self.thread.join(10)


@contextlib.contextmanager
def holding_lock(ix: Path) -> Iterator[None]:
    """Hold the writer lock from the test itself: a child started meanwhile waits for it (up to its timeout)."""
    with open(ix / ".lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def run_and_kill(cmd: list[str], ix: Path, delay: float | None, meanwhile: Callable[[], object]) -> tuple[bool, float]:
    """Start cmd, run `meanwhile` while it starts up, SIGKILL it `delay` s after it takes the writer lock.

    The test holds the lock while `meanwhile` runs, so the child cannot touch the index before. With delay None
    the child runs to the end. Returns (killed, seconds the child held the lock).
    """
    with holding_lock(ix):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        meanwhile()
    try:
        assert wait_for_lock(proc, ix), f"ingest ended before taking the lock: exit {proc.poll()}"
        locked = time.monotonic()
        try:
            proc.wait(delay if delay is not None else 120)
            return False, time.monotonic() - locked
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            return True, time.monotonic() - locked
    finally:
        if proc.poll() is None:
            proc.kill()
        _, err = proc.communicate(timeout=30)
        assert proc.returncode in (0, -signal.SIGKILL), err[-2000:]


@pytest.mark.slow
def test_sigkill_during_ingest_and_rebuild_never_damages_the_index(tmp_path: Path) -> None:
    """Kill `govsearch ingest` (batches and --rebuild) at random moments; check after every kill, then finish."""
    rnd = random.Random(20240601)
    docs = real_docs(40 + BATCH_DOCS * 100, chars=CRASH_BODY_CHARS)
    ix = tmp_path / "ix"
    ingest([str(write_jsonl(tmp_path / "base.jsonl", docs[:40]))], ix)
    held = assert_complete(ix)
    batches = [
        write_jsonl(tmp_path / f"b{i:03d}.jsonl", docs[40 + BATCH_DOCS * i : 40 + BATCH_DOCS * (i + 1)])
        for i in range(100)
    ]
    work: dict[str, float] = {}  # seconds each kind held the lock when it ran to the end
    kills: Counter[str] = Counter()
    states: Counter[str] = Counter()
    start, cycle, check = time.monotonic(), 0, functools.partial(assert_complete, ix, held)
    while sum(kills.values()) < KILLS + 2 and cycle < len(batches) and time.monotonic() - start < CRASH_BUDGET:
        kind = "rebuild" if cycle % 3 == 2 else "ingest"
        cmd = govsearch("ingest", str(batches[cycle]), "--index", str(ix), *(["--rebuild"] * (kind == "rebuild")))
        cycle += 1
        reader = Reader(ix) if kind == "rebuild" else None
        delay = rnd.uniform(0, 0.95 * work[kind]) if kind in work else None
        killed, seconds = run_and_kill(cmd, ix, delay, check)  # the previous run is checked while this one starts
        if reader is not None:
            reader.close()
            assert not reader.errors, reader.errors[:3]
            assert set(reader.totals) <= {len(held), len(held) + BATCH_DOCS}, reader.totals
        if killed:
            kills[kind] += 1
            states[kill_point(ix, held, assert_sound(ix, held))] += 1
            ingest([], ix)  # the next ingest finishes the work (records never stored stay out)
        else:
            work[kind] = max(work.get(kind, 0.0), seconds)
        held = set(whoosh_ids(ix))
        check = functools.partial(assert_complete, ix, held)
    check()
    elapsed = time.monotonic() - start
    FIGURES["crash"] = (
        f"{sum(kills.values())} SIGKILLs survived ({dict(kills)}) in {elapsed:.0f} s over {cycle} "
        f"runs; after the kill: {dict(states)}; {len(held)} documents at the end; "
        f"seconds holding the lock when not killed: { {k: round(v, 1) for k, v in work.items()} }"
    )
    assert sum(kills.values()) >= KILLS, FIGURES["crash"]
    assert kills["rebuild"] >= 3, FIGURES["crash"]


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """Mount a small tmpfs at path (root only), unmounted afterwards."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or 'not root'})")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def remount(path: Path, options: str) -> None:
    """Change the options of a mount made by tmpfs()."""
    subprocess.run(["mount", "-o", f"remount,{options}", str(path)], check=True)


def assert_one_clear_line(done: subprocess.CompletedProcess[str], *words: str) -> str:
    """Assert exit status 1 and one error line on stderr, no traceback, with every word (a|b: either)."""
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert len(lines) == 1, lines
    assert all(any(alt in lines[0].lower() for alt in w.lower().split("|")) for w in words), lines[0]
    return lines[0]


def fill(mount: Path, leave: int) -> None:
    """Fill a mount with a file until only about `leave` bytes are free."""
    free = os.statvfs(mount).f_bavail * os.statvfs(mount).f_frsize
    with open(mount / "filler", "wb") as fh:
        with contextlib.suppress(OSError):
            fh.write(b"\0" * max(0, free - leave))


@pytest.mark.slow
def test_disk_full_is_one_clear_line_and_no_damage(tmp_path: Path) -> None:
    """A full disk stops the ingest with one line and exit 1; the index keeps serving; more room lets it finish."""
    docs = real_docs(30 + 10)
    lines = []
    with tmpfs(tmp_path / "mnt", "8m") as mnt:
        ix = mnt / "ix"
        ingest([str(write_jsonl(tmp_path / "base.jsonl", docs[:30]))], ix)
        base = assert_complete(ix)
        more = write_jsonl(tmp_path / "more.jsonl", docs[30:])
        for leave, rebuild in ((8_000, False), (200_000, False), (400_000, True)):  # store, index commit, rebuild
            fill(mnt, leave)
            done = run_cli("ingest", str(more), "--index", str(ix), *(["--rebuild"] * rebuild))
            lines.append(assert_one_clear_line(done, "cannot write the index", "no space left|disk is full"))
            (mnt / "filler").unlink()
            assert set(whoosh_ids(ix)) == base
            report = check_index(ix)
            assert not report.damage, report.problems
            assert not list(ix.glob("gen-*.tmp")), "a half-written generation was left on the full disk"
        done = run_cli("ingest", str(more), "--index", str(ix))
        assert done.returncode == 0, done.stderr
        assert assert_complete(ix) == base | {d["id"] for d in docs[30:]}
    FIGURES["disk full"] = [line.split(": ", 2)[-1] for line in lines]
    assert any("records.sqlite" in line for line in lines) and any("No space left" in line for line in lines)


def test_read_only_index_is_one_clear_line_and_still_serves(tmp_path: Path) -> None:
    """A read-only index directory refuses an ingest with one line and exit 1, and still answers searches."""
    docs = real_docs(25)
    with tmpfs(tmp_path / "mnt", "32m") as mnt:
        ix = mnt / "ix"
        ingest([str(write_jsonl(tmp_path / "base.jsonl", docs[:20]))], ix)
        base = assert_complete(ix)
        remount(mnt, "ro")
        done = run_cli("ingest", str(write_jsonl(tmp_path / "more.jsonl", docs[20:])), "--index", str(ix))
        line = assert_one_clear_line(done, "read-only")
        found = run_cli("search", "条例", "--index", str(ix), "--json")
        assert found.returncode == 0, found.stderr
        assert json.loads(found.stdout)["total"] > 0
        remount(mnt, "rw")
        assert assert_complete(ix) == base
    FIGURES["read-only"] = line


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Load:
    """Client threads sending a mix of page, API and document requests to a live server."""

    port: int
    paths: list[str]
    sent: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, n: int) -> list[threading.Thread]:
        """Start n client threads."""
        threads = [threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(n)]
        for t in threads:
            t.start()
        return threads

    def total(self) -> int:
        """Return the number of requests answered or failed so far."""
        return sum(self.sent.values())

    def _client(self, seed: int) -> None:
        rnd = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        while not self.stop.is_set():
            path = rnd.choice(self.paths)
            try:
                conn.request("GET", path)
                resp = conn.getresponse()
                body = resp.read()
                ok = resp.status == 200 and (not path.startswith("/api/search") or "hits" in json.loads(body))
                error = None if ok else f"{resp.status} {path}: {body[:200]!r}"
            except (OSError, http.client.HTTPException, ValueError) as e:
                error = f"{type(e).__name__}: {e} ({path})"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            with self.lock:
                self.sent[path.split("?")[0]] += 1
                if error:
                    self.errors.append(error)
        conn.close()


def wait_until_up(port: int, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    """Wait until the server answers /healthz."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-3000:]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            time.sleep(0.2)
        finally:
            conn.close()
    raise AssertionError("server did not start")


def two_writers_at_once(ix: Path, batch: Path) -> tuple[str, subprocess.CompletedProcess[str]]:
    """Start two ingests from stdin at once: one waits for input holding the lock, the other must give up."""
    cmd = govsearch("ingest", "-", "--index", str(ix))
    procs = [
        subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    deadline = time.monotonic() + 60
    while all(p.poll() is None for p in procs) and time.monotonic() < deadline:
        time.sleep(0.1)
    loser = next(p for p in procs if p.poll() is not None)
    winner = next(p for p in procs if p is not loser)
    out, err = loser.communicate()
    busy = subprocess.CompletedProcess(loser.args, loser.returncode, out, err)
    line = assert_one_clear_line(busy, "index is busy")
    out, err = winner.communicate(batch.read_text(encoding="utf-8"), timeout=180)
    return line, subprocess.CompletedProcess(winner.args, winner.returncode, out, err)


@pytest.mark.slow
def test_searches_never_fail_while_the_index_is_updated_and_swapped(tmp_path: Path) -> None:
    """8 clients against a live gunicorn server: not one error during updates, two writers and a rebuild swap."""
    docs = real_docs(60 + 3 * 8 + 50)
    ix = tmp_path / "ix"
    ingest([str(write_jsonl(tmp_path / "base.jsonl", docs[:60]))], ix)
    batches = [write_jsonl(tmp_path / f"u{i}.jsonl", docs[60 + 8 * i : 68 + 8 * i]) for i in range(3)]
    big = write_jsonl(tmp_path / "big.jsonl", docs[84:])
    words = ["条例", "管理", "人民政府", "规定", '"口岸"', "安全", "委员会", "条例 管理"]
    paths = (
        [f"/api/search?q={quote(w)}&per_page=5" for w in words]
        + [f"/search?q={quote(w)}" for w in words[:3]]
        + [f"/api/doc/{quote(d['id'])}" for d in docs[:10]]
        + ["/healthz", "/api/search?q=&sort=date"]
    )
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        govsearch("serve", "--index", str(ix), "--port", str(port), "--workers", "2", "--threads", "4"),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    load = Load(port, paths)
    try:
        wait_until_up(port, server, tmp_path / "server.log")
        start = time.monotonic()
        threads = load.start(CLIENTS)
        gens = {current_generation(ix)}
        for batch in batches:
            done = run_cli("ingest", str(batch), "--index", str(ix))
            assert done.returncode == 0 and "added 8" in done.stdout, done.stderr
        busy, swap = two_writers_at_once(ix, big)
        assert swap.returncode == 0, swap.stderr
        gens.add(current_generation(ix))
        swapped_at = load.total()
        title = docs[-1]["title"]
        deadline, found = time.monotonic() + 30, False
        while time.monotonic() < deadline and not (found := _found(port, docs[-1]["id"], title)):
            time.sleep(0.2)
        # a server thread looks for a newer index at most every REFRESH_SECONDS: once that has passed since
        # the swap, every thread serves the new generation (asking again sooner may reach one that has not
        # looked yet, which is how this test used to fail now and then)
        time.sleep(REFRESH_SECONDS + 0.5)
        health = [_get_json(port, "/healthz") for _ in range(2 * CLIENTS)]  # each thread's version
        stale = [h for h in health if h["index"]["generation"] != current_generation(ix)]
        if not found or stale:  # say what was served, and what the index holds
            served = _search(port, title)
            local = WhooshBackend(Settings(index_dir=ix)).search(SearchRequest(q=title, per_page=50))
            text = (tmp_path / "server.log").read_text()
            pytest.fail(
                f"the new generation is not served everywhere: found {found}, current "
                f"{current_generation(ix)}, served total {served['total']} ids "
                f"{[h['id'] for h in served['hits']][:5]}; the index itself: total {local.total} ids "
                f"{[h.doc_id for h in local.hits][:5]}; our server process "
                f"{'running' if server.poll() is None else f'exited {server.returncode}'}, port {port}; "
                f"/healthz: {sorted({json.dumps(h.get('index'), sort_keys=True) for h in health})}; "
                f"server log head: {text[:1500]} ... tail: {text[-1500:]}"
            )
        while (load.total() < REQUESTS or load.total() < swapped_at + 200) and time.monotonic() - start < SERVER_BUDGET:
            time.sleep(0.2)
        load.stop.set()
        for t in threads:
            t.join(70)
        elapsed = time.monotonic() - start
    finally:
        load.stop.set()
        server.terminate()
        server.wait(30)
        log.close()
    FIGURES["concurrency"] = (
        f"{load.total()} requests from {CLIENTS} clients in {elapsed:.0f} s "
        f"({load.total() / elapsed:.0f}/s), {len(load.errors)} errors, "
        f"{load.total() - swapped_at} after the swap; generations {len(gens)}; "
        f"second writer: {busy!r}"
    )
    assert not load.errors, load.errors[:5]
    assert load.total() >= REQUESTS, FIGURES["concurrency"]
    assert len(gens) == 2
    assert assert_complete(ix) == {d["id"] for d in docs}


def _search(port: int, q: str) -> dict:
    return _get_json(port, f"/api/search?q={quote(q)}&per_page=50")


def _get_json(port: int, path: str) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def _found(port: int, doc_id: str, title: str) -> bool:
    return any(h["id"] == doc_id for h in _search(port, title)["hits"])


def results(ix: Path, queries: list[str]) -> dict[str, tuple[int, list[str]]]:
    """Return total and hit ids of each query, as the API computes them."""
    backend = WhooshBackend(Settings(index_dir=ix))
    pages = {q: backend.search(SearchRequest(q=q, collapse=False, per_page=50)) for q in queries}
    return {q: (p.total, sorted(h.doc_id for h in p.hits)) for q, p in pages.items()}


def check_cli(ix: Path) -> subprocess.CompletedProcess[str]:
    """Run `govsearch check`."""
    return run_cli("check", "--index", str(ix))


def rebuild_cli(ix: Path) -> None:
    """Run `govsearch ingest - --rebuild` with nothing on stdin: a rebuild from the stored records alone."""
    done = run_cli("ingest", "-", "--rebuild", "--index", str(ix), stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_check_finds_damage_and_rebuild_restores_the_same_results(tmp_path: Path) -> None:
    """`govsearch check` fails on a corrupt segment and a missing document; --rebuild from the records repairs both."""
    docs = real_docs(40)
    ix = tmp_path / "ix"
    ingest([str(write_jsonl(tmp_path / "docs.jsonl", docs))], ix)
    queries = ["条例", "管理 规定", '"人民政府"', docs[7]["title"], "", "口岸 OR 安全"]
    expected = results(ix, queries)
    sound = check_cli(ix)
    assert sound.returncode == 0 and sound.stdout.strip().endswith(": ok"), sound.stdout + sound.stderr
    found = []

    with open_index(ix).writer() as writer:  # damage 1: a document vanishes from the index
        writer.delete_by_term("id", docs[3]["id"])
    found.append(_damage(ix, "missing from the index"))
    rebuild_cli(ix)
    assert check_index(ix).ok and results(ix, queries) == expected

    parts = [p for p in (ix / str(current_generation(ix))).glob("MAIN_*") if p.suffix != ".toc"]
    seg = max(parts, key=lambda p: p.stat().st_size)  # the largest file of a segment: its postings
    data = bytearray(seg.read_bytes())  # damage 2: 4 KB of a segment overwritten
    data[len(data) // 2 : len(data) // 2 + 4096] = random.Random(7).randbytes(4096)
    seg.write_bytes(bytes(data))
    found.append(_damage(ix, "unreadable"))
    rebuild_cli(ix)
    assert check_index(ix).ok and results(ix, queries) == expected

    for gen in ix.glob("gen-*"):  # damage 3: every generation deleted; the records alone remain
        shutil.rmtree(gen)
    found.append(_damage(ix, "no current index generation"))
    rebuild_cli(ix)
    assert check_index(ix).ok and results(ix, queries) == expected
    FIGURES["check"] = found


@pytest.mark.slow
def test_missing_posting_arrays_are_damage_that_check_finds_and_search_reports_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bulk segment's common terms live in its arrays files only: without them, `govsearch check` reports
    the damage, a search fails with one clear line (no traceback), and --rebuild restores the same results."""
    from indexer.engine.whoosh import codec, segments

    monkeypatch.setattr(segments, "ARRAY_MIN_DF", 2)  # (this process builds the segment: 40 records, no fork)
    docs = real_docs(40)
    ix = tmp_path / "ix"
    ingest([str(write_jsonl(tmp_path / "docs.jsonl", docs))], ix)
    queries = ["条例", "管理 规定", '"人民政府"', docs[7]["title"]]
    expected = results(ix, queries)
    tables = list((ix / str(current_generation(ix))).glob("*.ard"))
    assert tables and check_cli(ix).returncode == 0
    for table in tables:
        table.unlink()
    codec.forget_arrays()  # (this process read them already)
    _damage(ix, "arrays of")
    searched = run_cli("search", "条例", "--index", str(ix))
    assert searched.returncode == 1 and "arrays of" in searched.stderr and "Traceback" not in searched.stderr
    rebuild_cli(ix)
    assert check_index(ix).ok and results(ix, queries) == expected


def _damage(ix: Path, words: str) -> str:
    done = check_cli(ix)
    assert done.returncode == 1 and words in done.stderr and "Traceback" not in done.stderr, done.stderr
    return done.stderr.strip().splitlines()[0]
