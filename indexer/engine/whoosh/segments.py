"""Bulk builds: write standard Whoosh (W3 codec) segments fast, one worker process per share of the records.

Whoosh's own writer spends most of a bulk build on bookkeeping around each posting: a Token object per
token, a 5-tuple per posting in a pool that is pickled, sorted and merged, a seek + read of the on-disk
length column and a dozen method calls for every posting it writes. ``SegmentBuilder`` keeps a text
field's tokens of the whole segment as flat arrays (``Tokens``: word ids and positions, or the characters
themselves, from which pairs are derived) and turns them into every term's postings with one numpy sort.
It then computes the statistics of every block and term at once and writes each block in W3's format (id,
keyword, number and date fields go through the same writer, from postings kept per term); the term index,
the hash tables, the length columns and the byte-string columns are written in bulk too, stored fields and
other columns through Whoosh's own writers. A common term (ARRAY_MIN_DF postings) is written as plain
arrays instead of blocks (PostingArrays): the segment names ArraysCodec, W3Codec with a terms reader that
serves such a term from the arrays (ArrayMatcher). Readers, merges and incremental writers work on these
segments through Whoosh's own code otherwise; tests/test_segments.py checks every posting, term statistic,
stored field, column and length against Whoosh's writer, and Whoosh's searches and merge over both. What
differs on disk: common terms in arrays; blocks under MIN_COMPRESS bytes are not zlib-compressed; block
data is pickled with protocol 5, not 2; a posting's positions are a pickled tuple, not a pickled list with
a memo entry (Positions.decode_positions unpickles either); and a term with one posting is kept in its
term info (W3's inlined postings, which its reader reads with a ListMatcher), as W3's writer means to (its
inlining never fires). Opening such an index needs the codec's class importable: codec.py holds it (and
indexer/segments.py keeps its old path, which every bulk-built index names).

``build_segments`` runs one builder per shard in forked worker processes (each reads its own share of
the records), then writes the table of contents that lists their segments in shard order, so document
numbers follow the shards' order as they would with one writer.
"""

from __future__ import annotations

import functools
import itertools
import multiprocessing
import operator
import os
import pickle
import threading
import traceback
import zlib
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from hashlib import md5
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.analysis import IDTokenizer
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3TermInfo,
    _lenfield,
)
from whoosh.columns import VarBytesColumn
from whoosh.fields import ID, Schema, UnknownFieldError
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.filetables import _lengths as _KV_LENGTHS
from whoosh.filedb.filetables import md5_hash
from whoosh.formats import Existence, Frequency, Positions
from whoosh.index import TOC, clean_files
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import _length_byte_cache

from ...analysis import BigramTokenizer, CharTokenizer, WordTokenizer, raw_words, stripped, word_terms
from .codec import _ENCODE, ARRAYS_ONLY, BLOCK, ArraysCodec, PostingArrays, encode_positions

INDEXNAME = "MAIN"  # Whoosh's default index name inside a directory
SEGMENT_DOCS = 125_000  # documents per segment: bounds a worker's memory (its peak, writing the pair field, is
# about 10 KB per document of the segment: 2.8 GB per worker at 250,000 measured)
DATA_PROTOCOL = 5  # pickle protocol of a block's data (W3 uses 2: each bytes value then costs a codecs call)
COMPRESSION = 1  # zlib level of posting blocks (Whoosh's default codec uses 3: the same size within 0.3%,
# 7% less time writing them, measured on 30,000 articles; readers decompress either)
ARRAY_MIN_DF = 256  # a term with this many postings in a segment is kept as arrays (PostingArrays), not blocks
MIN_COMPRESS = 256  # bytes: a smaller block is stored as it is. Two blocks in three are that small, and zlib
# saves 2.6% of the index on them at the cost of two compress calls in three (10,000 articles measured);
# Whoosh means to skip tiny blocks too (W3PostingsWriter._write_block), but a bug compresses every one.
# Readers look at each block's own flag.
Shard = Callable[[], Iterable[dict[str, Any]]]  # yields the index fields of each document of one share
_ONE: list[bytes] = []  # position -> the Positions value of a posting with that one position (_single_values)
MEMO_POSITIONS = 100_000  # positions memoised in _ONE (a few MB)
CHUNK = 1 << 20  # postings of a field turned into Python lists at a time when written (about 100 MB)
# _layout: postings in blocks (indices, documents, counts), term ends, gaps, block and term statistics
Layout = tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, Iterator[tuple[Any, ...]], Iterator[tuple[Any, ...]]
]
MEMO_VALUES = 50_000  # distinct values of one keyword/number field remembered with their terms


