"""The bulk segment writer writes what Whoosh's own writer writes, posting by posting."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import whoosh.index
from whoosh.formats import Positions

from indexer.analysis import BigramTokenizer, CharTokenizer, WordTokenizer, stripped
from indexer.engine.whoosh.schema import make_schema
from indexer.engine.whoosh.segments import build_segments
from indexer.fields import index_fields
from indexer.models import Document
from indexer.pipeline import to_document

from .conftest import LAWS, SEED, head_jsonl, seed_paragraphs

TEXTS = [
    "中华人民共和国国务院办公厅关于安全生产的通知",
    "國務院辦公廳關於印發《2014年政府信息公開工作要點》的通知（侯政辦〔2014〕120號）",
    "征地 补偿，标准\n\n第一条　为了规范ＡＢＣ１２３管理，制定本办法。",
    "",
    "   ",
    "人人人人人人 人民人民 5.0cm PM2.5 WTO",
]


def _documents() -> list[dict[str, Any]]:
    recs = [{"id": "seed", "title": "", "body": SEED.read_text(encoding="utf-8")}]
    recs += [
        {
            "id": f"t{i}",
            "title": t[:20].strip() or "无题",
            "body": t,
            "agency": "国务院" if i % 2 else "",
            "doc_number": f"国发〔2014〕{i + 1}号" if i % 3 else None,
            "date": f"2014-05-0{i + 1}",
        }
        for i, t in enumerate(TEXTS)
    ]
    if LAWS.exists():
        recs += [{**r, "id": f"law{i}"} for i, r in enumerate(head_jsonl(LAWS, 8))]
    recs += [{"id": f"p{i}", "title": p[:20], "body": p} for i, p in enumerate(seed_paragraphs(8))]
    docs = [to_document(r) for r in recs]
    docs.append(Document(doc_id="bare", url="", title="仅有标题", body="", published=date(2020, 1, 2)))
    return [index_fields(d, "seed" if i == 3 else None) for i, d in enumerate(docs)]


def _stock(path: Path, docs: list[dict[str, Any]]) -> whoosh.index.Index:
    ix = whoosh.index.create_in(str(path), make_schema())
    with ix.writer() as w:
        for fields in docs:
            w.add_document(**fields)
    return ix


def _bulk(path: Path, docs: list[dict[str, Any]], shards: int, max_docs: int) -> whoosh.index.Index:
    whoosh.index.create_in(str(path), make_schema()).close()
    size = -(-len(docs) // shards)
    parts = [docs[i : i + size] for i in range(0, len(docs), size)]
    assert build_segments(path, [lambda p=p: iter(p) for p in parts], max_docs=max_docs) == len(docs)
    return whoosh.index.open_dir(str(path))


def _dump(ix: whoosh.index.Index, lengths: bool = True) -> dict[str, Any]:
    """Everything a search can read: postings with values, term stats, stored fields, columns, lengths."""
    out: dict[str, Any] = {"terms": {}, "stored": [], "lengths": {}, "columns": {}}
    with ix.searcher() as s:
        r = s.reader()
        for fieldname, term in r.all_terms():
            m = r.postings(fieldname, term)
            postings = []
            fmt = ix.schema[fieldname].format
            while m.is_active():  # positions compared decoded: the bulk writer pickles them more compactly
                value = fmt.decode_positions(m.value()) if isinstance(fmt, Positions) else m.value()
                postings.append((m.id(), m.weight(), value))
                m.next()
            ti = r.term_info(fieldname, term)
            out["terms"][(fieldname, term)] = (
                postings,
                ti.weight(),
                ti.doc_frequency(),
                ti.min_length(),
                ti.max_length(),
                ti.max_weight(),
                ti.min_id(),
                ti.max_id(),
            )
        out["stored"] = [r.stored_fields(n) for n in range(r.doc_count_all())]
        for name, field in ix.schema.items():
            if field.scorable and lengths:  # (min_field_length fails on a segment with no length column)
                out["lengths"][name] = (
                    [r.doc_field_length(n, name) for n in range(r.doc_count_all())],
                    r.field_length(name),
                    r.min_field_length(name),
                    r.max_field_length(name),
                )
            if field.column_type:
                col = r.column_reader(name, translate=False)
                out["columns"][name] = [col[n] for n in range(r.doc_count_all())]
    return out


@pytest.fixture(scope="module")
def docs() -> list[dict[str, Any]]:
    return _documents()


@pytest.fixture(scope="module")
def stock(docs: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _dump(_stock(tmp_path_factory.mktemp("stock"), docs))


def test_one_segment_equals_whooshs_own_writer(docs, stock, tmp_path):
    assert _dump(_bulk(tmp_path, docs, shards=1, max_docs=10_000)) == stock


def test_terms_of_several_blocks_equal_whooshs_own_writer(docs, stock, tmp_path, monkeypatch):
    """Blocks of 2 postings (128 in production): every term of 3+ postings spans several blocks, whose
    statistics, delta-coded documents and last-block flags the writer computes for all blocks at once; and
    chunks of 5 postings (a million in production) as Python lists."""
    from indexer.engine.whoosh import segments

    monkeypatch.setattr(segments, "BLOCK", 2)
    monkeypatch.setattr(segments, "ARRAY_MIN_DF", 3)
    monkeypatch.setattr(segments, "CHUNK", 5)  # postings turned into lists a few at a time
    bulk = _dump(_bulk(tmp_path, docs, shards=1, max_docs=10_000))
    assert bulk == stock
    assert max(len(v[0]) for v in bulk["terms"].values()) > 2 * 2


def test_positions_values_decode_as_whooshs_own():
    """The writer's numpy encoding of each posting's positions decodes (Positions.decode_positions) to the
    positions, with their count in front as Positions.encode writes it, and is no longer than Whoosh's."""
    import numpy as np
    from whoosh.system import pack_uint

    from indexer.engine.whoosh.segments import _one, _single_values, encode_positions

    fmt = Positions()
    lists = [[7], [0, 0], [5, 8], [255, 256], [300, 65_535, 65_536, 70_000, 2**31 - 1], list(range(2_500))]
    lists += [sorted({(i * 7919 + j * 104_729) % 3_000_000 for j in range(1 + i % 40)}) for i in range(500)]
    poses = np.array([p for positions in lists for p in positions], dtype=np.uint32)
    at = np.zeros(len(lists) + 1, dtype=np.int64)
    at[1:] = np.cumsum([len(positions) for positions in lists])
    values = encode_positions(poses, at, np.arange(len(lists)))
    assert [fmt.decode_positions(v) for v in values] == lists
    assert [v[:4] for v in values] == [pack_uint(len(p)) for p in lists]
    assert all(len(v) < len(fmt.encode(p)) for v, p in zip(values, lists, strict=True))
    singles = [0, 255, 256, 65_535, 65_536, 2**31 - 1]
    assert [_one(p) for p in singles] == encode_positions(np.array(singles), np.arange(7), np.arange(6))
    huge = [[2**31], [5, 2**31 + 9]]  # past a 4-byte signed int: Whoosh's own encoding, decoded the same
    at = np.array([0, 1, 3])
    assert [fmt.decode_positions(v) for v in encode_positions(np.array(huge[0] + huge[1]), at, np.arange(2))] == huge
    assert fmt.decode_positions(_one(2**31)) == [2**31]
    assert _single_values(singles[::-1]) == [_one(p) for p in singles[::-1]]


