"""The on-disk format of the bulk writer's segments: W3 segments whose common terms are kept as arrays.

A term with ARRAY_MIN_DF postings in a bulk-written segment (indexer/engine/whoosh/segments.py) is kept
as plain arrays in ``<segment>.arr``, with the table of such terms in ``<segment>.ard`` (PostingArrays),
and not as blocks of the postings file: its term info says ARRAYS_ONLY where the postings' offset would
be. The segment names ArraysCodec (W3Codec with a terms reader that serves such a term from the arrays,
ArrayMatcher), so every reader of the segment, Whoosh's merges included, reads through it. This module
is what readers need; it never imports the bulk writer. See README.md beside it for the format.
"""

from __future__ import annotations

import bisect
import itertools
import os
import pickle
import threading
from array import array
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import (
    W3Codec,
    W3TermsReader,
)
from whoosh.filedb.filestore import FileStorage
from whoosh.formats import Frequency, Positions
from whoosh.matching import ListMatcher, ReadTooFar
from whoosh.system import pack_uint

BLOCK = 128  # postings per block: W3Codec's blocklimit
ARRAYS_EXT, ARRAYS_TABLE_EXT = ".arr", ".ard"
ARRAYS_ONLY = -1  # the postings offset in the term info of a term kept in the segment's arrays only
_ENCODE = Positions().encode  # Whoosh's own encoding of a posting's positions (a pickled list)


class PostingArrays:
    """The postings of a segment's common terms, kept as plain arrays instead of Whoosh's blocks.

    Reading a term through Whoosh's format unpickles and inflates every block, values (positions) included,
    about 0.4 µs per posting: a common word at 500,000 documents (100,000 postings) costs 40 ms before any
    scoring; and writing those blocks was a third of a bulk build's writing. Here the documents and weights
    are stored as numpy arrays (document gaps as uint16 when they fit, weights as uint8/uint16 counts when
    they are whole numbers), and a positional field's term keeps every posting's positions in a row, so
    phrases and re-ranking read them straight. ``<segment>.arr`` holds the arrays and ``<segment>.ard`` the
    table of terms; they follow the segment's life (Whoosh deletes a dead segment's files by its name).
    Whoosh reads these terms through ArraysCodec. (Segments written before kept the arrays beside blocks, an
    entry then giving the term's block directory: read_arrays still returns it.) A segment without them
    (written by Whoosh's own writer, or merged) is read through its blocks: evaluate.py falls back.
    """

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.table: dict[tuple[str, bytes], tuple[int, ...]] = {}

    def add(self, name: str, term: bytes, docs: Sequence[int], weights: Any, poses: Any = None) -> None:
        """Keep one term's postings; poses: every posting's positions in a row (as many as its weight)."""
        ids = np.frombuffer(docs, dtype=np.uint32) if isinstance(docs, array) else np.asarray(docs, np.uint32)
        gaps = np.diff(ids)
        docs_code, docs_bytes = (
            (2, gaps.astype(np.uint16).tobytes()) if gaps.max(initial=0) < 2**16 else (4, ids[1:].tobytes())
        )
        w = np.frombuffer(weights, dtype=np.float32) if isinstance(weights, array) else np.asarray(weights, np.float32)
        whole = bool(np.all(w == np.floor(w))) and w.min(initial=0) >= 0
        top = w.max(initial=0)
        w_code = 1 if whole and top < 2**8 else 2 if whole and top < 2**16 else 4
        w_bytes = w.astype({1: np.uint8, 2: np.uint16, 4: np.float32}[w_code]).tobytes()
        parts = [docs_bytes, w_bytes]  # (and no block directory: the term has no blocks)
        pos_code = 0
        if poses is not None:
            at = np.frombuffer(poses, dtype=np.uint32) if isinstance(poses, array) else np.asarray(poses, np.uint32)
            pos_code = 2 if at.max(initial=0) < 2**16 else 4
            parts.append(at.astype(np.uint16 if pos_code == 2 else np.uint32).tobytes())
        self.table[(name, term)] = (self.size, len(ids), int(ids[0]), docs_code, w_code, 0, pos_code)
        for part in parts:
            self.parts.append(part)
            self.size += len(part)

    def write(self, storage: FileStorage, segment: Any) -> None:
        if not self.table:
            return
        for ext, data in ((ARRAYS_EXT, b"".join(self.parts)), (ARRAYS_TABLE_EXT, pickle.dumps(self.table, 5))):
            f = segment.create_file(storage, ext)
            try:
                f.write(data)
            finally:
                f.close()
        self.parts, self.table = [], {}


