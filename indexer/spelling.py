"""Typo corrections from bounded indexes of the index's words, built once per index version at ingest.

A Chinese typo is mostly a character of the same sound typed through a pinyin input method (补尝 for 补偿,
预按 for 预案) or one character off. Two dictionaries answer both with a few look-ups each, never a scan of
the lexicon: words by their toneless pinyin (homophones), and words by each one-character deletion of them
(SymSpell: two words one edit apart share a deletion). Each key keeps only its KEY_WORDS most frequent
words, and a query looks up at most MAX_WINDOWS windows of its text, so the candidates one suggestion
examines are bounded whatever is typed (`Corrections.examined` counts them; tests assert the bound).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .analysis import fold
from .engine.whoosh.lexicon import (  # the dictionary (built at ingest) and its keys; names kept here too
    CJK_WORD,
    KEY_WORDS,
    MAX_READINGS,
    MAX_WORD,
    MIN_DF,
    MIN_WORD,
    Dictionary,
    build,
    deletions,
    dictionary,
    readings,
    sound_keys,
)

__all__ = [
    "KEY_WORDS",
    "MAX_READINGS",
    "MIN_DF",
    "Corrections",
    "Dictionary",
    "build",
    "corrections",
    "deletions",
    "dictionary",
    "readings",
    "sound_keys",
    "covering_word",
    "windows",
]

MAX_WINDOWS = 48  # query windows looked up per suggestion
MAX_TEXT = 40  # characters of a query that corrections look at
CORRECTIONS = 5  # corrections returned, best first
# per character of the longest index word the correction makes with its neighbours, beyond two: a typed
# stretch is a word of a longer phrase (安全生厂 -> 安全生产, a word of the index, not 安全生长, although
# 长 reads chang like 厂). Set from the four examples; make eval's typo rows are held out from it.
CONTEXT = 1.5


@dataclass
class Corrections:
    """Corrected query texts, best first, and how many candidate words were examined to find them."""

    texts: list[str]
    examined: int


def windows(text: str) -> Iterator[tuple[int, str]]:
    """Yield (start, window) for the CJK windows of 2-6 characters in the first MAX_TEXT characters."""
    count = 0
    for m in CJK_WORD.finditer(text[:MAX_TEXT]):
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
            cover = covering_word(folded[:at] + word + folded[at + len(typed) :], at, len(word), d.df)
            value = score(typed, word, d.df[word]) + CONTEXT * (len(cover) - MIN_WORD)
            scored[fixed] = max(scored.get(fixed, 0.0), value)
    best = sorted(scored, key=lambda t: (-scored[t], t))[:CORRECTIONS]
    return Corrections(best, examined)


def covering_word(text: str, at: int, size: int, df: dict[str, int]) -> str:
    """Return the longest word of the index (MAX_WORD characters at most) in text that holds all of
    text[at:at + size], the stretch a correction replaced (the stretch itself when none is longer): 生产 in
    安全生产 makes the word 安全生产, 生长 makes none longer than itself."""
    best = text[at : at + size]
    for i in range(max(0, at + size - MAX_WORD), at + 1):
        for j in range(at + size, min(len(text), i + MAX_WORD) + 1):
            if j - i > len(best) and text[i:j] in df:
                best = text[i:j]
    return best


def _same_sound(a: str, b: str) -> bool:
    return len(a) == len(b) and bool(set(sound_keys(a)) & set(sound_keys(b)))


def _one_edit(a: str, b: str) -> bool:
    """Tell whether b is a with one character substituted, inserted or deleted."""
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = sorted((a, b), key=len)
    return len(long_) - len(short) == 1 and any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))
