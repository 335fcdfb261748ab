"""Precedents on arrays with precomputed term statistics equal the brute-force computation of their definition."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.engine.whoosh import termstats
from indexer.engine.whoosh.matches import collect_with_whoosh
from indexer.engine.whoosh.related import CANDIDATES, KEY_TERMS, similarity_query, similarity_text
from indexer.generations import current_generation

SAMPLE = 12  # documents with a body whose precedents are checked


@pytest.fixture(scope="module")
def searcher(backend):
    return backend._searcher()


@pytest.fixture(scope="module")
def with_body(backend) -> list[str]:
    rows = (
        backend.store()
        .db.execute("SELECT id FROM records WHERE length(json_extract(record, '$.body')) > 200 ORDER BY id")
        .fetchall()
    )
    ids = [r[0] for r in rows]
    assert len(ids) > 100
    return ids[:: max(1, len(ids) // SAMPLE)][:SAMPLE]


def brute_force_precedents(s, rec: dict, dup_of: str, limit: int = 10) -> list[str]:
    """Today's definition, the slow way: Whoosh's own key terms, every document scored by Whoosh's matchers,
    the document and its copies left out by their stored fields, the best 3 x limit ordered other agencies
    first (each part by score, ties to the lower document number)."""
    terms = s.key_terms_from_text("body", similarity_text(rec), numterms=KEY_TERMS)
    m = collect_with_whoosh(s, similarity_query(terms), scored=True)
    scored = []
    for docnum, score in zip(m.docnums.tolist(), m.scores.tolist(), strict=True):
        stored = s.stored_fields(docnum)
        if stored["id"] != rec["id"] and stored.get("dup_of") != dup_of:
            scored.append((-score, docnum, stored))
    top = sorted(scored, key=lambda x: (x[0], x[1]))[: limit * CANDIDATES]
    agency = rec.get("agency")
    ordered = sorted(top, key=lambda x: (bool(agency) and x[2].get("agency") == agency, x[0]))
    return [x[2]["id"] for x in ordered[:limit]]


def test_key_terms_equal_whooshs(backend, searcher, with_body) -> None:
    for doc_id in with_body:
        text = similarity_text(backend.document(doc_id))
        assert termstats.key_terms(searcher, text, KEY_TERMS) == searcher.key_terms_from_text(
            "body", text, numterms=KEY_TERMS
        )


def test_precedents_equal_the_brute_force_top_10(backend, searcher, with_body) -> None:
    compared = 0
    for doc_id in with_body:
        rec = backend.document(doc_id)
        dup_of = backend.store().db.execute("SELECT dup_of FROM records WHERE id = ?", (doc_id,)).fetchone()[0]
        expected = brute_force_precedents(searcher, {**rec, "id": doc_id}, dup_of or doc_id)
        got = [h.doc_id for h in backend.similar(doc_id)]
        assert got == expected, doc_id
        compared += bool(expected)
    assert compared >= SAMPLE - 2


def test_precedents_are_kept_per_index_version(backend, with_body) -> None:
    doc_id = with_body[0]
    first = backend.similar(doc_id)
    assert backend.similar(doc_id) is first  # the same list: computed once for this version
    assert backend.citations(doc_id) is backend.citations(doc_id)
    assert backend.duplicates(doc_id) is backend.duplicates(doc_id)


def test_ingest_writes_each_segments_term_table(index_dir: Path, searcher) -> None:
    gen = index_dir / current_generation(index_dir)
    tables = sorted(gen.glob(f"*{termstats.CF_EXT}"))
    assert tables and len(tables) == len(searcher.leaf_searchers())
    cf = termstats.frequencies(searcher)
    reader = searcher.reader()
    for text in list(cf)[:: max(1, len(cf) // 300)]:
        assert cf[text] == reader.frequency("body", text)


def test_a_segment_without_its_table_gets_one(tmp_path: Path, index_dir: Path, searcher) -> None:
    leaf = searcher.leaf_searchers()[0][0].reader()
    path = Path(leaf.storage().folder) / leaf.segment().make_filename(termstats.CF_EXT)
    kept = path.read_bytes()
    path.unlink()
    try:
        table = termstats.segment_table(leaf)
        assert path.exists() and table == {t: i.weight() for t, i in leaf.iter_field("body")}
    finally:
        path.write_bytes(kept)


def test_precedents_leave_out_the_document_and_its_copies(backend, with_body) -> None:
    for doc_id in with_body[:4]:
        copies = {d["id"] for d in backend.duplicates(doc_id)}
        ids = [h.doc_id for h in backend.similar(doc_id)]
        assert doc_id not in ids and not copies & set(ids) and len(ids) == len(set(ids))


def test_the_document_page_shows_the_precedents(client, backend, with_body) -> None:
    doc_id = with_body[1]
    html = client.get(f"/doc/{doc_id}").get_data(as_text=True)
    similar = backend.similar(doc_id)
    assert similar and all(f"/doc/{h.doc_id}" in html for h in similar)


def test_an_unknown_document_has_no_precedents(backend) -> None:
    assert backend.similar("no-such-document") == [] and backend.citations("no-such-document") == ([], [])


def test_the_best_few_are_the_first_of_a_full_sort() -> None:
    import numpy as np

    from indexer.engine.whoosh.related import best

    rng = np.random.default_rng(3)
    for _ in range(300):
        n = int(rng.integers(0, 60))
        docs = np.sort(rng.choice(1000, n, replace=False)).astype(np.int64)
        scores = rng.choice([0.5, 1.0, 1.5, 2.25], n) if rng.random() < 0.5 else rng.random(n)  # many ties, or none
        for limit in (0, 1, 5, 30, 100):
            assert best(docs, scores, limit).tolist() == np.lexsort((docs, -scores))[:limit].tolist()


def test_citations_on_arrays_equal_whooshs_search(backend, searcher) -> None:
    """Cites and cited-by, for every document of the test index that has either: the same documents in
    the same order as Whoosh's search with the document masked out."""
    from whoosh import query as wq

    from indexer.analysis import fold
    from indexer.fields import cite_key, docnum_key

    compared = 0
    for (doc_id,) in backend.store().db.execute("SELECT id FROM records ORDER BY id").fetchall():
        rec = backend.document(doc_id)
        keys = [cite_key(c) for c in rec.get("cites") or []]
        mine = [k for k in (docnum_key(rec.get("doc_number")), fold(rec.get("title") or "")) if k]
        cites_q = wq.Or([wq.Term("docnum_key", k) for k in keys] + [wq.Term("title_key", k) for k in keys])
        cited_q = wq.Or([wq.Term("cites", k) for k in mine])
        me = wq.Term("id", doc_id)
        expected = [
            [r["id"] for r in searcher.search(q, mask=me, limit=50)] if ok else []
            for q, ok in ((cites_q, keys), (cited_q, mine))
        ]
        got = [[h.doc_id for h in hits] for hits in backend._citations(doc_id, 50)]
        assert got == expected, doc_id
        compared += bool(expected[0] or expected[1])
    assert compared >= 10
