"""The Whoosh schema and the facet fields."""

from __future__ import annotations

from datetime import date
from typing import Any

from whoosh.columns import ListColumn, PickleColumn, VarBytesColumn, WrappedColumnReader, WrappedColumnWriter
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from ...analysis import bigram_analyzer, char_analyzer, word_analyzer

# facet name in URLs and JSON -> index field
FACET_FIELDS: dict[str, str] = {
    "topic": "topics",
    "agency": "agency",
    "region": "region",
    "year": "year",
    "doc_type": "doc_type",
    "status": "status",
    "attachment": "has_attachment",
}
MULTI_VALUED = frozenset({"topics", "region"})  # keyword fields: one document, several values
SCHEMA_VERSION = "7"  # bump when the schema or the analysis changes: forces a rebuild
LAST_DAY_NUM = 99991231  # the upper bound of an open date range in date_num


def date_num_range(start: date | None, end: date | None) -> tuple[int, int]:
    """Return the date_num (yyyymmdd) bounds of a date range; an open end is the first or last day."""
    return (int(start.strftime("%Y%m%d")) if start else 1, int(end.strftime("%Y%m%d")) if end else LAST_DAY_NUM)


class ValueLists(ListColumn):  # type: ignore[misc]
    """A column with each document's list of values of a multi-valued field, for facet counts.

    Without one, Whoosh counts a multi-valued facet by building a list for every document of the index
    from the field's postings, on every query.
    """

    Writer = WrappedColumnWriter

    def __init__(self) -> None:
        super().__init__(PickleColumn(VarBytesColumn()))

    class Reader(WrappedColumnReader):  # type: ignore[misc]
        """Read a document's list; [] for a document written without one."""

        def __getitem__(self, docnum: int) -> list[str]:
            return self._child[docnum] or []

        def __iter__(self) -> Any:
            return (v or [] for v in self._child)


class KeywordList(KEYWORD):  # type: ignore[misc]
    """Comma-separated keywords, also kept as a list column (ValueLists) for fast facet counts."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(commas=True, **kwargs)
        self.column_type = ValueLists()

    def to_column_value(self, value: str) -> list[str]:
        """Return the document's keywords, as indexed."""
        return [t.text for t in self.analyzer(value)]


def make_schema() -> Schema:
    """Return the index schema: word fields for ranking, character pairs for exact phrases, characters for
    one-character queries, facets."""
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=word_analyzer(), stored=True, phrase=True),
        body=TEXT(analyzer=word_analyzer(), phrase=True),
        # characters: only one-character queries read them (longer runs are phrases of pairs), so each posting
        # keeps its count, not its positions (the same BM25 scores; a third less work at ingest)
        ctitle=TEXT(analyzer=char_analyzer(), phrase=False),
        cbody=TEXT(analyzer=char_analyzer(), phrase=False),
        btitle=TEXT(analyzer=bigram_analyzer(), phrase=True),  # character pairs: phrases of 2+ characters
        bbody=TEXT(analyzer=bigram_analyzer(), phrase=True),
        url=STORED(),
        doc_number=ID(stored=True),  # canonical 文号, as displayed
        docnum_key=ID(),  # 机关代字+year+number with brackets removed: any bracket form finds it
        agency=ID(stored=True, sortable=True),
        region=KeywordList(stored=True),  # every level: 福建省, 福建省/福州市, ...
        topics=KeywordList(stored=True),
        doc_type=ID(stored=True, sortable=True),
        status=ID(stored=True, sortable=True),
        year=ID(stored=True, sortable=True),
        has_attachment=ID(stored=True, sortable=True),
        date=STORED(),  # 发布日期 as shown; searches, ranges and sorts use date_num (8 fewer terms per document)
        date_num=NUMERIC(sortable=True, signed=False),  # yyyymmdd for fast date sort, 0 when unknown
        cites=KEYWORD(commas=True),  # keys of the 文号 and folded 《titles》 this document cites
        title_key=ID(),  # folded title: the target of 《title》 citations
        dup_of=ID(stored=True, sortable=True),  # canonical id of the duplicate group (a column: collapsing)
        canonical=ID(),  # "1" on the one copy of a group that search shows
    )
