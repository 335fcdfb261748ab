"""Writes to the record store that every backend makes the same way: put, delete, regroup copies."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from .duplicates import SIGNATURE_SCHEME, signature
from .models import Document
from .pipeline import content_hash
from .relations import regroup
from .store import SIGNATURE_KEY, RecordStore

BATCH = 2000  # records per store commit and per incremental index commit


@dataclass
class WriteReport:
    """What one batch write did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    missing: int = 0  # update or delete of an id the store does not hold
    indexed: int = 0  # documents the index took in (Whoosh documents, or Sphinx pushes)


def put_documents(
    store: RecordStore, docs: Iterable[Document], report: WriteReport, only_existing: bool = False
) -> None:
    """Store new and changed documents (not yet indexed), then regroup duplicates."""
    for doc in docs:
        digest = content_hash(doc.to_record())
        state = store.state(doc.doc_id)
        if state is None and only_existing:
            report.missing += 1
        elif state is not None and state[0] == digest:
            report.unchanged += 1
        else:
            store.put(doc, digest, signature(doc.title, doc.body))
            report.added += state is None
            report.updated += state is not None
    store.commit()
    regroup_duplicates(store)


def delete_records(store: RecordStore, doc_ids: Iterable[str], report: WriteReport) -> list[str]:
    """Remove records from the store, regroup duplicates; return the ids that were there."""
    gone = []
    for doc_id in dict.fromkeys(doc_ids):
        if store.db.execute("DELETE FROM records WHERE id = ?", (doc_id,)).rowcount:
            gone.append(doc_id)
        else:
            report.missing += 1
    report.deleted += len(gone)
    store.commit()
    regroup_duplicates(store)
    return gone


def regroup_duplicates(store: RecordStore) -> None:
    """Group the stored records into copies and versions (indexer.relations); store what changed."""
    resigned = store.get_meta(SIGNATURE_KEY) != SIGNATURE_SCHEME
    if resigned:
        resign(store)
    regroup(store, force=resigned)


def resign(store: RecordStore) -> None:
    """Compute every stored record's signature again: the store's were made by another scheme (a store
    written before SIGNATURE_SCHEME), and signatures of two schemes do not compare."""
    last = ""
    while rows := store.db.execute(
        "SELECT id, record FROM records WHERE id > ? ORDER BY id LIMIT ?", (last, BATCH)
    ).fetchall():
        updates = []
        for doc_id, rec in rows:
            doc = Document.from_record(json.loads(rec))
            updates.append((signature(doc.title, doc.body), doc_id))
        store.db.executemany("UPDATE records SET sig = ? WHERE id = ?", updates)
        last = rows[-1][0]
    store.set_meta(SIGNATURE_KEY, SIGNATURE_SCHEME)
    store.commit()
