"""The benchmark's queries: eight kinds, drawn deterministically from the corpus, the same for every system."""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from indexer.analysis import fold, words

from .corpus import ISSUERS, meta_for, read_queries

KINDS = ("term", "terms", "question", "phrase", "docnum", "facets", "date", "deep")
KIND_LABELS = {
    "term": "one term",
    "terms": "several terms",
    "question": "question",
    "phrase": "phrase",
    "docnum": "文号",
    "facets": "with facets",
    "date": "date-sorted",
    "deep": "deep page",
}
PER_PAGE = 20
DEEP_PAGE = 50  # hits 981-1000
SEED = 20240611
_CJK_WORD = re.compile(r"[\u4e00-\u9fff]{2,}")


@dataclass(frozen=True, slots=True)
class BenchQuery:
    """One query as every system gets it: its kind, the text, and the kind's extras."""

    kind: str
    text: str
    agency: str = ""  # facets: the selected agency
    page: int = 1

    def url(self) -> str:
        """Return the /api/search URL of this query (the reference servers also read `kind`)."""
        args: dict[str, Any] = {"q": self.text, "kind": self.kind, "per_page": PER_PAGE}
        if self.agency:
            args["agency"] = self.agency
        if self.kind == "date":
            args["sort"] = "date"
        if self.page > 1:
            args["page"] = self.page
        return "/api/search?" + urlencode(args)


def from_url_args(args: dict[str, str]) -> BenchQuery:
    """Rebuild a BenchQuery from the arguments of its URL (for the reference servers)."""
    return BenchQuery(
        kind=args.get("kind", "term"),
        text=args.get("q", ""),
        agency=args.get("agency", ""),
        page=int(args.get("page") or 1),
    )


def cjk_words(text: str) -> list[str]:
    """Return jieba's words of text that are two or more CJK characters."""
    return [w for w, _, _ in words(fold(text)) if _CJK_WORD.fullmatch(w)]


def make_queries(docs: Sequence[dict[str, Any]], per_kind: int, seed: int = SEED) -> dict[str, list[BenchQuery]]:
    """Draw per_kind queries of each kind from the documents (every one matches at least one document)."""
    rng = random.Random(seed)
    sample = rng.sample(list(docs), min(len(docs), 3000))
    df = Counter(w for d in sample for w in set(cjk_words(d["title"] + "\n" + d["body"])))
    ranked = [w for w, _ in df.most_common()]
    common, mid = ranked[:per_kind], ranked[20 : 20 + 10 * per_kind : 10] or ranked[:per_kind]
    questions = read_queries()
    rng.shuffle(questions)
    picks = [rng.choice(sample) for _ in range(4 * per_kind)]
    return {
        "term": [BenchQuery("term", w) for w in _cycle(mid, per_kind)],
        "terms": [BenchQuery("terms", t) for t in _cycle(_word_sets(picks, df), per_kind)],
        "question": [BenchQuery("question", q) for q in _cycle(questions, per_kind)],
        "phrase": [BenchQuery("phrase", f'"{p}"') for p in _cycle(_phrases(picks, rng), per_kind)],
        "docnum": [BenchQuery("docnum", meta_for(d["id"]).doc_number) for d in _cycle(picks, per_kind)],
        "facets": [
            BenchQuery("facets", w, agency=ISSUERS[i % len(ISSUERS)][0])
            for i, w in enumerate(_cycle(mid[::-1], per_kind))
        ],
        "date": [BenchQuery("date", w) for w in _cycle(mid[1:] + mid[:1], per_kind)],
        "deep": [BenchQuery("deep", w, page=DEEP_PAGE) for w in _cycle(common, per_kind)],
    }


def _cycle(items: Sequence[Any], n: int) -> list[Any]:
    return [items[i % len(items)] for i in range(n)] if items else []


def _word_sets(docs: Sequence[dict[str, Any]], df: Counter[str]) -> list[str]:
    """Two or three mid-frequency words of one document, space-separated (all of them occur in it)."""
    out = []
    for i, d in enumerate(docs):
        ws = sorted(set(cjk_words(d["body"])), key=lambda w: (-df[w], w))[3:12]
        if len(ws) >= 3:
            out.append(" ".join(ws[: 2 + i % 2]))
    return out


def _phrases(docs: Sequence[dict[str, Any]], rng: random.Random) -> list[str]:
    """Two or three consecutive words of a document's text, 4 to 10 characters."""
    out = []
    for d in docs:
        ws = [w for w, _, _ in words(fold(d["body"]))]
        starts = [i for i in range(len(ws) - 2) if all(_CJK_WORD.fullmatch(w) for w in ws[i : i + 3])]
        if starts:
            i = rng.choice(starts)
            phrase = "".join(ws[i : i + 2 + rng.randint(0, 1)])
            if 4 <= len(phrase) <= 10:
                out.append(phrase)
    return out