class SegmentBuilder:
    """Collect documents in memory and write them as one W3 segment of an index directory."""

    def __init__(self, storage: FileStorage, schema: Schema) -> None:
        self.storage, self.schema = storage, schema
        self.codec = ArraysCodec(compression=COMPRESSION)  # (the codec that reads the terms kept as arrays)
        self.segment = self.codec.new_segment(storage, INDEXNAME)
        self.perdoc = self.codec.per_document_writer(storage, self.segment)
        self.docnum = 0
        self.postings: dict[str, dict[Any, Any]] = {}  # field -> term -> postings (see _add_*)
        self.lengths: dict[str, Any] = {}  # scorable field -> token count per document (array("I") or numpy)
        self.length_bytes: dict[str, np.ndarray] = {}  # the same as Whoosh's length bytes (see _write_lengths)
        self.kinds = {name: _kind(field) for name, field in schema.items()}
        self.names = frozenset(schema.names())
        self.plan = [  # each field: (name, field, kind of indexing or None, stored, column type or None)
            (
                name,
                field,
                self.kinds[name] if field.indexed else None,
                bool(field.stored),
                type(field.column_type) if type(field.column_type) is VarBytesColumn else field.column_type,
            )
            for name, field in sorted(schema.items())
        ]
        self.tokens: dict[str, Tokens] = {}  # the text fields' tokens (kinds in TOKENS)
        self.indexed: dict[str, dict[Any, tuple[Any, ...]]] = {}  # field -> value -> what field.index() gave
        self.varbytes: dict[str, tuple[array[int], list[bytes]]] = {}  # column -> its documents and values
        self.arrays = PostingArrays()

    def add(self, fields: dict[str, Any]) -> None:
        """Add one document: the same keyword arguments as IndexWriter.add_document."""
        unknown = [name for name in fields.keys() - self.names if not name.startswith("_")]
        if unknown:
            raise UnknownFieldError(f"No field named {sorted(unknown)[0]!r} in {self.schema}")
        docnum, perdoc = self.docnum, self.perdoc
        perdoc.start_doc(docnum)
        stored = perdoc._storedfields  # (W3PerDocWriter.add_field keeps a stored value there, and nothing else
        for name, field, kind, keep, column in self.plan:  # with a length of 0: lengths are written in finish())
            value = fields.get(name)
            if value is None:
                continue
            if kind == "id":  # the whole value is the one term
                _add_existence(self.postings.setdefault(name, {}), value, docnum)
            elif kind is not None:
                self._index(name, field, kind, value, docnum)
            if keep:
                stored[name] = value
            if column is VarBytesColumn:  # kept, and written at once in finish()
                docs, values = self.varbytes.setdefault(name, (array("I"), []))
                docs.append(docnum)
                values.append(field.to_column_value(value))
            elif column is not None:
                perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        perdoc.finish_doc()
        self.docnum += 1

    def _index(self, name: str, field: Any, kind: str, value: Any, docnum: int) -> None:
        """Index one field value of a kind other than id; a scorable field's token count goes to self.lengths."""
        if kind in TOKENS:
            tokens = self.tokens.get(name)
            if tokens is None:
                tokens = self.tokens[name] = Tokens(kind)
            length = tokens.add(value, docnum)
        else:  # keywords, numbers, dates: Whoosh's own index(), once per distinct value (they repeat)
            length, terms, memo = 0, self.postings.setdefault(name, {}), self.indexed.setdefault(name, {})
            # (only str and int: a list is unhashable, and equal floats or datetimes can index differently)
            remembered = type(value) in (str, int)
            postings = memo.get(value) if remembered else None
            if postings is None:
                if len(memo) >= MEMO_VALUES:
                    memo.clear()
                postings = tuple(field.index(value))
                if remembered:
                    memo[value] = postings
            for btext, freq, weight, vbytes in postings:
                _add_generic(terms, btext, docnum, weight, vbytes)
                length += freq
        if field.scorable and length:
            lengths = self.lengths.setdefault(name, array("I"))
            lengths.extend([0] * (docnum + 1 - len(lengths)))
            lengths[docnum] = length

    def finish(self) -> Any:
        """Write the postings, close the segment files, and return the segment (None when empty)."""
        for name, tokens in self.tokens.items():
            if tokens.kind == "word" and self.schema[name].scorable:  # word fields know their lengths now
                docs, length = tokens.expand()
                self.lengths[name] = np.zeros(self.docnum, dtype=np.uint32)
                self.lengths[name][docs] = length
        self._write_lengths()
        self._write_varbytes()
        self.perdoc.close()
        fieldwriter = self.codec.field_writer(self.storage, self.segment)
        fieldwriter._tindex._write_hashes = functools.partial(_write_hashes, fieldwriter._tindex)
        for name in sorted(set(self.postings) | set(self.tokens)):
            if name in self.tokens:
                self._write_tokens(fieldwriter, name)
            elif self.postings[name]:
                self._write_postings(fieldwriter, name)
        fieldwriter.close()
        self.arrays.write(self.storage, self.segment)
        self.segment.set_doc_count(self.docnum)
        # no compound file: Whoosh reads a compound segment's parts through BytesIO, a private copy of the
        # postings and term files in every reader (650 MB per searcher thread at 65,000 documents measured)
        return self.segment if self.docnum else None

    def _write_lengths(self) -> None:
        """Write each scorable field's length column (one byte per document, as W3PerDocWriter.add_field
        writes it document by document) and its total length, all at once."""
        perdoc = self.perdoc
        for name in sorted(self.lengths):
            lengths = self.lengths[name]
            lbytes = self.length_bytes[name] = _length_bytes(lengths, self.docnum).astype(np.uint8)
            used = np.flatnonzero(lbytes)
            if not len(used):
                continue
            column = _lenfield(name)
            perdoc._create_column(column, LENGTHS_COLUMN)
            writer = perdoc._get_column(column)
            writer._dbfile.write(lbytes[: used[-1] + 1].tobytes())
            writer._count = int(used[-1]) + 1  # later documents read as the default, 0
            perdoc._fieldlengths[name] += int(np.frombuffer(lengths, dtype=np.uint32).sum())

    def _write_varbytes(self) -> None:
        """Write each byte-string column (sortable ID fields) as VarBytesColumn's writer does value by value:
        the values, then their lengths and offsets; at once when every document has a value."""
        perdoc = self.perdoc
        for name in sorted(self.varbytes):
            docs, values = self.varbytes.pop(name)
            perdoc._create_column(name, self.schema[name].column_type)
            writer = perdoc._get_column(name)
            if docs[-1] != len(docs) - 1:  # some document has no value: the writer fills the gaps itself
                for docnum, value in zip(docs, values, strict=True):
                    writer.add(docnum, value)
                continue
            lengths = [len(v) for v in values]
            offsets = list(itertools.accumulate(lengths, initial=0))
            writer._dbfile.write(b"".join(values))
            for grown, numbers in ((writer._lengths, lengths), (writer._offsets, offsets[:-1])):
                grown.append(max(numbers))  # the type the largest needs, as appending them one by one gives
                grown.array.pop()
                grown.array.extend(numbers)
            writer._offset_base, writer._count = offsets[-1], len(docs)

    def _write_tokens(self, fw: Any, name: str) -> None:
        """Write a text field's terms from its Tokens, grouped into postings at once with numpy."""
        terms, term_starts, docs, counts, poses = self.tokens.pop(name).postings()
        if not terms:
            return
        at = None
        if poses is not None:
            at = np.zeros(len(counts) + 1, dtype=np.int64)
            np.cumsum(counts, out=at[1:])

        def values_of(which: np.ndarray) -> list[bytes]:
            """The values of the postings `which`: Positions (one position memoised, several encoded), else
            Frequency (each count as 4 bytes, big-endian)."""
            if at is None:
                raw = counts[which].astype(">u4").tobytes()
                return [raw[i : i + 4] for i in range(0, len(raw), 4)]
            values = _single_values(poses[at[which]].tolist())  # each posting's first position, for now
            several = np.flatnonzero(counts[which] > 1)
            for i, value in zip(several.tolist(), encode_positions(poses, at, which[several]), strict=True):
                values[i] = value
            return values

        self._write_terms(fw, name, terms, term_starts, docs, counts, values_of, poses, at)

    def _write_postings(self, fw: Any, name: str) -> None:
        """Write an id, keyword, number or date field's terms from its postings (see _add_existence and
        _add_generic); only id fields keep their common terms as arrays (instead of blocks: evaluate reads them)."""
        postings = self.postings.pop(name)
        terms = sorted(postings)
        term_starts = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum([len(postings[t][0]) for t in terms], out=term_starts[1:])
        docs = np.frombuffer(b"".join(postings[t][0].tobytes() for t in terms), dtype=np.uint32)
        weights = np.frombuffer(b"".join(postings[t][1].tobytes() for t in terms), dtype=np.float32)
        values = None if postings[terms[0]][2] is None else [v for t in terms for v in postings[t][2]]
        self._write_terms(
            fw,
            name,
            [t.encode("utf-8") if isinstance(t, str) else t for t in terms],
            term_starts,
            docs,
            weights.astype(np.float64),
            lambda which: None if values is None else [values[i] for i in which.tolist()],
            arrays=self.kinds[name] == "id",
        )

    def _write_terms(
        self,
        fw: Any,
        name: str,
        terms: list[bytes],
        term_starts: np.ndarray,
        docs: np.ndarray,
        counts: np.ndarray,
        values_of: Callable[[np.ndarray], list[bytes] | None],
        poses: np.ndarray | None = None,
        at: np.ndarray | None = None,
        arrays: bool = True,
    ) -> None:
        """Write a field's terms in W3's format: terms in byte order, term i's postings docs/counts[a:b] and
        values_of(np.arange(a, b)) (None: no values) for a, b = term_starts[i:i + 2], in document order (counts
        are the weights). Postings are turned into Python lists CHUNK at a time. The statistics of every
        block (BLOCK postings of one term) and every term are computed at once with numpy; what is left per
        block is pickling it, and the term index gets every entry of the field in one write. With `arrays`, a
        term with ARRAY_MIN_DF postings is kept as arrays instead (PostingArrays, with its positions
        poses[at[a]:at[b]] when given): no block, and a term info that points at ARRAYS_ONLY (see ArraysCodec)."""
        field = self.schema[name]
        fw.start_field(name, field)
        key, tindex, postfile = pack_ushort(fw._fieldid), fw._tindex, fw._postfile
        fixed = field.format.fixed_value_size()
        lbytes = self.length_bytes.get(name)  # (written by _write_lengths; none: the field keeps no lengths)
        lbytes = (np.zeros(self.docnum, dtype=np.uint8) if lbytes is None else lbytes)[docs]
        written, b_docs, b_counts, b_ends, gaps, block_stats, term_stats = _layout(
            term_starts, docs, counts, lbytes, arrays
        )
        joined = fixed is not None and fixed >= 0
        infos, parts, offset, top = [], [], postfile.tell(), 0
        pack_info, dumps, magic = W3TermInfo._struct.pack, pickle.dumps, WHOOSH3_HEADER_MAGIC
        in_arrays = pack_long(ARRAYS_ONLY) + pack_int(0)
        for term, (a, b, k, weight, maxw, minlb, maxlb, mind, maxd, only_here, fa, fb) in zip(
            terms, term_stats, strict=True
        ):
            if only_here:  # its postings in the segment's arrays alone (read by ArraysCodec), none in blocks
                infos.append(pack_info(0, weight, fb - fa, minlb, maxlb, maxw, mind, maxd) + in_arrays)
                self.arrays.add(
                    name, term, docs[fa:fb], counts[fa:fb], poses[at[fa] : at[fb]] if at is not None else None
                )
                continue
            if b > top:  # the next chunk of postings as lists, from this term to a term's end CHUNK further
                top = int(b_ends[min(int(np.searchsorted(b_ends, a + CHUNK)), len(b_ends) - 1)])
                base, gap_list, doc_list = a, gaps[a:top].tolist(), b_docs[a:top].tolist()
                weight_list, values = (
                    b_counts[a:top].astype(np.float64).tolist(),
                    values_of(written[a:top]) if fixed != 0 else None,
                )
            n, a, b = b - a, a - base, b - base  # (indices into this chunk's lists from here)
            if n == 1:  # one posting: kept in the term's info, as W3's reader accepts (a ListMatcher)
                next(block_stats)
                value = None if values is None else values[a]
                infos.append(
                    pack_info(1, weight, 1, minlb, maxlb, maxw, mind, mind)
                    + dumps(((mind,), (weight_list[a],), (value,)), 2)
                )
                continue
            start = offset
            parts.append(magic)
            offset += len(magic)
            chunk = (base, gap_list, doc_list, weight_list, values, joined)
            offset += _write_blocks(parts, [next(block_stats) for _ in range(k)], chunk)
            infos.append(
                pack_info(0, weight, n, minlb, maxlb, maxw, mind, maxd) + pack_long(start) + pack_int(offset - start)
            )
            if len(parts) >= 30_000:  # about a megabyte
                postfile.file.write(b"".join(parts))
                parts = []
        postfile.file.write(b"".join(parts))
        _add_terms(tindex, [key + t for t in terms], infos)
        fw.finish_field()


