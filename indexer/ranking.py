"""Ranking: weights chosen on bench/eval (see its --sweep) and the re-ranking of the top hits.

Whoosh scores each query word with BM25F over the word fields (a title match weighs ``Weights.title``); the
query being a document's whole title adds ``exact_title``. The top RERANK_DEPTH hits are then re-scored with
what Whoosh's span queries make slow on big indexes: the positions of the query words in those documents only
(read from the postings, one skip per word and document) tell whether adjacent query words stand close
together and whether the whole query occurs as a phrase; recency breaks near-ties last. A keyword query
(not a question) is most often a few words of the title of the document the user has in mind, so among the
top hits those whose title holds every one of its words come first (see ``titled``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
from whoosh import scoring
from whoosh.searching import Searcher

from .analysis import fold, kept_when_short
from .engine.whoosh.evaluate import positions_of, values_of
from .engine.whoosh.terms import doc_frequency, has_term

RERANK_DEPTH = 100  # hits re-scored; deeper hits keep Whoosh's order (pages stay consistent)
OLDEST_YEAR = 1949  # recency is 0 for this year and older, 1 for the current year


@dataclass(frozen=True)
class Weights:
    """How much each ranking signal counts."""

    title: float = 0.1  # BM25 of a query word in the title, against 1.0 in the body
    exact_title: float = 100.0  # added when the query is the whole title (an ID field scores 1 per match)
    synonym: float = 0.8  # a synonym of a query word, against 1.0 for the word itself
    expansion: float = 0.3  # a statute word mined for an everyday query word (indexer/expansions.py)
    subword: float = 0.3  # in a question, a part of a long word (环境 of 环境保护) found on its own
    stopword: float = 0.0  # in a question, a stop or question word (可以, 必须, 应当) found in the body
    pair: float = 0.25  # × mean idf of two adjacent query words found within pair_slop words, in order
    pair_slop: int = 2  # word positions two adjacent query words may lie apart
    phrase: float = 1.0  # × summed idf of the query's words when they occur as one phrase (body or title)
    date: float = 0.02  # share of its score a document gains by recency (0 oldest .. 1 this year)


WEIGHTS = Weights()


class BM25(scoring.BM25F):
    """Whoosh's BM25F with Lucene's idf, and the title counted in the length of the body (one text)."""

    def __init__(self, title_in_length: bool = True, **kw: Any) -> None:
        super().__init__(**kw)
        self.title_in_length = title_in_length
        self.scorer_is_bm25f = not title_in_length  # scorer() is BM25F's (evaluate computes it on arrays)

    def idf(self, searcher: Searcher, fieldname: str, text: str) -> float:
        """Return Lucene's idf: log(1 + (N - df + 0.5) / (df + 0.5)), lower for common words than Whoosh's."""
        parent = searcher.get_parent()
        df, n = doc_frequency(parent.reader(), fieldname, text), parent.doc_count_all()
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def scorer(self, searcher: Searcher, fieldname: str, text: str, qf: int = 1) -> Any:
        """Return the scorer of one term; a body term sees the document's title + body length."""
        sc = super().scorer(searcher, fieldname, text, qf=qf)
        if self.title_in_length and fieldname == "body" and isinstance(sc, scoring.BM25FScorer):
            body_length = sc.dfl
            sc.dfl = lambda d: body_length(d) + searcher.doc_field_length(d, "title", 0)
            sc.avgfl += searcher.get_parent().avg_field_length("title") or 0
        return sc


RANKING = BM25(title_in_length=False)


MAX_IDF = 50_000  # idf values a ranking searcher keeps (a few MB): then it starts again


