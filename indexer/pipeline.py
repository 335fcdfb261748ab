"""Turn one raw input record into a clean, normalised Document (or raise SkipDocument)."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from .analysis import strip_pinyin
from .extract import extract
from .models import Attachment, Document, RawPage, SkipDocument
from .normalize import extract_citations, normalize, parse_date

PIPELINE_VERSION = "2"  # bump when cleaning or normalisation changes: every record is processed again
MAX_TEXT_CHARS = 1_000_000  # a body longer than this is truncated, with a note (the longest law: 110,000)
MAX_TITLE_CHARS = 1000  # a longer title is cut, with a note
MAX_DEPTH = 32  # nesting of lists and objects a record may have (unknown fields are kept as they came)
MAX_HTML_DEPTH = 256  # element nesting a page may have (libxml2 stops at 256 too); real pages stay under 50
# elements whose end tag HTML never omits: unclosed <p>, <li>, <td> or void tags would inflate the count
_NESTING_TAG = re.compile(rb"<(/?)(?:div|span|table|ul|ol|section|article|blockquote|a|b|i|u|em|strong)[\s>]", re.I)

# record field -> Document field, aliases included (INTERFACE.md)
ALIASES = {
    "date_published": "date",
    "published": "date",
    "pubdate": "date",
    "发布日期": "date",
    "category": "topics",
    "topic": "topics",
    "主题分类": "topics",
    "issuing_body": "agency",
    "publisher": "agency",
    "发文机关": "agency",
    "发布机构": "agency",
    "文号": "doc_number",
    "发文字号": "doc_number",
    "索引号": "index_no",
    "成文日期": "date_issued",
    "有效性": "status",
    "sources": "source",
}
KNOWN = {
    "id",
    "url",
    "title",
    "body",
    "html",
    "html_bytes",
    "attachments",
    "agency",
    "doc_number",
    "index_no",
    "date",
    "date_issued",
    "topics",
    "doc_type",
    "region",
    "status",
    "source",
    "summary",
    "keywords",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")  # lone surrogates too
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # JSON may escape them (\ud800); no UTF-8 file or database holds them


def record_id(rec: dict[str, Any]) -> str:
    """Return the record's id: its own, else one derived from its url, else from its content."""
    if rec.get("id") not in (None, ""):
        return clean_id(str(rec["id"]))
    if rec.get("url"):
        return "url-" + hashlib.sha1(str(rec["url"]).strip().encode()).hexdigest()[:16]
    return "sha-" + content_hash(rec)[:16]


def clean_id(doc_id: str) -> str:
    """Refuse ids that are empty, too long or carry control characters; ids never touch the disk."""
    doc_id = doc_id.strip()
    if not doc_id or len(doc_id) > 200 or _CONTROL.search(doc_id) or "\n" in doc_id:
        raise SkipDocument(f"invalid id {doc_id[:40]!r}: 1-200 printable characters expected")
    return doc_id


def content_hash(rec: dict[str, Any]) -> str:
    """Return a stable hash of a record and the pipeline version (unchanged record -> same hash)."""
    data = {k: (v.hex() if isinstance(v, bytes) else v) for k, v in rec.items()}
    blob = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str) + PIPELINE_VERSION
    return hashlib.sha1(blob.encode("utf-8", "surrogatepass")).hexdigest()


