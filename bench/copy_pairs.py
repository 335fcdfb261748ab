"""The labelled pairs of tests/data/copy_pairs.jsonl: read them into Documents, or make the file again.

Each line names two documents and their relation (copy / version / different). Every real pair, and a
sample of the built ones, was read: tests/data/copy_pairs_read.jsonl holds the label given by reading both
documents and what was seen, and that label is the one used. A document is a reference
to ../shared, never a copy of it: {"file": "lawrefbook_laws.jsonl", "id": ...} (a JSONL record),
{"file": "html_fixtures/guangzhou_tianhe/27c_....html"} (a saved page, through our extraction), or a build
recipe, {"build": "repost"|"precedent", "from": <reference>, "template": ..., "seed": ...}, made at run
time by bench/reposts.py. `python -m bench.copy_pairs` writes the file again (seeded: the same lines).
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.reposts import PLACES, TEMPLATES, build_precedent, build_repost
from indexer.models import Document
from indexer.pipeline import to_document

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpus"
PAIRS = ROOT / "tests" / "data" / "copy_pairs.jsonl"
READ = ROOT / "tests" / "data" / "copy_pairs_read.jsonl"  # each real pair's label, given by reading both documents
FIXTURES = "html_fixtures/guangzhou_tianhe"
SEED = 19
LEADING_ID = re.compile(r'\{"id": "([^"]+)"')


@dataclass(frozen=True)
class Pair:
    """One labelled pair, its two documents made."""

    name: str
    kind: str
    label: str
    a: Document
    b: Document


def _records(refs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Read every JSONL record the references name, one pass per file."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for ref in refs:
        if "id" in ref:
            wanted[ref["file"]].add(ref["id"])
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for name, ids in wanted.items():
        with (SHARED / name).open(encoding="utf-8") as fh:
            for line in fh:
                head = LEADING_ID.match(line)  # every shared JSONL record starts with its id
                if head is None or head[1] in ids:
                    rec = json.loads(line)
                    if rec["id"] in ids:
                        found[(name, rec["id"])] = rec
    return found


def _made(ref: dict[str, Any], records: dict[tuple[str, str], dict[str, Any]], name: str) -> Document:
    key = json.dumps(ref, sort_keys=True)
    if "build" not in ref and key in _MADE:  # a saved page is in many pairs: extract it once
        return _MADE[key]
    doc = _make(ref, records, name)
    if "build" not in ref:
        _MADE[key] = doc
    return doc


_MADE: dict[str, Document] = {}


def _make(ref: dict[str, Any], records: dict[tuple[str, str], dict[str, Any]], name: str) -> Document:
    if "build" in ref:
        base = _made(ref["from"], records, name)
        if ref["build"] == "repost":
            return build_repost(base, ref["template"], ref["seed"], f"{name}-b")
        return build_precedent(base, ref["seed"], f"{name}-b")
    if "id" in ref:
        return to_document(records[(ref["file"], ref["id"])])
    path = SHARED / ref["file"]
    return to_document({"id": path.stem, "html": path.read_text("utf-8", errors="replace"), "url": f"file:{path.name}"})


def _refs(ref: dict[str, Any]) -> list[dict[str, Any]]:
    return [ref, *_refs(ref["from"])] if "build" in ref else [ref]


def readings(path: Path = READ) -> dict[str, dict[str, Any]]:
    """Return pair -> its reading: the label given by reading both documents, and what was seen."""
    if not path.exists():
        return {}
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {r["pair"]: r for r in lines}


def labelled(path: Path = PAIRS) -> list[dict[str, Any]]:
    """Return the pairs' lines, each labelled as read where it was read (the rule's label otherwise: only
    built pairs, made to be what their label says, go unread)."""
    read = readings(path.with_name(READ.name))
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [{**p, "label": read[p["pair"]]["label"]} if p["pair"] in read else p for p in lines]


def load_pairs(path: Path = PAIRS) -> list[Pair]:
    """Return every labelled pair (as read) with its documents made (FileNotFoundError without ../shared)."""
    lines = labelled(path)
    records = _records([r for p in lines for side in ("a", "b") for r in _refs(p[side])])
    return [
        Pair(p["pair"], p["kind"], p["label"], _made(p["a"], records, p["pair"]), _made(p["b"], records, p["pair"]))
        for p in lines
    ]


def _read(name: str) -> list[dict[str, Any]]:
    with (SHARED / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _line(kind: str, label: str, a: dict[str, Any], b: dict[str, Any], note: str) -> dict[str, Any]:
    return {"kind": kind, "label": label, "a": a, "b": b, "note": note}


def built_pairs(rng: random.Random) -> list[dict[str, Any]]:
    """Reposts of every saved page in every template, reposts of laws, and precedents (other governments)."""
    out = []
    pages = sorted(p.name for p in (SHARED / FIXTURES).glob("*.html"))
    for page in pages:
        ref = {"file": f"{FIXTURES}/{page}"}
        for template in TEMPLATES:
            b = {"build": "repost", "from": ref, "template": template, "seed": rng.randrange(10**6)}
            out.append(_line("built repost of a saved page", "copy", ref, b, f"{page} re-wrapped ({template})"))
        title = _made(ref, {}, page).title
        if any(old in title for old, _ in PLACES):  # a notice that names its government in its title
            b = {"build": "precedent", "from": ref, "seed": rng.randrange(10**6)}
            out.append(_line("built precedent (other government)", "different", ref, b, f"{title}, places swapped"))
    # national laws: a provincial or district site reposts those, not another province's regulations
    laws = [
        r for r in _read("lawrefbook_laws.jsonl") if 800 <= len(r.get("body") or "") <= 20000 and r["region"] == "全国"
    ]
    for rec in rng.sample(laws, 40):
        ref = {"file": "lawrefbook_laws.jsonl", "id": rec["id"]}
        b = {"build": "repost", "from": ref, "template": rng.choice(TEMPLATES), "seed": rng.randrange(10**6)}
        out.append(_line("built repost of a law", "copy", ref, b, rec["title"]))
    return out


def metadata_pairs(rng: random.Random) -> list[dict[str, Any]]:
    """Policy metadata (no bodies): one notice listed twice (copies), the same title with another 文号, and
    one 文号 on documents with other titles (a 解读 carrying the number it explains): different."""
    by_title, by_number = defaultdict(list), defaultdict(list)
    for r in _read("policy_transparency_metadata.jsonl"):
        if r.get("title"):
            by_title[r["title"]].append(r)
        if r.get("doc_number"):
            by_number[r["doc_number"]].append(r)
    ref = lambda r: {"file": "policy_transparency_metadata.jsonl", "id": r["id"]}  # noqa: E731
    out = []
    twice = sorted(
        (v for v in by_number.values() if len(v) == 2 and v[0].get("title") and v[0]["title"] == v[1].get("title")),
        key=lambda v: v[0]["id"],
    )
    for a, b in rng.sample(twice, 30):
        out.append(
            _line("metadata: one notice at two addresses", "copy", ref(a), ref(b), f"{a['doc_number']} {a['title']}")
        )
    numbered = ([r for r in v if r.get("doc_number")] for v in by_title.values())
    renumbered = sorted((v for v in numbered if len({r["doc_number"] for r in v}) > 1), key=lambda v: v[0]["id"])
    for v in rng.sample(renumbered, 60):
        a, b = rng.sample(v, 2)
        if a["doc_number"] != b["doc_number"]:
            out.append(_line("metadata: same title, other 文号", "different", ref(a), ref(b), a["title"]))
    titled = ([r for r in v if r.get("title")] for v in by_number.values())
    retitled = sorted((v for v in titled if len({r["title"] for r in v}) > 1), key=lambda v: v[0]["id"])
    for v in rng.sample(retitled, 20):
        a, b = sorted(rng.sample(v, 2), key=lambda r: r["id"])
        if a["title"] != b["title"]:
            out.append(_line("metadata: same 文号, other title", "different", ref(a), ref(b), a["doc_number"]))
    return out


def law_pairs(rng: random.Random) -> list[dict[str, Any]]:
    """Versions of one law (same title, other date) and similar laws of other places (different)."""
    from indexer.duplicates import signature, similarity

    laws = _read("lawrefbook_laws.jsonl")
    ref = lambda r: {"file": "lawrefbook_laws.jsonl", "id": r["id"]}  # noqa: E731
    by_title = defaultdict(list)
    for r in laws:
        by_title[r["title"]].append(r)
    out = []
    # versions: one title, two version dates; the same title and date twice is the same version, a copy
    dated = sorted(
        (v for v in by_title.values() if len(v) > 1 and all(r.get("date") for r in v)), key=lambda v: v[0]["id"]
    )
    for v in rng.sample(dated, 40):
        a, b = v[0], v[1]
        label = "version" if a["date"] != b["date"] else "copy"
        out.append(_line(f"law: one title, {label}", label, ref(a), ref(b), f"{a['title']} {a['date']} / {b['date']}"))
    for suffix in ("大气污染防治条例", "物业管理条例", "消防条例", "安全生产条例", "人口与计划生育条例", "档案条例"):
        same_kind = sorted((r for r in laws if r["title"].endswith(suffix) and r.get("body")), key=lambda r: r["id"])
        sigs = {r["id"]: signature(r["title"], r["body"]) for r in same_kind}
        close = sorted(
            (
                (similarity(sigs[a["id"]], sigs[b["id"]]), a, b)
                for i, a in enumerate(same_kind)
                for b in same_kind[i + 1 :]
                if a["title"] != b["title"]
            ),
            key=lambda t: -t[0],
        )
        for sim, a, b in close[:5]:
            out.append(
                _line(
                    "law: same kind, other place",
                    "different",
                    ref(a),
                    ref(b),
                    f"{a['title']} / {b['title']} ~{sim:.2f}",
                )
            )
    return out


def article_pairs(rng: random.Random) -> list[dict[str, Any]]:
    """Near-identical articles of different laws (or versions) in the STARD corpus: never copies."""
    import numpy as np

    from indexer.duplicates import _candidate_pairs, signature, similarity

    arts = [r for r in _read("benchmarks/stard_corpus.jsonl") if len(r.get("body") or "") >= 60]
    arts = rng.sample(arts, 30000)
    sigs = [signature("", r["body"]) for r in arts]
    matrix = np.frombuffer(b"".join(sigs), dtype="<u4").reshape(len(sigs), -1)
    close = [(i, j) for i, j in _candidate_pairs(matrix, 0.6).tolist() if arts[i]["title"] != arts[j]["title"]]
    close = [(i, j) for i, j in close if similarity(sigs[i], sigs[j]) >= 0.6]
    ref = lambda r: {"file": "benchmarks/stard_corpus.jsonl", "id": r["id"]}  # noqa: E731
    out = []
    for i, j in rng.sample(close, min(60, len(close))):
        a, b = arts[i], arts[j]
        label, why = article_label(a["title"], b["title"])
        note = f"{a['title']} / {b['title']} ~{similarity(sigs[i], sigs[j]):.2f}: {why}"
        out.append(_line("article: near-identical text", label, ref(a), ref(b), note))
    return out


ARTICLE = re.compile(r"^(.*?)(第[一二三四五六七八九十百千零〇]+条(?:之[一二三四五六七八九十])?)$")


def article_label(a: str, b: str) -> tuple[str, str]:
    """Label two statute articles by their names (read as a lawyer reads them): the same article of the same
    law (its name with or without 中华人民共和国 or 《》), in two compilations that do not say which version
    each took it from (STARD's caveat), is a version; so is the same law in another version (试行, 修正);
    any other law or article is a different document."""
    ma, mb = ARTICLE.match(a), ARTICLE.match(b)
    if not (ma and mb):
        return "different", "not both articles"
    la, lb = (NAME_NOISE.sub("", m[1]).replace("中华人民共和国", "") for m in (ma, mb))
    if la == lb:
        same = ma[2] == mb[2]
        return ("version", "same law, same article, version unknown") if same else ("different", "other article")
    if VERSION.sub("", la) == VERSION.sub("", lb):
        return "version", "same law in another version"
    return "different", "another law"


NAME_NOISE = re.compile(r"[\s《》〈〉<>、，,]")
VERSION = re.compile(r"[（(](?:试行|暂行|\d{4}年?[^）)]{0,4})[）)]")


def fixture_pairs() -> list[dict[str, Any]]:
    """The marked repost (27c, 增城) against 27 and 27b, and saved pages on one subject: different documents,
    each read: 27 is the 2025 payments and 2026 rates, 27b the 辅助器具 办法, 27c the 两项补贴 实施办法."""
    ref = lambda n: {"file": f"{FIXTURES}/{n}"}  # noqa: E731
    read = [
        ("27c_残疾人两项补贴实施办法_增城转载.html", "27_残疾人两项补贴标准_2026.html"),
        ("27c_残疾人两项补贴实施办法_增城转载.html", "27b_残疾人辅助器具适配补贴办法_穗残联.html"),
        ("27_残疾人两项补贴标准_2026.html", "27b_残疾人辅助器具适配补贴办法_穗残联.html"),
        ("11_公共租赁住房保障办法_穗府办规2024-13号.html", "11b_2025年第一批户籍家庭公租房常态分配房源通告.html"),
        ("35_引进人才入户管理办法_穗府办规2020-10号.html", "35c_引进人才入户管理办法实施细则_穗人社规字2022-2号.html"),
        ("36_积分制入户2025年度热点13问.html", "36b_积分制入户管理办法_穗府办规2025-8号.html"),
        ("33_广州市老年人优待办法_政府令179号.html", "33b_老年优待卡用途与办理指南_政务指引.html"),
        ("20_广州劳动仲裁网上申请流程_市人社局.html", "20b_广州劳动仲裁服务指南_目录.html"),
    ]
    return [_line("saved pages: related, different", "different", ref(a), ref(b), f"{a} / {b}") for a, b in read]


def make() -> list[dict[str, Any]]:
    """Return the pair lines, named and in a fixed order."""
    rng = random.Random(SEED)
    lines = built_pairs(rng) + metadata_pairs(rng) + law_pairs(rng) + article_pairs(rng) + fixture_pairs()
    return [{"pair": f"p{i:03d}", **line} for i, line in enumerate(lines)]


def main() -> int:
    """Write tests/data/copy_pairs.jsonl again from ../shared."""
    if not SHARED.exists():
        print(f"needs the shared corpus at {SHARED}", file=sys.stderr)
        return 2
    lines = make()
    PAIRS.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    counts = defaultdict(int)
    for x in lines:
        counts[(x["kind"], x["label"])] += 1
    for (kind, label), n in sorted(counts.items()):
        print(f"{n:5d}  {label:<10} {kind}")
    print(f"{len(lines)} pairs -> {PAIRS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