def read_arrays(data: Any, entry: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return a term's (documents as int64, weights as float64, block last documents, block offsets), read
    from the segment's open arrays file `data`."""
    start, n, first, docs_code, w_code, nblocks = entry[:6]
    size = (n - 1) * docs_code + n * w_code + nblocks * 12
    raw = os.pread(data.fileno(), size, start)
    at = (n - 1) * docs_code
    docs = np.empty(n, dtype=np.int64)
    docs[0] = first
    rest = np.frombuffer(raw, dtype=np.uint16 if docs_code == 2 else np.uint32, count=n - 1)
    if docs_code == 2:
        np.cumsum(rest, dtype=np.int64, out=docs[1:])
        docs[1:] += first
    else:
        docs[1:] = rest
    kind = {1: np.uint8, 2: np.uint16, 4: np.float32}[w_code]
    weights = np.frombuffer(raw, dtype=kind, count=n, offset=at).astype(np.float64)
    at += n * w_code
    maxids = np.frombuffer(raw, dtype=np.uint32, count=nblocks, offset=at).astype(np.int64)
    offsets = np.frombuffer(raw, dtype=np.uint64, count=nblocks, offset=at + 4 * nblocks).astype(np.int64)
    return docs, weights, maxids, offsets


class ArraysFile:
    """A segment's arrays file, open for os.pread for as long as something refers to it (then closed, quietly):
    like Whoosh's own open segment files, it stays readable after a later rebuild deletes its generation."""

    __slots__ = ("fd",)

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_RDONLY)

    def fileno(self) -> int:
        return self.fd

    def __del__(self) -> None:
        fd = getattr(self, "fd", None)
        if fd is not None:
            os.close(fd)


def read_positions(data: Any, entry: tuple[int, ...], weights: np.ndarray, widen: bool = True) -> np.ndarray | None:
    """Return every posting's positions in a row (a positional field's weight is its count), else None; as
    int64, or as stored (uint16 or uint32, read-only) when not `widen`."""
    if len(entry) < 7 or not entry[6]:  # not a positional field (or written before positions were kept)
        return None
    start, n, _, docs_code, w_code, nblocks, pos_code = entry
    total = int(weights.sum())
    raw = os.pread(data.fileno(), total * pos_code, start + (n - 1) * docs_code + n * w_code + nblocks * 12)
    poses = np.frombuffer(raw, dtype=np.uint16 if pos_code == 2 else np.uint32, count=total)
    return poses.astype(np.int64) if widen else poses


class ArraysCodec(W3Codec):  # type: ignore[misc]
    """W3Codec for the bulk writer's segments, whose common terms (ARRAY_MIN_DF postings) are kept in the
    segment's arrays (PostingArrays) and not in blocks of its postings file: such a term's info says
    ARRAYS_ONLY where the postings' offset would be, and its matcher (ArrayMatcher) reads the arrays.

    A segment names its codec (Whoosh pickles it in the table of contents), so every reader of the segment,
    Whoosh's merges included, reads through this one; a segment written by Whoosh's own writer (an
    incremental update, a merge) names plain W3Codec and has blocks for every term.
    """

    def terms_reader(self, storage: FileStorage, segment: Any) -> W3TermsReader:
        tiname = segment.make_filename(self.TERMS_EXT)
        tifile = storage.open_file(tiname)
        postfile = segment.open_file(storage, self.POSTS_EXT)
        return ArraysTermsReader(self, tifile, storage.file_length(tiname), postfile, storage, segment)


