"""A query's matching documents and their scores as arrays: Whoosh's scores, without its per-document loop.

Whoosh scores a query by walking a tree of matchers one document at a time in Python (``next``, ``id``,
``score`` on every node for every document): about 35 µs per matching document for our word queries, so a
common word with 9,000 matches costs 300 ms. Every search needs all its matches anyway (facet counts,
filters as masks, the total), so ``evaluate`` reads each term's postings a block at a time into numpy
arrays and computes the same BM25F (Whoosh's formula, idf, average lengths and the documents' stored
length bytes) on whole arrays, then combines the query tree the way Whoosh's matchers do: Or sums, And
intersects and sums, AndMaybe adds what the optional side scores, AndNot removes, ConstantScoreQuery gives
its constant. A node it does not know (a range, a prefix...) is run by Whoosh on its own and joins the
arrays; its scores are the ones Whoosh gives it inside the tree. tests/test_evaluate.py checks that
documents and scores equal Whoosh's collector on real queries.

A common term of a segment written by the bulk writer is read from the plain arrays it is kept in
(segments.PostingArrays), positions included, without a block to unpickle. A term in blocks (a rare
term, or a segment Whoosh wrote) is read a block at a time; its block directory, remembered, lets phrases
and re-ranking decode only the blocks that hold their candidate documents.
"""

from __future__ import annotations

import io
import math
import os
import pickle
import struct
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, W3LeafMatcher, W3TermInfo, _lenfield
from whoosh.matching.wrappers import FilterMatcher
from whoosh.scoring import BM25F, BM25FScorer, WeightScorer, bm25
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from .codec import ARRAYS_ONLY, BLOCK, encode_positions, forget_arrays, read_arrays, read_positions, segment_arrays
from .terms import doc_frequency, has_term, info_bytes
from .terms import postings as term_postings

Arrays = tuple[np.ndarray, np.ndarray]  # (ascending unique global document numbers, their scores)
Fallback = Callable[[wq.Query], Arrays]  # runs a query through Whoosh: the nodes evaluate does not know
Posting = tuple[np.ndarray, np.ndarray, list[Any] | None]  # one segment's documents, scores, values

EMPTY_DOCS = np.zeros(0, dtype=np.int64)
BYTE_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
LENGTH_SEGMENTS = 64  # (segment, field) length arrays kept per process
DENSE_UNION = 16  # a union of at least 1/16 as many postings as document numbers is summed densely
POSTINGS_CACHE = int(os.environ.get("GOVSEARCH_POSTINGS_CACHE_MB") or 96) * 2**20  # per process; 0: none


def evaluate(s: Searcher, q: wq.Query, fallback: Fallback, memo: dict[wq.Query, Arrays] | None = None) -> Arrays:
    """Return every document q matches in s and its score, as Whoosh's scored search gives them. `memo`:
    the arrays of the parts already evaluated for this searcher (queries compare by value), kept there so
    that close queries (the candidates of one correction) evaluate each shared part once."""
    return _Evaluator(s, fallback, memo).run(q)


def empty() -> Arrays:
    return EMPTY_DOCS, np.zeros(0)


