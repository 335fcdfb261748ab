"""A SearchRequest is checked once, where it is made; the search checks only how deep a page reaches."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from indexer.cli import main
from indexer.errors import BadRequest
from indexer.models import FACET_FIELDS, SearchRequest
from indexer.search import MAX_WINDOW, check_request


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sort": "colour"}, "unknown sort 'colour'"),
        ({"filters": (("colour", "red"),)}, "unknown filter 'colour'"),
        ({"page": 0}, "positive whole numbers"),
        ({"per_page": -1}, "positive whole numbers"),
        ({"sort": "x" * 5000}, "unknown sort 'xxxxxxxxxxxxxxxxxxxx'"),  # never echoed in full
    ],
)
def test_a_bad_request_cannot_be_made(changes: dict, message: str) -> None:
    with pytest.raises(BadRequest, match=message) as e:
        SearchRequest(q="通知", **changes)
    assert len(str(e.value)) < 200


def test_every_facet_and_sort_makes_a_request_and_only_depth_is_left_to_the_search() -> None:
    for sort in ("relevance", "date", "date_asc"):
        req = SearchRequest(sort=sort, filters=tuple((name, "x") for name in FACET_FIELDS), page=MAX_WINDOW // 20)
        check_request(req)  # the deepest page a search serves
    with pytest.raises(BadRequest, match="at most"):
        check_request(SearchRequest(page=MAX_WINDOW // 20 + 1))


def test_the_command_line_reports_a_bad_filter_in_one_line() -> None:
    result = CliRunner().invoke(main, ["search", "通知", "--filter", "colour=red", "--index", "/nonexistent"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert [line for line in result.output.splitlines() if line] == [
        "Error: unknown filter 'colour': use one of topic, agency, region, year, doc_type, status, attachment"
    ]