def ranking_searcher(s: Searcher) -> Searcher:
    """Return a searcher over the same reader that scores with RANKING (no files are opened), made once per
    searcher (one version of the index): its idf values are kept from one query to the next (a question
    asks for 60 to 80 of them, 4 µs each)."""
    if isinstance(s.weighting, BM25):
        return s
    found = getattr(s, "_ranking_searcher", None)
    if found is None or found.reader() is not s.reader():
        found = Searcher(s.reader(), weighting=RANKING, closereader=False)
        s._ranking_searcher = found  # (a plain attribute: Whoosh's Searcher has no slots)
    if len(found._idf_cache) > MAX_IDF:
        found._idf_cache.clear()
    return found


@dataclass(frozen=True)
class Plan:
    """What the re-ranking looks for in the top hits."""

    sequence: tuple[str, ...] = ()  # the free text's words in order, for the whole-phrase check
    pairs: tuple[tuple[str, str], ...] = ()  # adjacent important words, for the proximity check
    compact: str = ""  # the free text folded, letters and digits only (the phrase in a stored title)
    important: tuple[str, ...] = ()  # the free text's important words (the learned re-ranker's features)
    question: bool = False  # the free text reads as a question (the learned re-ranker applies)
    words: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "words", tuple(dict.fromkeys(self.sequence + tuple(w for p in self.pairs for w in p))))


@kept_when_short
def compact(text: str) -> str:
    """Return folded text with only its letters and digits (what a phrase check compares); a title's is kept
    (the re-ranking compares the query with each top hit's title)."""
    return "".join(ch for ch in fold(text) if ch.isalnum())


def recency(day: date | datetime | None, today: date | None = None) -> float:
    """Return 0..1: how recent a date is between OLDEST_YEAR and today (0 when unknown)."""
    if day is None:
        return 0.0
    today = today or date.today()
    span = max(1, today.year - OLDEST_YEAR)
    return min(1.0, max(0.0, (day.year - OLDEST_YEAR + (day.timetuple().tm_yday - 1) / 366) / span))


Found = dict[str, dict[int, list[int]]]  # word -> docnum -> its positions in the body
Memo = dict[str, tuple[frozenset[int], dict[int, list[int]]]]  # word -> (documents read, their positions)


def positions(s: Searcher, docnums: Sequence[int], words: Sequence[str], memo: Memo | None = None) -> Found:
    """Return word -> docnum -> positions in the body field, for the given documents only (from the segment's
    position arrays, else decoding only the posting blocks that hold them, or the postings a phrase read).
    `memo`: what one request read already (the re-ranking, the known-item check and the learned re-ranker's
    features read the same words in the same top hits), kept there."""
    if memo is None:
        return _positions(s, docnums, words)
    need = frozenset(docnums)
    out, todo = {}, []
    for word in words:
        known = memo.get(word)
        if known is not None and need <= known[0]:
            out[word] = known[1] if need == known[0] else {d: p for d, p in known[1].items() if d in need}
        else:
            todo.append(word)
    if todo:
        fresh = _positions(s, docnums, todo)
        for word in todo:
            memo[word] = (need, fresh[word])
            out[word] = fresh[word]
    return out


def _positions(s: Searcher, docnums: Sequence[int], words: Sequence[str]) -> Found:
    reader, out = s.reader(), {}
    field = s.schema["body"]
    decode = field.format.decode_positions
    wanted = np.array(sorted(set(docnums)), dtype=np.int64)
    for word in words:
        found: dict[int, list[int]] = {}
        text = field.to_bytes(word)
        for leaf, offset in reader.leaf_readers():
            mine = wanted[(wanted >= offset) & (wanted < offset + leaf.doc_count_all())] - offset
            if len(mine) and has_term(leaf, "body", text):
                fast = positions_of(leaf, "body", text, mine)  # the segment's position arrays, when it has them
                if fast is not None:
                    found.update({d + offset: poses for d, poses in fast.items()})
                    continue
                for d, value in values_of(leaf, "body", text, mine).items():
                    found[d + offset] = decode(value)
        out[word] = found
    return out


def _near(a: list[int], b: list[int], slop: int) -> bool:
    """Tell whether some position of b follows one of a by 0..slop words (0: sub-words of one word)."""
    bs = set(b)
    return any(p + k in bs for p in a for k in range(slop + 1))


