"""Parse the query syntax of INTERFACE.md into Whoosh queries.

Words are ANDed; "quoted phrase"; -word excludes; OR; title:/标题:, doc_number:/文号:, agency:/机关:,
date:2014-01-01..2014-12-31/日期:. A natural-language question does not need every word to match.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from whoosh import query as wq

from .analysis import fold, words
from .config import PACKAGE_DATA
from .normalize import canonical_agency, parse_date, parse_doc_number

FIELDS = {"title": "title", "标题": "title", "doc_number": "doc_number", "文号": "doc_number",
          "agency": "agency", "机关": "agency", "date": "date", "日期": "date"}
TITLE_BOOST = 3.0  # a match in the title counts this much more than one in the body
DOCNUM_BOOST = 50.0  # a 文号 match puts that document first
_QUOTES = str.maketrans({"“": '"', "”": '"', "「": '"', "」": '"', "＂": '"'})
_TOKEN = re.compile(r'(-?)(?:([A-Za-z_\u4e00-\u9fff]+)[:：])?("[^"]*"?|\S+)')
_QUESTION = re.compile(r"[?？吗呢么]$|什么|怎么|如何|哪些|哪里|是否|能否|可以|应当|应该|多少|为什么|谁")


@dataclass
class Clause:
    """One element of a query: words, a phrase, a 文号, an agency or a date range."""

    kind: str  # words | phrase | docnum | agency | date
    text: str
    field: str = "any"  # any | title
    negate: bool = False
    start: date | None = None
    end: date | None = None


@dataclass
class ParsedQuery:
    """A query as groups of alternatives (ORed inside, ANDed together) plus exclusions."""

    groups: list[list[Clause]] = field(default_factory=list)
    negatives: list[Clause] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def terms(self) -> list[str]:
        """Return the folded surface strings to highlight, longest first."""
        out: set[str] = set()
        for group in self.groups:
            for c in group:
                if c.kind == "phrase":
                    out.add(fold(c.text))
                elif c.kind in ("words", "docnum"):
                    out.update(important_words(c.text) or [fold(c.text)])
        return sorted((t for t in out if t.strip()), key=len, reverse=True)


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Return the stop and question words that a query does not require."""
    text = (PACKAGE_DATA / "stopwords.txt").read_text(encoding="utf-8")
    return frozenset(w for line in text.splitlines() for w in line.split("#", 1)[0].split())


@lru_cache(maxsize=4)
def synonym_groups(path: Path = PACKAGE_DATA / "synonyms.txt") -> dict[str, tuple[str, ...]]:
    """Return each synonym term -> the other terms of its group (folded)."""
    out: dict[str, tuple[str, ...]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0]
        terms = [fold(t.strip()) for t in line.split("|") if t.strip()]
        for t in terms:
            out[t] = tuple(dict.fromkeys(x for x in out.get(t, ()) + tuple(terms) if x != t))
    return out


def parse(q: str) -> ParsedQuery:
    """Split a query string into clauses; never raises on odd input."""
    parsed = ParsedQuery()
    q = q.translate(_QUOTES)
    if q.count('"') % 2:
        parsed.warnings.append("unbalanced quote: the phrase runs to the end of the query")
    pending_or = False
    for m in _TOKEN.finditer(q):
        neg, prefix, body = m.group(1) == "-", m.group(2), m.group(3)
        if body == "OR" and not neg and not prefix:
            pending_or = bool(parsed.groups)
            continue
        clause = _clause(prefix, body, neg, parsed)
        if clause is None:
            continue
        if clause.negate:
            parsed.negatives.append(clause)
        elif pending_or:
            parsed.groups[-1].append(clause)
        else:
            parsed.groups.append([clause])
        pending_or = False
    return parsed


def _clause(prefix: str | None, body: str, neg: bool, parsed: ParsedQuery) -> Clause | None:
    name = FIELDS.get(prefix.lower() if prefix else "")
    if prefix and name is None:  # not a field: the colon was part of the text
        body, neg = f"{prefix}:{body}", neg
    quoted = body.startswith('"')
    text = body.strip('"').strip()
    if not text:
        return None
    if name == "date":
        return _date_clause(text, neg, parsed)
    if name == "doc_number":
        return Clause("docnum", text, negate=neg)
    if name == "agency":
        return Clause("agency", text, negate=neg)
    target = "title" if name == "title" else "any"
    if quoted:
        return Clause("phrase", text, target, neg)
    if name is None and parse_doc_number(fold(text)) is not None:
        return Clause("docnum", text, negate=neg)
    return Clause("words", text, target, neg)


