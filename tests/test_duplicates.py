"""Near-duplicate grouping on real text: reposts with changed headers/footers group, different laws do not."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from indexer.duplicates import NUM_PERM, group_duplicates, signature, similarity

LAWS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "lawrefbook_laws.jsonl"
ORIGINAL = "大气污染防治条例"  # 东营市 and 洛阳市 have laws of the same kind and title pattern


@pytest.fixture(scope="module")
def laws() -> dict[str, dict]:
    if not LAWS.exists():
        pytest.skip(f"development corpus not found at {LAWS} (../shared is absent on this machine)")
    wanted = {
        "东营市大气污染防治条例",
        "洛阳市大气污染防治条例",
        "中华人民共和国政府采购法",
        "中华人民共和国政府采购法实施条例",
    }
    found = {}
    with LAWS.open(encoding="utf-8") as fh:
        for line in fh:
            if any(t in line[:200] for t in wanted):
                rec = json.loads(line)
                if rec["title"] in wanted:
                    found[rec["title"]] = rec
    return found


def repost(rec: dict, seed: int = 0) -> tuple[str, str]:
    """The same law reposted by another site: new header and footer, a few characters changed."""
    body = list(rec["body"])
    rng = random.Random(seed)
    for i in rng.sample(range(len(body)), 12):
        body[i] = "某"
    header = "来源：某某区人民政府门户网站  发布时间：2024-05-06  【字体：大 中 小】\n"
    footer = "\n扫一扫在手机打开当前页  【打印】【关闭】  主办单位：某某区人民政府办公室"
    return rec["title"] + "（转载）", header + "".join(body) + footer


def test_signature_is_compact_and_stable(laws: dict[str, dict]) -> None:
    rec = laws["东营市大气污染防治条例"]
    sig = signature(rec["title"], rec["body"])
    assert len(sig) == NUM_PERM * 4 == 512
    assert sig == signature(rec["title"], rec["body"])


def test_repost_is_a_duplicate_and_a_different_law_is_not(laws: dict[str, dict]) -> None:
    dongying, luoyang = laws["东营市大气污染防治条例"], laws["洛阳市大气污染防治条例"]
    original = signature(dongying["title"], dongying["body"])
    copy = signature(*repost(dongying))
    other = signature(luoyang["title"], luoyang["body"])
    assert similarity(original, copy) >= 0.85
    assert similarity(original, other) < 0.3
    groups = group_duplicates([("b-repost", copy, None), ("a-original", original, None), ("c-luoyang", other, None)])
    assert groups == {"a-original": "a-original", "b-repost": "a-original", "c-luoyang": "c-luoyang"}


def test_same_doc_number_lowers_the_bar(laws: dict[str, dict]) -> None:
    rec = laws["中华人民共和国政府采购法"]
    body = rec["body"]
    excerpt = body[: int(len(body) * 0.7)]  # a repost that kept 70% of the text
    a, b = signature(rec["title"], body), signature(rec["title"], excerpt)
    assert 0.6 <= similarity(a, b) < 0.85
    assert group_duplicates([("x1", a, None), ("x2", b, None)]) == {"x1": "x1", "x2": "x2"}
    same = group_duplicates([("x1", a, "主席令第68号"), ("x2", b, "主席令第68号")])
    assert same == {"x1": "x1", "x2": "x1"}
    impl = laws["中华人民共和国政府采购法实施条例"]
    other = signature(impl["title"], impl["body"])
    assert group_duplicates([("x1", a, "主席令第68号"), ("x3", other, "主席令第68号")])["x3"] == "x3"


def test_missing_signature_keeps_the_document_alone() -> None:
    assert group_duplicates([("a", b"", None), ("b", b"short", "国办发〔2019〕61号")]) == {"a": "a", "b": "b"}


def test_among_seventy_thousand_signatures_only_the_real_copies_group(laws: dict[str, dict]) -> None:
    """Grouping at corpus scale (its time is part of the ingest benchmark, not of this test)."""
    rec = laws["东营市大气污染防治条例"]
    rng = random.Random(1)
    items = [(f"d{i:05d}", rng.randbytes(NUM_PERM * 4), None) for i in range(70_000)]
    items.append(("z-copy-1", signature(*repost(rec, 1)), None))
    items.append(("z-copy-2", signature(*repost(rec, 2)), None))
    groups = group_duplicates(items)
    assert len(groups) == 70_002
    assert groups["z-copy-2"] == "z-copy-1"
    assert sum(1 for k, v in groups.items() if k != v) == 1


def _shingles(text: str) -> set[bytes]:
    """The text's shingles as a signature means them: its letters only (NOISE removed), every SHINGLE
    characters in a row (the whole text when shorter), as UTF-8."""
    from indexer.duplicates import NOISE, SHINGLE

    text = NOISE.sub("", text)
    if len(text) <= SHINGLE:
        return {text.encode("utf-8")} if text else set()
    return {text[i : i + SHINGLE].encode("utf-8") for i in range(len(text) - SHINGLE + 1)}


def _reference_signature(title: str, body: str) -> bytes:
    """The signature computed in plain Python integers from the shingles, one at a time: each shingle's
    code points as a number in base _POLY modulo 2**64, MurmurHash3's fmix64, the high 32 bits; then for each
    of datasketch's permutations the least (a * h + b) modulo 2**32."""
    from indexer.duplicates import _POLY, _permutations

    m64 = 2**64 - 1
    hashes = []
    for shingle in _shingles(f"{title}\n{body}"):
        h = 0
        for ch in shingle.decode("utf-8"):
            h = (h * int(_POLY) + ord(ch)) & m64
        h ^= h >> 33
        h = (h * 0xFF51AFD7ED558CCD) & m64
        h ^= h >> 33
        h = (h * 0xC4CEB9FE1A85EC53) & m64
        h ^= h >> 33
        hashes.append(h >> 32)
    a, b = _permutations()
    values = [
        min(((int(x) * h + int(y)) & 0xFFFFFFFF for h in hashes), default=0xFFFFFFFF) for x, y in zip(a, b, strict=True)
    ]
    return b"".join(v.to_bytes(4, "little") for v in values)


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("国务院关于安全生产的通知", "第一条　为了加强安全生产工作，制定本条例。" * 40),
        ("短", ""),
        ("", "，。"),
        ("PM2.5", "abc"),
        ("𠀀𠀁 emoji 😀 ok", "ＡＢＣ１２３"),
    ],
)
def test_signature_is_the_minhash_of_the_shingles_bit_for_bit(title: str, body: str) -> None:
    assert signature(title, body) == _reference_signature(title, body)


