"""Whoosh searchers that keep the document sets of their filter queries."""

from __future__ import annotations

import weakref
from collections import OrderedDict
from math import log
from typing import Any

from whoosh import query as wq
from whoosh.index import Index
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from .terms import doc_frequency

FILTER_CACHE = 64  # filter document sets kept per searcher (similar documents' exclusions, Whoosh filters)


class CachingSearcher(Searcher):  # type: ignore[misc]
    """A Searcher that keeps the document sets of the filter queries it has run.

    Whoosh turns a filter query into a set of document numbers on every search, a walk over postings per
    query. Search results no longer filter through Whoosh (facet selections, dates and collapsing copies
    are masks over arrays: indexer/engine/whoosh/columns.py); the searches that still pass `filter=`/`mask=` (similar
    documents, citations) keep their sets here. A searcher reads one fixed version
    of the index, so its sets stay valid until a new searcher replaces it with an empty cache.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._filter_sets: OrderedDict[Any, Any] = OrderedDict()

    def _filter_to_comb(self, obj: Any) -> Any:
        if not isinstance(obj, wq.Query):
            return super()._filter_to_comb(obj)
        found = self._filter_sets.get(obj)
        if found is None:
            found = self._filter_sets[obj] = super()._filter_to_comb(obj)
            if len(self._filter_sets) > FILTER_CACHE:
                self._filter_sets.popitem(last=False)
        return found


class KeptBM25F(BM25F):  # type: ignore[misc]
    """Whoosh's BM25F and its idf formula, the document frequency taken from the frequencies this process
    keeps per segment (terms.py) instead of Whoosh's look-up in every segment: at 500,000 documents (16
    segments) 250 µs for each word a document page's similar-documents query had not asked before."""

    def idf(self, searcher: Searcher, fieldname: str, text: Any) -> float:
        parent = searcher.get_parent()
        n = doc_frequency(parent.reader(), fieldname, text)
        return log(parent.doc_count_all() / (n + 1)) + 1  # (Whoosh's WeightingModel.idf)


def open_searcher(ix: Index) -> CachingSearcher:
    """Return a caching searcher of an index; its reader's files are closed when it is closed or dropped
    (segments are separate files, each an open file handle: see segments.SegmentBuilder.finish)."""
    s = CachingSearcher(ix.reader(), fromindex=ix, weighting=KeptBM25F())
    weakref.finalize(s, _close_quietly, s.reader())
    return s


def _close_quietly(reader: Any) -> None:
    try:
        reader.close()
    except Exception:  # noqa: BLE001 - already closed, or closing at interpreter exit
        pass
