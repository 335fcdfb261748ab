"""Typo corrections from bounded indexes of the index's words, built once per index version.

A Chinese typo is mostly a character of the same sound typed through a pinyin input method (补尝 for 补偿,
预按 for 预案) or one character off. Two dictionaries answer both with a few look-ups each, never a scan of
the lexicon: words by their toneless pinyin (homophones), and words by each one-character deletion of them
(SymSpell: two words one edit apart share a deletion). Each key keeps only its KEY_WORDS most frequent
words, and a query looks up at most MAX_WINDOWS windows of its text, so the candidates one suggestion
examines are bounded whatever is typed (`Corrections.examined` counts them; tests assert the bound).
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice, product
from typing import Any

from pypinyin import Style, pinyin

from .analysis import fold
from .engine.whoosh.columns import version_key

MIN_WORD, MAX_WORD = 2, 6  # lengths of the indexed words that corrections are made of (and of query windows)
MIN_DF = 2  # a word in one document only is as likely a typo itself
KEY_WORDS = 24  # words kept per key, most frequent first
MAX_WINDOWS = 48  # query windows looked up per suggestion
MAX_TEXT = 40  # characters of a query that corrections look at
MAX_READINGS = 4  # pinyin keys of one word (characters with several readings multiply them)
CORRECTIONS = 5  # corrections returned, best first
VERSIONS = 2  # index versions whose dictionaries a process keeps
FIELDS = ("title", "body")
_CJK_WORD = re.compile(r"[\u3400-\u9fff]+")


@lru_cache(maxsize=65536)
def readings(ch: str) -> tuple[str, ...]:
    """Return a character's toneless pinyin readings (the character itself when it has none)."""
    got = pinyin(ch, style=Style.NORMAL, heteronym=True, errors=lambda c: [c])
    return tuple(dict.fromkeys(got[0])) if got and got[0] else (ch,)


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


def build(reader: Any) -> Dictionary:
    """Return the correction dictionary of an index: every CJK word of 2-6 characters in MIN_DF+ documents."""
    df: dict[str, int] = {}
    for fieldname in FIELDS:
        for term, info in reader.iter_field(fieldname):
            word = term.decode("utf-8") if isinstance(term, bytes) else str(term)
            if MIN_WORD <= len(word) <= MAX_WORD and info.doc_frequency() >= MIN_DF and _CJK_WORD.fullmatch(word):
                df[word] = max(df.get(word, 0), info.doc_frequency())
    by_sound: dict[str, list[str]] = {}
    by_deletion: dict[str, list[str]] = {}
    for word in sorted(df, key=lambda w: (-df[w], w)):  # most frequent first: each key keeps the best
        for key in sound_keys(word):
            _add(by_sound, key, word)
        for key in deletions(word):
            _add(by_deletion, key, word)
    return Dictionary(df, by_sound, by_deletion)


def _add(index: dict[str, list[str]], key: str, word: str) -> None:
    words = index.setdefault(key, [])
    if len(words) < KEY_WORDS:
        words.append(word)


_cache: OrderedDict[tuple[Any, ...], Dictionary] = OrderedDict()
_lock = threading.Lock()


def dictionary(reader: Any) -> Dictionary:
    """Return the correction dictionary of the reader's index version, built once per process."""
    key = version_key(reader)
    with _lock:  # one build per version, even when several requests ask at once
        if key not in _cache:
            _cache[key] = build(reader)
            while len(_cache) > VERSIONS:
                _cache.popitem(last=False)
        _cache.move_to_end(key)
        return _cache[key]


@dataclass
class Corrections:
    """Corrected query texts, best first, and how many candidate words were examined to find them."""

    texts: list[str]
    examined: int


def windows(text: str) -> Iterator[tuple[int, str]]:
    """Yield (start, window) for the CJK windows of 2-6 characters in the first MAX_TEXT characters."""
    count = 0
    for m in _CJK_WORD.finditer(text[:MAX_TEXT]):
        run = m.group()
        for size in range(MIN_WORD, min(MAX_WORD, len(run)) + 1):
            for i in range(len(run) - size + 1):
                if count == MAX_WINDOWS:
                    return
                count += 1
                yield m.start() + i, run[i : i + size]


def score(typed: str, word: str, df: int) -> float:
    """Return how likely `word` is what was meant by `typed`: same sound first, then shared characters
    in place, then frequency."""
    same_sound = bool(set(sound_keys(typed)) & set(sound_keys(word)))
    kept = sum(a == b for a, b in zip(typed, word, strict=False)) / max(len(typed), len(word))
    return 2.0 * same_sound + kept + 0.1 * math.log1p(df)


def corrections(reader: Any, text: str) -> Corrections:
    """Return the query text with one unknown stretch replaced by a known word, best first (bounded)."""
    folded = fold(text)
    d = dictionary(reader)
    scored: dict[str, float] = {}
    examined = 0
    for at, typed in windows(folded):
        if typed in d.df:
            continue
        near = [w for key in sound_keys(typed) for w in d.by_sound.get(key, ())]
        near += [w for key in [typed, *deletions(typed)] for w in d.by_deletion.get(key, ())]
        near += [w for key in deletions(typed) if key in d.df for w in [key]]
        for word in dict.fromkeys(near):
            examined += 1
            if word == typed or not _one_edit(typed, word) and not _same_sound(typed, word):
                continue
            fixed = text[:at] + word + text[at + len(typed) :]
            scored[fixed] = max(scored.get(fixed, 0.0), score(typed, word, d.df[word]))
    best = sorted(scored, key=lambda t: (-scored[t], t))[:CORRECTIONS]
    return Corrections(best, examined)


def _same_sound(a: str, b: str) -> bool:
    return len(a) == len(b) and bool(set(sound_keys(a)) & set(sound_keys(b)))


def _one_edit(a: str, b: str) -> bool:
    """Tell whether b is a with one character substituted, inserted or deleted."""
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = sorted((a, b), key=len)
    return len(long_) - len(short) == 1 and any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))