class _Evaluator:
    def __init__(self, s: Searcher, fallback: Fallback, memo: dict[wq.Query, Arrays] | None = None) -> None:
        self.s = s
        self.fallback = fallback
        self.leaves = s.leaf_searchers()
        self.memo = memo

    def run(self, q: wq.Query) -> Arrays:
        if self.memo is None:
            return self._run(q)
        found = self.memo.get(q)
        if found is None:
            found = self.memo[q] = self._run(q)
        return found

    def _run(self, q: wq.Query) -> Arrays:
        if isinstance(q, wq.NullQuery.__class__):
            return empty()
        kind = type(q)
        if kind is wq.Term:
            return self.term(q)
        if kind is wq.Phrase and q.slop == 1 and q.words:
            return self.phrase(q)
        if kind in (wq.Or, wq.PreloadedOr, wq.DefaultOr) and not q.minmatch and not q.scale:
            return self.compound(q, union)
        if kind is wq.And:
            return self.compound(q, intersection)
        if kind is wq.AndMaybe:
            return and_maybe(self.run(q.a), self.run(q.b))
        if kind is wq.AndNot:
            return and_not(self.run(q.a), self.run(q.b)[0])
        if kind is wq.ConstantScoreQuery:
            docs, _ = self.run(q.child)
            return docs, np.full(len(docs), float(q.score))
        return self.fallback(q)

    def compound(self, q: wq.CompoundQuery, combine: Callable[[list[Arrays]], Arrays]) -> Arrays:
        subs = q.subqueries
        if not subs:
            return empty()
        if len(subs) == 1:  # Whoosh uses the one matcher as it is: the compound's boost is not applied
            return self.run(subs[0])
        if combine is intersection:  # a part that matches nothing empties the whole: the rest is not read
            parts: list[Arrays] = [empty()] * len(subs)
            # the smallest parts first (a misspelt word's is often empty, a common word's the costliest); they
            # are still joined in the query's order, so the scores are summed as before, to the last bit
            for i in sorted(range(len(subs)), key=lambda i: self.estimate(subs[i])):
                parts[i] = self.run(subs[i])
                if not len(parts[i][0]):
                    return empty()
        else:
            parts = [self.run(sub) for sub in subs]
        docs, scores = combine(parts)
        return (docs, scores * q.boost) if q.boost != 1.0 else (docs, scores)

    def estimate(self, q: wq.Query) -> float:
        """Return how many documents a part may match at most, from the remembered document frequencies
        (a part of another kind: infinity, read last)."""
        kind = type(q)
        if kind is wq.Term:
            text = self.to_bytes(q.fieldname, q.text)
            return 0 if text is None else doc_frequency(self.s.reader(), q.fieldname, text)
        if kind is wq.Phrase and q.words:
            return min(self.estimate(wq.Term(q.fieldname, w)) for w in q.words)
        if kind in (wq.Or, wq.PreloadedOr, wq.DefaultOr):
            return sum(self.estimate(sub) for sub in q.subqueries)
        if kind is wq.And:
            return min((self.estimate(sub) for sub in q.subqueries), default=0)
        if kind in (wq.AndMaybe, wq.AndNot):
            return self.estimate(q.a)
        if kind is wq.ConstantScoreQuery:
            return self.estimate(q.child)
        if isinstance(q, wq.NullQuery.__class__):
            return 0
        return math.inf

    def term(self, q: wq.Term) -> Arrays:
        text = self.to_bytes(q.fieldname, q.text)
        if text is None:
            return empty()
        parts = []
        for leaf, offset in self.leaves:
            reader = leaf.reader()
            if not has_term(reader, q.fieldname, text):
                continue
            found = self.leaf_term(leaf, q.fieldname, text)
            if found is None:
                return self.fallback(q)
            docs, scores, _ = found
            parts.append((docs + offset, scores * q.boost if q.boost != 1.0 else scores))
        return concatenated(parts)

    def phrase(self, q: wq.Phrase) -> Arrays:
        """Words at consecutive positions (Whoosh's SpanNear2 with slop 1): scored as the sum of the words'
        scores, times the phrase's boost."""
        field = self.s.schema[q.fieldname] if q.fieldname in self.s.schema else None
        if field is None:
            return empty()
        if not field.format or not field.format.supports("positions"):
            return self.fallback(q)  # Whoosh's own error
        texts = [self.to_bytes(q.fieldname, w) for w in q.words]
        if any(t is None for t in texts):
            return empty()
        parts = []
        for leaf, offset in self.leaves:
            reader = leaf.reader()
            if not all(has_term(reader, q.fieldname, t) for t in texts):
                continue
            words = [self.leaf_term(leaf, q.fieldname, t) for t in texts]
            if any(w is None for w in words):
                return self.fallback(q)
            docs, scores = intersection([(w[0], w[1]) for w in words])  # type: ignore[index]
            if len(words) > 1 and len(docs):
                rarest_first = sorted(range(len(words)), key=lambda i: len(words[i][0]))  # type: ignore[index]
                keep = phrase_in_arrays(reader, q.fieldname, texts, docs, rarest_first)
                if keep is None:  # a word without position arrays: its positions from the blocks
                    values = [
                        candidate_values(reader, q.fieldname, t, w[0], docs)  # type: ignore[index]
                        for t, w in zip(texts, words, strict=True)
                    ]
                    keep = in_a_row(field.format, values, rarest_first)
                docs, scores = docs[keep], scores[keep]
            parts.append((docs + offset, scores * q.boost if q.boost != 1.0 else scores))
        return concatenated(parts)

    def to_bytes(self, fieldname: str, text: Any) -> bytes | None:
        if fieldname not in self.s.schema:
            return None
        try:
            return self.s.schema[fieldname].to_bytes(text)
        except ValueError:
            return None

    def leaf_term(self, leaf: Searcher, fieldname: str, text: bytes, values: bool = False) -> Posting | None:
        """Return one term's (documents, scores, values or None) in one segment; None: a scorer evaluate
        does not copy (Whoosh must run it)."""
        params = self.bm25_params(leaf, fieldname, text)
        if params is False:
            return None
        reader = leaf.reader()
        docs, weights, vals = postings(reader, fieldname, text, values)
        if params is not None:
            lengths = field_lengths(reader, fieldname)[docs]
            # Whoosh's own formula (BM25FScorer.score calls it per document): it takes arrays as well
            idf, avgfl, b, k1 = params
            scores = bm25(idf, weights, lengths, avgfl, b, k1)
        else:
            scores = weights
        return docs, scores, vals

    def bm25_params(self, leaf: Searcher, fieldname: str, text: bytes) -> tuple[float, ...] | None | bool:
        """Return (idf, average field length, B, K1) of a BM25F term; None for a term scored by its weight
        (a field that is not scorable: Whoosh's WeightScorer); False for a scorer evaluate does not copy.
        Plain BM25F's are computed as BM25FScorer computes them, without building the scorer: its set-up
        looks the term up in the segment once more (40 µs) for a bound evaluate never uses."""
        w = self.s.weighting
        if isinstance(w, BM25F) and (type(w).scorer is BM25F.scorer or getattr(w, "scorer_is_bm25f", False)):
            if not self.s.schema[fieldname].scorable:
                return None
            parent = leaf.get_parent()
            idf, avgfl = parent.idf(fieldname, text), parent.avg_field_length(fieldname) or 1
            return idf, avgfl, w._field_B.get(fieldname, w.B), w.K1
        scorer = w.scorer(leaf, fieldname, text)
        if type(scorer) not in (BM25FScorer, WeightScorer) or getattr(w, "title_in_length", 0):
            return False
        return (scorer.idf, scorer.avgfl, scorer.B, scorer.K1) if isinstance(scorer, BM25FScorer) else None


