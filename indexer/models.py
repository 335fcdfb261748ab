"""Plain data that flows between the stages: RawPage -> Document -> index -> SearchPage."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any

from .errors import BadRequest

# facet name in URLs and JSON -> index field (INTERFACE.md)
FACET_FIELDS: dict[str, str] = {
    "topic": "topics",
    "agency": "agency",
    "region": "region",
    "year": "year",
    "doc_type": "doc_type",
    "status": "status",
    "attachment": "has_attachment",
}
SORTS = ("relevance", "date", "date_asc")


class SkipDocument(Exception):
    """A record or page that cannot become a Document; the pipeline counts the reason."""

    def __init__(self, reason: str, *, source: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.source = source


@dataclass(frozen=True, slots=True)
class RawPage:
    """One fetched or read page before extraction."""

    url: str
    body: bytes
    fetched_at: datetime | None = None
    content_type: str = ""  # the HTTP Content-Type header, when there was one
    source: str = ""  # a file path or a crawl archive reference


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file linked from a notice (附件)."""

    url: str
    name: str
    text: str = ""  # extracted text, empty when unknown or unreadable
    note: str = ""  # e.g. "scanned PDF without a text layer"


@dataclass(frozen=True, slots=True)
class Document:
    """One government document, its metadata named after the 政府信息公开 catalogue."""

    doc_id: str
    url: str = ""
    title: str = ""
    body: str = ""
    agency: str | None = None  # 发文机关 / 发布机构, canonical name
    doc_number: str | None = None  # 发文字号 (文号), canonical form e.g. 侯政办〔2014〕120号
    index_no: str | None = None  # 索引号
    published: date | None = None  # 发布日期
    issued: date | None = None  # 成文日期
    topics: tuple[str, ...] = ()  # 主题分类
    doc_type: str | None = None  # 体裁 / 文种: 通知, 公告, 意见 ...
    region: str | None = None  # 福建省/福州市/闽侯县/上街镇, most specific known
    status: str | None = None  # 有效性: 有效, 失效, 废止, 已修订
    summary: str | None = None  # 内容概述
    keywords: tuple[str, ...] = ()  # 关键词
    attachments: tuple[Attachment, ...] = ()
    cites: tuple[str, ...] = ()  # 文号 and 《titles》 cited in the body
    source: str | None = None  # provenance of the record
    extra: dict[str, Any] = field(default_factory=dict)  # unknown record fields, kept as they came
    notes: tuple[str, ...] = ()  # what normalisation could not do, e.g. "bad date: 2014年13月"

    def with_(self, **changes: Any) -> Document:
        """Return a copy with some fields changed."""
        return replace(self, **changes)

    def to_record(self) -> dict[str, Any]:
        """Return the INTERFACE.md record (JSON-ready) of this document."""
        rec = {f.key: _record_value(f.kind, getattr(self, f.attr)) for f in RECORD_FIELDS}
        if self.notes:
            rec["notes"] = list(self.notes)
        for key, value in self.extra.items():
            rec.setdefault(key, value)
        return rec

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> Document:
        """Rebuild a Document from what to_record() produced."""
        known = RECORD_KEYS | {"notes"} | {f.name for f in fields(cls)}
        values = {f.attr: _document_value(f.kind, rec.get(f.key)) for f in RECORD_FIELDS}
        return cls(
            **{**values, "doc_id": rec["id"]},
            notes=tuple(rec.get("notes") or ()),
            extra={k: v for k, v in rec.items() if k not in known},
        )


@dataclass(frozen=True, slots=True)
class RecordField:
    """One field of the INTERFACE.md record: its key, the Document attribute, its kind and export column."""

    key: str
    attr: str
    kind: str = "optional"  # text ("" when absent), optional (None), date, list, attachments
    column: int = 0  # place among the export columns (0: not exported)
    given: bool = True  # read from input records (cites are found in the body, never taken as given)


# the record's fields, declared once: to_record/from_record, the pipeline's known fields, the export
# columns and the fuzz tests derive from this (its order is the stored record's key order)
RECORD_FIELDS = (
    RecordField("id", "doc_id", "text", column=1),
    RecordField("url", "url", "text", column=3),
    RecordField("title", "title", "text", column=2),
    RecordField("body", "body", "text", column=15),
    RecordField("agency", "agency", column=4),
    RecordField("doc_number", "doc_number", column=5),
    RecordField("index_no", "index_no", column=6),
    RecordField("date", "published", "date", column=7),
    RecordField("date_issued", "issued", "date", column=8),
    RecordField("topics", "topics", "list", column=9),
    RecordField("doc_type", "doc_type", column=10),
    RecordField("region", "region", column=11),
    RecordField("status", "status", column=12),
    RecordField("summary", "summary"),
    RecordField("keywords", "keywords", "list"),
    RecordField("attachments", "attachments", "attachments"),
    RecordField("cites", "cites", "list", given=False),
    RecordField("source", "source", column=13),
)
RECORD_KEYS = frozenset(f.key for f in RECORD_FIELDS)


