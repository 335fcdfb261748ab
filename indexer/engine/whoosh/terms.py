"""Document frequencies of terms, per segment, remembered by each process.

Whoosh finds a term in a segment through an on-disk hash table (``HashReader.ranges_for_key``): 30 to
50 µs in Python for every lookup, whether the term is there or not. A question of 15 words asks about
each word in four fields and every segment two or three times (is it there, its document frequency for
the idf, its postings): 10 to 16 ms of a 50 ms question went there, and most of a long fuzzed query's
time. A segment never changes once written (deletions do not change its term table, nor Whoosh's document
frequencies), so a term's frequency in a segment is remembered by the segment's id: common words, asked by
most queries, are looked up once per process. The memory is bounded: at most ``MAX_TERMS`` entries in two
generations (the older dropped when the younger is full; an entry found in the older is kept on).

With the frequency, a segment's term info (where its postings are) is kept as the table's bytes, so that
reading the postings (``postings``) does not look the term up again: 15 µs for each word of a question whose
postings are read for the first time, and every time a rare word's positions are read.
"""

from __future__ import annotations

import os
import struct
import threading
from typing import Any

from whoosh.codec.whoosh3 import W3TermInfo, W3TermsReader
from whoosh.filedb.filetables import _lengths, _pointer
from whoosh.matching.wrappers import FilterMatcher

from .columns import Recent, version_key

MAX_TERMS = 40_000  # entries per generation (about 10 MB each)
MAX_INFO = 96  # bytes of a term info kept (a longer one holds inlined postings: looked up again)
PROBE = 8  # hash slots read at once (a key is most often in its first slot)
ITEM = 192  # bytes read at a key's position: its two lengths, the key and its term info, most often
_DOC_FREQ = struct.Struct("!I")  # a term info's document frequency, after its flags byte and total weight

Key = tuple[str, str, bytes]  # (segment id, field, term bytes)
Entry = tuple[int, bytes | None]  # (document frequency, the term info's bytes in the segment's table)

_young: dict[Key, Entry] = {}
_old: dict[Key, Entry] = {}
_lock = threading.Lock()


def segment_frequency(leaf: Any, fieldname: str, text: bytes) -> int:
    """Return how many documents of one segment (deleted ones included, as Whoosh counts) hold a term."""
    return _entry(leaf, fieldname, text)[0]


def _entry(leaf: Any, fieldname: str, text: bytes) -> Entry:
    global _young, _old
    segment = getattr(leaf, "segment", lambda: None)()
    if segment is None:  # a reader of no segment (an empty index): nothing to remember it by
        return int(leaf.doc_frequency(fieldname, text)), None
    key = (segment.segment_id(), fieldname, text)
    found = _young.get(key)
    if found is None:
        found = _old.get(key)
        if found is None:
            found = _look_up(leaf, fieldname, text)
        with _lock:
            if len(_young) >= MAX_TERMS:
                _old, _young = _young, {}
            _young[key] = found
    return found


def _look_up(leaf: Any, fieldname: str, text: bytes) -> Entry:
    if fieldname not in leaf.schema:
        return 0, None
    terms = getattr(leaf, "_terms", None)
    if not isinstance(terms, W3TermsReader):
        return int(leaf.doc_frequency(fieldname, text)), None
    tindex, key = terms._tindex, terms._keycoder(fieldname, text)
    raw = table_get(tindex, key) if getattr(tindex.dbfile, "is_real", False) else tindex.get(key)
    if raw is None:
        return 0, None
    return _DOC_FREQ.unpack_from(raw, 5)[0], (raw if len(raw) <= MAX_INFO else None)


