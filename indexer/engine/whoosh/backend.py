"""The embedded Whoosh backend's reader: one searcher per thread, reopened when a new index is swapped in."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from whoosh import query as wq
from whoosh.searching import Searcher

from ...analysis import fold
from ...budget import Deadline
from ...config import Settings
from ...fields import cite_key, docnum_key
from ...generations import current_generation, open_index, store_path
from ...models import Hit, SearchPage, SearchRequest
from ...relations import records_with_relations, versions_of
from ...search import iter_ids, search, to_hit
from ...store import RecordStore
from . import check_whoosh_version
from .related import VersionCache, most_similar, other_agencies_first, ranked
from .searcher import open_searcher
from .warm import load_warm

REFRESH_SECONDS = 1.0  # how often a thread checks for a newer index
RESULT_CACHE = 512  # search pages kept per process, keyed by index version and request


class WhooshBackend:
    """Search, documents, similar documents and citations over one index directory."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.index_dir = Path(settings.index_dir)
        self._local = threading.local()
        self._pages: OrderedDict[tuple[Any, ...], SearchPage] = OrderedDict()
        self._pages_lock = threading.Lock()
        check_whoosh_version()
        self._related = VersionCache()  # precedents, citations and copies of documents, per index version
        ix = open_index(self.index_dir)  # fail now, with a clear message, if there is no index
        with ix.reader() as reader:  # the arrays ingest prepared for a cold start (before any fork)
            load_warm(Path(ix.storage.folder), reader)
        ix.close()

    def _searcher(self) -> Searcher:
        local = self._local
        now = time.monotonic()
        if getattr(local, "checked", 0.0) + REFRESH_SECONDS > now and local.searcher is not None:
            return local.searcher
        local.checked = now
        gen = current_generation(self.index_dir)
        if getattr(local, "gen", None) != gen or local.searcher is None or not local.searcher.up_to_date():
            # a new version (rebuilt, or updated in place): a fresh searcher, not Searcher.refresh(), whose
            # new reader shares segment readers with the old one (closing either would break the other)
            if getattr(local, "searcher", None) is not None:
                local.searcher.close()
            local.searcher, local.gen = open_searcher(open_index(self.index_dir)), gen
        return local.searcher

    def store(self) -> RecordStore:
        """Return this thread's read-only connection to the record store."""
        st = getattr(self._local, "store", None)
        if st is None:
            st = self._local.store = RecordStore(store_path(self.index_dir), readonly=True)
        return st

    def search(self, req: SearchRequest) -> SearchPage:
        """Run one search request; a request already answered from this index version is not run again
        (a page the time budget cut short is not kept: the next asking may have the time)."""
        deadline = Deadline(self.settings.time_budget_ms)
        searcher = self._searcher()
        key = (self._local.gen, searcher.reader().generation(), req)
        with self._pages_lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
                return page
        page = search(searcher, req, self.store(), self.settings.facet_size, deadline)
        if page.partial:
            return page
        with self._pages_lock:
            self._pages[key] = page
            if len(self._pages) > int(self.settings.extras.get("result_cache", RESULT_CACHE)):
                self._pages.popitem(last=False)
        return page

    def iter_records(self, req: SearchRequest, batch: int = 500) -> Iterator[dict[str, Any]]:
        """Yield the stored record of every hit of a request, in order, a batch at a time."""
        ids: list[str] = []
        for doc_id in iter_ids(self._searcher(), req):
            ids.append(doc_id)
            if len(ids) >= batch:
                yield from self._records(ids)
                ids = []
        yield from self._records(ids)

    def _records(self, ids: list[str]) -> Iterator[dict[str, Any]]:
        return records_with_relations(self.store(), ids)

    def versions(self, doc_id: str) -> list[dict[str, Any]]:
        """Return every version of the law or 办法 a document is a version of, the one in force first."""
        return versions_of(self.store(), doc_id)

    def count(self, req: SearchRequest) -> int:
        """Return the number of hits a request lists (one per group of copies when it collapses them)."""
        return self.search(SearchRequest(**{**_fields(req), "per_page": 1, "page": 1})).listed

    def document(self, doc_id: str) -> dict[str, Any] | None:
        """Return the stored record of one document, or None."""
        return self.store().get(doc_id)

    def _version(self) -> tuple[Any, Any]:
        searcher = self._searcher()
        return (self._local.gen, searcher.reader().generation())

    def duplicates(self, doc_id: str) -> list[dict[str, Any]]:
        """Return the other records of the document's duplicate group (the other places it was published)."""
        return self._related.get(self._version(), ("copies", doc_id), lambda: self._duplicates(doc_id))

    def _duplicates(self, doc_id: str) -> list[dict[str, Any]]:
        row = self.store().db.execute("SELECT dup_of FROM records WHERE id = ?", (doc_id,)).fetchone()
        if not row or not row[0]:
            return []
        ids = [i for i in self.store().duplicates_of(row[0]) if i != doc_id]
        return list(self._records(ids))

    def similar(self, doc_id: str, limit: int = 10) -> list[Hit]:
        """Return precedents: the most similar documents, other agencies first, near-copies left out
        (related.py; kept per index version)."""
        return self._related.get(self._version(), ("similar", doc_id, limit), lambda: self._similar(doc_id, limit))

    def _similar(self, doc_id: str, limit: int) -> list[Hit]:
        rec = self.document(doc_id)
        if rec is None:
            return []
        me = self.store().db.execute("SELECT dup_of FROM records WHERE id = ?", (doc_id,)).fetchone()
        group = me[0] if me and me[0] else doc_id
        rows = most_similar(self._searcher(), {**rec, "id": doc_id}, group, limit)
        return [to_hit(r, {"body": ""}, [], {}) for r in other_agencies_first(rows, rec.get("agency"), limit)]

    def citations(self, doc_id: str, limit: int = 50) -> tuple[list[Hit], list[Hit]]:
        """Return (documents this one cites, documents citing this one) that are in the index (kept per
        index version)."""
        return self._related.get(self._version(), ("citations", doc_id, limit), lambda: self._citations(doc_id, limit))

    def _citations(self, doc_id: str, limit: int) -> tuple[list[Hit], list[Hit]]:
        rec = self.document(doc_id)
        if rec is None:
            return [], []
        s = self._searcher()
        keys = [cite_key(c) for c in rec.get("cites") or []]
        cites_q = wq.Or([wq.Term("docnum_key", k) for k in keys] + [wq.Term("title_key", k) for k in keys])
        mine = [k for k in (docnum_key(rec.get("doc_number")), fold(rec.get("title") or "")) if k]
        cited_q = wq.Or([wq.Term("cites", k) for k in mine])
        me = wq.Term("id", doc_id)  # (on arrays: Whoosh's search built a bit set of the whole index for the mask)
        cites = ranked(s, cites_q, me, limit) if keys else []
        cited = ranked(s, cited_q, me, limit) if mine else []
        return ([to_hit(r, {}, [], {}) for r in cites], [to_hit(r, {}, [], {}) for r in cited])

    def version(self) -> dict[str, Any]:
        """Return what identifies the index a result came from: generation, commit and size."""
        s = self._searcher()
        return {
            "generation": getattr(self._local, "gen", None),
            "commit": s.reader().generation(),
            "documents": s.doc_count(),
            "records": self.store().count(),
        }


def _fields(req: SearchRequest) -> dict[str, Any]:
    return {name: getattr(req, name) for name in req.__dataclass_fields__}