def _phrase(seq: Sequence[list[int]]) -> bool:
    """Tell whether the words stand in a row (a step of 0 allows sub-words of one compound word)."""
    ends = set(seq[0])
    for nxt in seq[1:]:
        ends = {p for p in nxt if p - 1 in ends or p in ends}
        if not ends:
            return False
    return True


def bonus(s: Searcher, hits: Sequence[Any], plan: Plan, w: Weights, memo: Memo | None = None) -> dict[int, float]:
    """Return docnum -> the proximity and phrase score to add to each hit's BM25 score."""
    if not (w.pair or w.phrase) or not plan.words:
        return {}
    idf = {t: s.idf("body", t) for t in plan.words}
    paired = tuple(dict.fromkeys(t for p in plan.pairs for t in p)) if w.pair else ()
    pos = positions(s, [h.docnum for h in hits], paired, memo)
    phrase_idf = sum(idf[t] for t in plan.sequence)
    phrased: set[int] = set()
    if w.phrase and len(plan.sequence) > 1:
        phrased = {h.docnum for h in hits if plan.compact and plan.compact in compact(h.get("title") or "")}
        phrased |= in_phrase(s, [h.docnum for h in hits if h.docnum not in phrased], plan.sequence, pos, memo)
    out: dict[int, float] = {}
    for h in hits:
        d = h.docnum
        score = sum(
            w.pair * (idf[a] + idf[b]) / 2
            for a, b in (plan.pairs if w.pair else ())
            if d in pos[a] and d in pos[b] and _near(pos[a][d], pos[b][d], w.pair_slop)
        )
        if d in phrased:
            score += w.phrase * phrase_idf
        out[d] = score
    return out


def in_phrase(s: Searcher, docnums: Sequence[int], sequence: Sequence[str], pos: Found, memo: Memo | None) -> set[int]:
    """Return the documents whose body holds the words of `sequence` in a row. A word's positions are read
    only for the documents that hold every word read so far: first those known (`pos`, read for every
    document, and the request's memo), then the rarest. A stop word's (的, 是) are many in every document,
    and a question's words all in a row are rare, so most of them are never read."""
    left = list(docnums)
    for t in dict.fromkeys(sequence):
        if t in pos:
            left = [d for d in left if d in pos[t]]
    reader = s.reader()
    rest = sorted(
        set(sequence) - set(pos), key=lambda t: (memo is None or t not in memo, doc_frequency(reader, "body", t))
    )
    for t in rest:
        if not left:
            break
        found = positions(s, left, [t], memo)[t]
        pos = {**pos, t: found}
        left = [d for d in left if d in found]
    return {d for d in left if _phrase([pos[t][d] for t in sequence])}


def titled(title: str, plan: Plan) -> bool:
    """Tell whether a title holds every important word of a keyword query (never for a question)."""
    if plan.question or not plan.important:
        return False
    text = compact(title)
    return all(compact(word) in text for word in plan.important)


def rerank(s: Searcher, hits: list[Any], plan: Plan, w: Weights = WEIGHTS, memo: Memo | None = None) -> list[Any]:
    """Return the hits, the first RERANK_DEPTH re-scored with proximity, phrase and recency, those whose
    title holds every word of a keyword query first (`memo`: see positions)."""
    head, tail = hits[:RERANK_DEPTH], hits[RERANK_DEPTH:]
    extra = bonus(s, head, plan, w, memo)
    final = {
        h.docnum: ((h.score or 0.0) + extra.get(h.docnum, 0.0)) * (1 + w.date * recency(h.get("date"))) for h in head
    }
    # BM25 lets a body that repeats the words (a province's 条例 citing the national 法 it implements) outweigh a
    # short title holding them all; a title match is far better evidence of the document a keyword query names
    return sorted(head, key=lambda h: (not titled(h.get("title") or "", plan), -final[h.docnum])) + tail