class ArraysTermsReader(W3TermsReader):  # type: ignore[misc]
    """W3TermsReader that reads a term kept as arrays only from the segment's arrays."""

    def __init__(self, codec: W3Codec, dbfile: Any, length: int, postfile: Any, storage: Any, segment: Any) -> None:
        super().__init__(codec, dbfile, length, postfile)
        self._storage, self._segment = storage, segment

    def matcher(self, fieldname: str, tbytes: bytes, format_: Any, scorer: Any = None) -> Any:
        return self.matcher_of(fieldname, tbytes, self.term_info(fieldname, tbytes), format_, scorer)

    def matcher_of(self, fieldname: str, tbytes: bytes, terminfo: Any, format_: Any, scorer: Any = None) -> Any:
        """Return the matcher of a term whose info was looked up already (see terms.postings)."""
        term = (fieldname, tbytes)
        if terminfo.is_inlined() or terminfo.extent()[0] != ARRAYS_ONLY:
            return self._codec.postings_reader(self._postfile, terminfo, format_, term=term, scorer=scorer)
        found = segment_arrays(self._storage, self._segment)
        entry = None if found is None else found[1].get(term)
        if entry is None:
            raise OSError(f"segment {self._segment.segment_id()}: the arrays of {fieldname}:{tbytes!r} are missing")
        docs, weights, _, _ = read_arrays(found[0], entry)  # type: ignore[index]
        poses = read_positions(found[0], entry, weights)  # type: ignore[index]
        return ArrayMatcher(
            docs.tolist(), weights.tolist(), poses, format_, scorer=scorer, term=term, terminfo=terminfo
        )


class ArrayMatcher(ListMatcher):  # type: ignore[misc]
    """A term's postings read from a segment's arrays, served as Whoosh's ListMatcher serves inlined postings
    (all of them one block), with a binary search to skip, and each value encoded only when asked for."""

    def __init__(
        self,
        ids: list[int],
        weights: list[float],
        poses: np.ndarray | None,
        format_: Any,
        scorer: Any = None,
        term: Any = None,
        terminfo: Any = None,
        position: int = 0,
        starts: list[int] | None = None,
    ) -> None:
        super().__init__(ids, weights, None, format_, scorer=scorer, position=position, term=term, terminfo=terminfo)
        self._poses = poses  # every posting's positions in a row (a positional field), else None
        if starts is None and poses is not None:
            starts = list(itertools.accumulate(map(int, weights), initial=0))  # (a position count is the weight)
        self._starts = starts

    def copy(self) -> ArrayMatcher:
        return ArrayMatcher(
            self._ids,
            self._weights,
            self._poses,
            self._format,
            self._scorer,
            self._term,
            self._terminfo,
            self._i,
            self._starts,
        )

    def skip_to(self, id: int) -> None:
        if not self.is_active():
            raise ReadTooFar
        if id > self._ids[self._i]:
            self._i = bisect.bisect_left(self._ids, id, self._i)

    def skip_to_quality(self, minquality: float) -> int:
        if self.is_active() and self.block_quality() <= minquality:  # the one block: every posting skipped
            self._i = len(self._ids)
            return 1
        return 0

    def block_max_weight(self) -> float:
        return float(self._terminfo.max_weight())

    def positions(self) -> list[int]:
        i, starts = self._i, self._starts
        return self._poses[starts[i] : starts[i + 1]].tolist()  # type: ignore[index]

    def value(self) -> bytes | None:
        if self._poses is not None:
            return _ENCODE(self.positions())
        if type(self._format) is Frequency:
            return pack_uint(int(self._weights[self._i]))
        return None  # (Existence: no value, as W3LeafMatcher gives)

    def value_as(self, astype: str) -> Any:
        if astype == "positions" and self._poses is not None:
            return self.positions()
        return super().value_as(astype)

    def all_items(self) -> Iterator[tuple[int, bytes | None]]:
        if self._poses is not None:  # every value encoded at once (as the bulk writer encodes them)
            at = np.asarray(self._starts, dtype=np.int64)
            values = encode_positions(self._poses, at, np.arange(self._i, len(self._ids)))
            yield from zip(self._ids[self._i :], values, strict=True)
            self._i = len(self._ids)
            return
        while self._i < len(self._ids):
            yield self._ids[self._i], self.value()
            self._i += 1


