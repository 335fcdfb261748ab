"""Arrays prepared at ingest for a cold start equal the ones a first search would read itself."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from indexer.config import Settings
from indexer.engine.whoosh import columns, evaluate
from indexer.engine.whoosh.backend import WhooshBackend
from indexer.engine.whoosh.warm import WARM_FILE, load_warm, scored_fields, write_warm
from indexer.generations import current_generation
from indexer.ingest import ingest
from indexer.models import SearchRequest


@pytest.fixture(scope="module")
def folder(index_dir: Path) -> Path:
    return index_dir / str(current_generation(index_dir))


def test_ingest_writes_the_versions_arrays(folder: Path, backend) -> None:
    state = pickle.loads((folder / WARM_FILE).read_bytes())
    s = backend._searcher()
    assert state["version"] == columns.version_key(s.reader())
    fresh = columns.Columns(s)
    columns.remember_columns(state["version"], state["columns"])
    kept = columns.columns(s)  # the Columns rebuilt from the file's arrays
    assert kept is not fresh and kept.size == fresh.size and np.array_equal(kept.dates, fresh.dates)
    assert np.array_equal(kept.shown, fresh.shown) and np.array_equal(kept.group, fresh.group)
    for name, facet in fresh.facets.items():
        got = kept.facets[name]
        assert got.values == facet.values and got.index == facet.index and np.array_equal(got.codes, facet.codes)
        assert (got.docs is None) == (facet.docs is None) and (got.docs is None or np.array_equal(got.docs, facet.docs))
    for leaf, _ in s.reader().leaf_readers():
        for name in scored_fields(s.schema):
            got = state["lengths"][(leaf.segment().segment_id(), name)]
            assert np.array_equal(got, evaluate.field_lengths(leaf, name))
    assert set(scored_fields(s.schema)) >= {"title", "body"}


def test_loading_fills_the_caches_a_first_search_reads(folder: Path, backend) -> None:
    reader = backend._searcher().reader()
    key = columns.version_key(reader)
    columns._cache.pop(key, None)
    assert load_warm(folder, reader) and key in columns._cache


def test_the_spelling_dictionary_is_made_at_ingest_and_loaded_not_built(folder: Path, backend, monkeypatch) -> None:
    """warm.pkl holds the version's correction dictionary, equal to one built from the index's whole
    lexicon through Whoosh's index-wide reader (the reference); loading it leaves nothing to build."""
    from indexer.engine.whoosh import lexicon

    state = pickle.loads((folder / WARM_FILE).read_bytes())
    reader = backend._searcher().reader()
    df: dict[str, int] = {}
    for fieldname in lexicon.FIELDS:  # the reference: every term through the index-wide reader
        for term, info in reader.iter_field(fieldname):
            word = term.decode("utf-8")
            if lexicon.MIN_WORD <= len(word) <= lexicon.MAX_WORD and info.doc_frequency() >= lexicon.MIN_DF:
                if lexicon.CJK_WORD.fullmatch(word):
                    df[word] = max(df.get(word, 0), info.doc_frequency())
    kept = state["spelling"]
    assert kept.df == df and len(df) > 100
    from pypinyin import Style, pinyin

    for ch in sorted(kept.readings)[:: max(1, len(kept.readings) // 200)]:  # the table is pypinyin's readings
        assert kept.readings[ch] == tuple(dict.fromkeys(pinyin(ch, style=Style.NORMAL, heteronym=True)[0])), ch
    assert {ch for w in df for ch in w} == set(kept.readings)
    assert kept.by_sound == lexicon.build(reader).by_sound
    key = columns.version_key(reader)
    lexicon._cache.pop(key, None)
    assert load_warm(folder, reader)
    monkeypatch.setattr(lexicon, "build", None)  # a build now would fail: the file's dictionary is used
    assert lexicon.dictionary(reader).df == df


def test_a_file_of_another_version_is_ignored(tmp_path: Path, corpus_files: list[str]) -> None:
    ix = tmp_path / "ix"
    ingest(corpus_files[:1], ix)  # the seed notice alone: another version
    other = ix / str(current_generation(ix))
    with WhooshBackend(Settings(index_dir=ix))._searcher() as s:
        assert load_warm(other, s.reader())
        (other / WARM_FILE).unlink()
        assert not load_warm(other, s.reader())
        write_warm(other)
        assert load_warm(other, s.reader())


def test_searches_answer_the_same_from_prepared_arrays(settings: Settings, backend) -> None:
    req = SearchRequest(q="安全生产", filters=(("year", "2019"),))
    cold = WhooshBackend(settings)  # loads warm.pkl when it opens the index
    assert cold.search(req) == backend.search(req)


def test_a_file_of_an_older_format_is_ignored(tmp_path: Path, backend) -> None:
    folder = tmp_path / "gen"
    folder.mkdir()
    (folder / WARM_FILE).write_bytes(b"\x80\x04not a pickle")
    assert not load_warm(folder, backend._searcher().reader())
    (folder / WARM_FILE).write_bytes(pickle.dumps({"version": "x", "columns": object}))
    assert not load_warm(folder, backend._searcher().reader())
