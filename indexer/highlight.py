"""Highlighting for Chinese: the best passage, longest matches marked at their real offsets, escaped.

Matching works on the folded text (same length as the published text, so offsets map back) with the
whitespace taken out, as the character fields index it: a term split by a line break still matches. Every
occurrence of every term marks its characters; each maximal run of marked characters becomes one <mark>, so
the longest matching span is marked whole (中华人民共和国, not 中华 + 人民共和国; 马克思, not 马克).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from html import escape

import numpy as np

from .analysis import fold

SNIPPET_CHARS = 160  # length of the passage shown under a hit
LEAD_CHARS = 24  # context kept before the first match of a passage
MAX_SPANS = 2000  # matches considered when choosing a passage (long documents)

Span = tuple[int, int]
SPACES = np.array([c for c in range(0x3000 + 1) if chr(c).isspace()], dtype=np.uint32)  # none lies above U+3000


def _compact(text: str) -> tuple[str, Sequence[int]]:
    """Return the folded text without whitespace and the original offset of each of its characters."""
    folded = fold(text)
    # str.split() cuts at exactly the characters str.isspace() names; the offsets come from one numpy pass
    # over the code points (a per-character loop cost 20 ms on a 50,000-character law, for each hit)
    points = np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32)
    return "".join(folded.split()), np.flatnonzero(~np.isin(points, SPACES)).tolist()


def _occurrences(haystack: str, term: str) -> list[Span]:
    """Return every (possibly overlapping) occurrence of term in haystack."""
    out, i = [], haystack.find(term)
    while i >= 0:
        out.append((i, i + len(term)))
        i = haystack.find(term, i + 1)
    return out


def _merge(spans: list[Span]) -> list[Span]:
    """Merge overlapping and touching spans into maximal runs."""
    out: list[Span] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


@lru_cache(maxsize=256)
def _keys(terms: tuple[str, ...]) -> frozenset[str]:
    """Return the folded query terms, spaces removed (the same for every hit of a page: folded once)."""
    return frozenset(k for k in ("".join(fold(t).split()) for t in terms) if k)


def term_spans(text: str, terms: list[str]) -> list[tuple[int, int, str]]:
    """Return (start, end, term) in text's offsets for every occurrence of every folded term, in order."""
    keys = _keys(tuple(terms))
    if not keys or not text:
        return []
    compact, offsets = _compact(text)
    found = [(s, e, k) for k in keys for s, e in _occurrences(compact, k)]
    return sorted((offsets[s], offsets[e - 1] + 1, k) for s, e, k in found)


def match_spans(text: str, terms: list[str]) -> list[Span]:
    """Return the (start, end) offsets in text of each maximal run of characters that query terms match."""
    return _merge([(s, e) for s, e, _ in term_spans(text, terms)])


def mark(text: str, spans: list[Span], offset: int = 0) -> str:
    """Return text HTML-escaped, with <mark> around the spans (given in the text's offsets + offset)."""
    out, last = [], 0
    for s, e in spans:
        s, e = max(0, s - offset), min(len(text), e - offset)
        if s < last or e <= s:
            continue
        out += [escape(text[last:s]), "<mark>", escape(text[s:e]), "</mark>"]
        last = e
    out.append(escape(text[last:]))
    return "".join(out)


def best_window(text: str, found: list[tuple[int, int, str]], size: int) -> Span:
    """Return the passage of at most size characters holding the most distinct terms, then the most matches."""
    if not found or len(text) <= size:
        return 0, min(len(text), size)
    found = found[:MAX_SPANS]
    seen: Counter[str] = Counter()
    best, best_score, j = found[0][0], (-1, -1), 0
    for i, (s, _, key) in enumerate(found):  # two pointers: the window opens at found[i]
        while j < len(found) and found[j][1] <= s + size - LEAD_CHARS:
            seen[found[j][2]] += 1
            j += 1
        score = (len(seen), j - i)
        if score > best_score:
            best, best_score = s, score
        if j > i:
            seen[key] -= 1
            if not seen[key]:
                del seen[key]
        else:
            j = i + 1
    start = max(0, best - LEAD_CHARS)
    return start, min(len(text), start + size)


def _sentence_start(text: str, start: int, first_match: int) -> int:
    """Move start to just after a sentence break before the first match, when one is near."""
    if start == 0:
        return 0
    window = text[max(0, start - 30) : first_match]
    cut = max(window.rfind(p) for p in "。！？；\n")
    return max(0, start - 30) + cut + 1 if cut >= 0 else start


def snippet(text: str, terms: list[str], size: int = SNIPPET_CHARS) -> str:
    """Return the best passage of text as HTML with the query terms marked."""
    found = term_spans(text, terms)
    spans = _merge([(s, e) for s, e, _ in found])
    start, end = best_window(text, found, size)
    inside = [(s, e) for s, e in spans if s >= start and s < end]
    if inside:
        start = _sentence_start(text, start, inside[0][0])
        end = max(min(len(text), start + size), min(inside[-1][1], start + 2 * size))
        inside = [(s, e) for s, e in spans if s >= start and e <= end]
    html = " ".join(mark(text[start:end], inside, offset=start).split())
    return ("…" if start > 0 else "") + html + ("…" if end < len(text) else "")


def mark_all(text: str, terms: list[str]) -> str:
    """Return the whole text as HTML with every match marked (document pages)."""
    return mark(text, match_spans(text, terms))
