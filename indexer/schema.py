"""The old import path of the schema's field and column classes: keep it.

Every index written before the Whoosh fast path moved into indexer/engine/whoosh/ pickles its schema
with these classes named by this path (``indexer.schema.KeywordList``, ``indexer.schema.ValueLists``),
and Whoosh unpickles those names to open the index. Removing this alias makes every such index
unreadable (tests/test_legacy_index.py opens one). New indexes name indexer.engine.whoosh.schema.
"""

from indexer.engine.whoosh.schema import KeywordList, ValueLists

__all__ = ["KeywordList", "ValueLists"]
