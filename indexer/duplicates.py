"""Near-duplicate detection: the same notice reposted on several sites.

Each record stores a compact MinHash signature (128 x uint32) of its character shingles: each shingle
hashed with numpy (a polynomial hash of its code points, mixed), permuted with datasketch's affine
permutations. (Signatures of an older scheme, datasketch's SHA-1 per shingle, are recomputed once: see
writes.regroup_duplicates.) Grouping is MinHash LSH banding with datasketch's optimal band/row split for the
candidate threshold, run over a numpy matrix of all signatures (70,000 in about a second);
every candidate pair (and every pair sharing a 文号) is then judged by indexer.identity.is_copy on the
estimated Jaccard similarity and the records' metadata: only copies group, never two 文号, governments or
agencies. Groups are the connected components that stay consistent; each is named after its canonical copy
(identity.canonical_copy: the issuing agency's own publication, else the earliest), whatever order the
records arrive in.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

import numpy as np

from .identity import (
    COPY_THRESHOLD,
    SIMILARITY_FLOOR,
    Facts,
    agencies_differ,
    canonical_copy,
    governments_differ,
    is_copy,
    numbers_differ,
)

NUM_PERM = 128  # 128 x 4 bytes = 512 bytes per record; standard error of the estimate ~0.03
SHINGLE = 5  # characters per shingle: long enough to ignore common phrases, short enough for edits
LSH_THRESHOLD = 0.7  # candidate threshold of the default banding
LSH_FLOOR = 0.5  # pairs from about identity.SIMILARITY_FLOOR up collide in a band: short texts in chrome
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
    from datasketch import MinHash  # (imports scipy, about 1 s: only what makes signatures pays for it)

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


def _find(parent: dict[int, int], x: int) -> int:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@lru_cache(maxsize=4)
def _bands(threshold: float = LSH_THRESHOLD) -> tuple[int, int]:
    """Return (bands, rows per band): datasketch's optimum for the candidate threshold at NUM_PERM."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    return lsh.b, lsh.r


def _candidate_pairs(matrix: np.ndarray, threshold: float = LSH_THRESHOLD) -> np.ndarray:
    """Return index pairs (i < j) of rows sharing at least one band: the LSH banding step, vectorised."""
    bands, rows = _bands(threshold)
    mixers = np.random.default_rng(SEED).integers(1, 2**63, size=rows, dtype=np.uint64) | np.uint64(1)
    pairs = [np.zeros((0, 2), dtype=np.int64)]
    for band in range(bands):
        keys = (matrix[:, band * rows : (band + 1) * rows].astype(np.uint64) * mixers).sum(axis=1)
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        sizes = np.diff(np.r_[starts, len(ordered)])
        two = starts[sizes == 2]  # most shared buckets: one pair each, taken at once
        pairs.append(np.column_stack([order[two], order[two + 1]]))
        for lo, size in zip(starts[sizes > BIG_BUCKET].tolist(), sizes[sizes > BIG_BUCKET].tolist(), strict=True):
            members = order[lo : lo + size]  # many copies of one text: chain them instead of all pairs
            pairs.append(np.column_stack([members[:-1], members[1:]]))
        for size in np.unique(sizes[(sizes > 2) & (sizes <= BIG_BUCKET)]).tolist():
            # every bucket of this size at once: a (buckets x size) matrix of members, all pairs of its columns
            members = order[starts[sizes == size][:, None] + np.arange(size)]
            i, j = np.triu_indices(size, 1)
            pairs.append(np.column_stack([members[:, i].ravel(), members[:, j].ravel()]))
    found = np.sort(np.concatenate(pairs), axis=1)
    return np.unique(found, axis=0)


