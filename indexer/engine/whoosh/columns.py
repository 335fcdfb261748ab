"""Facet values and filters as arrays, per index version: counts and filters without a pass per facet.

Whoosh counts facets (``groupedby``) by reading a column value through several method calls for every
matching document and every facet, and turns each filter query into a set of document numbers by walking
its postings, on every query. ``Columns`` reads each facet column of an index version once into numpy
arrays (a value code per document, or (document, code) pairs for multi-valued fields), so that a filter is
a boolean mask and the counts of a facet are one ``bincount`` over the matching documents. One
``Columns`` is shared by every thread searching the same version (the arrays are never written after
loading).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from ...models import SearchRequest
from .schema import FACET_FIELDS, MULTI_VALUED, date_num_range

VERSIONS = 4  # index versions whose columns are kept (a rebuild while serving has two alive for a while)
DATE_FIELD = "date_num"
ISSUED_FIELD = "issued_num"  # 成文日期
# Facet.counts: a match set above DENSE_SHARE of the index is counted by a weighted bincount over every code,
# one below SPARSE_SHARE from its documents' pairs (a multi-valued facet); measured on 500,000 documents
DENSE_SHARE, SPARSE_SHARE = 0.1, 0.005
# a facet of at most PACKED_VALUES values counts many matches with a bitset of each value's documents: one
# AND and popcount per value. A weighted bincount into so few bins adds serially into the same ones (on
# 500,000 documents, 2.8 ms for agency's 18 values and 3.7 ms for region's 7; on 65,278, 204 µs for
# has_attachment's single value against 11). The bitsets take a bit per document and value, made on first use.
PACKED_VALUES = 64


class Matched:
    """A boolean mask over an index version's documents, with its count and its weights as floats (0.0 or
    1.0), made once for all the facets counted over it."""

    def __init__(self, mask: np.ndarray) -> None:
        self.mask = mask
        self.found = int(np.count_nonzero(mask))
        self._weights: np.ndarray | None = None
        self._packed: np.ndarray | None = None

    def weights(self) -> np.ndarray:
        if self._weights is None:
            self._weights = self.mask.astype(np.float64)
        return self._weights

    def packed(self) -> np.ndarray:
        """Return the mask as bits (np.packbits), made once."""
        if self._packed is None:
            self._packed = np.packbits(self.mask)
        return self._packed


@dataclass(frozen=True)
class Facet:
    """One facet's values: `values[code]`, and each document's codes (docs[i] has code codes[i])."""

    values: tuple[str, ...]
    docs: np.ndarray | None  # None: single-valued, codes[docnum] is the document's code (-1: none)
    codes: np.ndarray
    index: dict[str, int]
    kept: dict[str, np.ndarray | None] = field(default_factory=dict, compare=False, repr=False)

    def mask(self, wanted: Sequence[str], size: int) -> np.ndarray:
        """Return the documents having any of the wanted values, as a boolean mask."""
        codes = [self.index[v] for v in wanted if v in self.index]
        if self.docs is None:
            return np.isin(self.codes, codes)
        out = np.zeros(size, dtype=bool)
        out[self.docs[np.isin(self.codes, codes)]] = True
        return out

    def counts(self, matched: np.ndarray | Matched, size: int) -> dict[str, int]:
        """Return value -> number of matched documents (a boolean mask, or a Matched shared by the facets)
        having it. Few matches: the codes of those documents are gathered and counted; many (a question's,
        often much of the index): one bincount over every code weighted by the mask as floats, made once for
        every facet (sums of ones are exact; weighted by the booleans themselves, each bincount casts them
        again on a slow path: 3x the time), or for a facet of few values, the bits of the mask and of each value."""
        if not len(self.codes):
            return {}
        m = matched if isinstance(matched, Matched) else Matched(matched)
        mask, dense = m.mask, m.found > DENSE_SHARE * size
        bits = self._bits(size) if dense else None
        if bits is not None:
            n = np.bitwise_count(bits & m.packed()).sum(axis=1)
        elif self.docs is None:
            if dense:  # code -1 (no value) counts in slot 0, dropped
                n = np.bincount(self.codes + 1, weights=m.weights(), minlength=len(self.values) + 1)[1:]
            else:
                codes = self.codes[mask]
                n = np.bincount(codes[codes >= 0], minlength=len(self.values))
        elif dense:
            n = np.bincount(self.codes, weights=m.weights()[self.docs], minlength=len(self.values))
        elif m.found > SPARSE_SHARE * size:
            n = np.bincount(self.codes[mask[self.docs]], minlength=len(self.values))
        else:  # a few documents: straight to their pairs
            n = np.bincount(self.codes[self._pairs_of(np.flatnonzero(mask))], minlength=len(self.values))
        return {self.values[i]: int(n[i]) for i in np.flatnonzero(n)}

    def _bits(self, size: int) -> np.ndarray | None:
        """Return each value's documents as a row of bits (np.packbits), made once; None for a facet of more
        than PACKED_VALUES values, or one whose document lists a value twice (its pairs count it twice)."""
        found = self.kept.get("bits", False)
        if found is False:
            found = None
            if 0 < len(self.values) <= PACKED_VALUES:
                rows, pairs = [], 0
                for code in range(len(self.values)):
                    if self.docs is None:
                        has = self.codes == code
                    else:
                        has = np.zeros(size, dtype=bool)
                        has[self.docs[self.codes == code]] = True
                    pairs += int(np.count_nonzero(has))
                    rows.append(np.packbits(has))
                if self.docs is None or pairs == len(self.codes):
                    found = np.vstack(rows)
            self.kept["bits"] = found
        return found

    def _pairs_of(self, docnums: np.ndarray) -> np.ndarray:
        """Return the positions in docs/codes of the given documents' pairs (docs ascends)."""
        lo = np.searchsorted(self.docs, docnums, side="left")
        lens = np.searchsorted(self.docs, docnums, side="right") - lo
        starts = np.cumsum(lens) - lens  # where each document's pairs start in the result
        return np.arange(int(lens.sum())) + np.repeat(lo - starts, lens)


