"""Index records from crawled pages: the archived HTML, listing metadata and the text of the attachments."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup

from indexer.build import IngestReport, ingest_items
from indexer.extract import decode_html, extract
from indexer.models import RawPage, SkipDocument
from indexer.sources import Item

from .archive import Archived, read_response
from .links import select_fields
from .profiles import Profile
from .state import CrawlState

ATTACHMENT_HEADER = "附件：{name}"  # the line before an attachment's text in the body: a hit there names its file
MAX_PAGE_BYTES = 64 * 1024 * 1024  # an archived page is read back up to this size


def page_record(row: dict[str, Any], attachments: list[dict[str, Any]], warc_dir: Path,
                profile: Profile) -> Item:
    """Build the ingest record of one crawled detail page from its WARC record."""
    try:
        page = read_response(warc_dir / row["warc"], row["offset"], MAX_PAGE_BYTES)
    except (OSError, ValueError) as e:
        return Item(row["url"], error=f"archived page unreadable ({row['warc']}#{row['offset']}): {e}")
    record: dict[str, Any] = {
        "url": page.url, "html_bytes": page.body, "source": f"warc:{row['warc']}#{row['offset']}",
        "fetched_at": row["fetched_at"],
    }
    record.update(json.loads(row["hints"]) if row["hints"] else {})
    fields = select_fields(profile, BeautifulSoup(decode_html(page.body, page.content_type), "lxml"))
    record.update(fields)
    record["attachments"] = [_attachment(a) for a in attachments]
    readable = [a for a in attachments if a.get("text")]
    if readable:
        body = fields.get("body") or _notice_body(page)
        record["body"] = "\n\n".join([body, *(ATTACHMENT_HEADER.format(name=a["name"] or a["url"]) + "\n" + a["text"]
                                              for a in readable)]).strip()
    return Item(row["url"], record=record, size=len(page.body))


def _attachment(a: dict[str, Any]) -> dict[str, str]:
    note = a.get("note") or ""
    if a.get("state") in ("failed", "skipped"):
        note = f"not fetched: {a.get('error') or a['state']}"
    return {"url": a["url"], "name": a.get("name") or "", "text": a.get("text") or "", "note": note}


def _notice_body(page: Archived) -> str:
    """Return the main text of the notice as the extractor sees it."""
    try:
        return extract(RawPage(url=page.url, body=page.body, content_type=page.content_type)).body
    except SkipDocument:
        return ""


def ingest_pending(state: CrawlState, run: int, warc_dir: Path, profile: Profile, index_dir: Path,
                   lock_timeout: float = 10.0) -> IngestReport | None:
    """Ingest every changed page of the run whose attachments are settled; None when there was none."""
    rows = state.pending_pages(run)
    if not rows:
        return None
    done: list[str] = []

    def items() -> Iterator[Item]:
        for row in rows:
            yield page_record(row, state.attachments_of(row["url"]), warc_dir, profile)
            done.append(row["url"])

    report = ingest_items(items(), index_dir, lock_timeout=lock_timeout)
    state.mark_ingested(done)  # also those the pipeline skipped: the report lists them, a retry would not help
    return report
