"""Index records from crawled pages: the archived HTML, listing metadata and the text of the attachments."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup

from indexer.extract import decode_html, extract
from indexer.ingest import IngestReport, ingest_items
from indexer.models import RawPage, SkipDocument
from indexer.sources import Item

from .archive import Archived, read_response
from .links import select_fields
from .profiles import Profile
from .state import CrawlState

ATTACHMENT_HEADER = "附件：{name}"  # the line before an attachment's text in the body: a hit there names its file
NAMED = re.compile(r"^附件\s*\d*\s*[：:]")  # link text such as 附件1：房源清单.pdf already says it
MAX_PAGE_BYTES = 64 * 1024 * 1024  # an archived page is read back up to this size


def page_record(row: dict[str, Any], attachments: list[dict[str, Any]], warc_dir: Path, profile: Profile) -> Item:
    """Build the ingest record of one crawled detail page from its WARC record."""
    try:
        page = read_response(warc_dir / row["warc"], row["offset"], MAX_PAGE_BYTES)
    except (OSError, ValueError) as e:
        return Item(row["url"], error=f"archived page unreadable ({row['warc']}#{row['offset']}): {e}")
    record: dict[str, Any] = {
        "url": page.url,
        "html_bytes": page.body,
        "source": f"warc:{row['warc']}#{row['offset']}",
        "fetched_at": row["fetched_at"],
    }
    record.update(json.loads(row["hints"]) if row["hints"] else {})
    fields: dict[str, str] = {}
    if profile.fields:
        fields = select_fields(profile, BeautifulSoup(decode_html(page.body, page.content_type), "lxml"))
    record.update(fields)
    record["attachments"] = [_attachment(a) for a in attachments]
    readable = [a for a in attachments if a.get("text")]
    if readable:
        body = fields.get("body") or _notice_body(page)
        record["body"] = "\n\n".join([body, *(_header(a) + "\n" + a["text"] for a in readable)]).strip()
    return Item(row["url"], record=record, size=len(page.body))


def _header(a: dict[str, Any]) -> str:
    name = a.get("name") or a["url"].rsplit("/", 1)[-1]
    return name if NAMED.match(name) else ATTACHMENT_HEADER.format(name=name)


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


def ingest_pending(
    batches: list[tuple[CrawlState, int, Profile]], warc_dir: Path, index_dir: Path, lock_timeout: float = 10.0
) -> IngestReport | None:
    """Ingest, in one pass, every changed page of the runs whose attachments are settled; None when none."""
    work = [(state, row, profile) for state, run, profile in batches for row in state.pending_pages(run)]
    if not work:
        return None
    done: list[tuple[CrawlState, str]] = []

    def items() -> Iterator[Item]:
        for state, row, profile in work:
            yield page_record(row, state.attachments_of(row["url"]), warc_dir, profile)
            done.append((state, row["url"]))

    report = ingest_items(items(), index_dir, lock_timeout=lock_timeout)
    for state, url in done:  # also those the pipeline skipped: the report lists them, a retry would not help
        state.mark_ingested([url])
    return report
