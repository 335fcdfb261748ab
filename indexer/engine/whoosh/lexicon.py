"""The correction dictionary of one index version: its words by sound and by deletion, bounded per key.

Built from each segment's term table (a segment's terms are read in order, 7x faster than through the
index-wide reader, which looks every term up in every segment) when ingest commits a version, and kept
in warm.pkl with the version's other arrays (warm.py), so a server never builds it while answering:
building it took 4.7 s at 65,000 documents, on the first query without hits of each worker. An index
written before then gets it built the first time a process needs it. The corrections themselves are
indexer/spelling.py's.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice, product
from typing import Any

from .columns import Recent, version_key

MIN_WORD, MAX_WORD = 2, 6  # lengths of the indexed words that corrections are made of (and of query windows)
MIN_DF = 2  # a word in one document only is as likely a typo itself
KEY_WORDS = 24  # words kept per key, most frequent first
MAX_READINGS = 4  # pinyin keys of one word (characters with several readings multiply them)
VERSIONS = 2  # index versions whose dictionaries a process keeps
FIELDS = ("title", "body")
CJK_WORD = re.compile(r"[\u3400-\u9fff]+")  # a run of CJK characters (also the query windows')


@lru_cache(maxsize=65536)
def readings(ch: str) -> tuple[str, ...]:
    """Return a character's toneless pinyin readings (the character itself when it has none): from the
    dictionary's table when it holds the character, else from pypinyin (imported then: 0.5-1 s)."""
    known = _readings.get(ch)
    if known is not None:
        return known
    from pypinyin import Style, pinyin

    got = pinyin(ch, style=Style.NORMAL, heteronym=True, errors=lambda c: [c])
    return tuple(dict.fromkeys(got[0])) if got and got[0] else (ch,)


_readings: dict[str, tuple[str, ...]] = {}  # the readings of every character of a dictionary's words


def sound_keys(word: str) -> list[str]:
    """Return the word's pinyin keys (one per combination of its characters' readings, at most MAX_READINGS)."""
    return [" ".join(p) for p in islice(product(*(readings(ch) for ch in word)), MAX_READINGS)]


def deletions(word: str) -> list[str]:
    """Return the word with each one of its characters deleted."""
    return list(dict.fromkeys(word[:i] + word[i + 1 :] for i in range(len(word))))


@dataclass
class Dictionary:
    """The words of one index version by sound and by deletion, with their document frequencies."""

    df: dict[str, int]
    by_sound: dict[str, list[str]]
    by_deletion: dict[str, list[str]]
    readings: dict[str, tuple[str, ...]] = field(default_factory=dict)  # of every character of the words


def build(reader: Any) -> Dictionary:
    """Return the correction dictionary of an index: every CJK word of 2-6 characters in MIN_DF+ documents
    of one field (title or body), with the larger of its two document frequencies."""
    per_field: dict[tuple[str, str], int] = {}
    for leaf, _ in reader.leaf_readers():  # document frequencies add up over segments
        for fieldname in FIELDS:
            if fieldname not in leaf.schema:
                continue
            for term, info in leaf.iter_field(fieldname):
                word = term.decode("utf-8") if isinstance(term, bytes) else str(term)
                if MIN_WORD <= len(word) <= MAX_WORD and CJK_WORD.fullmatch(word):
                    key = (fieldname, word)
                    per_field[key] = per_field.get(key, 0) + info.doc_frequency()
    df: dict[str, int] = {}
    for (_, word), n in per_field.items():
        if n >= MIN_DF:
            df[word] = max(df.get(word, 0), n)
    by_sound: dict[str, list[str]] = {}
    by_deletion: dict[str, list[str]] = {}
    for word in sorted(df, key=lambda w: (-df[w], w)):  # most frequent first: each key keeps the best
        for key in sound_keys(word):
            _add(by_sound, key, word)
        for key in deletions(word):
            _add(by_deletion, key, word)
    chars = {ch for word in df for ch in word}
    return Dictionary(df, by_sound, by_deletion, {ch: readings(ch) for ch in sorted(chars)})


def _add(index: dict[str, list[str]], key: str, word: str) -> None:
    words = index.setdefault(key, [])
    if len(words) < KEY_WORDS:
        words.append(word)


_cache: Recent[Dictionary] = Recent(VERSIONS)
_build_lock = threading.Lock()  # one build per version, even when several requests ask at once


def remember(key: tuple[Any, ...], d: Dictionary) -> None:
    """Keep a version's dictionary read from warm.pkl (this process will not build it)."""
    _readings.update(getattr(d, "readings", {}))  # (a file of before the table: pypinyin answers)
    _cache.put(key, d)


def dictionary(reader: Any) -> Dictionary:
    """Return the correction dictionary of the reader's index version, built once per process."""
    key = version_key(reader)
    with _build_lock:
        return _cache.get(key, lambda: build(reader))
