"""Mine everyday word -> statute word expansions from questions and the articles judged to answer them.

Co-occurrence with lift (a pointwise-mutual-information test): for a question word u and a word v of the
answering articles, p(v | u) is the share of the questions holding u whose answers hold v, and the lift is
p(v | u) over v's share of all documents. u qualifies when its own answers mostly lack it (the vocabulary
gap: 离婚 in the question, 解除婚姻关系 in the law); v when p(v | u) and the lift are both high.
bench/eval mines inside each cross-validation fold (training folds only) and measures the held-out fold;
``python -m bench.mine_expansions`` writes indexer/data/expansions.tsv from every train question.
"""

from __future__ import annotations

import math
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from bench.eval import ROOT, STARD_DOCS, Qrels, read_jsonl

OUT = ROOT / "indexer" / "data" / "expansions.tsv"
MIN_QUESTIONS = 4  # questions a word must appear in to be expanded
MAX_SELF = 0.4  # the word itself is in at most this share of its questions' answers
MIN_SUPPORT = 3  # questions whose answers hold the statute word
MIN_SHARE = 0.4  # p(v | u)
MIN_LIFT = 10.0  # p(v | u) / p(v)
PER_WORD = 2  # statute words per everyday word
NUMERAL = re.compile(r"[零〇一二三四五六七八九十百千万第]")  # article numbers (第九, 八百) are no vocabulary


def article_words(texts: Iterable[str]) -> set[str]:
    """Return the distinct CJK words (two characters or more) of some articles."""
    from indexer.analysis import fold, words

    return {w for t in texts for w, _, _ in words(fold(t)) if len(w) > 1 and not NUMERAL.search(w) and _is_cjk(w)}


def _is_cjk(word: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in word)


def mine(
    questions: dict[str, str],
    qrels: Qrels,
    answers: Callable[[str], set[str]],
    share: Callable[[str], float],
) -> dict[str, tuple[str, ...]]:
    """Return word -> statute words from the given questions; `answers(qid)` gives the words of its judged
    articles, `share(word)` the share of all documents that hold a word."""
    from indexer.query import important_words

    asked: Counter[str] = Counter()
    in_answer: Counter[str] = Counter()
    together: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for qid, text in questions.items():
        if qid not in qrels:
            continue
        q = {w for w in important_words(text) if len(w) > 1}
        found = answers(qid)
        for u in q:
            asked[u] += 1
            in_answer[u] += u in found
            together[u].update(found - q)
    out: dict[str, tuple[str, ...]] = {}
    for u, n in asked.items():
        if n < MIN_QUESTIONS or in_answer[u] / n > MAX_SELF:
            continue
        scored = []
        for v, c in together[u].items():
            p = c / n
            lift = p / max(share(v), 1e-9)
            if c >= MIN_SUPPORT and p >= MIN_SHARE and lift >= MIN_LIFT:
                scored.append((p * math.log(lift), v))
        if scored:
            out[u] = tuple(v for _, v in sorted(scored, reverse=True)[:PER_WORD])
    return out


def corpus_answers(qrels: Qrels) -> Callable[[str], set[str]]:
    """Return qid -> the words of its judged articles (read from the corpus once)."""
    wanted = {d for ds in qrels.values() for d in ds}
    words = {
        d["id"]: article_words([d.get("body") or ""])  # the body: titles hold law names, not the gap's words
        for d in read_jsonl(STARD_DOCS)
        if d["id"] in wanted
    }
    return lambda qid: set().union(*(words.get(d, set()) for d in qrels.get(qid, ())))


def index_share(index_dir: Path) -> Callable[[str], float]:
    """Return word -> the share of the index's documents that hold it in the body."""
    from indexer.generations import open_index

    ix = open_index(index_dir)
    reader = ix.reader()
    n = max(1, reader.doc_count())
    return lambda w: reader.doc_frequency("body", w) / n


def write(mapping: dict[str, tuple[str, ...]], path: Path = OUT) -> None:
    """Write the map as `word<TAB>statute words`, sorted."""
    lines = [f"{u}\t{' '.join(vs)}" for u, vs in sorted(mapping.items())]
    head = "# mined by bench/mine_expansions.py from the STARD train questions; do not edit by hand\n"
    path.write_text(head + "\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    """Mine from every train question and write indexer/data/expansions.tsv."""
    from bench.train_ranker import load_stard

    queries, qrels, index_dir = load_stard()
    mapping = mine(queries, qrels, corpus_answers(qrels), index_share(index_dir))
    write(mapping)
    print(f"wrote {len(mapping)} expansions to {OUT.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
