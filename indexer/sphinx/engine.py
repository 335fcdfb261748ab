"""The Sphinx backend: the methods of WhooshBackend over a sharded cluster plus the record store.

Matching goes to Sphinx (MATCH and WHERE translated from the very Whoosh queries the Whoosh backend
runs); hits, snippets and documents come from the record store, so both backends show the same hit.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from whoosh import query as wq

from ..analysis import fold, word_analyzer
from ..config import Settings
from ..engine.whoosh.schema import FACET_FIELDS
from ..errors import IndexMissing
from ..fields import cite_key, docnum_key, index_fields
from ..generations import store_path
from ..models import Document, Hit, SearchPage, SearchRequest
from ..query import parse, to_whoosh
from ..relations import mark_versions, records_with_relations, versions_of
from ..search import check_request, facet_bucket_list, filter_query, to_hit
from ..store import RecordStore
from .client import Answer, Nodes, PartialResults, SphinxError
from .conf import DIST, VALS
from .layout import FACET_KEYS, layout
from .shards import shard_name
from .sql import HIT_COLUMNS, ORDERS, ql_string, select_sql
from .tokens import ALL, keyword, term_key
from .translate import to_match, to_where

PARTIAL_POLICIES = ("warn", "error")
SIMILAR_TERMS = 20  # key terms of a document that find its precedents (Whoosh uses 20 too)


def option(settings: Settings, name: str, default: Any) -> Any:
    """Return a Sphinx setting: Settings.extras[name], else a Settings field of that name, else default."""
    if name in settings.extras:
        return settings.extras[name]
    value = getattr(settings, name, None)
    return default if value is None else value


class Row(dict[str, Any]):
    """The index fields of a document dressed as a Whoosh hit (fields plus .score) for search.to_hit."""

    score: float = 0.0


class SphinxBackend:
    """Search, documents, similar documents and citations over a Sphinx cluster and the record store."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.index_dir = Path(settings.index_dir)
        if not store_path(self.index_dir).exists():
            raise IndexMissing(
                f"no record store at {self.index_dir}: run `govsearch ingest PATH "
                f"--index {self.index_dir}` with GOVSEARCH_BACKEND=sphinx first"
            )
        self.nodes = Nodes(settings.sphinx_nodes, float(option(settings, "sphinx_timeout", 30.0)))
        self.partial = str(option(settings, "sphinx_partial", "warn"))
        if self.partial not in PARTIAL_POLICIES:
            raise ValueError(f"sphinx_partial must be warn or error, not {self.partial!r}")
        self.facet_scan = int(option(settings, "sphinx_facet_scan", 1000))
        self.export_max = int(option(settings, "sphinx_export_max", 2_000_000))
        self.lay = layout()
        self._local = threading.local()
        self._names: dict[int, tuple[str, str]] = {}  # facet term key -> (field, value): never changes

    def store(self) -> RecordStore:
        """Return this thread's read-only connection to the record store."""
        st = getattr(self._local, "store", None)
        if st is None:
            st = self._local.store = RecordStore(store_path(self.index_dir), readonly=True)
        return st

    def close(self) -> None:
        """Close this thread's connections (do it before stopping searchd)."""
        self.nodes.close()

    def _run(self, sql: str, strict: bool = False) -> Answer:
        """Run one SELECT; a node that did not answer is a warning or PartialResults, never silence."""
        answer = self.nodes.query(sql)
        if answer.warnings and (strict or self.partial == "error"):
            raise PartialResults("partial results refused: " + "; ".join(answer.warnings))
        return answer

    def _where(self, q: wq.Query, req: SearchRequest) -> tuple[str, list[str]]:
        where, rest = to_where(filter_query(req), self.lay)
        return to_match(wq.And([q, *rest]) if rest else q, self.lay), where

    def search(self, req: SearchRequest) -> SearchPage:
        """Run one search request."""
        check_request(req)
        parsed = parse(req.q)
        q, expanded = to_whoosh(parsed, req.synonyms)
        match, where = self._where(q, req)
        selected: dict[str, set[str]] = {}
        for name, value in req.filters:
            selected.setdefault(name, set()).add(value)
        # one FACET over every facet key: Sphinx 2.2 evaluates the full-text query again for each FACET
        sql = select_sql(
            self.lay,
            match,
            where,
            order=ORDERS.get(req.sort, ORDERS["relevance"]),
            offset=(req.page - 1) * req.per_page,
            limit=req.per_page,
            facets=(FACET_KEYS,),
            facet_limit=self.facet_scan * len(FACET_FIELDS),
        )
        answer = self._run(sql)
        warnings = [*parsed.warnings, *self._partial_notes(answer)]
        counts = self._named(answer.sets[1])
        for name in selected:
            counts[FACET_FIELDS[name]], notes = self._selected_counts(q, req, name)
            warnings += notes
        facets = {
            n: facet_bucket_list(n, counts.get(f, {}), selected.get(n, set()), self.settings.facet_size)
            for n, f in FACET_FIELDS.items()
        }
        hits, missing = self._hits(answer.sets[0], parsed.terms() + expanded)
        if missing:
            warnings.append(f"{missing} hits are not in the record store yet (a sync is running?)")
        collapsed = max(0, self.count(replace(req, collapse=False)) - answer.total) if req.collapse else 0
        return SearchPage(
            req,
            answer.total + collapsed,
            hits,
            facets,
            tuple(expanded),
            None,
            tuple(dict.fromkeys(warnings)),
            collapsed=collapsed,
        )

    def _partial_notes(self, answer: Answer) -> list[str]:
        notes = [
            f"partial results: {w}; the total and the facet counts leave out the shards that did not answer"
            for w in answer.warnings
        ]
        if answer.meta.get("total_relation", "eq") != "eq":  # Manticore may estimate: say so, never pretend
            notes.append(f"the total is an estimate (total_relation={answer.meta['total_relation']})")
        return notes

    def _selected_counts(self, q: wq.Query, req: SearchRequest, name: str) -> tuple[dict[str, int], list[str]]:
        """Count a facet that has a selection as if its own selection were not made."""
        others = SearchRequest(
            q=req.q,
            filters=tuple(f for f in req.filters if f[0] != name),
            date_from=req.date_from,
            date_to=req.date_to,
            collapse=req.collapse,
        )
        match, where = self._where(q, others)
        field = FACET_FIELDS[name]
        answer = self._run(
            select_sql(
                self.lay, match, where, limit=1, facets=(self.lay.facet_attr(field),), facet_limit=self.facet_scan
            )
        )
        return self._named(answer.sets[1]).get(field, {}), self._partial_notes(answer)

    def _named(self, rows: list[tuple[Any, ...]]) -> dict[str, dict[str, int]]:
        """Return facet field -> value -> count for FACET rows of (term key, count)."""
        missing = [int(k) for k, _ in rows if int(k) not in self._names]
        for i in range(0, len(missing), 1000):
            chunk = missing[i : i + 1000]
            sql = (
                f"SELECT id, value FROM {VALS} WHERE id IN ({','.join(map(str, chunk))}) "
                f"LIMIT {len(chunk)} OPTION max_matches={max(len(chunk), 1000)}"
            )
            for key, value in self.nodes.query(sql).sets[0]:
                field = next((f for f in self.lay.facet_fields if term_key(f, value) == int(key)), None)
                if field is not None:  # a key names its field: term_key(field, value)
                    self._names[int(key)] = (field, value)
        out: dict[str, dict[str, int]] = {}
        for key, n in rows:
            if int(key) in self._names:
                field, value = self._names[int(key)]
                out.setdefault(field, {})[value] = int(n)
        return out

    def _hits(self, rows: list[tuple[Any, ...]], terms: list[str]) -> tuple[tuple[Hit, ...], int]:
        store = self.store()
        records = store.get_many(r[1] for r in rows)
        sizes = store.group_sizes(r[2] for r in rows)
        hits = [
            to_hit(self._row(records[doc_id], dup_of, weight), records[doc_id], terms, sizes)
            for _, doc_id, dup_of, weight in rows
            if doc_id in records
        ]
        return mark_versions(hits, store), len(rows) - len(hits)

    def _row(self, rec: dict[str, Any], dup_of: str, weight: float) -> Row:
        row = Row(index_fields(Document.from_record(rec), dup_of))
        row.score = float(weight)
        return row

    def iter_records(self, req: SearchRequest, batch: int = 500) -> Iterator[dict[str, Any]]:
        """Yield the stored record of every hit of a request, in order; a missing shard is an error."""
        q, _ = to_whoosh(parse(req.q), req.synonyms)
        match, where = self._where(q, req)
        order = ORDERS.get(req.sort, ORDERS["relevance"])
        total = self._run(select_sql(self.lay, match, where, order=order, limit=1), strict=True).total
        if total > self.export_max:
            raise SphinxError(
                f"{total} documents match: more than sphinx_export_max ({self.export_max}); "
                "narrow the query or raise the limit"
            )
        if total == 0:
            return
        sql = select_sql(self.lay, match, where, order=order, limit=total, columns="doc_id")
        with self.nodes.stream(sql + "; SHOW META") as cur:
            ids: list[str] = []
            for (doc_id,) in cur:
                ids.append(doc_id)
                if len(ids) >= batch:
                    yield from self._records(ids)
                    ids = []
            yield from self._records(ids)
            cur.nextset()
            meta = dict(cur.fetchall())
        if meta.get("warning"):
            raise PartialResults(f"export incomplete: {meta['warning']}")

    def _records(self, ids: list[str]) -> Iterator[dict[str, Any]]:
        return records_with_relations(self.store(), ids)

    def versions(self, doc_id: str) -> list[dict[str, Any]]:
        """Return every version of the law or 办法 a document is a version of, the one in force first."""
        return versions_of(self.store(), doc_id)

    def count(self, req: SearchRequest) -> int:
        """Return the number of hits of a request."""
        q, _ = to_whoosh(parse(req.q), req.synonyms)
        match, where = self._where(q, req)
        return self._run(select_sql(self.lay, match, where, limit=1)).total

    def document(self, doc_id: str) -> dict[str, Any] | None:
        """Return the stored record of one document, or None."""
        return self.store().get(doc_id)

    def duplicates(self, doc_id: str) -> list[dict[str, Any]]:
        """Return the other records of the document's duplicate group (the other places it was published)."""
        row = self.store().db.execute("SELECT dup_of FROM records WHERE id = ?", (doc_id,)).fetchone()
        if not row or not row[0]:
            return []
        return list(self._records([i for i in self.store().duplicates_of(row[0]) if i != doc_id]))

    def _group(self, doc_id: str) -> str:
        row = self.store().db.execute("SELECT dup_of FROM records WHERE id = ?", (doc_id,)).fetchone()
        return row[0] if row and row[0] else doc_id

    def _find(self, q: wq.Query, limit: int, ranker: str = "proximity_bm25") -> list[tuple[Row, dict[str, Any]]]:
        """Return (row, record) of the best matches of a query, collapse and filters off."""
        answer = self._run(
            select_sql(self.lay, to_match(q, self.lay), [], limit=limit, columns=HIT_COLUMNS, ranker=ranker)
        )
        records = self.store().get_many(r[1] for r in answer.sets[0])
        return [(self._row(records[d], dup, w), records[d]) for _, d, dup, w in answer.sets[0] if d in records]

    def similar(self, doc_id: str, limit: int = 10) -> list[Hit]:
        """Return precedents: the most similar documents, other agencies first, near-copies left out."""
        rec = self.document(doc_id)
        if rec is None:
            return []
        terms = self._key_terms(f"{rec.get('title', '')}\n{rec.get('title', '')}\n{(rec.get('body') or '')[:20000]}")
        if not terms:
            return []
        fields = self.lay.word_fields
        q = wq.Or([wq.Term(f, t) for t in terms for f in fields])
        mask = wq.Or([wq.Term("id", doc_id), wq.Term("dup_of", self._group(doc_id))])
        found = self._find(wq.AndNot(q, mask), limit * 3, ranker="bm25")
        agency = rec.get("agency")
        found.sort(key=lambda rr: (bool(agency) and rr[0].get("agency") == agency, -rr[0].score))
        return [to_hit(row, {"body": ""}, [], {}) for row, _ in found[:limit]]

    def _key_terms(self, text: str) -> list[str]:
        """Return the words of text that best tell it apart (tf-idf, document frequencies from Sphinx)."""
        tf = Counter(t.text for t in word_analyzer()(fold(text)) if len(t.text) > 1 or t.text.isalnum())
        words = [w for w, _ in tf.most_common(200)]
        if not words:
            return []
        docs = self._keyword_docs([ALL, *map(keyword, words)])
        n = max(docs.get(ALL, 1), 1)
        score = {w: tf[w] * math.log((n + 1) / (docs.get(keyword(w), 0) + 1)) for w in words}
        return sorted(words, key=lambda w: -score[w])[:SIMILAR_TERMS]

    def _keyword_docs(self, keywords: list[str]) -> dict[str, int]:
        """Return keyword -> documents holding it, from the first shard that answers (a sample of the whole)."""
        text = ql_string(" ".join(keywords))
        for i in range(len(self.nodes)):  # CALL KEYWORDS needs a local index: each node's own shard
            try:
                rows = self.nodes.query(
                    f"CALL KEYWORDS({text}, {ql_string(shard_name(i))}, 1)", node=i, meta=False
                ).sets[0]
            except SphinxError:
                continue
            return {str(r[1]): int(r[3]) for r in rows}
        return {}

    def citations(self, doc_id: str, limit: int = 50) -> tuple[list[Hit], list[Hit]]:
        """Return (documents this one cites, documents citing this one) that are in the index."""
        rec = self.document(doc_id)
        if rec is None:
            return [], []
        keys = [cite_key(c) for c in rec.get("cites") or []]
        mine = [k for k in (docnum_key(rec.get("doc_number")), fold(rec.get("title") or "")) if k]
        me = wq.Term("id", doc_id)
        cites_q = wq.Or([wq.Term("docnum_key", k) for k in keys] + [wq.Term("title_key", k) for k in keys])
        cited_q = wq.Or([wq.Term("cites", k) for k in mine])
        cites = self._find(wq.AndNot(cites_q, me), limit) if keys else []
        cited = self._find(wq.AndNot(cited_q, me), limit) if mine else []
        return [to_hit(r, {}, [], {}) for r, _ in cites], [to_hit(r, {}, [], {}) for r, _ in cited]

    def version(self) -> dict[str, Any]:
        """Return what identifies the index a result came from: layout, documents per shard, records."""
        shards = []
        for i in range(len(self.nodes)):
            try:
                n = int(self.nodes.query(f"SELECT COUNT(*) FROM {shard_name(i)}", node=i).sets[0][0][0])
                shards.append({"node": self.nodes.label(i), "documents": n})
            except SphinxError as e:
                shards.append({"node": self.nodes.label(i), "documents": None, "error": str(e)})
        counts = [s["documents"] for s in shards]
        return {
            "backend": "sphinx",
            "layout": f"{len(self.nodes)}:{self.lay.fingerprint()}",
            "index": DIST,
            "documents": None if None in counts else sum(counts),
            "shards": shards,
            "records": self.store().count(),
        }