class Columns:
    """The facet columns, dates and collapsed copies of one index version, as arrays."""

    def __init__(self, s: Searcher) -> None:
        reader = s.reader()
        self.size = reader.doc_count_all()
        self.facets = {name: _facet(reader, field, self.size) for name, field in FACET_FIELDS.items()}
        self.dates = _dates(reader, DATE_FIELD, self.size)
        self.issued = _dates(reader, ISSUED_FIELD, self.size)
        copies = np.fromiter(s.docs_for_query(wq.Term("canonical", "0")), dtype=np.int64)
        self.shown = np.ones(self.size, dtype=bool)  # collapse: every document but the non-canonical copies
        self.shown[copies] = False
        self.group = _groups(s, copies, self.shown)

    def allowed(self, docnums: np.ndarray, req: SearchRequest, without: str | None = None) -> np.ndarray:
        """Return which of the matched documents (ascending document numbers) a request shows: those its
        filters and date range let through (`without` leaves out the filters of one facet, whose own counts
        ignore its own selection) and, when it collapses copies, one document per group of copies: the
        canonical copy when it matches, else the first matching copy (a 文号 or a sentence found only in
        a repost is still found)."""
        m = self.mask(req, without)
        ok = np.ones(len(docnums), dtype=bool) if m is None else m[docnums]
        return self.one_per_group(docnums, ok) if req.collapse else ok

    def one_per_group(self, docnums: np.ndarray, ok: np.ndarray) -> np.ndarray:
        """Return which of the matches `ok` lets through stay when copies collapse: one per group of copies,
        the canonical copy when it is among them, else the first of them."""
        copy = ok & ~self.shown[docnums]
        if not copy.any():
            return ok
        matched = np.zeros(self.size, dtype=bool)
        matched[docnums[ok]] = True
        at = np.flatnonzero(copy)
        group = self.group[docnums[at]]
        orphans = (group < 0) | ~matched[np.maximum(group, 0)]  # copies whose canonical copy is not matched
        at, group = at[orphans], group[orphans]
        group = np.where(group < 0, -1 - docnums[at], group)  # a copy without a known canonical: its own group
        _, first = np.unique(group, return_index=True)
        out = ok & self.shown[docnums]
        out[at[first]] = True
        return out

    def mask(self, req: SearchRequest, without: str | None = None) -> np.ndarray | None:
        """Return the documents a request's filters and date range let through (None: all); `without`
        leaves out the filters of one facet. Collapsing copies is `allowed`'s, as it depends on the matches."""
        out: np.ndarray | None = None
        by_name: dict[str, list[str]] = {}
        for name, value in req.filters:
            if name != without:
                by_name.setdefault(name, []).append(value)
        for name, values in by_name.items():
            m = self.facets[name].mask(values, self.size)
            out = m if out is None else out & m
        for days, start, end in (
            (self.dates, req.date_from, req.date_to),
            (self.issued, req.issued_from, req.issued_to),
        ):
            if (start or end) and days is not None:
                lo, hi = date_num_range(start, end)
                m = (days >= lo) & (days <= hi)
                out = m if out is None else out & m
        return out


def _dates(reader: Any, field: str, size: int) -> np.ndarray | None:
    """Read a yyyymmdd column into an array (None for an index written before the column existed)."""
    # an index written before the field existed has it in neither its schema nor its columns
    days = reader.column_reader(field) if field in reader.schema and reader.has_column(field) else None
    # `is not None`: a column reader over several segments has len() 0 (whoosh's MultiColumnReader)
    return np.fromiter((int(v or 0) for v in days), dtype=np.int64, count=size) if days is not None else None