def phrase_in_arrays(
    reader: Any, fieldname: str, texts: Sequence[bytes], candidates: np.ndarray, order: Sequence[int]
) -> np.ndarray | None:
    """Tell for each candidate document whether the words stand at consecutive positions, from the position
    arrays of the segment (None when a word has none): a document matches when some start s has word i at
    s + i for every i, so the (document, position - i) keys of all the words intersect."""
    keys = None
    for i in order:
        got = position_arrays(reader, fieldname, texts[i])
        if got is None:
            return None
        docs, counts, poses = got
        mine = np.repeat(np.isin(docs, candidates, assume_unique=True), counts)
        word_keys = (np.repeat(docs, counts)[mine] << 32) | (poses[mine] - i + len(texts))  # ascending, unique
        keys = word_keys if keys is None else keys[np.isin(keys, word_keys, assume_unique=True)]
        if not len(keys):
            break
    assert keys is not None
    return np.isin(candidates, np.unique(keys >> 32), assume_unique=True)


def position_arrays(
    reader: Any, fieldname: str, text: bytes, widen: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Return a term's (documents, position counts, every posting's positions in a row) from the segment's
    arrays, deleted documents included; None when the segment keeps no positions of it. The positions are
    int64, or as stored (uint16 or uint32, read-only) when not `widen`."""
    stored = _arrays_entry(reader, fieldname, text)
    if stored is None or len(stored[1]) < 7 or not stored[1][6]:
        return None
    docs, weights, _, _ = read_arrays(*stored)
    poses = read_positions(*stored, weights, widen)
    return (docs, weights.astype(np.int64), poses) if poses is not None else None


def positions_of(reader: Any, fieldname: str, text: bytes, wanted: np.ndarray) -> dict[int, list[int]] | None:
    """Return segment-local document -> positions of one term in the wanted documents (ascending), from the
    segment's position arrays; None when it keeps none of that term."""
    got = position_arrays(reader, fieldname, text, False)  # not widened: only the wanted documents become ints
    if got is None or not len(got[0]):
        return None
    docs, counts, poses = got
    at = np.minimum(np.searchsorted(docs, wanted), len(docs) - 1)
    found = docs[at] == wanted
    if reader.has_deletions():  # as Whoosh's matcher: never a deleted document
        found &= ~np.isin(wanted, _deleted(reader))
    which = at[found]
    ends = np.cumsum(counts)[which]
    starts = ends - counts[which]
    return {
        d: poses[a:b].tolist() for d, a, b in zip(wanted[found].tolist(), starts.tolist(), ends.tolist(), strict=True)
    }


