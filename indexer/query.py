"""Parse the query syntax of INTERFACE.md into Whoosh queries.

Words are ANDed; "quoted phrase"; -word excludes; OR; title:/标题:, doc_number:/文号:, agency:/机关:,
date:2014-01-01..2014-12-31/日期:. A natural-language question needs none of its stop and question words and
only some of its other words: its words are ORed and BM25 ranks documents matching more of them higher.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from whoosh import query as wq
from whoosh.reading import IndexReader

from .analysis import fold, words
from .config import PACKAGE_DATA
from .engine.whoosh.schema import date_num_range
from .engine.whoosh.terms import doc_frequency
from .expansions import expansions
from .fields import docnum_key
from .normalize import canonical_agency, parse_date, parse_doc_number
from .ranking import WEIGHTS, Plan, Weights, compact

FIELDS = {
    "title": "title",
    "标题": "title",
    "doc_number": "doc_number",
    "文号": "doc_number",
    "agency": "agency",
    "机关": "agency",
    "date": "date",
    "日期": "date",
}
DOCNUM_BOOST = 1000.0  # a 文号 match puts that document first
MAX_FALLBACK_CHARS = 2  # longest query word also searched as characters in a row when the index has it
FALLBACK_SCORE = 0.5  # score of a word found only as characters in a row (jieba cut the text otherwise)
MAX_PAIRS = 8  # adjacent word pairs scored for proximity; more cost time and add little
MAX_PHRASE_WORDS = 40  # longer queries are not also searched as one phrase
MAX_IMPORTANT = 24  # important words the learned re-ranker reads positions of (a pasted paragraph stays cheap)
MAX_TERM_WORDS = 6  # jieba words a synonym-dictionary term may span
MAX_WORD_CHARS = 32  # a longer run of letters or digits is searched by its first 32 (no real word is longer)
_LONG_WORD = re.compile(rf"([A-Za-z0-9]{{{MAX_WORD_CHARS}}})[A-Za-z0-9]+")
_QUOTES = str.maketrans({"“": '"', "”": '"', "「": '"', "」": '"', "＂": '"'})
_TOKEN = re.compile(r'(-?)(?:([A-Za-z_\u4e00-\u9fff]+)[:：])?("[^"]*"?|\S+)')
_QUESTION = re.compile(r"[?？吗呢么]$|什么|怎么|怎样|如何|哪些|哪个|哪里|是否|能否|可否|可以|应当|应该|多少|为何|谁")
_CJK = re.compile(r"[\u3400-\u9fff]")


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
                elif c.kind == "words":
                    out.update(important_words(c.text))
                elif c.kind == "docnum":
                    out.update(docnum_forms(c.text))
        return sorted((t for t in out if t.strip()), key=len, reverse=True)

    def words_clauses(self) -> list[Clause]:
        """Return the positive word clauses (the free text of the query)."""
        return [c for g in self.groups for c in g if c.kind == "words" and len(g) == 1]


@dataclass
class Build:
    """What building one Whoosh query needs besides the clauses."""

    synonyms: bool = True
    weights: Weights = WEIGHTS
    reader: IndexReader | None = None  # to tell words jieba never produced in the index (then: characters)
    expanded: list[str] = field(default_factory=list)  # synonyms also searched, filled while building
    seen: dict[str, bool] = field(default_factory=dict)  # unseen()'s answers (shared by close queries)

    def unseen(self, word: str) -> bool:
        """Tell whether no document holds word as a jieba word (only its characters can match)."""
        if self.reader is None:
            return False
        if word not in self.seen:
            self.seen[word] = any(doc_frequency(self.reader, f, word) for f in ("body", "title"))
        return not self.seen[word]


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Return the stop and question words that a query does not require."""
    text = (PACKAGE_DATA / "stopwords.txt").read_text(encoding="utf-8")
    return frozenset(w for line in text.splitlines() for w in line.split("#", 1)[0].split())


SYNONYMS = PACKAGE_DATA / "synonyms.txt"
_synonyms = {"path": SYNONYMS}  # the file this process expands queries with (Settings.synonyms_path)


def use_synonyms(path: Path) -> None:
    """Expand queries with the synonym groups of another file from now on (raises if it cannot be read)."""
    synonym_groups(Path(path))  # read it now: a missing or unreadable file is an error at start-up
    _synonyms["path"] = Path(path)


def synonym_groups(path: Path | None = None) -> dict[str, tuple[str, ...]]:
    """Return each synonym term -> the other terms of its group (folded), from path or the file in use."""
    return _read_synonyms(_synonyms["path"] if path is None else Path(path))  # (a word's look-up: no new Path)