class _Groups:
    """Union-find over records that refuses a union mixing two 文号, governments or agencies: copies
    are linked pair by pair, and a chain must not join what no single pair may."""

    def __init__(self, facts: list[Facts]) -> None:
        self.facts = facts
        self.parent = list(range(len(facts)))
        self.joined: set[int] = set()  # records in a group of two or more: the only ones to name
        self.summary: dict[int, tuple[set[str], set[str], set[str]]] = {}  # root: its 文号, regions, agencies

    def _of(self, root: int) -> tuple[set[str], set[str], set[str]]:
        if root not in self.summary:  # made on a record's first union: most records never join one
            f = self.facts[root]
            self.summary[root] = ({f.doc_number} - {None}, {f.region} - {None}, {f.agency} - {None})  # type: ignore[operator]
        return self.summary[root]

    def union(self, a: int, b: int) -> None:
        ra, rb = _find(self.parent, a), _find(self.parent, b)
        if ra == rb or not self._compatible(self._of(ra), self._of(rb)):
            return
        self.parent[rb] = ra
        for mine, theirs in zip(self._of(ra), self.summary.pop(rb), strict=True):
            mine |= theirs
        self.joined.update((a, b))

    @staticmethod
    def _compatible(a: tuple[set[str], set[str], set[str]], b: tuple[set[str], set[str], set[str]]) -> bool:
        numbers = a[0] | b[0]
        if any(numbers_differ(x, y) for x in numbers for y in numbers):
            return False
        if any(governments_differ(x, y) for x in a[1] for y in b[1]):
            return False
        if a[0] and b[0]:  # one 文号 on both sides names one issuer (identity.may_be_copies)
            return True
        return not any(agencies_differ(x, y) for x in a[2] for y in b[2])

    def root(self, i: int) -> int:
        return _find(self.parent, i)


def group_copies(items: Iterable[tuple[Facts, bytes | None]], threshold: float = COPY_THRESHOLD) -> dict[str, str]:
    """Map each record's id to the id of its group's canonical copy (identity.canonical_copy): copies are
    the pairs identity.is_copy accepts among LSH candidates and records sharing a 文号."""
    facts: list[Facts] = []
    rows: list[bytes] = []
    alone: list[str] = []  # a missing or foreign signature cannot be compared: the doc is its own group
    seen: set[str] = set()
    for fact, sig in items:
        if fact.doc_id in seen:
            continue
        seen.add(fact.doc_id)
        if not sig or len(sig) != NUM_PERM * 4:
            alone.append(fact.doc_id)
            continue
        facts.append(fact)
        rows.append(sig)
    matrix = np.frombuffer(b"".join(rows), dtype="<u4").reshape(len(rows), NUM_PERM)
    groups = _Groups(facts)
    pairs = _candidate_pairs(matrix, LSH_FLOOR)
    sims = (matrix[pairs[:, 0]] == matrix[pairs[:, 1]]).mean(axis=1) if len(pairs) else np.zeros(0)
    keep = sims >= SIMILARITY_FLOOR
    for (a, b), sim in zip(pairs[keep].tolist(), sims[keep].tolist(), strict=True):
        if is_copy(facts[a], facts[b], sim, threshold):
            groups.union(a, b)
    for members in _same_number(facts).values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if is_copy(facts[a], facts[b], similarity(rows[a], rows[b]), threshold):
                    groups.union(a, b)
    return _canonical_ids(facts, groups) | {doc_id: doc_id for doc_id in alone}


def _same_number(facts: list[Facts]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = defaultdict(list)
    for i, f in enumerate(facts):
        if f.doc_number:
            found[NOISE.sub("", f.doc_number)].append(i)
    return found


def _canonical_ids(facts: list[Facts], groups: _Groups) -> dict[str, str]:
    members: dict[int, list[Facts]] = defaultdict(list)
    for i in groups.joined:
        members[groups.root(i)].append(facts[i])
    out = {f.doc_id: f.doc_id for f in facts}
    for group in members.values():
        shown = canonical_copy(group).doc_id if len(group) > 1 else group[0].doc_id
        out.update((f.doc_id, shown) for f in group)
    return out


def group_duplicates(items: Iterable[tuple[str, bytes, str | None]]) -> dict[str, str]:
    """Map each (doc_id, signature, canonical 文号 or None) of a published page with a body (nothing else
    known of it) to its canonical copy."""
    return group_copies(
        (Facts(doc_id, has_body=True, doc_number=number, addressed=True), sig) for doc_id, sig, number in items
    )
