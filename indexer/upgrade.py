"""Bring stored records up to the current pipeline: re-normalise them from their raw input, fetching nothing.

The store's meta holds the PIPELINE_VERSION its records were made by. When it differs, every record is made
again from the input record kept beside it (the raw column), so an existing index gets new fields (agency,
region, 有效性 ...) at its next ingest. A record stored before raw input was kept is made again from its
stored form, with its region and 体裁 derived anew (the old pipeline guessed regions from the body).
"""

from __future__ import annotations

import json
from typing import Any

from .duplicates import signature
from .models import SkipDocument
from .pipeline import PIPELINE_VERSION, content_hash, to_document
from .store import RecordStore, unpack_raw

VERSION_KEY = "pipeline_version"  # meta: the PIPELINE_VERSION that made the stored records
BATCH = 2000
# fields an old pipeline derived rather than read, made again for a record without its raw input
REDERIVED = ("region", "doc_type", "cites", "notes")


def needs_upgrade(store: RecordStore) -> bool:
    """Tell whether the stored records were made by another pipeline version."""
    return store.get_meta(VERSION_KEY) != PIPELINE_VERSION


def _input_of(stored: dict[str, Any], raw: dict[str, Any] | None) -> dict[str, Any]:
    if raw is not None:
        return raw
    return {k: v for k, v in stored.items() if k not in REDERIVED}


def upgrade(store: RecordStore) -> int:
    """Re-normalise every stored record made by another pipeline version; return how many changed."""
    if not needs_upgrade(store):
        return 0
    changed, last = 0, ""
    while rows := store.db.execute(
        "SELECT id, record, raw FROM records WHERE id > ? ORDER BY id LIMIT ?", (last, BATCH)
    ).fetchall():
        for doc_id, record, blob in rows:
            changed += _redo(store, doc_id, record, blob)
        last = rows[-1][0]
        store.commit()
    store.set_meta(VERSION_KEY, PIPELINE_VERSION)
    store.commit()
    return changed


def _redo(store: RecordStore, doc_id: str, record: str, blob: bytes | None) -> bool:
    """Make one stored record again; store it (to be indexed again) when it changed. A record the new
    pipeline refuses keeps its stored form: an upgrade never loses a document."""
    stored, raw = json.loads(record), unpack_raw(blob)
    source = str(stored.get("source") or "")
    try:
        doc = to_document(_input_of(stored, raw), source=source).with_(doc_id=doc_id)
    except SkipDocument:
        return False
    new = json.dumps(doc.to_record(), ensure_ascii=False)
    if new == record:
        return False
    digest = content_hash(raw) if raw is not None else store.state(doc_id)[0]  # type: ignore[index]
    store.put_json(doc_id, new, digest, signature(doc.title, doc.body), raw=blob)
    return True
