"""The old import path of the bulk segments' codec: keep it.

Every index built in bulk before the Whoosh fast path moved into indexer/engine/whoosh/ names its codec
by this path in its pickled table of contents (``indexer.segments.ArraysCodec``), and Whoosh unpickles
that name to open the index. Removing or renaming this alias makes every such index unreadable
(tests/test_legacy_index.py opens one). New segments name indexer.engine.whoosh.codec.ArraysCodec.
"""

from indexer.engine.whoosh.codec import ArraysCodec

__all__ = ["ArraysCodec"]
