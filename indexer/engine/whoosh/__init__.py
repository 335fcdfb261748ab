"""The embedded Whoosh engine and its fast path: schema, bulk segment writer and codec, evaluation on
arrays, columns, searchers, and the backend's reader and writer. README.md here describes the format."""

from __future__ import annotations

import whoosh

from ...errors import IndexError_

# the Whoosh the fast path was written and differentially tested against (whoosh-reloaded 2.7.5): the
# codec, the bulk writer and evaluate.py rely on about 30 of its private names (see README.md)
WHOOSH_VERSION = (2, 7, 5)


class WhooshVersionError(IndexError_):
    """The installed Whoosh is not the version the fast path was written for."""


def check_whoosh_version(installed: tuple[int, ...] | None = None) -> None:
    """Raise WhooshVersionError, in one line, unless the installed Whoosh is WHOOSH_VERSION."""
    found = tuple(whoosh.__version__) if installed is None else installed
    if found != WHOOSH_VERSION:
        want, have = ".".join(map(str, WHOOSH_VERSION)), ".".join(map(str, found))
        raise WhooshVersionError(
            f"Whoosh {have} is installed but the index code was written for Whoosh {want}: "
            f"run `pip install whoosh-reloaded=={want}` (see indexer/engine/whoosh/README.md)"
        )