def _date_clause(text: str, neg: bool, parsed: ParsedQuery) -> Clause | None:
    if re.fullmatch(r"\d{4}", text):  # a year: the whole year
        text = f"{text}-01-01..{text}-12-31"
    lo, _, hi = text.partition("..")
    start = parse_date(lo) if lo else None
    end = parse_date(hi) if hi else (start if not _ else None)
    if (lo and start is None) or (hi and end is None):
        parsed.warnings.append(f"date filter ignored: {text!r} is not YYYY-MM-DD..YYYY-MM-DD")
        return None
    return Clause("date", text, negate=neg, start=start, end=end)


def important_words(text: str) -> list[str]:
    """Return the folded words of text that a query should look for (no stop or question words)."""
    all_words = [w for w, _, _ in words(fold(text)) if w.strip() and (w.isalnum() or len(w) > 1)]
    kept = [w for w in all_words if w not in stopwords()]
    return kept or all_words


def is_question(text: str) -> bool:
    """Tell whether text reads as a natural-language question rather than keywords."""
    return bool(_QUESTION.search(text.strip())) or len(important_words(text)) > 4


def char_phrase(fieldname: str, text: str, boost: float = 1.0) -> wq.Query:
    """Return an exact phrase query over a character field (one token per character)."""
    chars = [c for c in fold(text) if not c.isspace()]
    if len(chars) == 1:
        return wq.Term(fieldname, chars[0], boost=boost)
    return wq.Phrase(fieldname, chars, boost=boost)


def word_query(word: str, title_only: bool = False, synonyms: bool = True,
               expanded: list[str] | None = None) -> wq.Query:
    """Match one word: jieba term in title/body, or its characters in a row (jieba split it otherwise)."""
    alts: list[wq.Query] = [wq.Term("title", word, boost=TITLE_BOOST), char_phrase("ctitle", word, TITLE_BOOST)]
    if not title_only:
        alts += [wq.Term("body", word), char_phrase("cbody", word)]
    for other in synonym_groups().get(word, ()) if synonyms else ():
        if expanded is not None and other not in expanded:
            expanded.append(other)
        alts.append(char_phrase("ctitle", other, TITLE_BOOST))
        if not title_only:
            alts.append(char_phrase("cbody", other))
    return wq.Or(alts)


def docnum_forms(text: str) -> list[str]:
    """Return a 文号 as typed and in every bracket form, to find it cited in running text."""
    parsed = parse_doc_number(fold(text))
    if parsed is None or parsed.year is None:
        return [text]
    rest = parsed.canonical.split("〕", 1)[1]
    forms = [f"{parsed.prefix}{a}{parsed.year}{b}{rest}" for a, b in ("〔〕", "[]", "()", "【】", "﹝﹞")]
    return list(dict.fromkeys([fold(text), *forms]))


def clause_query(c: Clause, synonyms: bool = True, expanded: list[str] | None = None) -> wq.Query:
    """Return the Whoosh query of one clause."""
    if c.kind == "phrase":
        alts = [char_phrase("ctitle", c.text, TITLE_BOOST)]
        return wq.Or(alts if c.field == "title" else alts + [char_phrase("cbody", c.text)])
    if c.kind == "docnum":
        from .build import docnum_key

        forms = docnum_forms(c.text)
        return wq.Or([wq.Term("docnum_key", docnum_key(c.text), boost=DOCNUM_BOOST)]
                     + [char_phrase(f, form) for form in forms for f in ("ctitle", "cbody")])
    if c.kind == "agency":
        names = {c.text.strip(), canonical_agency(c.text.strip())}
        return wq.Or([wq.Term("agency", n) for n in names] + [char_phrase("ctitle", c.text)])
    if c.kind == "date":
        lo = int(c.start.strftime("%Y%m%d")) if c.start else 1
        hi = int(c.end.strftime("%Y%m%d")) if c.end else 99991231
        return wq.NumericRange("date_num", lo, hi)
    return words_query(c.text, c.field == "title", synonyms, expanded)


def words_query(text: str, title_only: bool, synonyms: bool, expanded: list[str] | None) -> wq.Query:
    """AND the words of a keyword query; a question needs only most of its important words."""
    ws = important_words(text)
    subs = [word_query(w, title_only, synonyms, expanded) for w in dict.fromkeys(ws)]
    if len(subs) == 1:
        return subs[0]
    if is_question(text):
        return wq.Or(subs, minmatch=max(1, math.ceil(len(subs) * 0.5)))
    return wq.And(subs)


def to_whoosh(parsed: ParsedQuery, synonyms: bool = True) -> tuple[wq.Query, list[str]]:
    """Return the Whoosh query of a parsed query and the synonyms it also searched."""
    expanded: list[str] = []
    positives = [wq.Or([clause_query(c, synonyms, expanded) for c in g]) if len(g) > 1
                 else clause_query(g[0], synonyms, expanded) for g in parsed.groups]
    base: wq.Query = wq.And(positives) if len(positives) > 1 else (positives[0] if positives else wq.Every())
    if parsed.negatives:
        base = wq.AndNot(base, wq.Or([clause_query(c, False) for c in parsed.negatives]))
    return base, expanded
