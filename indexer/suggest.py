"""'Did you mean': for a query that finds nothing, a close query that does.

Candidates, in order: the nearest 文号 of the same issuer (a typo in the year or serial, or one character of
the 机关代字); a word of the same sound or one edit away from a frequent word of the index (征地补尝标准 ->
征地补偿标准, 安全生厂 -> 安全生产: indexer/spelling.py, bounded look-ups, no scan of the lexicon); the query
without its rarest word. Traditional characters need no suggestion: they are folded to simplified ones and
match. Only queries with no hit pay for this, and each candidate costs a few dictionary look-ups or one count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from .analysis import fold
from .engine.whoosh.terms import doc_frequency
from .fields import docnum_key
from .normalize import parse_doc_number
from .query import Clause, ParsedQuery, important_words, unparse
from .spelling import corrections

MAX_CANDIDATES = 6  # counts run at most per query without hits
MAX_DOCNUM_CHARS = 40  # longer text is no 文号: no look-up near it
WORD_FIELDS = ("title", "body")


def suggest(s: Searcher, parsed: ParsedQuery, count: Callable[[str], int]) -> str | None:
    """Return the first close query string that finds documents, or None."""
    for i, candidate in enumerate(dict.fromkeys(candidates(s.reader(), parsed, count))):
        if i >= MAX_CANDIDATES:
            break
        if candidate.strip() and count(candidate) > 0:
            return candidate
    return None


def correction(s: Searcher, parsed: ParsedQuery, count: Callable[[str], int]) -> str | None:
    """Return the best spelling correction of the query's words that finds documents, or None."""
    tried = 0
    for gi, group in enumerate(parsed.groups):
        if len(group) != 1 or group[0].kind != "words":
            continue
        for text in respelled(s.reader(), group[0].text):
            if tried == MAX_CANDIDATES:
                return None
            tried += 1
            fixed = _with(parsed, gi, replace(group[0], text=text))
            if count(fixed) > 0:
                return fixed
    return None


def candidates(reader: IndexReader, parsed: ParsedQuery, count: Callable[[str], int]) -> Iterator[str]:
    """Yield close query strings, most likely first."""
    for gi, group in enumerate(parsed.groups):
        if len(group) != 1:
            continue
        c = group[0]
        if c.kind == "docnum":
            yield from (_with(parsed, gi, replace(c, text=t)) for t in near_doc_numbers(reader, c.text))
        elif c.kind == "words":
            yield from (_with(parsed, gi, replace(c, text=t)) for t in respelled(reader, c.text))
    yield from without_dead_words(parsed, count)
    yield from without_rarest_word(reader, parsed)


def _with(parsed: ParsedQuery, gi: int, clause: Clause) -> str:
    groups = [list(g) for g in parsed.groups]
    groups[gi] = [clause]
    return unparse(ParsedQuery(groups, parsed.negatives))


def near_doc_numbers(reader: IndexReader, text: str) -> list[str]:
    """Return indexed 文号 near text: the nearest serials of the same issuer and year, then one edit away."""
    number = parse_doc_number(fold(text)) if len(text) <= MAX_DOCNUM_CHARS else None
    if number is None:
        return []
    key = docnum_key(text)
    # one edit away, the first character kept: Whoosh compares every key under that prefix (the whole
    # lexicon without one: 1-2 s at 65,000 文号)
    keys = [k for k in _terms(reader.terms_within("docnum_key", key, 1, prefix=1)) if k != key]
    same_year = _terms(reader.expand_prefix("docnum_key", f"{number.prefix}|{number.year or ''}|"))
    by_serial = sorted(same_year, key=lambda k: abs(int(k.rsplit("|", 1)[1] or 0) - number.number))
    return [_docnum_text(k) for k in dict.fromkeys(by_serial[:2] + keys)]


def _terms(values: object) -> list[str]:
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values]  # type: ignore[attr-defined]


def _docnum_text(key: str) -> str:
    prefix, year, serial = key.split("|")
    return f"{prefix}〔{year}〕{serial}号" if year else f"{prefix}第{serial}号"


def _df(reader: IndexReader, word: str) -> int:
    return sum(doc_frequency(reader, f, word) for f in WORD_FIELDS)


def respelled(reader: IndexReader, text: str) -> list[str]:
    """Return text with one unknown stretch replaced by a known word of the same sound or one edit away,
    best first (bounded look-ups: indexer/spelling.py)."""
    return corrections(reader, text).texts


def _drop(parsed: ParsedQuery, gi: int, word: str) -> ParsedQuery:
    """Return the query without one word of group gi (without the whole group when nothing else is left)."""
    c = parsed.groups[gi][0]
    at = fold(c.text).find(word)
    rest = (c.text[:at] + c.text[at + len(word) :]).strip() if at >= 0 and c.kind == "words" else ""
    groups = [list(g) for g in parsed.groups]
    if rest and important_words(rest):
        groups[gi] = [replace(c, text=rest)]
    else:
        del groups[gi]
    return ParsedQuery(groups, parsed.negatives)


def _spots(parsed: ParsedQuery) -> list[tuple[int, str]]:
    """Return (group, word) for every word of the single-clause word and phrase groups."""
    return [
        (gi, w)
        for gi, g in enumerate(parsed.groups)
        if len(g) == 1 and g[0].kind in ("words", "phrase")
        for w in (important_words(g[0].text) if g[0].kind == "words" else [g[0].text])
    ]


def without_dead_words(parsed: ParsedQuery, count: Callable[[str], int]) -> Iterator[str]:
    """Yield the query without every word that finds nothing on its own (when some words are left)."""
    spots = _spots(parsed)
    if len(spots) < 2:
        return
    dead = [(gi, w) for gi, w in spots[:MAX_CANDIDATES] if not count(w)]
    if dead and len(dead) < len(spots):
        for gi, w in sorted(dead, reverse=True):  # later groups first: indexes of earlier ones stay valid
            parsed = _drop(parsed, gi, w)
        yield unparse(parsed)


def without_rarest_word(reader: IndexReader, parsed: ParsedQuery) -> Iterator[str]:
    """Yield the query without one of its words, the rarest word first."""
    spots = _spots(parsed)
    if len(spots) < 2:
        return
    for gi, word in sorted(spots, key=lambda spot: _df(reader, spot[1])):
        yield unparse(_drop(parsed, gi, word))
