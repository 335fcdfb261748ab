"""The limit: tantivy (PyPI `tantivy`, Rust) over the same segmented text.

Title and body go in as our analyzer's words (rjieba, accurate mode, folded) joined by spaces and are
split on whitespace, so both engines see the same words; queries are segmented the same way. Facet
fields are raw fast fields (terms aggregation), the date a fast u64 for sorting, the 文号 a raw term.
A page of 20 hits with tantivy's snippets of the body; the web app is the same WSGI shape as the baseline's.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from indexer.analysis import fold, words

from .workload import PER_PAGE, BenchQuery, from_url_args

FACETS = ("agency", "doc_type", "year")
TOKENIZER = "ws"
HEAP = 256_000_000  # bytes of indexing buffer, split between the writer's threads


def segmented(text: str) -> str:
    """Return folded text as its jieba words (no punctuation or spaces) joined by single spaces."""
    return " ".join(w for w, _, _ in words(fold(text)) if w.strip() and (len(w) > 1 or w.isalnum()))


def _schema() -> Any:
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("title", stored=True, tokenizer_name=TOKENIZER)
    sb.add_text_field("body", stored=True, tokenizer_name=TOKENIZER)
    sb.add_text_field("doc_number", stored=True, tokenizer_name="raw")
    for name in FACETS:
        sb.add_text_field(name, stored=True, fast=True, tokenizer_name="raw")
    sb.add_unsigned_field("date_num", stored=True, fast=True, indexed=True)
    return sb.build()


def _register(index: Any) -> Any:
    import tantivy

    index.register_tokenizer(TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
    return index


def build(records: Iterable[dict[str, Any]], index_dir: Path, threads: int = 2) -> int:
    """Segment and index the records with tantivy's multi-threaded writer; return the count."""
    import tantivy

    index_dir.mkdir(parents=True, exist_ok=True)
    index = _register(tantivy.Index(_schema(), path=str(index_dir)))
    writer = index.writer(HEAP, threads)
    count = 0
    for rec in records:
        doc = tantivy.Document(
            id=rec["id"],
            title=segmented(rec["title"]),
            body=segmented(rec["body"]),
            doc_number=rec["doc_number"],
            agency=rec["agency"],
            doc_type=rec["doc_type"],
            year=rec["date"][:4],
        )
        doc.add_unsigned("date_num", int(rec["date"].replace("-", "")))
        writer.add_document(doc)
        count += 1
    writer.commit()
    writer.wait_merging_threads()
    return count


class TantivySearch:
    """Run bench queries on a tantivy index."""

    def __init__(self, index_dir: Path) -> None:
        import tantivy

        self.index = _register(tantivy.Index.open(str(index_dir)))
        self.index.reload()
        self.schema = self.index.schema

    def run(self, q: BenchQuery) -> tuple[int, list[dict[str, str]]]:
        """Return (total hits, the page's hits with id, title and snippet) of one query."""
        import tantivy

        searcher = self.index.searcher()
        query = self._query(q)
        kwargs: dict[str, Any] = {"limit": PER_PAGE, "offset": (q.page - 1) * PER_PAGE, "count": True}
        if q.kind == "date":
            kwargs["order_by_field"] = "date_num"
        result = searcher.search(query, **kwargs)
        if q.kind == "facets":
            searcher.aggregate(query, {n: {"terms": {"field": n, "size": 30}} for n in FACETS})
        snippets = tantivy.SnippetGenerator.create(searcher, query, self.schema, "body")
        hits = []
        for _, address in result.hits:
            doc = searcher.doc(address)
            hits.append(
                {"id": doc["id"][0], "title": doc["title"][0], "snippet": snippets.snippet_from_doc(doc).to_html()}
            )
        return result.count, hits

    def _query(self, q: BenchQuery) -> Any:
        from tantivy import Occur, Query

        if q.kind == "docnum":
            return Query.term_query(self.schema, "doc_number", q.text)
        ws = segmented(q.text.strip('"')).split()
        if q.kind == "phrase":
            per_field = [
                Query.phrase_query(self.schema, f, ws) if len(ws) > 1 else Query.term_query(self.schema, f, ws[0])
                for f in ("title", "body")
            ]
            query = Query.boolean_query([(Occur.Should, x) for x in per_field])
        else:
            occur = Occur.Should if q.kind == "question" else Occur.Must
            query = Query.boolean_query([(occur, self._word(w)) for w in ws] or [(Occur.Must, Query.empty_query())])
        if q.kind == "facets":
            query = Query.boolean_query(
                [(Occur.Must, query), (Occur.Must, Query.term_query(self.schema, "agency", q.agency))]
            )
        return query

    def _word(self, word: str) -> Any:
        from tantivy import Occur, Query

        return Query.boolean_query([(Occur.Should, Query.term_query(self.schema, f, word)) for f in ("title", "body")])


def wsgi_app() -> Any:
    """Return the tantivy web app over $BENCH_INDEX (GET /api/search with the bench's query arguments)."""
    search = TantivySearch(Path(os.environ["BENCH_INDEX"]))

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["PATH_INFO"] != "/api/search":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        total, hits = search.run(from_url_args(dict(parse_qsl(environ.get("QUERY_STRING", "")))))
        body = json.dumps({"total": total, "hits": hits}, ensure_ascii=False).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app