def _groups(s: Searcher, copies: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """Return, per document, the document number of its group's canonical copy (-1: itself, or unknown).
    Read from the `dup_of` column (a group's name is its canonical id) in one pass; an index written
    before that column existed reads the stored field of each copy instead."""
    size = len(shown)
    group = np.full(size, -1, dtype=np.int64)
    if not len(copies):
        return group
    reader = s.reader()
    if reader.has_column("dup_of"):
        codes = _facet(reader, "dup_of", size).codes
        canonical_of = np.full(codes.max() + 1, -1, dtype=np.int64)
        docs = np.flatnonzero(shown & (codes >= 0))
        canonical_of[codes[docs][::-1]] = docs[::-1]  # the first canonical document of each group
        group[copies] = np.where(codes[copies] >= 0, canonical_of[np.maximum(codes[copies], 0)], -1)
        return group
    found: dict[str, int] = {}
    for docnum in copies.tolist():
        dup_of = s.stored_fields(docnum).get("dup_of") or ""
        if dup_of not in found:
            number = s.document_number(id=dup_of) if dup_of else None
            found[dup_of] = -1 if number is None else int(number)
        group[docnum] = found[dup_of]
    return group


def _facet(reader: Any, field: str, size: int) -> Facet:
    index: dict[str, int] = {}
    if not reader.has_column(field):  # an index without this facet's column: no values
        return Facet((), None, np.full(size, -1, dtype=np.int64), index)
    col = reader.column_reader(field, translate=field not in MULTI_VALUED)  # lists are stored as they are
    if field in MULTI_VALUED:
        docs, codes = [], []
        for docnum, values in enumerate(col):
            for v in values or ():
                docs.append(docnum)
                codes.append(index.setdefault(str(v), len(index)))
        return Facet(tuple(index), np.array(docs, dtype=np.int64), np.array(codes, dtype=np.int64), index)
    codes = np.fromiter(
        (index.setdefault(str(v), len(index)) if v not in (None, "", b"") else -1 for v in col),
        dtype=np.int64,
        count=size,
    )
    return Facet(tuple(index), None, codes, index)


T = TypeVar("T")


class Recent(Generic[T]):
    """The last `size` values by key (least recently used dropped first), shared by a process's threads:
    what this engine keeps per index version (columns, term tables, the spelling dictionary, precedents)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Any, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, compute: Callable[[], T]) -> T:
        """Return the value of key, computing it (outside the lock) when not kept."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        self.put(key, value)
        return value

    def __contains__(self, key: Any) -> bool:
        with self._lock:
            return key in self._items

    def pop(self, key: Any, default: T | None = None) -> T | None:
        """Forget a key; return its value (default when not kept)."""
        with self._lock:
            return self._items.pop(key, default)

    def put(self, key: Any, value: T) -> None:
        """Keep a value, dropping the least recently used beyond `size`."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


_cache: Recent[Columns] = Recent(VERSIONS)


def columns(s: Searcher) -> Columns:
    """Return the Columns of the searcher's index version (loaded once per version and process)."""
    return _cache.get(version_key(s.reader()), lambda: Columns(s))


def columns_state(cols: Columns) -> dict[str, Any]:
    """Return a Columns as plain values and arrays (to keep on disk: no class of ours is pickled)."""
    facets = {name: (f.values, f.docs, f.codes) for name, f in cols.facets.items()}
    return {
        "size": cols.size,
        "dates": cols.dates,
        "issued": cols.issued,
        "shown": cols.shown,
        "group": cols.group,
        "facets": facets,
    }


def remember_columns(key: tuple[Any, ...], state: dict[str, Any]) -> None:
    """Keep the Columns of the version `key` from the state columns_state gave (warm.py)."""
    cols = Columns.__new__(Columns)  # not read from a searcher: from the arrays ingest kept
    cols.size, cols.dates, cols.issued = state["size"], state["dates"], state["issued"]
    cols.shown, cols.group = state["shown"], state["group"]
    cols.facets = {
        name: Facet(tuple(values), docs, codes, {v: i for i, v in enumerate(values)})
        for name, (values, docs, codes) in state["facets"].items()
    }
    _cache.put(key, cols)


def version_key(reader: Any) -> tuple[Any, ...]:
    """Return what names one index version: its segments' ids (random per segment, so a rebuilt index in
    another folder never shares them) and its document counts (deletions change them). Never the
    reader's id(): a freed reader's id is reused by the next one."""
    segments = []
    for leaf, _offset in reader.leaf_readers():
        segment = getattr(leaf, "segment", lambda: None)()
        segments.append(segment.segment_id() if segment is not None else str(getattr(leaf, "storage", lambda: "")()))
    return (tuple(segments), reader.doc_count_all(), reader.doc_count())