@lru_cache(maxsize=4)
def _read_synonyms(path: Path) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0]
        terms = [fold("".join(t.split())) for t in line.split("|") if t.strip()]
        for t in terms:
            out[t] = tuple(dict.fromkeys(x for x in out.get(t, ()) + tuple(terms) if x != t))
    return out


def parse(q: str) -> ParsedQuery:
    """Split a query string into clauses; never raises on odd input."""
    parsed = ParsedQuery()
    q = q.translate(_QUOTES)
    whole = "".join(q.split())
    if whole and ":" not in whole and "：" not in whole and parse_doc_number(fold(whole)) is not None:
        parsed.groups.append([Clause("docnum", whole)])  # a 文号 typed with spaces: 侯政办 〔2014〕 120 号
        return parsed
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
        body = f"{prefix}:{body}"
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
    if not quoted and _LONG_WORD.search(text):
        text = _LONG_WORD.sub(r"\1", text)
        cut = f"a word longer than {MAX_WORD_CHARS} letters is searched by its first {MAX_WORD_CHARS}"
        parsed.warnings += [cut] if cut not in parsed.warnings else []
    if quoted:
        return Clause("phrase", text, target, neg)
    if name is None and parse_doc_number(fold(text)) is not None:
        return Clause("docnum", text, negate=neg)
    return Clause("words", text, target, neg)


def _date_clause(text: str, neg: bool, parsed: ParsedQuery) -> Clause | None:
    if re.fullmatch(r"\d{4}", text):  # a year: the whole year
        text = f"{text}-01-01..{text}-12-31"
    lo, dots, hi = text.partition("..")
    start = parse_date(lo) if lo else None
    end = parse_date(hi) if hi else (start if not dots else None)
    if (lo and start is None) or (hi and end is None):
        parsed.warnings.append(f"date filter ignored: {text!r} is not YYYY-MM-DD..YYYY-MM-DD")
        return None
    return Clause("date", text, negate=neg, start=start, end=end)


def units(text: str) -> list[str]:
    """Split folded text into jieba words, joining runs of words that make a synonym-dictionary term."""
    ws, groups, out, i = [w for w, _, _ in words(fold(text))], synonym_groups(), [], 0
    while i < len(ws):
        j = next((j for j in range(min(len(ws), i + MAX_TERM_WORDS), i + 1, -1) if "".join(ws[i:j]) in groups), i + 1)
        out.append("".join(ws[i:j]))
        i = j
    return out


def _is_word(w: str) -> bool:
    return bool(w.strip()) and (len(w) > 1 or w.isalnum())


def important_words(text: str) -> list[str]:
    """Return the folded words of text that a query looks for, in order, once each (no stop words)."""
    all_words = list(dict.fromkeys(w for w in units(text) if _is_word(w)))
    kept = [w for w in all_words if w not in stopwords()]
    return kept or all_words


def is_question(text: str) -> bool:
    """Tell whether text reads as a natural-language question rather than keywords."""
    return bool(_QUESTION.search(text.strip())) or len(important_words(text)) > 4


PAIR_FIELDS = {"ctitle": "btitle", "cbody": "bbody"}  # character field -> its character-pair field


def char_phrase(fieldname: str, text: str, boost: float = 1.0) -> wq.Query:
    """Return an exact query for characters in a row: one character in a character field (ctitle, cbody),
    two or more as the overlapping pairs in a row of its pair field (btitle, bbody; the same matches as a
    phrase of single characters, from much shorter posting lists)."""
    chars = [c for c in fold(text) if not c.isspace()]
    if len(chars) == 1:
        return wq.Term(fieldname, chars[0], boost=boost)
    pairs = ["".join(chars[i : i + 2]) for i in range(len(chars) - 1)]
    pair_field = PAIR_FIELDS.get(fieldname, fieldname)
    if len(pairs) == 1:
        return wq.Term(pair_field, pairs[0], boost=boost)
    return wq.Phrase(pair_field, pairs, boost=boost)


def _fields(title_only: bool, title: str, body: str) -> list[str]:
    return [title] if title_only else [title, body]


def subwords(word: str) -> list[str]:
    """Return the shorter words jieba's search mode finds inside a word (环境, 保护 in 环境保护)."""
    return [w for w, _, _ in words(word, mode="search") if w != word and len(w) > 1 and w not in stopwords()]


