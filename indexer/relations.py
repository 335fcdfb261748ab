"""Regroup the stored records into copies and versions (indexer.identity's rules), at every ingest.

Copies share `dup_of` (the id of the copy that search shows; the index collapses on it). Versions of one law
or 办法 share `version_of` (the id of the version in force), and older ones get `validity` 已修订 (or their
own 废止/失效); they are never collapsed. Everything is computed from the store alone, so an index built by
an earlier grouping is regrouped at its next ingest without fetching anything again.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from .duplicates import group_copies
from .identity import Facts, agencies_differ, current_first, facts_of, governments_differ, work_key
from .models import Hit
from .store import RecordStore

ENDED = ("废止", "失效")  # an older version's own status that says more than 已修订
RULES = "identity-1"  # change it with the rules: every store is then regrouped once at its next ingest
STATE_KEY = "relations_state"  # meta: the rules and the records the stored relations were computed from


def records_state(store: RecordStore) -> str:
    """Return a fingerprint of the rules and of every stored record's id and content hash (about 50 ms per
    65,000 records): equal fingerprints, equal relations."""
    mix = 0
    for doc_id, digest in store.db.execute("SELECT id, hash FROM records"):
        mix ^= hash_int(doc_id, digest)
    return f"{RULES}:{store.count()}:{mix:x}"


def hash_int(doc_id: str, digest: str) -> int:
    """Return a 64-bit number of a record's id and content hash (stable across processes)."""
    return int.from_bytes(hashlib.blake2b(f"{doc_id}\0{digest}".encode(), digest_size=8).digest(), "little")


def regroup(store: RecordStore, force: bool = False) -> tuple[int, int]:
    """Store each record's group of copies and its versions where they changed; return (copies changed,
    versions changed). Records whose group of copies changed are marked for indexing again. Nothing is
    done when neither the records nor the rules changed since the last time (unless forced)."""
    state = records_state(store)
    if not force and store.get_meta(STATE_KEY) == state:
        return 0, 0
    changed = _regroup(store)
    store.set_meta(STATE_KEY, state)
    store.commit()
    return changed


def _regroup(store: RecordStore) -> tuple[int, int]:
    facts, sigs, old_dup, old_versions = [], [], {}, {}
    for rec, sig, dup_of, version_of, validity in store.identity_rows():
        fact = facts_of(rec)
        facts.append(fact)
        sigs.append(sig)
        old_dup[fact.doc_id] = dup_of
        old_versions[fact.doc_id] = (version_of, validity)
    copy_of = group_copies(zip(facts, sigs, strict=True))
    dup_changes = {k: v for k, v in copy_of.items() if old_dup.get(k) != v}
    versions = version_groups(facts, copy_of)
    version_changes = {
        f.doc_id: versions.get(f.doc_id, (None, None))
        for f in facts
        if old_versions[f.doc_id] != versions.get(f.doc_id, (None, None))
    }
    if dup_changes:
        store.set_dup_of(dup_changes)
    if version_changes:
        store.set_versions(version_changes)
    if dup_changes or version_changes:
        store.commit()
    return len(dup_changes), len(version_changes)


def version_groups(facts: list[Facts], copy_of: dict[str, str]) -> dict[str, tuple[str, str | None]]:
    """Map each record that is one of several versions of a law or 办法 to (current version's id, validity):
    records with the same work key in one government, a group of copies counting as one version."""
    by_id = {f.doc_id: f for f in facts}
    buckets: dict[str, list[Facts]] = defaultdict(list)
    for f in facts:
        key = work_key(f.title)
        if key:
            buckets[key].append(f)
    out: dict[str, tuple[str, str | None]] = {}
    for members in buckets.values():
        if len(members) < 2:
            continue
        for cluster in _by_government(members):
            entries = {copy_of.get(f.doc_id, f.doc_id) for f in cluster}
            if len(entries) < 2:
                continue
            current = current_first([by_id[e] for e in entries if e in by_id])[0].doc_id
            for f in cluster:
                entry = by_id.get(copy_of.get(f.doc_id, f.doc_id), f)
                out[f.doc_id] = (current, None if entry.doc_id == current else _validity(entry))
    return out


def mark_versions(hits: Sequence[Hit], store: RecordStore) -> tuple[Hit, ...]:
    """Mark the hits that are older versions: their validity and the id of the version in force. An older
    version found by its own words is still shown, marked."""
    versions = store.versions(h.doc_id for h in hits)
    return tuple(
        replace(h, validity=versions[h.doc_id][1], current_version=versions[h.doc_id][0])
        if h.doc_id in versions and versions[h.doc_id][0] != h.doc_id
        else h
        for h in hits
    )


def versions_of(store: RecordStore, doc_id: str) -> list[dict[str, Any]]:
    """Return id, title, date, validity and current of every version of a document's law or 办法, the one
    in force first, then newest to oldest; [] when it has no other version."""
    found = store.versions([doc_id])
    if doc_id not in found:
        return []
    current = found[doc_id][0]
    rows = store.versions_of(current)
    records = store.get_many(i for i, _ in rows)
    out = [
        {
            "id": i,
            "title": records[i].get("title"),
            "date": records[i].get("date") or records[i].get("date_issued"),
            "validity": validity or records[i].get("status") or ("有效" if i == current else None),
            "current": i == current,
        }
        for i, validity in rows
        if i in records
    ]
    newest_first = sorted(out, key=lambda v: v["date"] or "", reverse=True)
    return sorted(newest_first, key=lambda v: not v["current"])


def _validity(older: Facts) -> str:
    return older.status if older.status in ENDED else "已修订"


def _by_government(members: list[Facts]) -> list[list[Facts]]:
    """Split records of one title into governments: a record joins the first cluster none of whose members
    has another region or agency (an unknown one joins the first cluster)."""
    clusters: list[list[Facts]] = []
    for f in sorted(members, key=lambda m: (m.region is None, m.agency is None, m.doc_id)):
        for cluster in clusters:
            if not any(governments_differ(f.region, o.region) or agencies_differ(f.agency, o.agency) for o in cluster):
                cluster.append(f)
                break
        else:
            clusters.append([f])
    return clusters


def records_with_relations(store: RecordStore, ids: list[str]) -> Iterator[dict[str, Any]]:
    """Yield the stored record of each id that is held, in order, with its copy and version relations."""
    found, relations = store.get_many(ids), store.relations(ids)
    yield from ({**found[i], **relations.get(i, {})} for i in ids if i in found)