def test_estimated_similarity_follows_the_shingles_jaccard_on_real_pairs(laws: dict[str, dict]) -> None:
    """MinHash estimates the Jaccard similarity of two texts' shingle sets with a standard error of at most
    0.044 at 128 permutations: on reposts, excerpts and other laws the estimates stay close to the truth."""
    texts = [(r["title"], r["body"]) for r in laws.values()]
    texts += [repost(laws["东营市大气污染防治条例"], seed) for seed in range(3)]
    law = laws["中华人民共和国政府采购法"]
    texts += [(law["title"], law["body"][: int(len(law["body"]) * share)]) for share in (0.3, 0.5, 0.7, 0.9)]
    errors = []
    for i, x in enumerate(texts):
        for y in texts[i + 1 :]:
            sx, sy = _shingles(f"{x[0]}\n{x[1]}"), _shingles(f"{y[0]}\n{y[1]}")
            true = len(sx & sy) / len(sx | sy)
            errors.append(abs(similarity(signature(*x), signature(*y)) - true))
    assert len(errors) == 55 and max(errors) < 0.15 and sum(errors) / len(errors) < 0.04


def test_a_store_signed_by_another_scheme_is_signed_again_once(laws: dict[str, dict], tmp_path, monkeypatch) -> None:
    """Signatures of two schemes do not compare: a store written before the current scheme (no scheme noted)
    has every signature computed again at its next ingest, then grouped; a new store never needs it."""
    from indexer import writes
    from indexer.duplicates import SIGNATURE_SCHEME
    from indexer.generations import store_path
    from indexer.ingest import ingest_items
    from indexer.models import Document
    from indexer.sources import Item
    from indexer.store import SIGNATURE_KEY, RecordStore

    dongying, luoyang = laws["东营市大气污染防治条例"], laws["洛阳市大气污染防治条例"]
    title, body = repost(dongying)
    records = [  # pages published somewhere (a URL): a text with no provenance at all is never a copy
        {"id": "a-original", "title": dongying["title"], "body": dongying["body"], "url": "https://a.gov.cn/1.html"},
        {"id": "b-repost", "title": title, "body": body, "url": "https://b.gov.cn/2.html"},
        {"id": "c-other", "title": luoyang["title"], "body": luoyang["body"], "url": "https://c.gov.cn/3.html"},
    ]
    calls: list[int] = []
    real = writes.resign
    monkeypatch.setattr(writes, "resign", lambda store: calls.append(1) or real(store))
    ingest_items([Item("x", record=r) for r in records[:2]], tmp_path / "ix")
    assert not calls  # a new store notes the current scheme
    store = RecordStore(store_path(tmp_path / "ix"))
    store.db.execute("UPDATE records SET sig = ?", (bytes(NUM_PERM * 4),))  # all equal: all duplicates, if compared
    store.db.execute("DELETE FROM meta WHERE key = ?", (SIGNATURE_KEY,))
    store.commit()
    store.close()
    ingest_items([Item("y", record=records[2])], tmp_path / "ix")
    assert calls == [1]
    store = RecordStore(store_path(tmp_path / "ix"))
    try:
        for doc_id, rec, sig in store.db.execute("SELECT id, record, sig FROM records"):
            doc = Document.from_record(json.loads(rec))
            assert sig == signature(doc.title, doc.body), doc_id
        groups = dict(store.db.execute("SELECT id, dup_of FROM records"))
        assert groups == {"a-original": "a-original", "b-repost": "a-original", "c-other": "c-other"}
        assert store.get_meta(SIGNATURE_KEY) == SIGNATURE_SCHEME
    finally:
        store.close()
    ingest_items([Item("z", record={**records[2], "body": luoyang["body"] + "附则"})], tmp_path / "ix")
    assert calls == [1]