def term_query(
    word: str, title_only: bool, b: Build, fallback: bool, boost: float = 1.0, parts: bool = False
) -> list[wq.Query]:
    """Return the alternatives that match one word: jieba term, its parts (when asked), else its characters."""
    w = b.weights
    title_boost = boost * w.title
    if len(word) == 1 and _CJK.match(word) and fallback:  # one character: every occurrence, in longer words too
        return [
            wq.Term(f, word, boost=title_boost if f == "ctitle" else boost)
            for f in _fields(title_only, "ctitle", "cbody")
        ]
    tokens = [t for t, _, _ in words(word)]
    if len(tokens) > 1:  # a dictionary term that jieba cuts in two: its characters in a row
        return [
            char_phrase(f, word, title_boost if f == "ctitle" else boost)
            for f in _fields(title_only, "ctitle", "cbody")
        ]
    alts: list[wq.Query] = [
        wq.Term(f, word, boost=title_boost if f == "title" else boost) for f in _fields(title_only, "title", "body")
    ]
    if parts and w.subword and len(word) > 2:  # in a question the parts of a long word count a little
        alts += [
            wq.Term(f, sub, boost=(title_boost if f == "title" else boost) * w.subword)
            for sub in subwords(word)
            for f in _fields(title_only, "title", "body")
        ]
    # characters in a row: for a two-character word (one pair), where jieba often cuts the document otherwise
    # (各部门 -> 部门 is not a word there); a longer word jieba keeps whole or as its indexed sub-words, so its
    # characters are searched only when the index never holds it as a word (a phrase of pairs costs 10-100x)
    if (fallback and len(word) <= MAX_FALLBACK_CHARS) or b.unseen(word):
        chars = wq.Or([char_phrase(f, word) for f in _fields(title_only, "ctitle", "cbody")])
        alts.append(wq.ConstantScoreQuery(chars, FALLBACK_SCORE * boost))
    return alts


def word_alternatives(word: str, title_only: bool, b: Build, fallback: bool, expand: bool = False) -> list[wq.Query]:
    """Return what matches one query word, or (when synonyms are on) any term of its synonym group, and in a
    question (`expand`) the statute words mined for it. A keyword query's words are ANDed: an expansion
    there would let another word stand for the one typed (个人 所得税 finding 权利 所得税), so only a question,
    whose words are ORed and scored, is expanded (where make eval measured the gain)."""
    alts = term_query(word, title_only, b, fallback, parts=not fallback)
    for other in synonym_groups().get(word, ()) if b.synonyms else ():
        if other not in b.expanded:
            b.expanded.append(other)
        alts += term_query(other, title_only, b, fallback=False, boost=b.weights.synonym)
    for other in expansions().get(word, ()) if expand and b.synonyms and b.weights.expansion else ():
        if other not in b.expanded:
            b.expanded.append(other)
        alts += term_query(other, title_only, b, fallback=False, boost=b.weights.expansion)
    return alts


def docnum_forms(text: str) -> list[str]:
    """Return a 文号 as typed and in every bracket form, to find it cited in running text."""
    parsed = parse_doc_number(fold(text))
    if parsed is None or parsed.year is None:
        return [fold(text)]
    rest = parsed.canonical.split("〕", 1)[1]
    forms = [f"{parsed.prefix}{a}{parsed.year}{b}{rest}" for a, b in ("〔〕", "[]", "()", "【】", "﹝﹞")]
    return list(dict.fromkeys([fold(text), *forms]))


def clause_query(c: Clause, b: Build) -> wq.Query:
    """Return the Whoosh query of one clause."""
    if c.kind == "phrase":
        alts = [char_phrase("ctitle", c.text, b.weights.title)]
        return wq.Or(alts if c.field == "title" else alts + [char_phrase("cbody", c.text)])
    if c.kind == "docnum":
        key, forms = docnum_key(c.text), docnum_forms(c.text)
        if key and len(forms) > 1:  # a whole 文号: the document that bears it, then those that cite it (keyed
            # at ingest in any bracket form; far cheaper than phrases of common characters over every body)
            return wq.Or([wq.Term("docnum_key", key, boost=DOCNUM_BOOST), wq.Term("cites", key)])
        return wq.Or(
            ([wq.Term("docnum_key", key, boost=DOCNUM_BOOST)] if key else [])
            + [char_phrase(f, form) for form in forms for f in ("ctitle", "cbody")]
        )
    if c.kind == "agency":
        names = {c.text.strip(), canonical_agency(c.text.strip())}
        return wq.Or([wq.Term("agency", n) for n in names if n] + [char_phrase("ctitle", c.text)])
    if c.kind == "date":
        lo, hi = date_num_range(c.start, c.end)
        return wq.NumericRange("date_num", lo, hi)
    return words_query(c.text, c.field == "title", b)


def words_query(text: str, title_only: bool, b: Build) -> wq.Query:
    """AND the words of a keyword query; OR those of a question (BM25 rewards matching more of them)."""
    question = is_question(text)
    alts = [word_alternatives(w, title_only, b, fallback=not question, expand=question) for w in important_words(text)]
    if question:  # one flat array-accumulating OR: about twice as fast as Whoosh's tree of unions
        flat = [q for group in alts for q in group] + stopword_terms(text, b.weights)
        return flat[0] if len(flat) == 1 else wq.PreloadedOr(flat)
    subs = [group[0] if len(group) == 1 else wq.Or(group) for group in alts]
    return subs[0] if len(subs) == 1 else wq.And(subs)


