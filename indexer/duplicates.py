"""Near-duplicate detection: the same notice reposted on several sites.

Each record stores a compact MinHash signature (128 x uint32) of its character shingles: each shingle
hashed with numpy (a polynomial hash of its code points, mixed), permuted with datasketch's affine
permutations. (Signatures of an older scheme, datasketch's SHA-1 per shingle, are recomputed once: see
build.regroup_duplicates.) Grouping is MinHash LSH banding with datasketch's optimal band/row split for the
candidate threshold, run over a numpy matrix of all signatures (70,000 in about a second);
every candidate pair is then checked against the estimated Jaccard similarity.
Two documents are duplicates when the estimate is >= 0.85, or >= 0.6 when they carry the
same canonical 文号. Groups are the connected components; each group is named after its
smallest doc_id, which is stable whatever order the records arrive in.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
from datasketch import MinHash, MinHashLSH

NUM_PERM = 128  # 128 x 4 bytes = 512 bytes per record; standard error of the estimate ~0.03
SHINGLE = 5  # characters per shingle: long enough to ignore common phrases, short enough for edits
THRESHOLD = 0.85  # estimated Jaccard for duplicates without a shared 文号
SAME_NUMBER_THRESHOLD = 0.6  # estimated Jaccard for duplicates that share a canonical 文号
LSH_THRESHOLD = 0.7  # candidate recall: pairs near 0.85 must collide in at least one band
SEED = 1
BIG_BUCKET = 64  # above this many ids in one band bucket, compare neighbours only
SCHEME = "affine32"  # datasketch's permutation scheme
SIGNATURE_SCHEME = "poly64-affine32"  # how stored signatures are made: only those of one scheme compare
CHUNK = 4096  # shingles per block of the (shingles x NUM_PERM) matrix: bounded memory for a 5 M-char law
# punctuation, whitespace and digits of page furniture differ between reposts; letters carry the text
NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


@lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """Return datasketch's (a, b) for SEED and SCHEME, drawn once instead of once per signature."""
    a, b = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations
    return a.astype(np.uint32), b.astype(np.uint32)


def _hash32(text: str) -> np.ndarray:
    """Return a 32-bit hash of each shingle of the text (noise removed): the polynomial of its code
    points modulo 2**64 (a shingle shorter than SHINGLE when the whole text is), then MurmurHash3's 64-bit
    finalizer (fmix64), whose high half is kept. Equal shingles hash equal, different ones about never."""
    cps = np.frombuffer(NOISE.sub("", text).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    width = min(SHINGLE, len(cps))
    if not width:
        return np.zeros(0, dtype=np.uint32)
    n = len(cps) - width + 1
    h = cps[:n].copy()
    for k in range(1, width):
        h *= _POLY
        h += cps[k : k + n]
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return (h >> np.uint64(32)).astype(np.uint32)  # (a shingle found twice is hashed twice: the minimum is the same)


_POLY = np.uint64(0x9E3779B97F4A7C15)  # odd: a shingle's code points as the digits of a number in this base


def signature(title: str, body: str) -> bytes:
    """Return the MinHash signature of a document's title and body as bytes to store with the record: for
    each of NUM_PERM permutations (a * h + b modulo 2**32), the least permuted hash h of its shingles,
    computed in bounded blocks of the (shingles x NUM_PERM) matrix."""
    out = np.full(NUM_PERM, np.iinfo(np.uint32).max, dtype=np.uint32)
    hv = _hash32(f"{title}\n{body}")
    if len(hv):
        a, b = _permutations()
        for i in range(0, len(hv), CHUNK):
            np.minimum(out, (hv[i : i + CHUNK, None] * a + b).min(axis=0), out=out)
    return out.astype("<u4").tobytes()


def similarity(a: bytes, b: bytes) -> float:
    """Estimate the Jaccard similarity of two documents from their signatures."""
    return float(np.mean(np.frombuffer(a, dtype="<u4") == np.frombuffer(b, dtype="<u4")))


def _find(parent: dict[str, str], x: str) -> str:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def _union(parent: dict[str, str], a: str, b: str) -> None:
    ra, rb = _find(parent, a), _find(parent, b)
    if ra != rb:
        parent[max(ra, rb)] = min(ra, rb)  # the smaller id stays the root, so it names the group


@lru_cache(maxsize=1)
def _bands() -> tuple[int, int]:
    """Return (bands, rows per band): datasketch's optimum for LSH_THRESHOLD at NUM_PERM."""
    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    return lsh.b, lsh.r


def _candidate_pairs(matrix: np.ndarray) -> np.ndarray:
    """Return index pairs (i < j) of rows sharing at least one band: the LSH banding step, vectorised."""
    bands, rows = _bands()
    mixers = np.random.default_rng(SEED).integers(1, 2**63, size=rows, dtype=np.uint64) | np.uint64(1)
    pairs = []
    for band in range(bands):
        keys = (matrix[:, band * rows : (band + 1) * rows].astype(np.uint64) * mixers).sum(axis=1)
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        sizes = np.diff(np.r_[starts, len(ordered)])
        two = starts[sizes == 2]  # most shared buckets: one pair each, taken at once
        pairs.append(np.column_stack([order[two], order[two + 1]]))
        for lo, size in zip(starts[sizes > 2].tolist(), sizes[sizes > 2].tolist(), strict=True):
            members = order[lo : lo + size]
            if size > BIG_BUCKET:  # many copies of one text: chain them instead of all pairs
                pairs.append(np.column_stack([members[:-1], members[1:]]))
            else:
                i, j = np.triu_indices(size, 1)
                pairs.append(np.column_stack([members[i], members[j]]))
    found = np.sort(np.concatenate(pairs), axis=1)  # (each band adds an array, empty or not)
    return np.unique(found, axis=0)


def group_duplicates(items: Iterable[tuple[str, bytes, str | None]]) -> dict[str, str]:
    """Map each (doc_id, signature, canonical 文号 or None) to the canonical doc_id of its group."""
    ids: list[str] = []
    rows: list[bytes] = []
    numbers: dict[str, list[int]] = defaultdict(list)
    alone: list[str] = []  # a missing or foreign signature cannot be compared: the doc is its own group
    seen: set[str] = set()
    for doc_id, sig, number in items:
        if doc_id in seen:
            continue
        seen.add(doc_id)
        if not sig or len(sig) != NUM_PERM * 4:
            alone.append(doc_id)
            continue
        if number:
            numbers[number].append(len(ids))
        ids.append(doc_id)
        rows.append(sig)
    matrix = np.frombuffer(b"".join(rows), dtype="<u4").reshape(len(rows), NUM_PERM)
    parent = {doc_id: doc_id for doc_id in ids}
    pairs = _candidate_pairs(matrix)
    if len(pairs):
        close = (matrix[pairs[:, 0]] == matrix[pairs[:, 1]]).mean(axis=1) >= THRESHOLD
        for a, b in pairs[close].tolist():
            _union(parent, ids[a], ids[b])
    for members in numbers.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if similarity(rows[a], rows[b]) >= SAME_NUMBER_THRESHOLD:
                    _union(parent, ids[a], ids[b])
    return {doc_id: _find(parent, doc_id) for doc_id in ids} | {doc_id: doc_id for doc_id in alone}
