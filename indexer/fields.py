"""The index field mapping: what each stored Document gives the index (Whoosh fields and Sphinx rows)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .analysis import fold
from .models import Document
from .normalize import parse_doc_number


def docnum_key(text: str | None) -> str:
    """Return the bracket-free key of a 文号, so that every bracket form finds the document."""
    if not text:
        return ""
    parsed = parse_doc_number(fold(text))
    if parsed is not None:
        return f"{parsed.prefix}|{parsed.year or ''}|{parsed.number}"
    return "".join(ch for ch in fold(text) if ch.isalnum())


def index_fields(doc: Document, dup_of: str | None) -> dict[str, Any]:
    """Return the Whoosh fields of one document."""
    day = doc.published or doc.issued
    fields: dict[str, Any] = {
        # a record without text (metadata only) is ranked on its title as its text
        "id": doc.doc_id,
        "title": doc.title,
        "body": doc.body or doc.title,
        "ctitle": doc.title,
        "cbody": doc.body,
        "btitle": doc.title,
        "bbody": doc.body,
        "url": doc.url,
        "doc_number": doc.doc_number or "",
        "docnum_key": docnum_key(doc.doc_number),
        "agency": doc.agency or "",
        "region": ",".join(region_levels(doc.region)),
        "topics": ",".join(t.replace(",", " ") for t in doc.topics),
        "doc_type": doc.doc_type or "",
        "status": doc.status or "",
        "year": str(day.year) if day else "",
        "has_attachment": "有附件" if doc.attachments else "无附件",
        "date_num": int(day.strftime("%Y%m%d")) if day else 0,
        "cites": ",".join(cite_key(c) for c in doc.cites),
        "title_key": fold(doc.title),
        "dup_of": dup_of or doc.doc_id,
        "canonical": "1" if (dup_of or doc.doc_id) == doc.doc_id else "0",
    }
    if day:
        fields["date"] = datetime(day.year, day.month, day.day)
    return fields


def cite_key(cited: str) -> str:
    """Return the index key of a citation: a 文号 key, else the folded 《title》."""
    parsed = parse_doc_number(fold(cited))
    key = docnum_key(cited) if parsed is not None else fold(cited)
    return key.replace(",", " ")


def region_levels(region: str | None) -> list[str]:
    """Return every level of a region path: 福建省, 福建省/福州市, 福建省/福州市/闽侯县."""
    if not region:
        return []
    parts = [p for p in region.split("/") if p]
    return ["/".join(parts[: i + 1]).replace(",", " ") for i in range(len(parts))]
