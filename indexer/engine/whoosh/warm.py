"""What a server reads before its first answer, prepared at ingest so that a cold start only loads it.

The first search of a process used to read every facet column (columns.py) and every scored
field's lengths (evaluate.py) of the index version through Whoosh, a value at a time: most of
the 1.7 s from opening the index to the first answer at 35,000 documents, and growing with the index.
Ingest now keeps them, with the spelling dictionary (lexicon.py, which each worker used to build on its
first query without hits), once a generation or an update is committed, in ``warm.pkl`` inside the Whoosh
folder, under the version they belong to; the backend loads that file when it opens the index (in
gunicorn's master, before the workers fork, so they share the pages). A file of another version (a
deletion since, or an index written before this file existed) is ignored: the arrays are read as before.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import whoosh.index

from . import lexicon
from .columns import Columns, columns_state, remember_columns, version_key
from .evaluate import field_lengths, remember_lengths
from .termstats import write_tables

WARM_FILE = "warm.pkl"


def scored_fields(schema: Any) -> list[str]:
    """Return the fields whose lengths BM25 reads (those with a length column)."""
    return [name for name, field in schema.items() if field.scorable]


def after_commit(folder: Path) -> None:
    """Prepare what document pages and a cold start read, for the version just committed in folder."""
    write_tables(folder)
    write_warm(folder)


def write_warm(folder: Path) -> None:
    """Write the version's facet columns and field lengths to folder/warm.pkl (atomically)."""
    with whoosh.index.open_dir(str(folder)).searcher() as s:
        reader = s.reader()
        lengths = {
            (leaf.segment().segment_id(), name): field_lengths(leaf, name)
            for leaf, _ in reader.leaf_readers()
            if getattr(leaf, "segment", lambda: None)() is not None  # an empty index has no segment
            for name in scored_fields(s.schema)
        }
        state = {
            "version": version_key(reader),
            "columns": columns_state(Columns(s)),
            "lengths": lengths,
            "spelling": lexicon.build(reader),  # corrections of a query without hits (lexicon.py)
        }
    tmp = folder / f"{WARM_FILE}.{os.getpid()}.tmp"
    with tmp.open("wb") as fh:
        pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, folder / WARM_FILE)


def load_warm(folder: Path, reader: Any) -> bool:
    """Load folder/warm.pkl into this process's caches when it belongs to the reader's version."""
    path = folder / WARM_FILE
    if not path.exists():
        return False
    try:
        with path.open("rb") as fh:
            state = pickle.load(fh)
    except (pickle.UnpicklingError, EOFError, ImportError, AttributeError):  # a file of an older format
        return False
    key = version_key(reader)
    if not isinstance(state, dict) or state.get("version") != key or not isinstance(state.get("columns"), dict):
        return False
    if "issued" not in state["columns"]:  # written before the 成文日期 column: read the arrays as before
        return False
    remember_columns(key, state["columns"])
    for (segment_id, name), lengths in state["lengths"].items():
        remember_lengths(segment_id, name, lengths)
    if isinstance(state.get("spelling"), lexicon.Dictionary):  # (a file written before it: built when needed)
        lexicon.remember(key, state["spelling"])
    return True