def to_document(raw: dict[str, Any], source: str = "") -> Document:
    """Map a record's fields and aliases, extract HTML, clean the text, normalise."""
    rec = {ALIASES.get(k, k): v for k, v in raw.items() if not (k in ALIASES and ALIASES[k] in raw)}
    if not any(_text(rec.get(k)) for k in ("title", "body", "html")) and not rec.get("html_bytes"):
        raise SkipDocument("empty record: no title, body or html", source=source)
    doc_id = record_id(raw)
    notes: list[str] = []
    base = Document(doc_id=doc_id, url=_text(rec.get("url")))
    if rec.get("html") or rec.get("html_bytes"):
        body = rec.get("html_bytes") or _text(rec.get("html")).encode("utf-8")
        try:
            check_html(body)
            base = extract(RawPage(url=base.url, body=body, source=source)).with_(doc_id=doc_id, url=base.url)
        except SkipDocument as e:
            if not (_text(rec.get("title")) or _text(rec.get("body"))):
                raise SkipDocument(e.reason, source=source) from None
            notes.append(f"html not used: {e.reason}")
        notes.extend(base.notes)
    title = clean_text(_text(rec.get("title")) or base.title)
    if len(title) > MAX_TITLE_CHARS:
        title = title[:MAX_TITLE_CHARS] + "…"
        notes.append(f"title truncated to {MAX_TITLE_CHARS} characters")
    body, cut = _truncate(_text(rec.get("body")) or base.body)  # cut before cleaning: bounded work per record
    body = clean_text(body)
    if cut:
        notes.append(f"body truncated to {MAX_TEXT_CHARS} characters")
    if not title:
        title, body_note = title_from_body(body)
        notes.append(body_note)
    doc = base.with_(
        title=title,
        body=body,
        agency=_text(rec.get("agency")) or base.agency,
        doc_number=_text(rec.get("doc_number")) or base.doc_number,
        index_no=_text(rec.get("index_no")) or base.index_no,
        published=_date(rec.get("date"), "date", notes) or base.published,
        issued=_date(rec.get("date_issued"), "date_issued", notes) or base.issued,
        topics=tuple(_list(rec.get("topics"))) or base.topics,
        doc_type=_text(rec.get("doc_type")) or base.doc_type,
        region=_text(rec.get("region")) or base.region,
        status=_text(rec.get("status")) or base.status,
        summary=_text(rec.get("summary")) or base.summary,
        keywords=tuple(_list(rec.get("keywords"))) or base.keywords,
        source=_source(rec.get("source")) or source,
        attachments=merge_attachments(base.attachments, rec.get("attachments")),
        extra={k: v for k, v in raw.items() if k not in KNOWN and k not in ALIASES},
        notes=tuple(notes),
    )
    doc = normalize(doc)
    return doc.with_(cites=extract_citations(doc.body))


def merge_attachments(found: tuple[Attachment, ...], given: Any) -> tuple[Attachment, ...]:
    """Merge the record's attachments (url, name, text, note) into those the page links, by URL."""
    by_url = {a.url: a for a in found}
    for item in given if isinstance(given, list) else []:
        if not isinstance(item, dict) or not item.get("url"):
            continue
        old = by_url.get(str(item["url"]), Attachment(url=str(item["url"]), name=""))
        by_url[old.url] = Attachment(
            url=old.url,
            name=_text(item.get("name")) or old.name,
            text=_text(item.get("text")) or old.text,
            note=_text(item.get("note")) or old.note,
        )
    return tuple(by_url.values())


def check_html(page: bytes) -> None:
    """Refuse a page whose elements nest deeper than MAX_HTML_DEPTH (extraction time grows with depth squared)."""
    depth = deepest = 0
    for m in _NESTING_TAG.finditer(page):
        depth = max(0, depth - 1) if m.group(1) else depth + 1
        deepest = max(deepest, depth)
    if deepest > MAX_HTML_DEPTH:
        raise SkipDocument(f"HTML nested {deepest} levels deep, over the {MAX_HTML_DEPTH} level limit")


_FLAT = frozenset((str, int, float, bool, type(None)))


def _flat(value: Any) -> bool:
    return type(value) in _FLAT


def scrub(value: Any, depth: int = 0) -> Any:
    """Return a JSON value with lone surrogates replaced (keys too); refuse one nested deeper than MAX_DEPTH."""
    if depth == 0 and type(value) is dict and all(type(k) is str for k in value) and all(map(_flat, value.values())):
        if not _SURROGATE.search("".join(value) + "".join(v for v in value.values() if type(v) is str)):
            return dict(value)  # the usual record: flat, no lone surrogate anywhere (one search, not one per string)
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list | dict) and depth >= MAX_DEPTH:
        raise SkipDocument(f"record nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, list):
        return [scrub(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {scrub(k): scrub(v, depth + 1) for k, v in value.items()}
    return value


def clean_text(text: str) -> str:
    """Remove pinyin annotations and control characters; unify line ends; trim."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return strip_pinyin(text).strip()


def title_from_body(body: str) -> tuple[str, str]:
    """Take a title from the first line of the text, with the note that says so."""
    first = body.strip().split("\n", 1)[0].strip()
    if len(first) > 60:
        cut = first[:60]
        end = max(cut.rfind(p) for p in "。；，,;")
        first = (cut[:end] if end >= 12 else cut) + "…"
    return first, "no title in record; title taken from the first line of the text"


def _truncate(text: str) -> tuple[str, bool]:
    return (text[:MAX_TEXT_CHARS], True) if len(text) > MAX_TEXT_CHARS else (text, False)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value if v not in (None, ""))
    return str(value).strip()


def _list(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    items = value if isinstance(value, list) else re.split(r"[;；,，、]", str(value))
    return [str(v).strip() for v in items if str(v).strip()]


def _date(value: Any, name: str, notes: list[str]) -> Any:
    text = _text(value)
    if not text:
        return None
    parsed = parse_date(text)
    if parsed is None:
        notes.append(f"bad {name}: {text[:40]}")
    return parsed


def _source(value: Any) -> str:
    return _text(value)