def candidate_values(reader: Any, fieldname: str, text: bytes, docs: np.ndarray, wanted: np.ndarray) -> list[bytes]:
    """Return one word's encoded positions in each wanted document (all of them hold it): decoded from the
    blocks that hold them when they are few, else from the whole postings (kept in the postings cache)."""
    with _lock:
        blocks = _blocks.get(_postings_key(reader, fieldname, text, False))
    nblocks = len(blocks[0]) if blocks is not None else -(-len(docs) // BLOCK)
    if 2 * len(wanted) < nblocks:  # fewer wanted documents than half its blocks: decode only theirs
        found = values_of(reader, fieldname, text, wanted)
        if len(found) == len(wanted):
            return [found[d] for d in wanted.tolist()]
    all_docs, _, vals = postings(reader, fieldname, text, values=True)
    return [vals[i] for i in np.searchsorted(all_docs, wanted).tolist()]


def in_a_row(fmt: Any, values: Sequence[list[bytes]], order: Sequence[int]) -> np.ndarray:
    """Tell for each candidate document whether the words (their encoded positions in it, per word) stand at
    consecutive positions: Whoosh's SpanNear2 with slop 1. `order`: the words, rarest first (fewest starts)."""
    keep = np.zeros(len(values[0]), dtype=bool)
    decode = fmt.decode_positions
    first = order[0]
    for n in range(len(keep)):
        starts = {p - first for p in decode(values[first][n])}
        for i in order[1:]:
            if not starts:
                break
            starts &= {p - i for p in decode(values[i][n])}
        keep[n] = bool(starts)
    return keep


def concatenated(parts: Sequence[Arrays]) -> Arrays:
    """Join the arrays of consecutive segments (their documents do not overlap and ascend)."""
    if not parts:
        return empty()
    if len(parts) == 1:
        return parts[0]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def union(parts: Sequence[Arrays]) -> Arrays:
    """Every document of any part, its scores summed (Whoosh's UnionMatcher)."""
    parts = [p for p in parts if len(p[0])]
    if not parts:
        return empty()
    if len(parts) == 1:
        return parts[0]
    top = max(int(p[0][-1]) for p in parts) + 1
    if sum(len(p[0]) for p in parts) * DENSE_UNION < top:  # few postings over many documents: sort them
        docs, weights = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        found, where = np.unique(docs, return_inverse=True)
        return found, np.bincount(where, weights=weights, minlength=len(found))
    # many postings (a long query's words): add each part into an array over every document number instead
    # of sorting; np.add.at adds in the parts' order from 0, as the sorted way above does, so the scores are
    # the same to the last bit (tests/test_evaluate.py), and it neither copies the parts (a bincount of
    # them joined held 11 million postings, 176 MB, for a pasted title on 500,000 documents) nor gathers
    # and scatters each (a[docs] += scores): 68 -> 46 ms on those 11 million
    total, hit = np.zeros(top), np.zeros(top, dtype=bool)
    for docs, scores in parts:
        np.add.at(total, docs, scores)
        hit[docs] = True
    found = np.flatnonzero(hit)
    return found, total[found]


def intersection(parts: Sequence[Arrays]) -> Arrays:
    """The documents of every part, scores summed (Whoosh's IntersectionMatcher)."""
    docs, scores = parts[0]
    for other_docs, other_scores in parts[1:]:
        docs, mine, theirs = np.intersect1d(docs, other_docs, assume_unique=True, return_indices=True)
        scores = scores[mine] + other_scores[theirs]
    return docs, scores


def and_maybe(required: Arrays, optional: Arrays) -> Arrays:
    """The required part's documents, plus the optional part's score where it matches too."""
    docs, scores = required
    _, mine, theirs = np.intersect1d(docs, optional[0], assume_unique=True, return_indices=True)
    if len(mine):
        scores = scores.copy()
        scores[mine] += optional[1][theirs]
    return docs, scores


def and_not(kept: Arrays, removed: np.ndarray) -> Arrays:
    docs, scores = kept
    keep = ~np.isin(docs, removed, assume_unique=True)
    return docs[keep], scores[keep]


def postings(reader: Any, fieldname: str, text: bytes, values: bool = False) -> tuple[np.ndarray, np.ndarray, Any]:
    """Return a term's (segment-local document numbers, weights, encoded values when asked) in one segment,
    deleted documents left out. The decoded postings of the terms read last are kept (POSTINGS_CACHE bytes
    per process): common words and character pairs recur in most queries, and a segment never changes."""
    key = _postings_key(reader, fieldname, text, values)
    with _lock:
        found = _postings.get(key)
        if found is not None:
            _postings.move_to_end(key)
            return found[0]
    got = _read_postings(reader, fieldname, text, values)
    for array in got[:2]:
        array.flags.writeable = False  # shared by every query that reads the term: never changed in place
    size = got[0].nbytes + got[1].nbytes + (sum(len(v) + 40 for v in got[2]) if values else 0)
    global _postings_bytes
    with _lock:
        if key not in _postings and 0 < size <= POSTINGS_CACHE // 4:
            _postings[key] = (got, size)
            _postings_bytes += size
            while _postings_bytes > POSTINGS_CACHE:
                _postings_bytes -= _postings.popitem(last=False)[1][1]
    return got


def values_of(reader: Any, fieldname: str, text: bytes, wanted: np.ndarray) -> dict[int, bytes]:
    """Return segment-local document -> encoded value (positions) of one term, for the wanted documents
    (ascending) only: from the cached postings when a phrase read them, else decoding only the blocks that
    hold a wanted document (the headers of the others are enough to pass them)."""
    with _lock:
        found = _postings.get(_postings_key(reader, fieldname, text, True))
    if found is not None:  # (the cached postings have no deleted document)
        docs, _, vals = found[0]
        cached: dict[int, bytes] = {}
        if len(docs):
            _held(docs, vals, wanted, (), cached)
        return cached
    got = _array_values(reader, fieldname, text, wanted)
    if got is not None:
        return dict(zip(got[0].tolist(), got[2], strict=True))
    m, deleted = _unfiltered(term_postings(reader, fieldname, text))
    out: dict[int, bytes] = {}
    with _lock:
        blocks = _blocks.get(_postings_key(reader, fieldname, text, False))
    if blocks is not None and isinstance(m, W3LeafMatcher):  # straight to the blocks that hold wanted documents
        maxids, offsets = blocks
        at = np.searchsorted(maxids, wanted)  # a document is in the first block whose last document >= it
        for b in np.unique(at[at < len(maxids)]).tolist():
            m._goto(int(offsets[b]))
            ids = _block_ids(m)
            m._read_values()
            _held(ids, m._values, wanted[at == b], deleted, out)
        return out
    if not isinstance(m, W3LeafMatcher):
        want = set(wanted.tolist())
        while m.is_active():
            if m.id() in want and m.id() not in deleted:
                out[m.id()] = m.value()
            m.next()
        return out
    j, n = 0, len(wanted)
    while m.is_active() and j < n:
        if m._maxid < wanted[j]:  # no wanted document in this block: its header says so
            m._next_block()
            continue
        ids = _block_ids(m)
        m._read_values()
        k = j + int(np.searchsorted(wanted[j:], ids[-1], side="right"))  # the wanted documents up to its last
        _held(ids, m._values, wanted[j:k], deleted, out)
        j = k
        m._next_block()
    return out


def _held(ids: np.ndarray, values: Sequence[bytes], wanted: np.ndarray, deleted: Any, out: dict[int, bytes]) -> None:
    """Put into out the encoded value of each wanted document (ascending) that the documents `ids` (ascending,
    a decoded block or a term's whole postings, `values` beside them) hold, deleted ones left out."""
    at = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
    held = ids[at] == wanted
    for d, i in zip(wanted[held].tolist(), at[held].tolist(), strict=True):
        if d not in deleted:
            out[d] = values[i]


def clear_caches() -> None:
    """Forget every decoded posting, block directory and table of posting arrays of this process."""
    global _postings_bytes, _blocks_bytes
    forget_arrays()
    with _lock:
        _postings.clear()
        _blocks.clear()
        _postings_bytes = _blocks_bytes = 0


def _arrays_entry(reader: Any, fieldname: str, text: bytes) -> tuple[Any, tuple[int, ...]] | None:
    """Return (the segment's open arrays file, entry) of a term the segment keeps as arrays, else None."""
    found = segment_arrays(reader.storage(), reader.segment())
    if found is None:
        return None
    entry = found[1].get((fieldname, text))
    return (found[0], entry) if entry is not None else None


def _remember_blocks(key: tuple[Any, ...], maxids: Any, offsets: Any) -> None:
    if len(maxids) < 2:  # one block: nothing to skip
        return
    entry = (np.asarray(maxids, dtype=np.int64), np.asarray(offsets, dtype=np.int64))
    global _blocks_bytes
    with _lock:
        if key not in _blocks:
            _blocks[key] = entry
            _blocks_bytes += _directory_bytes(entry)
            while _blocks_bytes > POSTINGS_CACHE // 8:
                _blocks_bytes -= _directory_bytes(_blocks.popitem(last=False)[1])
        else:
            _blocks.move_to_end(key)


def _directory_bytes(entry: tuple[np.ndarray, np.ndarray]) -> int:
    return entry[0].nbytes + entry[1].nbytes + 100


def _deleted(reader: Any) -> np.ndarray:
    """Return the deleted document numbers of a segment."""
    return np.fromiter(reader._perdoc.deleted_docs(), dtype=np.int64)


def _postings_key(reader: Any, fieldname: str, text: bytes, values: bool) -> tuple[Any, ...]:
    return (reader.segment().segment_id(), fieldname, text, values, reader.doc_count())  # count: deletions


def _unfiltered(m: Any) -> tuple[Any, Any]:
    """Return a segment's postings matcher without the filter of its deleted documents, and those documents."""
    return (m.child, m._ids) if isinstance(m, FilterMatcher) else (m, ())


def _block_ids(m: W3LeafMatcher) -> np.ndarray:
    """Return the document numbers of the matcher's current block (delta-coded unless stored as bytes)."""
    m._read_data()
    block = np.array(m._data[0], dtype=np.int64)
    return block if m._byteids else np.cumsum(block)


def _array_values(
    reader: Any, fieldname: str, text: bytes, wanted: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, list[bytes]] | None:
    """Return the (documents, weights, encoded positions) of a term the segment keeps as arrays with positions,
    of the wanted documents only when given, deleted documents left out; else None."""
    got = position_arrays(reader, fieldname, text)
    if got is None:
        return None
    docs, counts, poses = got
    keep = np.ones(len(docs), dtype=bool) if wanted is None else np.isin(docs, wanted)
    if reader.has_deletions():
        keep &= ~np.isin(docs, _deleted(reader))
    which = np.flatnonzero(keep)
    at = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum(counts, out=at[1:])
    return docs[which], counts[which].astype(np.float64), encode_positions(poses, at, which)


def _read_postings(reader: Any, fieldname: str, text: bytes, values: bool) -> tuple[np.ndarray, np.ndarray, Any]:
    if values:
        got = _array_values(reader, fieldname, text)
        if got is not None:
            return got
    stored = None if values else _arrays_entry(reader, fieldname, text)
    if stored is not None:  # the bulk writer kept this term as arrays too (segments.PostingArrays)
        docs, w, maxids, offsets = read_arrays(*stored)
        _remember_blocks(_postings_key(reader, fieldname, text, False), maxids, offsets)
        return (*_live(reader, docs, w), None)
    got = None if values else _read_blocks(reader, fieldname, text)
    if got is not None:
        return got
    m, deleted = _unfiltered(term_postings(reader, fieldname, text))
    ids: list[Any] = []
    weights: list[Any] = []
    vals: list[Any] = []
    if isinstance(m, W3LeafMatcher):
        m.reset()  # the deleted-documents filter may have moved it past the first blocks: the directory starts there
        offset, maxids, offsets = m._baseoffset, [], []
        while m.is_active():  # a block at a time, decoded as W3LeafMatcher does, no per-document call
            maxids.append(m._maxid)
            offsets.append(offset)
            offset = m._nextoffset
            block = _block_ids(m)
            ids.append(block)
            weights.append(_block_weights(m._data[1], len(block)))
            if values:
                m._read_values()
                vals.extend(m._values)
            m._next_block()
        _remember_blocks(_postings_key(reader, fieldname, text, False), maxids, offsets)
        docs = np.concatenate(ids) if ids else EMPTY_DOCS
        w = np.concatenate(weights) if weights else np.zeros(0)
    else:  # postings kept inline in the term's info (a rare term): a few documents
        while m.is_active():
            ids.append(m.id())
            weights.append(m.weight())
            if values:
                vals.append(m.value())
            m.next()
        docs, w = np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64)
    if deleted:
        keep = ~np.isin(docs, np.fromiter(deleted, dtype=np.int64))
        docs, w = docs[keep], w[keep]
        vals = [v for v, k in zip(vals, keep.tolist(), strict=True) if k] if values else vals
    return docs, w, (vals if values else None)


