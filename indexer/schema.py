"""The Whoosh schema and the facet fields."""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from .analysis import char_analyzer, word_analyzer

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
SCHEMA_VERSION = "1"  # bump when the schema or the analysis changes: forces a rebuild


def make_schema() -> Schema:
    """Return the index schema: word fields for ranking, char fields for exact phrases, facets."""
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=word_analyzer(), stored=True, phrase=True),
        body=TEXT(analyzer=word_analyzer(), phrase=True),
        ctitle=TEXT(analyzer=char_analyzer(), phrase=True),
        cbody=TEXT(analyzer=char_analyzer(), phrase=True),
        url=STORED(),
        doc_number=ID(stored=True),  # canonical 文号, as displayed
        docnum_key=ID(),  # 机关代字+year+number with brackets removed: any bracket form finds it
        agency=ID(stored=True, sortable=True),
        region=KEYWORD(stored=True, commas=True),  # every level: 福建省, 福建省/福州市, ...
        topics=KEYWORD(stored=True, commas=True),
        doc_type=ID(stored=True, sortable=True),
        status=ID(stored=True, sortable=True),
        year=ID(stored=True, sortable=True),
        has_attachment=ID(stored=True, sortable=True),
        date=DATETIME(stored=True, sortable=True),  # 发布日期
        date_num=NUMERIC(sortable=True, signed=False),  # yyyymmdd for fast date sort, 0 when unknown
        cites=KEYWORD(commas=True),  # keys of the 文号 and folded 《titles》 this document cites
        title_key=ID(),  # folded title: the target of 《title》 citations
        dup_of=ID(stored=True),  # canonical id of the duplicate group
        canonical=ID(),  # "1" on the one copy of a group that search shows
    )
