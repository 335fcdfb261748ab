"""Sharding by document id: a stable 63-bit hash of the id string names the Sphinx document and its shard."""

from __future__ import annotations

import hashlib

ID_BITS = 63  # SphinxQL reads ids as signed in places: stay below 2**63


def sphinx_id(doc_id: str) -> int:
    """Return the Sphinx document id of a string id: stable across runs and machines, never 0."""
    digest = hashlib.blake2b(doc_id.encode("utf-8"), digest_size=8, person=b"govsearch-id").digest()
    return (int.from_bytes(digest, "big") & ((1 << ID_BITS) - 1)) or 1


def shard_of(doc_id: str, shards: int) -> int:
    """Return the 0-based shard that owns a document among `shards` shards."""
    return sphinx_id(doc_id) % shards


def shard_name(shard: int) -> str:
    """Return the name of a shard's local RT index (shard 0 -> shard1, on node 1)."""
    return f"shard{shard + 1}"