def _block_weights(w: Any, count: int) -> np.ndarray:
    """Return a block's weights as W3LeafMatcher reads them: None is all 1.0, one float is every posting's
    (as Whoosh's array("f") holds it), else the array itself."""
    if w is None:
        return np.ones(count)
    if isinstance(w, float):
        return np.full(count, np.float32(w), dtype=np.float64)
    return np.array(w, dtype=np.float64)


_BLOCK_SIZE = struct.Struct("!i")  # a block's byte size after it, negative for the term's last block
_EXTENT = struct.Struct("!qi")  # a term info's postings offset and byte length, after its fixed fields


def _read_blocks(reader: Any, fieldname: str, text: bytes) -> tuple[np.ndarray, np.ndarray, None] | None:
    """Return a term's (documents, weights, None) from its blocks, as _read_postings decodes them through
    W3LeafMatcher, but from one os.pread of the term's whole postings: no seek and read per block header
    through Python (a term in blocks is a rare one, read for the first time: 40 µs that way). None when the
    term is not in blocks of a real file, or the bytes are not what the term info says (then Whoosh reads)."""
    info = info_bytes(reader, fieldname, text)
    postfile = getattr(getattr(reader, "_terms", None), "_postfile", None)
    if info is None or info[0] or not getattr(postfile, "is_real", False):  # (info[0]: postings inlined)
        return None
    start, length = _EXTENT.unpack_from(info, W3TermInfo._struct.size)
    if start == ARRAYS_ONLY or length < 8:
        return None
    raw = os.pread(postfile.fileno(), length, start)
    if raw[:4] != WHOOSH3_HEADER_MAGIC:
        return None
    view, pos = io.BytesIO(raw), 4
    ids, weights, maxids, offsets = [], [], [], []
    while True:
        if pos + 4 > len(raw):
            return None
        size = _BLOCK_SIZE.unpack_from(raw, pos)[0]
        view.seek(pos + 4)
        _, maxid, _, compression, _, _ = pickle.load(view)
        end = pos + 4 + abs(size)
        data = raw[view.tell() : end]
        block_ids, w, _ = pickle.loads(zlib.decompress(data) if compression else data)
        maxids.append(maxid)
        offsets.append(start + pos)
        ids.append(np.cumsum(np.array(block_ids, dtype=np.int64)))  # delta-coded, as _block_ids decodes
        weights.append(_block_weights(w, len(block_ids)))
        if size < 0:
            break
        pos = end
    _remember_blocks(_postings_key(reader, fieldname, text, False), maxids, offsets)
    return (*_live(reader, np.concatenate(ids), np.concatenate(weights)), None)