def table_get(tindex: Any, key: bytes) -> bytes | None:
    """Return the value of a key in a Whoosh hash file (``HashReader.get``), read with os.pread: a few slots
    of its hash table, then the lengths, key and value at once. Whoosh's own reads seek and read each
    field through Python (20 µs a look-up, a question's first look-ups of its words 1.4 ms). The file
    must be a real one: its positions are the file's."""
    fd = tindex.dbfile.fileno()
    keyhash = tindex.hashfn(key)
    start, slots = tindex.tables[keyhash & 255]
    slot, probed, size = (keyhash >> 8) % slots if slots else 0, 0, _pointer.size
    while probed < slots:  # linear probing from the key's slot, wrapping at the table's end
        count = min(PROBE, slots - slot, slots - probed)
        block = os.pread(fd, count * size, start + slot * size)
        for i in range(count):
            slothash, itempos = _pointer.unpack_from(block, i * size)
            if not itempos:
                return None
            if slothash == keyhash:
                head = os.pread(fd, ITEM, itempos)
                keylen, datalen = _lengths.unpack_from(head)
                if keylen == len(key):
                    end = _lengths.size + keylen + datalen
                    if len(head) < end:
                        head = os.pread(fd, end, itempos)
                    if head[_lengths.size : _lengths.size + keylen] == key:
                        return head[_lengths.size + keylen : end]
        probed += count
        slot = (slot + count) % slots
    return None


def info_bytes(leaf: Any, fieldname: str, text: bytes) -> bytes | None:
    """Return the remembered bytes of a term's info in a segment (None: absent, or not kept)."""
    return _entry(leaf, fieldname, text)[1]


def postings(leaf: Any, fieldname: str, text: bytes) -> Any:
    """Return a segment's postings matcher of a term, as ``leaf.postings(fieldname, text)`` does (its deleted
    documents filtered out), from the remembered term info when there is one."""
    raw = info_bytes(leaf, fieldname, text)
    terms = getattr(leaf, "_terms", None)
    if raw is None or not isinstance(terms, W3TermsReader) or leaf.is_closed:
        return leaf.postings(fieldname, text)
    info, fmt = W3TermInfo.from_bytes(raw), leaf.schema[fieldname].format
    if hasattr(terms, "matcher_of"):  # codec.ArraysTermsReader: a common term may be in the segment's arrays
        m = terms.matcher_of(fieldname, text, info, fmt)
    else:
        m = terms._codec.postings_reader(terms._postfile, info, fmt, term=(fieldname, text))
    deleted = leaf.deleted_docs_set
    return FilterMatcher(m, deleted, exclude=True) if deleted else m


def has_term(leaf: Any, fieldname: str, text: bytes) -> bool:
    """Tell whether one segment holds a term (``(fieldname, text) in leaf``, remembered)."""
    return segment_frequency(leaf, fieldname, text) > 0


def doc_frequency(reader: Any, fieldname: str, text: str | bytes) -> int:
    """Return how many documents of the index hold a term (Whoosh's ``reader.doc_frequency``, deleted
    documents included), from each segment's remembered frequency; 0 for a field or value the schema
    cannot hold."""
    if fieldname not in reader.schema:
        return 0
    if isinstance(text, str):
        try:
            text = reader.schema[fieldname].to_bytes(text)
        except ValueError:
            return 0
    return sum(segment_frequency(leaf, fieldname, text) for leaf, _ in reader.leaf_readers())


def forget() -> None:
    """Drop every remembered frequency of this process."""
    global _young, _old
    with _lock:
        _young, _old = {}, {}


SMALL_FIELD = 100_000  # the most terms a field may have for field_frequencies to hold them all

_fields: Recent[dict[bytes, int]] = Recent(8)


def field_frequencies(reader: Any, fieldname: str) -> dict[bytes, int] | None:
    """Return {term bytes: document frequency} of every term of a small field (the laws documents cite:
    a few hundred names), read once per index version; None when the field has more than SMALL_FIELD terms
    in a segment (then ask doc_frequency)."""

    def read() -> dict[bytes, int] | None:
        out: dict[bytes, int] = {}
        for leaf, _ in reader.leaf_readers():
            if fieldname not in leaf.schema:
                continue
            for i, (text, info) in enumerate(leaf.iter_field(fieldname)):
                if i >= SMALL_FIELD:
                    return None
                out[text] = out.get(text, 0) + info.doc_frequency()
        return out

    return _fields.get((version_key(reader), fieldname), read)
