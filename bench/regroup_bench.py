"""Time the regrouping of copies and versions on a copy of a real store: `python -m bench.regroup_bench INDEX`.

Prints one table: reading the identity fields, the facts, grouping copies, finding versions, a full
regroup, and a regroup with nothing changed (skipped on the records' fingerprint).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from indexer import relations
from indexer.duplicates import group_copies
from indexer.identity import facts_of
from indexer.store import RecordStore


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """Return fn's result and the seconds it took."""
    start = time.monotonic()
    out = fn()
    return out, time.monotonic() - start


def main(argv: list[str]) -> int:
    """Print the timing table for the store of the index directory given."""
    if len(argv) != 1 or not (Path(argv[0]) / "records.sqlite").exists():
        print("usage: python -m bench.regroup_bench INDEX_DIR (a directory holding records.sqlite)", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp()) / "records.sqlite"
    shutil.copy(Path(argv[0]) / "records.sqlite", tmp)
    store = RecordStore(tmp)
    store.set_meta(relations.STATE_KEY, "")
    rows, t_rows = timed(lambda: list(store.identity_rows()))
    facts, t_facts = timed(lambda: [facts_of(r) for r, *_ in rows])
    copy_of, t_copies = timed(lambda: group_copies(zip(facts, [r[1] for r in rows], strict=True)))
    _, t_versions = timed(lambda: relations.version_groups(facts, copy_of))
    _, t_full = timed(lambda: relations.regroup(store))
    _, t_same = timed(lambda: relations.regroup(store))
    print(f"{'records':<32}{len(rows):>10}")
    for name, seconds in [
        ("read identity fields (s)", t_rows),
        ("facts (s)", t_facts),
        ("group copies (s)", t_copies),
        ("find versions (s)", t_versions),
        ("regroup, all of it (s)", t_full),
        ("regroup, nothing changed (s)", t_same),
    ]:
        print(f"{name:<32}{seconds:>10.2f}")
    store.close()
    shutil.rmtree(tmp.parent)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
