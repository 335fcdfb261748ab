"""The baseline: plain Whoosh with jieba's stock ChineseAnalyzer, default settings, the way its docs show it.

Schema: title + body TEXT(ChineseAnalyzer(), stored=True) and, so that 文号 lookup, facets and date sort
can be asked of it at all, the synthetic metadata as plain default fields (ID / NUMERIC, stored, not
sortable). One writer with default settings; one searcher opened per request; the query parser over
title and body (AND of the words; OR for a question, Whoosh's usual setting for natural language);
a page of 20 hits with Whoosh's highlights of the body. The web app is a few lines of WSGI run by the
same gunicorn settings as ours (2 workers x 4 threads).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from .workload import PER_PAGE, BenchQuery, from_url_args

FACETS = ("agency", "doc_type", "year")


def _jieba() -> None:
    import jieba

    jieba.setLogLevel(60)


def make_schema() -> Any:
    """Return the baseline schema."""
    from jieba.analyse import ChineseAnalyzer
    from whoosh.fields import ID, NUMERIC, TEXT, Schema

    analyzer = ChineseAnalyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=analyzer, stored=True),
        body=TEXT(analyzer=analyzer, stored=True),
        agency=ID(stored=True),
        doc_number=ID(stored=True),
        doc_type=ID(stored=True),
        year=ID(stored=True),
        date_num=NUMERIC(stored=True),
    )


def build(records: Iterable[dict[str, Any]], index_dir: Path) -> int:
    """Index the records with one default writer; return the count."""
    import whoosh.index

    _jieba()
    index_dir.mkdir(parents=True, exist_ok=True)
    ix = whoosh.index.create_in(str(index_dir), make_schema())
    writer = ix.writer()
    count = 0
    for rec in records:
        writer.add_document(
            id=rec["id"],
            title=rec["title"],
            body=rec["body"],
            agency=rec["agency"],
            doc_number=rec["doc_number"],
            doc_type=rec["doc_type"],
            year=rec["date"][:4],
            date_num=int(rec["date"].replace("-", "")),
        )
        count += 1
    writer.commit()
    return count


class BaselineSearch:
    """Run bench queries on a baseline index the plain way: a searcher per request."""

    def __init__(self, index_dir: Path) -> None:
        import whoosh.index

        _jieba()
        self.ix = whoosh.index.open_dir(str(index_dir))

    def run(self, q: BenchQuery) -> tuple[int, list[dict[str, str]]]:
        """Return (total hits, the page's hits with id, title and highlighted body) of one query."""
        from whoosh import sorting

        with self.ix.searcher() as s:
            query = self._parse(q)
            kwargs: dict[str, Any] = {}
            if q.kind == "facets":
                from whoosh.query import Term

                kwargs["filter"] = Term("agency", q.agency)
                kwargs["groupedby"] = sorting.Facets({name: sorting.FieldFacet(name) for name in FACETS})
            if q.kind == "date":
                kwargs.update(sortedby="date_num", reverse=True)
            page = s.search_page(query, q.page, pagelen=PER_PAGE, **kwargs)
            if q.kind == "facets":
                _ = {name: page.results.groups(name) for name in FACETS}
            return page.total, [{"id": h["id"], "title": h["title"], "snippet": h.highlights("body")} for h in page]

    def _parse(self, q: BenchQuery) -> Any:
        from whoosh import qparser
        from whoosh.query import Term

        if q.kind == "docnum":
            return Term("doc_number", q.text)
        group = qparser.OrGroup if q.kind == "question" else qparser.AndGroup
        return qparser.MultifieldParser(["title", "body"], self.ix.schema, group=group).parse(q.text)


def wsgi_app() -> Any:
    """Return the baseline web app over $BENCH_INDEX (GET /api/search with the bench's query arguments)."""
    search = BaselineSearch(Path(os.environ["BENCH_INDEX"]))

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["PATH_INFO"] != "/api/search":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        total, hits = search.run(from_url_args(dict(parse_qsl(environ.get("QUERY_STRING", "")))))
        body = json.dumps({"total": total, "hits": hits}, ensure_ascii=False).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app
