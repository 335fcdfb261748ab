"""Bulk builds: write standard Whoosh (W3 codec) segments fast, one worker process per share of the records.

Whoosh's own writer spends most of a bulk build on bookkeeping around each posting: a Token object per
token, a 5-tuple per posting in a pool that is pickled, sorted and merged, a seek + read of the on-disk
length column and a dozen method calls for every posting it writes. ``SegmentBuilder`` keeps each term's
postings in memory, grouped, in document order (flat arrays), with the field lengths in memory too, and
writes each term's posting blocks in W3's format in one go, the term index and per-document columns
through Whoosh's own writers. Readers, merges and incremental writers work on these segments unchanged;
tests/test_segments.py checks every posting, term statistic, stored field, column and length against
Whoosh's writer. (One difference on disk: blocks under MIN_COMPRESS bytes are not zlib-compressed.)

``build_segments`` runs one builder per shard in forked worker processes (each reads its own share of
the records), then writes the table of contents that lists their segments in shard order, so document
numbers follow the shards' order as they would with one writer.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
import traceback
import zlib
from array import array
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.analysis import IDTokenizer
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3TermInfo
from whoosh.fields import ID, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.formats import Existence, Frequency, Positions
from whoosh.index import TOC, clean_files
from whoosh.system import pack_int, pack_uint, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

from .analysis import (
    BigramTokenizer,
    CharTokenizer,
    WordTokenizer,
    bigram_positions,
    char_counts,
    char_positions,
    word_positions,
)

INDEXNAME = "MAIN"  # Whoosh's default index name inside a directory
SEGMENT_DOCS = 250_000  # documents per segment: bounds a worker's memory (about 2.5 KB per document)
BLOCK = 128  # postings per block: W3Codec's blocklimit
COMPRESSION = 3  # zlib level of posting blocks, as Whoosh's default codec
ARRAY_MIN_DF = 256  # a term with this many postings in a segment is also kept as arrays (PostingArrays)
ARRAYS_EXT, ARRAYS_TABLE_EXT = ".arr", ".ard"
MIN_COMPRESS = 256  # bytes: a smaller block is stored as it is. Two blocks in three are that small, and zlib
# saves 2.6% of the index on them at the cost of two compress calls in three (10,000 articles measured);
# Whoosh means to skip tiny blocks too (W3PostingsWriter._write_block), but a bug compresses every one.
# Readers look at each block's own flag.
Shard = Callable[[], Iterable[dict[str, Any]]]  # yields the index fields of each document of one share
_ENCODE = Positions().encode  # the bytes of a positions posting: count + pickled position deltas
_ONE: dict[int, bytes] = {}  # position -> the bytes of a posting with that one position
MEMO_POSITIONS = 100_000  # positions memoised in _ONE (a few MB)
_COUNT = {n: pack_uint(n) for n in range(1, 256)}  # the bytes of a Frequency posting with that count


class SegmentBuilder:
    """Collect documents in memory and write them as one W3 segment of an index directory."""

    def __init__(self, storage: FileStorage, schema: Schema, codec: W3Codec | None = None) -> None:
        self.storage, self.schema = storage, schema
        self.codec = codec or W3Codec(compression=COMPRESSION)
        self.segment = self.codec.new_segment(storage, INDEXNAME)
        self.perdoc = self.codec.per_document_writer(storage, self.segment)
        self.docnum = 0
        self.postings: dict[str, dict[Any, Any]] = {}  # field -> term -> postings (see _add_*)
        self.lengths: dict[str, array[int]] = {}  # scorable field -> token count per document
        self.kinds = {name: _kind(field) for name, field in schema.items()}
        self.arrays = PostingArrays()

    def add(self, fields: dict[str, Any]) -> None:
        """Add one document: the same keyword arguments as IndexWriter.add_document."""
        docnum, perdoc = self.docnum, self.perdoc
        perdoc.start_doc(docnum)
        for name in sorted(fields):
            value = fields[name]
            if value is None or name.startswith("_"):
                continue
            field = self.schema[name]
            length = self._index(name, field, value, docnum) if field.indexed else 0
            perdoc.add_field(name, field, value if field.stored else None, length)
            if field.column_type:
                perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        perdoc.finish_doc()
        self.docnum += 1

    def _index(self, name: str, field: Any, value: Any, docnum: int) -> int:
        terms = self.postings.setdefault(name, {})
        kind = self.kinds[name]
        if kind == "id":  # the whole value is the one term
            _add_existence(terms, value, docnum)
            return 0
        if kind in POSITIONAL:
            length = _add_positions(terms, POSITIONAL[kind](value), docnum)
        elif kind == "charcount":
            length = _add_counts(terms, char_counts(value), docnum)
        else:
            length = 0
            for btext, freq, weight, vbytes in field.index(value):
                _add_generic(terms, btext, docnum, weight, vbytes)
                length += freq
        if field.scorable and length:
            lengths = self.lengths.setdefault(name, array("I"))
            lengths.extend([0] * (docnum + 1 - len(lengths)))
            lengths[docnum] = length
        return length if field.scorable else 0

    def finish(self) -> Any:
        """Write the postings, close the segment files, and return the segment (None when empty)."""
        self.perdoc.close()
        fieldwriter = self.codec.field_writer(self.storage, self.segment)
        for name in sorted(self.postings):
            if self.postings[name]:
                self._write_field(fieldwriter, name)
        fieldwriter.close()
        self.arrays.write(self.storage, self.segment)
        self.segment.set_doc_count(self.docnum)
        # no compound file: Whoosh reads a compound segment's parts through BytesIO, a private copy of the
        # postings and term files in every reader (650 MB per searcher thread at 65,000 documents measured)
        return self.segment if self.docnum else None

    def _write_field(self, fw: Any, name: str) -> None:
        field, terms = self.schema[name], self.postings.pop(name)
        lengths = _quantized(self.lengths.get(name, array("I")))
        fw.start_field(name, field)
        key, tindex, postfile = pack_ushort(fw._fieldid), fw._tindex, fw._postfile
        fixed = field.format.fixed_value_size()
        kind = self.kinds[name]
        for term in sorted(terms):
            btext = term.encode("utf-8") if isinstance(term, str) else term
            if kind in POSITIONAL:
                docs, weights, values = _positions_postings(*terms[term])
            elif kind == "charcount":
                docs, weights, values = _count_postings(*terms[term])
            else:
                docs, weights, values = terms[term]
            info, blocks = _write_postings(postfile, docs, weights, values, lengths, fixed)
            if kind != "other" and len(docs) >= ARRAY_MIN_DF:
                self.arrays.add(name, btext, docs, weights, blocks, terms[term][2] if kind in POSITIONAL else None)
            tindex.add(key + btext, info.to_bytes())
        fw.finish_field()


class PostingArrays:
    """The postings of a segment's common terms, also kept as plain arrays beside Whoosh's blocks.

    Reading a term through Whoosh's format unpickles and inflates every block, values (positions) included,
    about 0.4 µs per posting: a common word at 500,000 documents (100,000 postings) costs 40 ms before any
    scoring. Here the same documents and weights are stored as numpy arrays (document gaps as uint16 when
    they fit, weights as uint8/uint16 counts when they are whole numbers), with the term's block directory
    (each block's last document and offset in the postings file) so that re-ranking jumps to the blocks
    that hold its documents. ``<segment>.arr`` holds the arrays and ``<segment>.ard`` the table of terms;
    they follow the segment's life (Whoosh deletes a dead segment's files by its name). A positional field's
    term keeps every posting's positions too, so phrases and re-ranking need no block at all. A segment without
    them (written by Whoosh's own writer, or merged) is read through its blocks: evaluate.py falls back.
    """

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.table: dict[tuple[str, bytes], tuple[int, ...]] = {}

    def add(
        self, name: str, term: bytes, docs: Sequence[int], weights: array[float], blocks: Any, poses: Any = None
    ) -> None:
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
        maxids, offsets = blocks
        blk = np.asarray(maxids, np.uint32).tobytes() + np.asarray(offsets, np.uint64).tobytes()
        parts = [docs_bytes, w_bytes, blk]
        pos_code = 0
        if poses is not None:
            at = np.frombuffer(poses, dtype=np.uint32) if isinstance(poses, array) else np.asarray(poses, np.uint32)
            pos_code = 2 if at.max(initial=0) < 2**16 else 4
            parts.append(at.astype(np.uint16 if pos_code == 2 else np.uint32).tobytes())
        self.table[(name, term)] = (self.size, len(ids), int(ids[0]), docs_code, w_code, len(maxids), pos_code)
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


def read_positions(data: Any, entry: tuple[int, ...], weights: np.ndarray) -> np.ndarray | None:
    """Return every posting's positions in a row (a positional field's weight is its count), else None."""
    if len(entry) < 7 or not entry[6]:  # not a positional field (or written before positions were kept)
        return None
    start, n, _, docs_code, w_code, nblocks, pos_code = entry
    total = int(weights.sum())
    raw = os.pread(data.fileno(), total * pos_code, start + (n - 1) * docs_code + n * w_code + nblocks * 12)
    return np.frombuffer(raw, dtype=np.uint16 if pos_code == 2 else np.uint32, count=total).astype(np.int64)


TOKENIZERS = {WordTokenizer: "word", CharTokenizer: "char", BigramTokenizer: "bigram"}
POSITIONAL: dict[str, Callable[[str], dict[str, list[int]]]] = {
    "word": word_positions,
    "char": char_positions,
    "bigram": bigram_positions,
}


def _kind(field: Any) -> str:
    """Classify a field: word / char / bigram (fast tokenizer path), id (one term), other (Whoosh's index())."""
    boost_one = getattr(field.format, "field_boost", None) == 1.0
    if type(field.format) is Positions and boost_one and type(field.analyzer) in TOKENIZERS:
        return TOKENIZERS[type(field.analyzer)]
    if type(field.format) is Frequency and boost_one and type(field.analyzer) is CharTokenizer:
        return "charcount"
    if type(field) is ID and type(field.format) is Existence and boost_one and type(field.analyzer) is IDTokenizer:
        return "id"
    return "other"


def _add_existence(terms: dict[Any, Any], value: str, docnum: int) -> None:
    entry = terms.get(value)
    if entry is None:
        terms[value] = entry = (array("I"), array("f"), None)
    if not entry[0] or entry[0][-1] != docnum:
        entry[0].append(docnum)
        entry[1].append(1.0)


def _add_generic(terms: dict[Any, Any], btext: bytes, docnum: int, weight: float, vbytes: bytes) -> None:
    entry = terms.get(btext)
    if entry is None:
        terms[btext] = entry = (array("I"), array("f"), [])
    entry[0].append(docnum)
    entry[1].append(weight)
    entry[2].append(vbytes)


def _add_positions(terms: dict[Any, Any], positions: dict[str, list[int]], docnum: int) -> int:
    """Append each term's posting as docnum, position count, positions to its arrays; return the token count."""
    length = 0
    for term, poses in positions.items():
        entry = terms.get(term)
        if entry is None:
            terms[term] = entry = (array("I"), array("I"), array("I"))
        entry[0].append(docnum)
        entry[1].append(len(poses))
        entry[2].extend(poses)
        length += len(poses)
    return length


def _add_counts(terms: dict[Any, Any], counts: dict[str, int], docnum: int) -> int:
    """Append each term's posting as docnum and count to its arrays; return the token count."""
    for term, n in counts.items():
        entry = terms.get(term)
        if entry is None:
            terms[term] = entry = (array("I"), array("I"))
        entry[0].append(docnum)
        entry[1].append(n)
    return sum(counts.values())


def _count_postings(docs: array[int], counts: array[int]) -> tuple[array[int], array[float], list[bytes]]:
    """Return a term's docnums, weights and Frequency-encoded values (what Frequency.word_values gives)."""
    return docs, array("f", counts), [_COUNT.get(n) or pack_uint(n) for n in counts]


def _positions_postings(
    docs: array[int], counts: array[int], poses: array[int]
) -> tuple[array[int], array[float], list[bytes]]:
    """Return a term's docnums, weights and Positions-encoded values (what Positions.encode gives)."""
    if len(poses) == len(counts):  # one position in every document: the usual case, memoised
        return docs, array("f", counts), [_ONE.get(p) or _one(p) for p in poses]
    values, i = [], 0
    for n in counts:
        values.append(_ONE.get(poses[i]) or _one(poses[i]) if n == 1 else _ENCODE(poses[i : i + n]))
        i += n
    return docs, array("f", counts), values


def _one(pos: int) -> bytes:
    value = _ENCODE([pos])
    if pos < MEMO_POSITIONS:
        _ONE[pos] = value
    return value


def _quantized(lengths: array[int]) -> dict[int, int]:
    """Map docnum -> field length as Whoosh reads it back from the length column (one byte, lossy)."""
    return {d: byte_to_length(length_to_byte(n)) for d, n in enumerate(lengths) if n}


def _write_postings(
    postfile: Any,
    docs: Sequence[int],
    weights: array[float],
    values: list[bytes] | None,
    lengths: dict[int, int],
    fixed: int | None,
) -> tuple[W3TermInfo, tuple[list[int], list[int]]]:
    """Write one term's posting blocks as W3PostingsWriter does, a whole term at a time; return its term info
    and its block directory (each block's last document and file offset)."""
    info, start, parts = W3TermInfo(), postfile.tell(), [WHOOSH3_HEADER_MAGIC]
    offset, maxids, offsets = start + len(WHOOSH3_HEADER_MAGIC), [], []
    for b in range(0, len(docs), BLOCK):
        ids, ws = docs[b : b + BLOCK], weights[b : b + BLOCK]
        known = [lengths[d] for d in ids if d in lengths]
        minlen, maxlen, maxw = (min(known) if known else None), (max(known) if known else 0), max(0, max(ws))
        _add_block_stats(info, ids, ws, minlen, maxlen, maxw)
        if fixed == 0:
            vs: Any = None
        else:
            block_values = [v for v in (values or [])[b : b + BLOCK] if v]  # add_posting keeps non-empty values
            vs = tuple(block_values) if fixed is None or fixed < 0 else b"".join(block_values)
        data = pickle.dumps((_mini_ids(ids), _mini_weights(ws), vs), 2)
        comp = COMPRESSION if len(data) >= MIN_COMPRESS else 0
        data = zlib.compress(data, comp) if comp else data
        head = pickle.dumps((len(ids), ids[-1], maxw, comp, length_to_byte(minlen), length_to_byte(maxlen)), 2)
        size = len(head) + len(data)
        parts += (pack_int(-size if b + BLOCK >= len(docs) else size), head, data)
        maxids.append(ids[-1])
        offsets.append(offset)
        offset += 4 + size
    block = b"".join(parts)
    postfile.file.write(block)  # past StructFile's per-call wrappers: one write per term
    info.set_extent(start, len(block))
    return info, (maxids, offsets)


def _add_block_stats(
    info: W3TermInfo, ids: Sequence[int], ws: array[float], minlen: int | None, maxlen: int, maxw: float
) -> None:
    """Update a term info with one block, as W3TermInfo.add_block does."""
    info._weight += sum(ws)
    info._df += len(ids)
    info._minlength = minlen if info._minlength is None else min(info._minlength, minlen)
    info._maxlength = max(info._maxlength, maxlen)
    info._maxweight = max(info._maxweight, maxw)
    if info._minid is None:
        info._minid = ids[0]
    info._maxid = ids[-1]


def _mini_ids(ids: Sequence[int]) -> tuple[int, ...]:
    """Delta-encode a block's docnums (W3PostingsWriter._mini_ids)."""
    if len(ids) == 1:
        return (ids[0],)
    return (ids[0], *[b - a for a, b in zip(ids, ids[1:], strict=False)])


def _mini_weights(ws: array[float]) -> Any:
    """Shrink a block's weights: None when all 1.0, one number when all equal (W3PostingsWriter._mini_weights)."""
    if all(w == 1.0 for w in ws):
        return None
    return ws[0] if all(w == ws[0] for w in ws) else tuple(ws)


def build_segments(index_dir: Path, shards: Sequence[Shard], max_docs: int = SEGMENT_DOCS) -> int:
    """Index every shard into new segments of the empty index at index_dir, then commit them; return the count.

    One forked worker per shard when there are several (each reads its own records); in this process,
    one shard after the other, when there is one or when this process runs other threads.
    """
    storage = FileStorage(str(index_dir))
    schema = storage.open_index(INDEXNAME).schema
    # fork only a single-threaded process: a child gets just the forking thread, and a lock another
    # thread held at that moment (logging, SQLite, a web server's) would stay locked in it
    if len(shards) == 1 or threading.active_count() > 1 or "fork" not in multiprocessing.get_all_start_methods():
        results = [_build_shard(storage, schema, shard, max_docs) for shard in shards]
    else:
        results = _in_workers(storage, schema, shards, max_docs)
    segments = [seg for segs, _ in results for seg in segs]
    toc = TOC(schema, segments, 1)
    toc.write(storage, INDEXNAME)
    clean_files(storage, INDEXNAME, 1, segments)
    storage.temp_storage(f"{INDEXNAME}.tmp").destroy()
    return sum(count for _, count in results)


def _build_shard(storage: FileStorage, schema: Schema, shard: Shard, max_docs: int) -> tuple[list[Any], int]:
    """Write one shard's documents as segments of at most max_docs documents each."""
    segments, count, builder = [], 0, SegmentBuilder(storage, schema)
    for fields in shard():
        builder.add(fields)
        count += 1
        if builder.docnum >= max_docs:
            segments.append(builder.finish())
            builder = SegmentBuilder(storage, schema)
    last = builder.finish()
    return segments + ([last] if last is not None else []), count


def _in_workers(
    storage: FileStorage, schema: Schema, shards: Sequence[Shard], max_docs: int
) -> list[tuple[list[Any], int]]:
    """Run _build_shard for each shard in a forked process; raise if any of them fails."""
    ctx = multiprocessing.get_context("fork")
    pipes, procs = [], []
    for shard in shards:
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_worker, args=(send, storage, schema, shard, max_docs), daemon=True)
        proc.start()
        send.close()
        pipes.append(recv)
        procs.append(proc)
    try:
        answers = [pickle.loads(recv.recv_bytes()) for recv in pipes]
    except EOFError:
        answers = [("error", "a bulk-index worker died without an answer")]
    finally:
        for proc in procs:
            proc.join()
    errors = [a[1] for a in answers if a[0] == "error"]
    if errors:
        raise RuntimeError(f"bulk indexing failed in a worker process:\n{errors[0]}")
    return [a[1] for a in answers]


def _worker(send: Any, storage: FileStorage, schema: Schema, shard: Shard, max_docs: int) -> None:
    """Build one shard's segments in a child process and send back (segments, count) or the error."""
    try:
        answer: tuple[str, Any] = ("ok", _build_shard(storage, schema, shard, max_docs))
    except BaseException:  # noqa: B036 - reported to the parent, which raises it
        answer = ("error", traceback.format_exc())
    send.send_bytes(pickle.dumps(answer))
    send.close()
    os._exit(0)  # skip the parent's atexit handlers and finalizers (its SQLite connection among them)