def test_keyword_and_number_values_are_indexed_once_per_distinct_value_and_as_whoosh_indexes_each(tmp_path):
    """The memo of field.index() results holds str and int values only: a list (which Whoosh accepts) is
    indexed each time, and floats that compare equal but index differently (0.0, -0.0) keep their own terms."""
    from whoosh.fields import KEYWORD, NUMERIC, Schema

    schema = Schema(tags=KEYWORD(commas=True, scorable=True), x=NUMERIC(float), n=NUMERIC(int))
    docs = [
        {"tags": "a,b", "x": 0.0, "n": 7},
        {"tags": ["a", "c"], "x": -0.0, "n": 7},
        {"tags": "a,b", "x": 1.5, "n": 8},
    ]

    def postings(ix: whoosh.index.Index) -> dict[tuple[str, bytes], list[tuple[int, float]]]:
        with ix.searcher() as s:
            r = s.reader()
            return {(f, t): list(r.postings(f, t).items_as("weight")) for f, t in r.all_terms()}

    (tmp_path / "stock").mkdir()
    stock = whoosh.index.create_in(str(tmp_path / "stock"), schema)
    with stock.writer() as w:
        for fields in docs:
            w.add_document(**fields)
    (tmp_path / "bulk").mkdir()
    whoosh.index.create_in(str(tmp_path / "bulk"), schema).close()
    build_segments(tmp_path / "bulk", [lambda: iter(docs)])
    expected = postings(stock)
    assert postings(whoosh.index.open_dir(str(tmp_path / "bulk"))) == expected
    assert len([k for k in expected if k[0] == "x"]) > 3