def _live(reader: Any, docs: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the postings without the segment's deleted documents (as Whoosh's matcher leaves them out)."""
    if not reader.has_deletions():
        return docs, weights
    keep = ~np.isin(docs, _deleted(reader))
    return docs[keep], weights[keep]


_lengths: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
# the block directory of the terms read last: each block's last document and file offset, so that re-ranking
# decodes the blocks holding its documents without reading every block header before them (at 500,000
# documents a common word has 1,600 blocks: the header walk was a fifth of a several-word query)
_blocks: OrderedDict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = OrderedDict()
_blocks_bytes = 0
_postings: OrderedDict[tuple[Any, ...], tuple[tuple[np.ndarray, np.ndarray, Any], int]] = OrderedDict()
_postings_bytes = 0
_lock = threading.Lock()


def remember_lengths(segment_id: str, fieldname: str, lengths: np.ndarray) -> None:
    """Keep a segment's field lengths prepared elsewhere (warm.py), as field_lengths gives them."""
    with _lock:
        _lengths[(segment_id, fieldname)] = lengths
        while len(_lengths) > LENGTH_SEGMENTS:
            _lengths.popitem(last=False)


def field_lengths(reader: Any, fieldname: str) -> np.ndarray:
    """Return the lengths Whoosh scores with (its one-byte encoding, decoded) of every document of one
    segment in one field; read once per segment and field (a segment's lengths never change)."""
    key = (reader.segment().segment_id(), fieldname)
    with _lock:
        found = _lengths.get(key)
        if found is not None:
            _lengths.move_to_end(key)
            return found
    size = reader.doc_count_all()
    column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        raw = np.zeros(size, dtype=np.uint8)
    else:
        raw = np.fromiter((int(b or 0) for b in column), dtype=np.uint8, count=size)
    lengths = BYTE_LENGTHS[raw]
    with _lock:
        _lengths[key] = lengths
        while len(_lengths) > LENGTH_SEGMENTS:
            _lengths.popitem(last=False)
    return lengths
