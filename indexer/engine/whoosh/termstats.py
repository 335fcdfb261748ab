"""Each body word's collection frequency, per index version in one dictionary, for a document's key terms.

A document's precedents start from its key terms (Whoosh's Bo1 model), which weigh every distinct word
of the document by its frequency in the whole collection: Whoosh looks each one up in each segment's
term table, 30 to 200 µs a word, so a law of 1,000 distinct words spent 0.1 to 0.7 s there alone. The
frequencies of a segment never change, so ingest writes them once beside the segment
(``<segment>.bcf``: a pickled {term bytes: frequency}, named like the segment's own files so that Whoosh
removes it with the segment) and a reader sums the segments' tables into one dictionary per version. A
segment without its table (an index written before this file existed) gets it the first time it is read.
"""

from __future__ import annotations

import math
import os
import pickle
from collections import Counter
from pathlib import Path
from typing import Any

import whoosh.index
from whoosh.searching import Searcher

from .columns import Recent

FIELD = "body"
CF_EXT = ".bcf"
VERSIONS = 2  # versions' dictionaries kept per process: the current one and the one being replaced

_tables: Recent[dict[bytes, float]] = Recent(VERSIONS)


def segment_table(reader: Any) -> dict[bytes, float]:
    """Return one segment's {body term: collection frequency}, from its .bcf file, else made and written."""
    path = _table_path(reader)
    if path is not None and path.exists():
        with path.open("rb") as fh:
            return pickle.load(fh)  # type: ignore[no-any-return]
    table = {text: info.weight() for text, info in reader.iter_field(FIELD)} if FIELD in reader.schema else {}
    if path is not None:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        try:
            with tmp.open("wb") as fh:
                pickle.dump(table, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except OSError:  # a read-only index: this process keeps its table in memory only
            tmp.unlink(missing_ok=True)
    return table


def _segment(reader: Any) -> Any:
    """Return a leaf reader's segment, or None (an empty index reads through a reader without one)."""
    return getattr(reader, "segment", lambda: None)()


def _table_path(reader: Any) -> Path | None:
    segment = _segment(reader)
    folder = getattr(reader.storage(), "folder", None) if segment is not None else None
    return Path(folder) / segment.make_filename(CF_EXT) if folder is not None else None


def write_tables(folder: Path) -> int:
    """Write the .bcf table of every segment of the Whoosh index in folder that lacks one (ingest calls
    this once a generation or an update is written); return how many were written."""
    written = 0
    with whoosh.index.open_dir(str(folder)).reader() as reader:
        for leaf, _ in reader.leaf_readers():
            path = _table_path(leaf)
            if path is not None and not path.exists():
                segment_table(leaf)
                written += 1
    return written


def frequencies(searcher: Searcher) -> dict[bytes, float]:
    """Return {body term: collection frequency} over every segment of the searcher's index version (the sum
    Whoosh's MultiReader.frequency gives), kept per version."""
    leaves = [leaf.reader() for leaf, _ in searcher.leaf_searchers() if _segment(leaf.reader()) is not None]
    key = tuple(_segment(r).segment_id() for r in leaves)

    def merged() -> dict[bytes, float]:
        total: Counter[bytes] = Counter()
        for r in leaves:
            total.update(segment_table(r))
        return dict(total)

    return _tables.get(key, merged)


def key_terms(searcher: Searcher, text: str, numterms: int) -> list[tuple[str, float]]:
    """Return the numterms most informative body words of text with their weights: what Whoosh's
    key_terms_from_text(FIELD, text, numterms) returns (Bo1 model, normalised), from the version's table."""
    field, cf = searcher.schema[FIELD], frequencies(searcher)
    weights: Counter[bytes] = Counter()
    for btext, _, weight, _ in field.index(text):
        weights[btext] += weight
    n = searcher.reader().doc_count_all()
    scored, best = [], 0.0
    for btext, weight in weights.items():
        if btext in cf:
            f = cf[btext] / n
            score = weight * math.log((1.0 + f) / f, 2) + math.log(1.0 + f, 2)
            best = max(best, score)
            scored.append((score, field.from_bytes(btext)))
    norm = _bo1_normalizer(best, n) or 1.0  # 0 only when no word is in the index (nothing to divide)
    ranked = sorted(((score / norm, word) for score, word in scored), key=lambda sw: (0 - sw[0], sw[1]))
    return [(word, weight) for weight, word in ranked[:numterms]]


def _bo1_normalizer(maxweight: float, n: int) -> float:
    """Whoosh's Bo1Model.normalizer."""
    if not maxweight:
        return maxweight
    f = maxweight / n
    return (maxweight * math.log((1.0 + f) / f) + math.log(1.0 + f)) / math.log(2.0)
