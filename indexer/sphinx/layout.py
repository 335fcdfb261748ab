"""The Sphinx shard schema, derived from the Whoosh schema so that both engines index the same terms."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from whoosh import fields as wf
from whoosh.analysis import IDTokenizer

from ..analysis import BigramTokenizer, CharTokenizer, WordTokenizer, bigrams, fold, word_tokens
from ..engine.whoosh.schema import FACET_FIELDS, make_schema
from ..fields import index_fields
from ..models import Document
from .shards import sphinx_id
from .tokens import ALL, day_of, day_tokens, keyword, term_key, term_token

META = "meta"  # hidden full-text field: term keys of ID/KEYWORD fields, date keywords, ALL
DATE_FIELD = "date_num"  # NUMERIC field held as a uint attribute and as date keywords
CANONICAL = "canonical"  # ID field held as a uint attribute too: the collapse filter
FACET_KEYS = "facet_keys"  # every facet term key of a document in one MVA: one FACET counts all facets


@dataclass(frozen=True)
class Layout:
    """Which Whoosh fields become which Sphinx fields and attributes."""

    word_fields: tuple[str, ...]  # TEXT fields of jieba words (+ sub-words): keyword terms
    char_fields: tuple[str, ...]  # TEXT fields of single characters: exact phrases
    term_fields: tuple[str, ...]  # ID and KEYWORD fields: hashed into META
    facet_fields: tuple[str, ...]  # Whoosh fields the facets count: one MVA of term keys each

    @property
    def text_fields(self) -> tuple[str, ...]:
        """Return the full-text fields of a shard, META last."""
        return self.word_fields + self.char_fields + (META,)

    def facet_attr(self, field: str) -> str:
        """Return the MVA attribute of a facet field."""
        return f"f_{field}"

    def attrs(self) -> list[tuple[str, str]]:
        """Return the (kind, name) attribute declarations of a shard."""
        out = [("string", "doc_id"), ("string", "dup_of"), ("uint", CANONICAL), ("uint", DATE_FIELD)]
        return out + [("multi_64", self.facet_attr(f)) for f in self.facet_fields] + [("multi_64", FACET_KEYS)]

    def columns(self) -> list[str]:
        """Return the column order of REPLACE INTO a shard."""
        return ["id", *self.text_fields, *(name for _, name in self.attrs())]

    def fingerprint(self) -> str:
        """Return a short hash of the layout: a cluster built for another layout must be rebuilt."""
        return hashlib.sha1(repr((self, self.attrs())).encode()).hexdigest()[:12]


@lru_cache(maxsize=1)
def layout() -> Layout:
    """Return the layout of the current Whoosh schema."""
    schema = make_schema_cached()
    word, char, term = [], [], []
    for name in schema.names():
        field = schema[name]
        if isinstance(field, wf.TEXT) and isinstance(field.analyzer, WordTokenizer):
            word.append(name)
        elif isinstance(field, wf.TEXT) and isinstance(field.analyzer, (CharTokenizer, BigramTokenizer)):
            char.append(name)
        elif isinstance(field, wf.ID | wf.KEYWORD):
            term.append(name)
        elif isinstance(field, wf.TEXT):
            raise ValueError(f"text field {name!r} has an analyzer the Sphinx backend does not know")
    facets = tuple(dict.fromkeys(FACET_FIELDS.values()))
    return Layout(tuple(word), tuple(char), tuple(term), facets)


def field_terms(name: str, value: Any) -> list[str]:
    """Return the terms Whoosh indexes for one value of an ID or KEYWORD field."""
    field = make_schema_cached()[name]
    if isinstance(field, wf.ID) and type(field.analyzer) is IDTokenizer:  # the whole value, as it is
        return [str(value)]
    return [t.decode("utf-8") for t, *_ in field.index(value)]


@lru_cache(maxsize=1)
def make_schema_cached() -> wf.Schema:
    """Return one shared instance of the Whoosh schema."""
    return make_schema()


_folded = lru_cache(maxsize=4)(fold)  # title and body are folded once for their word and char fields


def text_keywords(name: str, value: str) -> str:
    """Return a text field as Sphinx keywords, in order, joined by spaces (the analyzer's tokens)."""
    analyzer = make_schema_cached()[name].analyzer
    if isinstance(analyzer, CharTokenizer):  # the same tokens, without a Token object per character
        return " ".join(map(keyword, "".join(_folded(value or "").split())))
    if isinstance(analyzer, BigramTokenizer):
        return " ".join(map(keyword, bigrams(_folded(value or ""))))
    if isinstance(analyzer, WordTokenizer):
        return " ".join(keyword(w) for w, *_ in word_tokens(_folded(value or "")))
    return " ".join(keyword(t.text) for t in analyzer(value or ""))


def document_row(doc: Document, dup_of: str | None) -> tuple[dict[str, Any], dict[int, str]]:
    """Return the column values of one document in its shard, and term key -> value of its facet terms."""
    lay, values = layout(), index_fields(doc, dup_of)
    row: dict[str, Any] = {"id": sphinx_id(doc.doc_id)}
    for name in lay.word_fields + lay.char_fields:
        row[name] = text_keywords(name, values.get(name) or "")
    terms = {name: field_terms(name, values[name]) for name in lay.term_fields if name in values}
    date_num = int(values.get(DATE_FIELD) or 0)
    meta = [ALL, *(term_token(n, t) for n, ts in terms.items() for t in ts)]
    row[META] = " ".join(meta + day_tokens(day_of(date_num, upper=False) if date_num else None))
    row.update(
        doc_id=doc.doc_id,
        dup_of=values.get("dup_of") or doc.doc_id,
        canonical=1 if values.get(CANONICAL) == "1" else 0,
        date_num=date_num,
    )
    names: dict[int, str] = {}
    for field in lay.facet_fields:
        keys = {term_key(field, t): t for t in terms.get(field, [])}
        row[lay.facet_attr(field)] = tuple(keys)
        names.update(keys)
    row[FACET_KEYS] = tuple(names)
    return row, names