def test_workers_and_small_segments_keep_documents_in_order(docs, stock, tmp_path):
    ix = _bulk(tmp_path, docs, shards=2, max_docs=7)
    assert len(ix._segments()) == -(-((len(docs) + 1) // 2) // 7) + -(-(len(docs) // 2) // 7)
    bulk = _dump(ix, lengths=False)
    assert bulk["stored"] == stock["stored"] and bulk["columns"] == stock["columns"]
    assert {k: [p[:2] for p in v[0]] for k, v in bulk["terms"].items()} == {
        k: [p[:2] for p in v[0]] for k, v in stock["terms"].items()
    }


def test_whooshs_merge_of_bulk_segments_equals_its_own_writer(docs, stock, tmp_path, monkeypatch):
    """Whoosh's own merge (optimize) reads the bulk segments' inlined terms, protocol-5 blocks, tuple
    positions and terms kept as arrays only (ArraysCodec), and writes them in its own format: the merged
    index reads as Whoosh's merge of segments its own writer wrote (a merge sums the one-byte lengths, so
    total lengths differ from an unmerged index)."""
    from indexer.engine.whoosh import segments

    monkeypatch.setattr(segments, "ARRAY_MIN_DF", 3)
    (tmp_path / "bulk").mkdir()
    (tmp_path / "own").mkdir()
    ix = _bulk(tmp_path / "bulk", docs, shards=2, max_docs=3)  # 3 so the seed's few documents make 3+
    assert len(ix._segments()) > 2 and list((tmp_path / "bulk").glob("*.ard"))
    ix.optimize()
    own = whoosh.index.create_in(str(tmp_path / "own"), make_schema())
    for i in range(0, len(docs), 3):
        with own.writer() as w:
            w.merge = False
            for fields in docs[i : i + 3]:
                w.add_document(**fields)
    assert len(own._segments()) > 2
    own.optimize()
    merged = _dump(whoosh.index.open_dir(str(tmp_path / "bulk")))
    assert merged == _dump(whoosh.index.open_dir(str(tmp_path / "own")))
    assert merged["terms"] == stock["terms"] and merged["stored"] == stock["stored"]


def test_whooshs_own_search_reads_terms_kept_as_arrays_as_it_reads_its_own_blocks(docs, tmp_path, monkeypatch):
    """A term kept in the segment's arrays only is served to Whoosh by ArrayMatcher: Whoosh's own searches
    (top hits with its block-quality skipping, every hit, phrases by positions, sorted by a column) give the
    documents and scores they give on an index its own writer wrote, with skip_to and copies of the matcher."""
    from whoosh import query as wq

    from indexer.engine.whoosh import segments
    from indexer.engine.whoosh.codec import ArrayMatcher

    monkeypatch.setattr(segments, "ARRAY_MIN_DF", 3)
    (tmp_path / "own").mkdir()
    (tmp_path / "bulk").mkdir()
    own = _stock(tmp_path / "own", docs)
    bulk = _bulk(tmp_path / "bulk", docs, shards=1, max_docs=10_000)
    queries = [
        wq.Term("body", "人民"),
        wq.Term("bbody", "政府"),
        wq.Term("cbody", "国"),
        wq.Term("canonical", "1"),
        wq.And([wq.Term("bbody", "人民"), wq.Term("bbody", "政府"), wq.Term("cbody", "法")]),
        wq.Or([wq.Term("body", "管理"), wq.Term("title", "通知"), wq.Term("bbody", "规定")]),
        wq.Phrase("bbody", ["人民", "民政", "政府"]),
        wq.AndNot(wq.Term("cbody", "国"), wq.Term("bbody", "政府")),
    ]
    with bulk.searcher() as b, own.searcher() as o:
        r = b.reader()
        seq = [(t.text, t.pos) for t in WordTokenizer()(docs[0]["body"], positions=True)]
        terms, poses = [t for t, _ in seq], [p for _, p in seq]  # two words in a row, each in several documents
        common = {t for t in terms if r.doc_frequency("body", t) >= 3}
        pair = next(
            (terms[i], terms[j])
            for i in range(len(terms))
            for j in range(i + 1, len(terms))
            if poses[j] == poses[i] + 1 and terms[i] in common and terms[j] in common
        )
        queries.append(wq.Phrase("body", list(pair)))
        m = r.postings("bbody", "政府")
        assert isinstance(m, ArrayMatcher) and m.supports_block_quality() is False
        ids = list(m.all_ids())
        assert len(ids) >= 3 and ids == list(o.reader().postings("bbody", "政府").all_ids())
        for field, kind in (
            ("bbody", "positions"),
            ("body", "positions"),
            ("cbody", "frequency"),
            ("canonical", "weight"),
        ):
            for term in r.lexicon(field):  # every posting at once, as `govsearch check` reads them
                assert list(r.postings(field, term).items_as(kind)) == list(
                    o.reader().postings(field, term).items_as(kind)
                )
        m.skip_to(ids[1] + 1)
        copy = m.copy()
        assert m.id() == copy.id() == ids[2] and copy.value_as("positions") == m.value_as("positions")
        for q in queries:
            for limit in (3, None):
                got = [(h.docnum, round(h.score, 6)) for h in b.search(q, limit=limit)]
                expected = [(h.docnum, round(h.score, 6)) for h in o.search(q, limit=limit)]
                assert got == expected and got, (q, limit)
            assert [h.docnum for h in b.search(q, limit=None, sortedby="date_num")] == [
                h.docnum for h in o.search(q, limit=None, sortedby="date_num")
            ]


def test_incremental_writes_and_deletes_work_on_bulk_segments(docs, tmp_path):
    ix = _bulk(tmp_path, docs, shards=1, max_docs=10_000)
    with ix.writer() as w:
        w.update_document(**{**docs[1], "title": "换了标题"})
    with ix.searcher() as s:
        assert s.doc_count() == len(docs)
        assert s.document(id=docs[1]["id"])["title"] == "换了标题"


@pytest.mark.parametrize("text", TEXTS)
def test_fast_sequences_equal_the_tokenizers(text):
    """The bulk writer's token sequences are the tokenizers' tokens: words with their positions, and the
    characters whose pairs (for the pair fields) and counts (for the character fields) it indexes."""
    from indexer.engine.whoosh.segments import Tokens

    tokens = Tokens("word")  # two documents: the second's positions start from 0 again
    for docnum in (0, 1):
        assert tokens.add(text, docnum) in (None, 0)
    terms, term_starts, docs, counts, poses = tokens.postings()
    expected = sorted((t.text.encode("utf-8"), d, t.pos) for d in (0, 1) for t in WordTokenizer()(text, positions=True))
    at = 0
    got = []
    for i, term in enumerate(terms):
        for j in range(term_starts[i], term_starts[i + 1]):
            got += [(term, int(docs[j]), int(p)) for p in poses[at : at + counts[j]]]
            at += counts[j]
    assert got == expected
    chars = stripped(text)
    assert [(t.text, t.pos) for t in CharTokenizer()(text, positions=True)] == [(c, i) for i, c in enumerate(chars)]
    pairs = [(chars[i : i + 2], i) for i in range(len(chars) - 1)]
    assert [(t.text, t.pos) for t in BigramTokenizer()(text, positions=True)] == pairs


def test_every_text_field_takes_a_fast_path_and_characters_keep_counts_only():
    """No text field falls back to Whoosh's per-token indexing; the character fields (only one-character
    queries read them) store counts, not positions, and the pair fields keep positions for phrases."""
    from whoosh.formats import Frequency, Positions

    from indexer.engine.whoosh.segments import _kind

    schema = make_schema()
    kinds = {name: _kind(schema[name]) for name in ("title", "body", "ctitle", "cbody", "btitle", "bbody")}
    assert kinds == {
        "title": "word",
        "body": "word",
        "ctitle": "charcount",
        "cbody": "charcount",
        "btitle": "bigram",
        "bbody": "bigram",
    }
    assert type(schema["cbody"].format) is Frequency and type(schema["bbody"].format) is Positions


def test_unknown_fields_are_refused_as_whooshs_writer_refuses_them(docs, tmp_path):
    """A field the schema lacks is an error (Whoosh's UnknownFieldError), before anything of the document is
    kept. A name starting with _ is no field: Whoosh's add_document reads _boost and _<field>_boost as
    boosts, which our records never carry and the bulk writer does not apply (it ignores such names)."""
    from whoosh.fields import UnknownFieldError
    from whoosh.filedb.filestore import FileStorage

    from indexer.engine.whoosh.segments import SegmentBuilder

    whoosh.index.create_in(str(tmp_path), make_schema()).close()
    builder = SegmentBuilder(FileStorage(str(tmp_path)), make_schema())
    with pytest.raises(UnknownFieldError, match="colour"):
        builder.add({**docs[0], "colour": "red"})
    assert builder.docnum == 0
    builder.add({**docs[0], "_boost": 2.0})
    assert builder.finish().doc_count_all() == 1


def test_the_stable_order_of_codes_is_numpys_stable_argsort():
    """Codes sorted with their indexes packed in one integer (a plain sort), or by argsort when they would
    not fit in 64 bits: the same order as a stable argsort, ties in index order."""
    import numpy as np

    from indexer.engine.whoosh.segments import _stable_order

    rng = np.random.default_rng(7)
    for codes in (
        rng.integers(0, 50, 10_000).astype(np.uint32),  # many ties
        rng.integers(0, 2**40, 5_000, dtype=np.uint64),  # wide: 40 + 13 bits
        rng.integers(2**60, 2**63, 1_000, dtype=np.uint64),  # too wide to pack: argsort
        np.zeros(0, dtype=np.uint64),
        np.array([5], dtype=np.uint64),
    ):
        assert np.array_equal(_stable_order(codes), np.argsort(codes, kind="stable"))