def _write_blocks(parts: list[bytes], stats: list[tuple[Any, ...]], chunk: tuple[Any, ...]) -> int:
    """Append one term's blocks in W3's format to parts, each block's statistics given; return the bytes added.
    chunk: the postings' first index, gaps, documents, weights and values (or None) as lists, and whether
    the values are of fixed size (joined into one string per block)."""
    base, gap_list, doc_list, weight_list, values, joined = chunk
    added, dumps = 0, pickle.dumps
    for i, (s, e, bmaxw, bminw, bminlb, bmaxlb) in enumerate(stats):
        s, e = s - base, e - base
        w = None if bmaxw == 1 and bminw == 1 else weight_list[s] if bmaxw == bminw else tuple(weight_list[s:e])
        # (as W3PostingsWriter.add_posting, which keeps non-empty values only)
        vs = None if values is None else b"".join(values[s:e]) if joined else tuple(filter(None, values[s:e]))
        data = dumps((tuple(gap_list[s:e]), w, vs), DATA_PROTOCOL)
        comp = COMPRESSION if len(data) >= MIN_COMPRESS else 0
        if comp:
            data = zlib.compress(data, comp)
        head = dumps((e - s, doc_list[e - 1], float(max(bmaxw, 0)), comp, bminlb, bmaxlb), 2)
        size = len(head) + len(data)
        parts += (pack_int(-size if i == len(stats) - 1 else size), head, data)
        added += 4 + size
    return added