def _record_value(kind: str, value: Any) -> Any:
    if kind == "date":
        return value.isoformat() if value else None
    if kind == "list":
        return list(value)
    if kind == "attachments":
        return [asdict(a) for a in value]
    return value


def _document_value(kind: str, value: Any) -> Any:
    if kind == "text":
        return value or ""
    if kind == "date":
        return _iso(value)
    if kind == "list":
        return tuple(value or ())
    if kind == "attachments":
        return tuple(Attachment(**a) for a in value or ())
    return value


def _iso(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """One query with its filters, sort and page, as the CLI, the API and the pages send it."""

    q: str = ""
    filters: tuple[tuple[str, str], ...] = ()  # (facet field, value), repeated fields OR, fields AND
    sort: str = "relevance"  # relevance | date
    page: int = 1
    per_page: int = 20
    date_from: date | None = None
    date_to: date | None = None
    issued_from: date | None = None  # 成文日期 range (date_issued)
    issued_to: date | None = None
    synonyms: bool = True  # expand with the government synonym dictionary
    collapse: bool = True  # show one copy of a notice republished at several places
    correct: bool = True  # when nothing matches, show the results of a spelling correction that finds some

    def __post_init__(self) -> None:
        # checked once, where a request is made (URL, command line, code); how deep a page may reach is
        # the search's own limit (search.check_request), as the web app serves later pages empty
        if self.page < 1 or self.per_page < 1:
            raise BadRequest("page and per_page must be positive whole numbers")
        if self.sort not in SORTS:
            raise BadRequest(f"unknown sort {str(self.sort)[:20]!r}: use relevance, date or date_asc")
        unknown = [name for name, _ in self.filters if name not in FACET_FIELDS]
        if unknown:
            raise BadRequest(f"unknown filter {str(unknown[0])[:20]!r}: use one of {', '.join(FACET_FIELDS)}")


@dataclass(frozen=True, slots=True)
class FacetBucket:
    """One facet value with its count; views add the toggle URL."""

    value: str
    count: int
    selected: bool


@dataclass(frozen=True, slots=True)
class Hit:
    """One result row."""

    doc_id: str
    title: str
    url: str
    agency: str | None
    doc_number: str | None
    date: str | None
    snippet: str  # HTML: escaped text with <mark> around matches
    score: float
    topics: tuple[str, ...] = ()
    doc_type: str | None = None
    region: str | None = None
    status: str | None = None
    duplicates: int = 0  # other places the same notice was published
    validity: str | None = None  # 已修订 / 废止 on an older version of a law or 办法 (indexer.relations)
    current_version: str | None = None  # id of the version in force, on an older version

    def to_json(self) -> dict[str, Any]:
        """Return the /api/search hit object."""
        return {
            "id": self.doc_id,
            "title": self.title,
            "url": self.url,
            "agency": self.agency,
            "doc_number": self.doc_number,
            "date": self.date,
            "snippet": self.snippet,
            "score": round(self.score, 4),
            "topics": list(self.topics),
            "doc_type": self.doc_type,
            "region": self.region,
            "status": self.status,
            "duplicates": self.duplicates,
            "validity": self.validity,
            "current_version": self.current_version,
        }


@dataclass(frozen=True, slots=True)
class SearchPage:
    """A page of hits plus the total and the facet counts of the whole result set."""

    request: SearchRequest
    total: int  # every matching document, copies included: the rows an export of the same query holds
    hits: tuple[Hit, ...]
    facets: dict[str, tuple[FacetBucket, ...]]
    expanded: tuple[str, ...] = ()  # synonyms also searched
    suggestion: str | None = None  # "did you mean", when nothing matched
    warnings: tuple[str, ...] = ()
    corrected: str | None = None  # the spelling correction whose results are shown (request.q found nothing)
    partial: bool = False  # cut short by the time budget (a line in warnings says what was left out)
    collapsed: int = 0  # matching copies folded under another hit (one per group of copies is listed)

    @property
    def listed(self) -> int:
        """Return how many hits the pages list: the total less the copies folded under another hit."""
        return self.total - self.collapsed

    def to_json(self) -> dict[str, Any]:
        """Return the /api/search object of INTERFACE.md."""
        return {
            "query": self.request.q,
            "total": self.total,
            "collapsed": self.collapsed,
            "page": self.request.page,
            "per_page": self.request.per_page,
            "sort": self.request.sort,
            "hits": [h.to_json() for h in self.hits],
            "facets": {
                name: [{"value": b.value, "count": b.count, "selected": b.selected} for b in buckets]
                for name, buckets in self.facets.items()
            },
            "also_searched": list(self.expanded),
            "did_you_mean": self.suggestion,
            "corrected": self.corrected,
            "warnings": list(self.warnings),
            "partial": self.partial,
        }
