"""Typo correction in ``make eval``: homophone typos made from real titles' words, corrected by search().

For titles sampled with a fixed seed, a query of two or three of the title's words (bench/eval_salient.py)
has one character of one word replaced by another character of the same toneless pinyin (pypinyin), as a
pinyin input method mistypes it; the character comes from the corpus titles. Precision: corrections that
give back the words as they were, over corrections shown; recall: over typos. No parameter of the correction
was fitted on these queries (its order is fixed: same sound, characters in place, frequency).
"""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

from bench.eval import SEED

TYPOS = 300


def homophones(titles: list[str]) -> dict[str, list[str]]:
    """Return character -> the other title characters that share its first toneless reading."""
    from indexer.spelling import readings

    by_sound: defaultdict[str, set[str]] = defaultdict(set)
    chars = {ch for t in titles for ch in t if "\u4e00" <= ch <= "\u9fff"}
    for ch in chars:
        by_sound[readings(ch)[0]].add(ch)
    return {ch: sorted(by_sound[readings(ch)[0]] - {ch}) for ch in chars}


def typo_queries(queries: dict[str, str], titles: list[str], known: set[str]) -> dict[str, tuple[str, str]]:
    """Return qid -> (typed, meant): one character of one word of each query swapped for a homophone, so
    that the word is no longer a word of the index."""
    rng = random.Random(SEED + 2)
    sounds = homophones(titles)
    out: dict[str, tuple[str, str]] = {}
    for qid, meant in sorted(queries.items()):
        ws = meant.split()
        spots = [(i, j) for i, w in enumerate(ws) for j, ch in enumerate(w) if sounds.get(ch)]
        rng.shuffle(spots)
        for i, j in spots:
            word = ws[i][:j] + rng.choice(sounds[ws[i][j]]) + ws[i][j + 1 :]
            if word not in known:
                out[qid] = (" ".join([*ws[:i], word, *ws[i + 1 :]]), meant)
                break
        if len(out) == TYPOS:
            break
    return out


def typo_rows(index_dir: Path, docs: list[dict], queries: dict[str, str]) -> list[tuple[str, float, float]]:
    """Return precision and recall of corrections, and the share of typos that found nothing (to correct)."""
    from indexer.generations import open_index
    from indexer.models import SearchRequest
    from indexer.search import search
    from indexer.spelling import dictionary

    with open_index(index_dir).searcher() as s:
        known = set(dictionary(s.reader()).df)
        cases = typo_queries(queries, [d["title"] for d in docs], known)
        shown = right = empty = 0
        for typed, meant in cases.values():
            page = search(s, SearchRequest(q=typed, per_page=1))
            exact = page if page.corrected else None
            empty += page.corrected is not None or page.total == 0
            if exact is not None:
                shown += 1
                right += page.corrected == meant
    n = len(cases)
    return [
        ("typos: precision", right / shown if shown else 0.0, 0.0),
        ("typos: recall", right / n if n else 0.0, 0.0),
        ("typos: no hit as typed", empty / n if n else 0.0, 0.0),
    ]
