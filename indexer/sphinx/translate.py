"""Translate Whoosh query trees (from indexer.query and indexer.search) into SphinxQL MATCH and WHERE.

Both engines then decide matches over the same terms: a clause the other engineer adds to
query.py keeps working here as long as it is built from the node types below; anything else
raises UnsupportedQuery instead of matching something different.
"""

from __future__ import annotations

from whoosh import query as wq

from .layout import CANONICAL, DATE_FIELD, META, Layout
from .tokens import ALL, NO_DATE, NOTHING, date_cover, day_of, keyword, term_key, term_token

UINT_MAX = 2**32 - 1


class UnsupportedQuery(ValueError):
    """A Whoosh query node that the Sphinx backend cannot express exactly."""


def to_match(q: wq.Query | None, lay: Layout) -> str:
    """Return the MATCH expression of a query ('' when it matches every document)."""
    if q is None or isinstance(q, wq.Every):
        return ""
    return _expr(q, lay)


def _expr(q: wq.Query, lay: Layout) -> str:
    if isinstance(q, wq.Term):
        return _term(q.fieldname, q.text, lay)
    if isinstance(q, wq.Phrase):
        return _phrase(q, lay)
    if isinstance(q, wq.And | wq.Require):
        return _and(list(q.children()), lay)
    if isinstance(q, wq.Or | wq.DisjunctionMax):  # Whoosh 2.7 ignores Or(minmatch=): so do we
        subs = [_expr(c, lay) for c in q.children()]
        return "(" + " | ".join(subs) + ")" if subs else _nothing()
    if isinstance(q, wq.AndNot):
        return f"({_expr(q.a, lay)} -{_expr(q.b, lay)})"
    if isinstance(q, wq.Not):
        return f"({_all()} -{_expr(q.query, lay)})"
    if isinstance(q, wq.AndMaybe):
        return _expr(q.a, lay)
    if isinstance(q, wq.Every):
        return _all()
    if isinstance(q, wq.NumericRange):
        return _date_range(q)
    if isinstance(q, wq.WrappingQuery):
        return _expr(q.child, lay)
    if q is wq.NullQuery or type(q).__name__ == "_NullQuery":
        return _nothing()
    raise UnsupportedQuery(f"the Sphinx backend cannot run a {type(q).__name__} query ({q!r})")


def _and(children: list[wq.Query], lay: Layout) -> str:
    if not children:  # Whoosh: an empty And matches nothing
        return _nothing()
    pos = [_expr(c, lay) for c in children if not isinstance(c, wq.Not)]
    neg = [_expr(c.query, lay) for c in children if isinstance(c, wq.Not)]
    if not pos:
        pos = [_all()]
    return "(" + " ".join(pos + ["-" + n for n in neg]) + ")"


def _term(field: str, text: str, lay: Layout) -> str:
    if field in lay.word_fields or field in lay.char_fields:
        return f"(@{field} {keyword(text)})"
    if field in lay.term_fields:
        return f"(@{META} {term_token(field, text)})"
    raise UnsupportedQuery(f"the Sphinx backend has no field {field!r}")


def _phrase(q: wq.Phrase, lay: Layout) -> str:
    words = list(q.words)
    if len(words) == 1:
        return _term(q.fieldname, words[0], lay)
    if q.fieldname not in lay.char_fields:  # word fields put sub-words at their parent's position
        raise UnsupportedQuery(f"phrase on field {q.fieldname!r}: only character fields keep Whoosh positions")
    if q.slop != 1:
        raise UnsupportedQuery(f"phrase with slop {q.slop}")
    return f'(@{q.fieldname} "' + " ".join(keyword(w) for w in words) + '")'


def _date_range(q: wq.NumericRange) -> str:
    if q.fieldname != DATE_FIELD:
        raise UnsupportedQuery(f"numeric range on {q.fieldname!r}")
    lo, hi = _bounds(q)
    tokens = date_cover(day_of(lo, upper=False), day_of(hi, upper=True)) if hi >= 10101 and lo <= hi else []
    if lo <= 0 <= hi:
        tokens.append(NO_DATE)
    return f"(@{META} " + " | ".join(tokens) + ")" if tokens else _nothing()


def _bounds(q: wq.NumericRange) -> tuple[int, int]:
    lo = -1 if q.start is None else int(q.start) + (1 if q.startexcl else 0)
    hi = UINT_MAX if q.end is None else int(q.end) - (1 if q.endexcl else 0)
    return lo, hi


def _all() -> str:
    return f"(@{META} {ALL})"


def _nothing() -> str:
    return f"(@{META} {NOTHING})"


def to_where(q: wq.Query | None, lay: Layout) -> tuple[list[str], list[wq.Query]]:
    """Split a filter query into WHERE conditions and the parts that must go into MATCH instead."""
    if q is None:
        return [], []
    parts = list(q.children()) if isinstance(q, wq.And) else [q]
    where: list[str] = []
    rest: list[wq.Query] = []
    for part in parts:
        cond = _condition(part, lay)
        if cond is None:
            rest.append(part)
        else:
            where.append(cond)
    return where, rest


def _condition(q: wq.Query, lay: Layout) -> str | None:
    terms = list(q.children()) if isinstance(q, wq.Or) else [q]
    if all(isinstance(t, wq.Term) for t in terms):
        fields = {t.fieldname for t in terms}
        if len(fields) == 1 and (field := fields.pop()) in lay.facet_fields:
            keys = ",".join(str(term_key(field, t.text)) for t in terms)
            return f"{lay.facet_attr(field)} IN ({keys})"
        if len(terms) == 1 and terms[0].fieldname == CANONICAL and terms[0].text in ("0", "1"):
            return f"{CANONICAL} = {terms[0].text}"
    if isinstance(q, wq.NumericRange) and q.fieldname == DATE_FIELD:
        lo, hi = _bounds(q)
        return f"{DATE_FIELD} BETWEEN {max(lo, 0)} AND {min(hi, UINT_MAX)}"
    return None
