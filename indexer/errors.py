"""The errors a user can act on, raised by the indexer and turned into one clear line or a 400."""

from __future__ import annotations


class IndexError_(Exception):
    """A problem with the index directory that the user can act on."""


class IndexMissing(IndexError_):
    """There is no index at that directory yet."""


class IndexBusy(IndexError_):
    """Another process is writing to the index."""


class BadRequest(ValueError):
    """A request the user must change: bad filter, page out of range."""