def _layout(term_starts: np.ndarray, docs: np.ndarray, counts: np.ndarray, lbytes: np.ndarray, arrays: bool) -> Layout:
    """Lay a field's postings out in blocks, all terms at once: return the postings written in blocks (their
    indices, documents, counts), each term's end among them, the delta-coded documents, and iterators over
    every block's statistics and every term's (see SegmentBuilder._write_terms)."""
    firsts, ends = term_starts[:-1], term_starts[1:]
    sizes = ends - firsts
    only = sizes >= ARRAY_MIN_DF if arrays else np.zeros(len(sizes), dtype=bool)  # in arrays, not in blocks
    written = np.flatnonzero(np.repeat(~only, sizes)) if only.any() else np.arange(len(docs))  # in blocks
    b_docs, b_counts, b_lbytes = docs[written], counts[written], lbytes[written]
    b_sizes = np.where(only, 0, sizes)  # (the postings written in blocks, one term after the other)
    b_ends = np.cumsum(b_sizes)
    b_firsts = b_ends - b_sizes
    nblocks = -(-b_sizes // BLOCK)
    block_starts = np.repeat(b_firsts, nblocks) + BLOCK * (
        np.arange(int(nblocks.sum())) - np.repeat(np.cumsum(nblocks) - nblocks, nblocks)
    )
    block_ends = np.append(block_starts[1:], len(b_docs))
    block_stats = zip(  # each block's start, end, maximum and minimum weight, shortest and longest document
        block_starts.tolist(),
        block_ends.tolist(),
        *(f.reduceat(x, block_starts).tolist() if len(x) else [] for f, x in _BLOCK_STATS(b_counts, b_lbytes)),
        strict=True,
    )
    term_stats = zip(  # each term's first posting and end in blocks, blocks, weight, max weight, lengths, ids
        b_firsts.tolist(),
        b_ends.tolist(),
        nblocks.tolist(),
        np.add.reduceat(counts, firsts).tolist(),
        np.maximum(np.maximum.reduceat(counts, firsts), 0).tolist(),  # (W3 counts a maximum from 0)
        np.minimum.reduceat(lbytes, firsts).tolist(),
        np.maximum.reduceat(lbytes, firsts).tolist(),
        docs[firsts].tolist(),
        docs[ends - 1].tolist(),
        only.tolist(),
        firsts.tolist(),
        ends.tolist(),
        strict=True,
    )
    gaps = np.diff(b_docs.astype(np.int64), prepend=0)  # W3's delta-coded document numbers, from each
    gaps[block_starts] = b_docs[block_starts]  # block's first document
    return written, b_docs, b_counts, b_ends, gaps, block_stats, term_stats


def _BLOCK_STATS(counts: np.ndarray, lbytes: np.ndarray) -> list[tuple[np.ufunc, np.ndarray]]:
    return [(np.maximum, counts), (np.minimum, counts), (np.minimum, lbytes), (np.maximum, lbytes)]


TOKENIZERS = {WordTokenizer: "word", CharTokenizer: "char", BigramTokenizer: "bigram"}
TOKENS = ("word", "char", "bigram", "charcount")  # the kinds of field collected as Tokens
POSITIONAL = ("word", "char", "bigram")


class Tokens:
    """One text field's tokens over a whole segment, in document order, as flat arrays (no object per term).

    Words get an id in order of first appearance and are kept as (id, position) with each document's count;
    characters are kept as their text (UTF-32), pairs and positions being derived from it at the end.
    ``postings()`` sorts it all once with numpy into each term's postings.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.docs = array("I")  # docnum of each document with tokens
        self.sizes = array("I")  # its words (word kind) or characters (the others)
        self.chars = bytearray()  # character kinds: the documents' characters, UTF-32
        self.vocab: defaultdict[str, int] = defaultdict(itertools.count().__next__)  # word -> id
        self.ids: Any = array("I")  # word kind: every word's id (after expand(): every term's id)
        self.poses: Any = None  # word kind, after expand(): every term's position
        self.expanded = False

    def add(self, value: str, docnum: int) -> int | None:
        """Add one document's value; return its token count (the field length), None for words (see expand)."""
        if self.kind == "word":
            words = raw_words(value)
            if not words:
                return 0
            self.ids.extend(map(self.vocab.__getitem__, words))
            size, length = len(words), None
        else:
            chars = stripped(value)
            size = len(chars)
            length = size - 1 if self.kind == "bigram" else size
            if length <= 0:
                return 0
            self.chars += chars.encode("utf-32-le")
        self.docs.append(docnum)
        self.sizes.append(size)
        return length

    def expand(self) -> tuple[np.ndarray, np.ndarray]:
        """Word kind: turn the documents' words into the terms WordTokenizer yields, with their positions (each
        word of the vocabulary looked at once: word_terms), and return (documents, field lengths)."""
        words = list(self.vocab)  # in id order (sub-words get ids below)
        terms = [word_terms(w) for w in words]
        fanout = np.fromiter(map(len, terms), dtype=np.int64, count=len(words))  # terms per word (0: skipped)
        table = np.fromiter(
            (self.vocab[t] for found in terms for t in found), dtype=np.uint32, count=int(fanout.sum())
        )  # each word's terms in a row, by word id
        offsets = np.cumsum(fanout) - fanout
        ids = np.frombuffer(self.ids, dtype=np.uint32)
        doc_of = np.repeat(np.arange(len(self.docs)), np.frombuffer(self.sizes, dtype=np.uint32))
        kept = fanout[ids] > 0
        ids, doc_of = ids[kept], doc_of[kept]
        per_doc = np.bincount(doc_of, minlength=len(self.docs))  # indexed words: positions 0, 1, 2 ... in each
        pos = np.arange(len(ids)) - np.repeat(np.cumsum(per_doc) - per_doc, per_doc)
        n = fanout[ids]
        starts = np.cumsum(n) - n
        self.ids = table[np.repeat(offsets[ids] - starts, n) + np.arange(int(n.sum()))]
        self.poses = np.repeat(pos, n).astype(np.uint32)
        length = np.bincount(doc_of, weights=n, minlength=len(self.docs)).astype(np.uint32)
        self.sizes = length  # (from here, terms per document)
        self.expanded = True
        return np.frombuffer(self.docs, dtype=np.uint32), length

    def postings(self) -> tuple[list[bytes], np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """Return (terms in byte order, each term's first posting and the end, every posting's document and
        count, every posting's positions in a row or None for a Frequency field)."""
        if self.kind == "word" and not self.expanded:
            self.expand()
        sizes = np.frombuffer(self.sizes, dtype=np.uint32).astype(np.int64)
        docs = np.repeat(np.frombuffer(self.docs, dtype=np.uint32), sizes)
        if self.kind == "word":
            words = list(self.vocab)  # in id order
            ranked = sorted(range(len(words)), key=words.__getitem__)
            rank = np.empty(len(words), dtype=np.uint32)
            rank[ranked] = np.arange(len(words), dtype=np.uint32)
            codes: np.ndarray = rank[self.ids]
            poses = self.poses
        else:
            cps = codes = np.frombuffer(self.chars, dtype=np.uint32)
            starts = np.cumsum(sizes) - sizes
            poses = None
            if self.kind in POSITIONAL:  # (uint32 arithmetic: a segment holds under 4 G characters)
                poses = np.arange(len(cps), dtype=np.uint32) - np.repeat(starts.astype(np.uint32), sizes)
            if self.kind == "bigram":
                at = _pair_starts(len(cps), starts + sizes - 1)
                codes, chars_of, width = _pair_codes(cps, at)
                docs, poses = docs[at], poses[at]
                del at
        if not len(codes):
            return [], np.zeros(1, np.int64), docs, sizes, None
        order = _stable_order(codes)  # stable: each term's postings stay in document order
        codes = codes[order]  # (one array at a time: the segment's peak memory is here)
        docs = docs[order]
        if poses is not None:
            poses = poses[order]
        del order
        new = np.ones(len(codes), dtype=bool)
        new[1:] = (codes[1:] != codes[:-1]) | (docs[1:] != docs[:-1])
        first = np.flatnonzero(new)  # each posting's first token
        counts = np.diff(np.append(first, len(codes)))
        codes = codes[first]
        new = np.ones(len(first), dtype=bool)
        new[1:] = codes[1:] != codes[:-1]
        term_starts = np.append(np.flatnonzero(new), len(first))
        if self.kind == "word":  # (a word of the vocabulary that is never indexed has no postings)
            terms = [words[ranked[r]].encode("utf-8") for r in codes[new].tolist()]
        elif self.kind == "bigram":
            pairs = codes[new]
            firsts, seconds = chars_of[pairs // np.uint64(width)].tolist(), chars_of[pairs % np.uint64(width)].tolist()
            terms = [(chr(a) + chr(b)).encode("utf-8") for a, b in zip(firsts, seconds, strict=True)]
        else:
            terms = [chr(c).encode("utf-8") for c in codes[new].tolist()]
        return terms, term_starts, docs[first], counts, poses


def _pair_starts(n: int, last: np.ndarray) -> np.ndarray:
    """Return where a character pair starts: at every character but the last of its document (`last`)."""
    keep = np.ones(n, dtype=bool)
    keep[last] = False
    return np.flatnonzero(keep)


def _pair_codes(cps: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Return the codes of the pairs starting at `at`, the code point of each rank, and the width: a pair's
    code is its characters' ranks among the segment's characters, first * width + second (the order of the
    pairs' texts, in fewer bits than two code points: see _stable_order)."""
    present = np.zeros(int(cps.max(initial=0)) + 1, dtype=np.uint32)
    present[cps] = 1
    chars_of = np.flatnonzero(present)  # rank -> code point
    width = max(len(chars_of), 1)
    ranks = (np.cumsum(present, dtype=np.uint32) - 1)[cps]
    del present
    return ranks[at].astype(np.uint64) * np.uint64(width) + ranks[at + 1], chars_of, width


def _stable_order(codes: np.ndarray) -> np.ndarray:
    """Return np.argsort(codes, kind="stable"), by sorting each code with its index packed into one uint64
    when both fit in 64 bits: a plain sort of integers, 8x faster than a stable argsort (2.5 M codes measured)."""
    shift = max(len(codes) - 1, 1).bit_length()
    if int(codes.max(initial=0)).bit_length() + shift > 64:
        return np.argsort(codes, kind="stable")
    key = codes.astype(np.uint64) << np.uint64(shift)
    key |= np.arange(len(codes), dtype=np.uint64)
    key.sort()
    key &= np.uint64((1 << shift) - 1)
    return key.view(np.int64)


def _length_bytes(lengths: array[int], docs: int) -> np.ndarray:
    """Return each document's field length as the byte Whoosh stores (0: no tokens), for docnums 0..docs-1."""
    n = np.zeros(docs, dtype=np.int64)
    n[: len(lengths)] = np.frombuffer(lengths, dtype=np.uint32) if len(lengths) else 0
    out = np.searchsorted(np.asarray(_length_byte_cache, dtype=np.int64), n, side="left")  # length_to_byte
    out[n >= 106374] = 255
    return out.astype(np.int64)


def _write_hashes(tindex: Any) -> None:
    """HashWriter._write_hashes with each table written in one call (it writes every slot with its own call,
    two per term): the same 256 open-addressing tables of (hash, position), in the same slots."""
    dbfile, directory = tindex.dbfile, tindex.directory
    for entries in tindex.buckets:
        numslots = 2 * len(entries)
        directory.append((dbfile.tell(), numslots))
        hashes, positions, taken = [0] * numslots, [0] * numslots, bytearray(numslots)
        for hashval, position in entries:
            slot = (hashval >> 8) % numslots
            while taken[slot]:
                slot = (slot + 1) % numslots
            taken[slot] = 1
            hashes[slot], positions[slot] = hashval, position
        table = np.zeros(numslots, dtype=_SLOT)  # (an empty slot: 0, 0)
        table["hash"], table["position"] = hashes, positions
        dbfile.write(table.tobytes())


_SLOT = np.dtype([("hash", ">u4"), ("position", ">i8")])  # filetables._pointer: "!Iq"
_MD5, _DIGEST = functools.partial(md5, usedforsecurity=False), operator.methodcaller("digest")


def _add_terms(tindex: Any, keys: list[bytes], values: list[bytes]) -> None:
    """Add ascending (key, value) entries to Whoosh's ordered hash file as OrderedHashWriter.add does one by
    one: the entries in one write, their hashes (md5_hash: the digest's last 4 bytes) and positions kept for
    its tables."""
    if keys[0] <= tindex.lastkey:
        raise ValueError(f"Keys must increase: {tindex.lastkey!r}..{keys[0]!r}")
    dbfile, buckets = tindex.dbfile, tindex.buckets
    sizes = 8 + np.fromiter(map(len, keys), np.int64, len(keys)) + np.fromiter(map(len, values), np.int64, len(keys))
    at = dbfile.tell() + np.cumsum(sizes) - sizes
    if tindex.hashfn is md5_hash:  # each digest's last 4 bytes, big-endian
        digests = b"".join(map(_DIGEST, map(_MD5, keys)))
        hashes = np.frombuffer(digests, dtype=">u4").reshape(-1, 4)[:, 3].tolist()
    else:
        hashes = list(map(tindex.hashfn, keys))
    positions = at.tolist()
    for h, pos in zip(hashes, positions, strict=True):
        buckets[h & 255].append((h, pos))
    index = tindex.index
    index.append(positions[-1])  # the largest: widens the array's type once if needed
    index.array.pop()
    index.array.extend(positions)
    pack = _KV_LENGTHS.pack
    dbfile.write(b"".join([b for k, v in zip(keys, values, strict=True) for b in (pack(len(k), len(v)), k, v)]))
    tindex.lastkey = keys[-1]


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


def _one(pos: int) -> bytes:
    """Return the Positions value of a posting with one position (as encode_positions builds it)."""
    if pos >= 2**31:  # past pickle's 4-byte signed BININT
        return _ENCODE([pos])
    op = (
        b"K" + bytes([pos])
        if pos < 256
        else b"M" + pos.to_bytes(2, "little")
        if pos < 65536
        else b"J" + pos.to_bytes(4, "little")
    )
    return b"\x00\x00\x00\x01(" + op + b"t"


def _single_values(positions: list[int]) -> list[bytes]:
    """Return _one(p) for each p, from a table of the first MEMO_POSITIONS positions' values."""
    top = max(positions, default=0)
    if len(_ONE) <= top < MEMO_POSITIONS:
        _ONE.extend(_one(p) for p in range(len(_ONE), top + 1))
    if top < len(_ONE):
        return list(map(_ONE.__getitem__, positions))
    return [_ONE[p] if p < len(_ONE) else _one(p) for p in positions]


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