def stopword_terms(text: str, w: Weights) -> list[wq.Query]:
    """Return the stop and question words of a question as weak optional body terms (none at weight 0)."""
    if not w.stopword:
        return []
    found = dict.fromkeys(t for t in units(text) if t in stopwords() and len(t) > 1)
    return [wq.Term("body", t, boost=w.stopword) for t in found]


def exact_title_query(parsed: ParsedQuery, w: Weights) -> wq.Query | None:
    """Return the optional clause that rewards the query being a document's whole title, if it applies."""
    clauses = parsed.words_clauses()
    if not w.exact_title or not clauses or len(clauses) != len(parsed.groups) or parsed.negatives:
        return None
    return wq.Term("title_key", fold(" ".join(c.text for c in clauses).strip()), boost=w.exact_title)


def ranking_plan(parsed: ParsedQuery) -> Plan:
    """Return what the re-ranking of the top hits looks for: the free text's word sequence and word pairs."""
    clauses = parsed.words_clauses()
    seq = [t for c in clauses for t in units(c.text) if _is_word(t) and len(words(t)) == 1]
    important = [t for c in clauses for t in important_words(c.text) if len(words(t)) == 1]
    pairs = tuple(zip(important, important[1:], strict=False))[:MAX_PAIRS]
    text = "".join(c.text for c in clauses)
    sequence = tuple(seq[:MAX_PHRASE_WORDS]) if len(seq) <= MAX_PHRASE_WORDS else ()
    spaced = " ".join(c.text for c in clauses)
    return Plan(sequence, pairs, compact(text), tuple(important[:MAX_IMPORTANT]), is_question(spaced))


MAX_GROUPS = 32  # clauses beyond this are ignored: a pasted paragraph must not cost minutes


def clause_text_group(group: list[Clause]) -> str:
    """Return a key of a group of alternatives, so a repeated group counts once."""
    return " OR ".join(clause_text(c) for c in group)


def _group_query(group: list[Clause], b: Build) -> wq.Query:
    alts = [q for q in (clause_query(c, b) for c in group) if not _is_empty(q)]
    return wq.Or(alts) if len(alts) > 1 else (alts[0] if alts else wq.Or([]))


def _is_empty(q: wq.Query) -> bool:
    """Tell whether a query is a compound with nothing in it (Whoosh cannot run those)."""
    return q is wq.NullQuery or (isinstance(q, wq.compound.CompoundQuery) and not q.subqueries)


def to_whoosh(
    parsed: ParsedQuery,
    synonyms: bool = True,
    weights: Weights = WEIGHTS,
    reader: IndexReader | None = None,
    seen: dict[str, bool] | None = None,
) -> tuple[wq.Query, list[str]]:
    """Return the Whoosh query of a parsed query and the synonyms it also searched. `seen`: which words the
    reader holds, as found for earlier queries on the same reader (filled in)."""
    b = Build(synonyms=synonyms, weights=weights, reader=reader, seen={} if seen is None else seen)
    groups = list({clause_text_group(g): g for g in parsed.groups}.values())[:MAX_GROUPS]
    positives = [q for q in (_group_query(g, b) for g in groups) if not _is_empty(q)]
    if groups and not positives:  # only punctuation or stop characters: nothing can match
        return wq.NullQuery, b.expanded
    base: wq.Query = wq.And(positives) if len(positives) > 1 else (positives[0] if positives else wq.Every())
    negatives = [
        q for q in (clause_query(c, Build(synonyms=False)) for c in parsed.negatives[:MAX_GROUPS]) if not _is_empty(q)
    ]
    if negatives:
        base = wq.AndNot(base, wq.Or(negatives))
    extra = exact_title_query(parsed, weights)
    return (wq.AndMaybe(base, extra) if extra is not None else base), b.expanded


def clause_text(c: Clause) -> str:
    """Return the query syntax of one clause."""
    body = f'"{c.text}"' if c.kind == "phrase" else c.text
    if c.kind == "docnum":
        prefix = "" if parse_doc_number(fold(c.text)) else "文号:"
    else:
        prefix = {"agency": "机关:", "date": "日期:"}.get(c.kind, "标题:" if c.field == "title" else "")
    return ("-" if c.negate else "") + prefix + body


def unparse(parsed: ParsedQuery) -> str:
    """Return a query string that parses back to the same clauses."""
    groups = [" OR ".join(clause_text(c) for c in g) for g in parsed.groups]
    return " ".join(groups + [clause_text(c) for c in parsed.negatives])