def segment_arrays(storage: Any, segment: Any) -> tuple[ArraysFile, dict[tuple[str, bytes], tuple[int, ...]]] | None:
    """Return a segment's open arrays file and its table of terms, or None when it keeps no arrays (written by
    Whoosh's own writer, or merged); the tables of the last ARRAYS_SEGMENTS segments read are kept."""
    key = segment.segment_id()
    with _arrays_lock:
        found = _arrays.get(key, False)
        if found is not False:
            _arrays.move_to_end(key)
            return found  # type: ignore[return-value]
    folder = getattr(storage, "folder", None)
    found = None
    if folder is not None:
        try:
            with open(os.path.join(folder, segment.make_filename(ARRAYS_TABLE_EXT)), "rb") as f:
                table = pickle.load(f)
            # kept open, as Whoosh keeps its segment files: a generation deleted by a later rebuild while a
            # searcher still reads it stays readable (closed when the entry is dropped and unused)
            found = (ArraysFile(os.path.join(folder, segment.make_filename(ARRAYS_EXT))), table)
        except FileNotFoundError:
            pass
    with _arrays_lock:
        _arrays[key] = found
        while len(_arrays) > ARRAYS_SEGMENTS:
            _arrays.popitem(last=False)
    return found


def forget_arrays() -> None:
    """Forget every segment's table of arrays (the files close once nothing reads them)."""
    with _arrays_lock:
        _arrays.clear()


ARRAYS_SEGMENTS = 64  # segments whose tables of arrays are kept per process
_arrays: OrderedDict[str, tuple[ArraysFile, dict[tuple[str, bytes], tuple[int, ...]]] | None] = OrderedDict()
_arrays_lock = threading.Lock()


def encode_positions(poses: np.ndarray, at: np.ndarray, which: np.ndarray) -> list[bytes]:
    """Return the Positions value of each posting in `which`, built with numpy: its count (4 bytes, big-endian),
    then a pickle of the tuple of its position deltas (the first from 0), which Positions.decode_positions
    unpickles as it does Whoosh's own (a pickled list, 6 bytes longer). The positions of posting i are
    poses[at[i]:at[i + 1]]."""
    if not len(which):
        return []
    if len(poses) and int(poses.max()) >= 2**31:  # past pickle's 4-byte signed BININT: encoded one by one
        return [_ENCODE(poses[at[i] : at[i + 1]].tolist()) for i in which.tolist()]
    lens = (at[which + 1] - at[which]).astype(np.int64)
    first = np.cumsum(lens) - lens  # each posting's first item among all items
    idx = np.repeat(at[which] - first, lens) + np.arange(int(lens.sum()))
    p = poses[idx].astype(np.int64)
    d = np.diff(p, prepend=0)
    d[first] = p[first]
    item = np.where(d < 256, 2, np.where(d < 65536, 3, 5))  # K: one byte, M: two, J: four (little-endian)
    size = 4 + 1 + np.add.reduceat(item, first) + 1
    ends = np.cumsum(size)
    starts = ends - size
    buf = np.zeros(int(ends[-1]), dtype=np.uint8)
    for k in range(4):  # the count, big-endian
        buf[starts + k] = (lens >> (8 * (3 - k))) & 0xFF
    buf[starts + 4] = ord("(")  # MARK ... TUPLE
    buf[ends - 1] = ord("t")
    within = np.cumsum(item) - item  # each item's offset from the posting's first item
    within -= np.repeat(within[first], lens)
    o = np.repeat(starts + 5, lens) + within
    buf[o] = np.where(d < 256, ord("K"), np.where(d < 65536, ord("M"), ord("J")))
    buf[o + 1] = d & 0xFF
    two = item >= 3
    buf[o[two] + 2] = (d[two] >> 8) & 0xFF
    four = item == 5
    buf[o[four] + 3] = (d[four] >> 16) & 0xFF
    buf[o[four] + 4] = (d[four] >> 24) & 0xFF
    raw = buf.tobytes()
    return [raw[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
