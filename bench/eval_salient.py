"""Known items typed as two or three salient words of their title: ours against tantivy over the same words.

A user who remembers a law by a few of its words (道路 交通 安全 for 中华人民共和国道路交通安全法) types
those: the title's jieba words with the highest idf in our index, two or three of them (fixed seed), in title
order. tantivy indexes the same documents as the same jieba words (bench/tantivy_ref.py) and answers the
words ANDed over title and body with its BM25.
"""

from __future__ import annotations

import hashlib
import random
import shutil
from pathlib import Path
from typing import Any

from bench.eval import CACHE, DEPTH, SEED, Run

TARGETS = 300  # titles sampled


def salient_queries(docs: list[dict], index_dir: Path) -> dict[str, str]:
    """Return qid -> a query of 2-3 salient title words, for titles sampled with a fixed seed; the target
    of qid 'w<i>' is the id of the document it was made from (see targets())."""
    from indexer.analysis import fold, words
    from indexer.generations import open_index
    from indexer.query import stopwords

    rng = random.Random(SEED + 1)
    titles: dict[str, int] = {}
    for d in docs:
        titles[d["title"]] = titles.get(d["title"], 0) + 1
    pool = [d for d in docs if titles[d["title"]] == 1 and d.get("body")]
    out: dict[str, str] = {}
    with open_index(index_dir).searcher() as s:
        reader = s.reader()
        for d in rng.sample(pool, len(pool)):
            ws = [w for w, _, _ in words(fold(d["title"])) if len(w) > 1 and w not in stopwords()]
            ws = list(dict.fromkeys(ws))
            if len(ws) < 2:
                continue
            rarest = sorted(ws, key=lambda w: (reader.doc_frequency("body", w) + reader.doc_frequency("title", w), w))
            chosen = set(rarest[: rng.choice((2, 3))])
            out[f"w{len(out)}|{d['id']}"] = " ".join(w for w in ws if w in chosen)
            if len(out) == TARGETS:
                break
    return out


def tantivy_run(docs: list[dict], queries: dict[str, str]) -> Run:
    """Return tantivy's top DEPTH ids of each query (the words ANDed over title and body)."""
    import tantivy
    from tantivy import Occur, Query

    from bench.tantivy_ref import _register, build

    h = hashlib.sha1("".join(d["id"] for d in docs).encode()).hexdigest()[:12]
    target = CACHE / f"laws-tantivy-{h}"
    if not (target / "meta.json").exists():
        shutil.rmtree(target, ignore_errors=True)
        build((_record(d) for d in docs), target)
    index = _register(tantivy.Index.open(str(target)))
    index.reload()
    searcher, schema = index.searcher(), index.schema

    def word(w: str) -> Any:
        return Query.boolean_query([(Occur.Should, Query.term_query(schema, f, w)) for f in ("title", "body")])

    out: Run = {}
    for qid, text in queries.items():
        query = Query.boolean_query([(Occur.Must, word(w)) for w in text.split()])
        out[qid] = [searcher.doc(a)["id"][0] for _, a in searcher.search(query, limit=DEPTH).hits]
    return out


def _record(d: dict) -> dict[str, str]:
    return {
        "id": d["id"],
        "title": d.get("title") or "",
        "body": d.get("body") or "",
        "doc_number": d.get("doc_number") or "",
        "agency": d.get("agency") or "",
        "doc_type": d.get("doc_type") or "",
        "date": d.get("date") or "1900-01-01",
    }


def targets(queries: dict[str, str]) -> dict[str, str]:
    """Return qid -> the id of the document the query was made from."""
    return {qid: qid.split("|", 1)[1] for qid in queries}
