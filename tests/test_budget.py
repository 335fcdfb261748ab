"""The per-request time budget: a search past it answers with what it has, marked partial (never timed here)."""

from __future__ import annotations

import pytest

from indexer.budget import MAX_SUGGEST_WORD, MAX_SUGGEST_WORDS, BoundedSearcher, BudgetExceeded, Deadline, suggestable
from indexer.config import SERVE_TIME_BUDGET_MS, Settings
from indexer.engine.whoosh.backend import WhooshBackend
from indexer.models import SearchRequest
from indexer.query import parse
from webapp import create_app

COMMON = "安全生产"  # many laws of the session index use it


@pytest.fixture(scope="module")
def spent(settings: Settings):
    """An app whose budget is spent before any stage can be checked (0 ms): deterministic, not timed."""
    return create_app(settings.with_(time_budget_ms=0)).test_client()


def test_a_spent_budget_answers_with_the_hits_marked_partial(spent, client) -> None:
    data = spent.get(f"/api/search?q={COMMON}").get_json()
    full = client.get(f"/api/search?q={COMMON}").get_json()
    assert data["partial"] is True and full["partial"] is False
    assert any("time budget of 0 ms" in w and "re-ranking" in w for w in data["warnings"])
    assert data["total"] == full["total"] > 0  # matches are always counted in full: total and facets exact
    assert data["facets"] == full["facets"]
    # without re-ranking: the 20 best by BM25, which re-ranking only reorders within the top 100
    top100 = client.get(f"/api/search?q={COMMON}&per_page=100").get_json()["hits"]
    assert len(data["hits"]) == 20 and {h["id"] for h in data["hits"]} <= {h["id"] for h in top100}
    assert not any("time budget" in w for w in full["warnings"])


def test_the_page_shows_the_budget_warning(spent) -> None:
    html = spent.get(f"/search?q={COMMON}").get_data(as_text=True)
    assert "time budget of 0 ms" in html and 'class="warning"' in html


def test_a_spent_budget_skips_the_suggestion_and_says_so(spent, client) -> None:
    typo = "安全生厂"
    full = client.get(f"/api/search?q={typo}").get_json()
    data = spent.get(f"/api/search?q={typo}").get_json()
    assert full["corrected"] and full["total"] > 0  # without a budget the typo is corrected (and searched)
    assert data["total"] == 0 and data["corrected"] is None and data["did_you_mean"] is None and data["partial"]
    assert any("spelling correction" in w for w in data["warnings"])
    assert any("did-you-mean" in w for w in data["warnings"])


def test_a_partial_page_is_not_kept_in_the_result_cache(settings: Settings) -> None:
    backend = WhooshBackend(settings.with_(time_budget_ms=0))
    req = SearchRequest(q=COMMON)
    assert backend.search(req).partial and backend.search(req).partial  # run again, not served from the cache
    assert not backend._pages


def test_without_a_budget_nothing_is_partial(settings: Settings) -> None:
    page = WhooshBackend(settings.with_(time_budget_ms=None)).search(SearchRequest(q=COMMON))
    assert not page.partial and page.total > 0


def test_the_budget_comes_from_the_environment_with_clear_errors() -> None:
    assert Settings.from_env({"GOVSEARCH_TIME_BUDGET_MS": "250"}).time_budget_ms == 250
    assert Settings.from_env({"GOVSEARCH_TIME_BUDGET_MS": "off"}).time_budget_ms is None
    assert Settings.from_env({}).time_budget_ms is Settings().time_budget_ms is None  # library use: no limit
    assert Settings.from_env({}, serving=True).time_budget_ms == SERVE_TIME_BUDGET_MS == 2000  # govsearch serve
    assert Settings.from_env({"GOVSEARCH_TIME_BUDGET_MS": "off"}, serving=True).time_budget_ms is None
    with pytest.raises(ValueError, match="whole milliseconds"):
        Settings.from_env({"GOVSEARCH_TIME_BUDGET_MS": "1.5s"})
    with pytest.raises(ValueError, match="0 or more"):
        Settings(time_budget_ms=-1)


def test_a_deadline_records_what_it_skipped() -> None:
    d = Deadline(0)
    assert d.expired() and not d.partial
    d.skip("a did-you-mean")
    assert d.partial and d.warning() == "partial result: the time budget of 0 ms ran out before a did-you-mean"
    assert not Deadline(None).expired()


def test_absurdly_long_words_get_no_suggestion_work(client) -> None:
    word = "a" * 1000
    assert not suggestable(parse(word)) and not suggestable(parse(" ".join(["b" * 99] * 10)))
    assert suggestable(parse("安全生厂")) and suggestable(parse("x" * MAX_SUGGEST_WORD))
    data = client.get(f"/api/search?q={word}").get_json()
    assert data["total"] == 0 and data["did_you_mean"] is None and data["partial"] is False


def test_long_queries_get_no_suggestion_work_and_short_typos_still_do(client) -> None:
    many = " ".join(f"zq{chr(97 + i)}" for i in range(MAX_SUGGEST_WORDS + 1))  # one word each: zqa zqb ...
    assert not suggestable(parse(many)) and suggestable(parse(" ".join(many.split()[:MAX_SUGGEST_WORDS])))
    short = client.get("/api/search?q=安全生厂").get_json()
    assert short["corrected"] or short["did_you_mean"]  # a short typo still gets its correction work


def test_the_suggestions_look_ups_stop_at_the_deadline(searcher_and_deadline) -> None:
    bounded, deadline = searcher_and_deadline
    with pytest.raises(BudgetExceeded):
        list(bounded.reader().terms_within("body", "安全生厂", 1))
    assert bounded.reader().doc_count_all() == bounded.doc_count_all() > 0  # everything else passes through


@pytest.fixture
def searcher_and_deadline(backend):
    deadline = Deadline(0)
    return BoundedSearcher(backend._searcher(), deadline), deadline


def test_the_interruptible_scan_finds_what_whooshs_scan_finds(backend) -> None:
    from whoosh.reading import IndexReader

    from indexer.budget import _BoundedReader

    reader = backend._searcher().reader()
    bounded = _BoundedReader(reader, Deadline(None))
    for field, word, prefix in (("body", "安全生厂", 0), ("title", "条列", 0), ("docnum_key", "国发|2019|1", 1)):
        assert list(bounded._scan(field, word, 1, prefix)) == list(
            IndexReader.terms_within(reader, field, word, 1, prefix)
        )
