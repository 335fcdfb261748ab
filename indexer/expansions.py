"""Everyday words -> statute words (离婚 -> 解除婚姻关系), searched beside the word at a lower weight.

The map (indexer/data/expansions.tsv) is mined from questions and the articles judged to answer them by
bench/mine_expansions.py: a question word that the answering articles mostly lack, and a word those articles
hold far more often than the corpus does (co-occurrence lift). The expansion shows on the page as the
synonyms do ("同时搜索了") and is switched off with them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .config import PACKAGE_DATA

EXPANSIONS = PACKAGE_DATA / "expansions.tsv"
_override: dict[str, dict[str, tuple[str, ...]] | None] = {"map": None}


def use_expansions(mapping: dict[str, tuple[str, ...]] | None) -> None:
    """Expand with this map from now on (None: the shipped file again); bench/eval's folds use it."""
    _override["map"] = mapping


def expansions() -> dict[str, tuple[str, ...]]:
    """Return everyday word -> statute words, from the map in use."""
    got = _override["map"]
    return got if got is not None else read_expansions(EXPANSIONS)


@lru_cache(maxsize=2)
def read_expansions(path: Path) -> dict[str, tuple[str, ...]]:
    """Return the map of a file of lines `word<TAB>statute word<SPACE>statute word` (# comments)."""
    out: dict[str, tuple[str, ...]] = {}
    if not path.exists():
        return out
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        word, sep, rest = line.partition("\t")
        if not sep or not rest.split():
            raise ValueError(f"{path}:{n}: expected `word<TAB>statute words`, got {line!r}")
        out[word.strip()] = tuple(rest.split())
    return out
