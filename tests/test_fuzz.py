"""Hostile input to the web app and API: Hypothesis property tests and Schemathesis against /openapi.json.

Every generated request must come back without a 5xx; an error on the API is a 4xx with {"ok": false, "error": ...}.
"""

from __future__ import annotations

import functools
import json
import string
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.config import Settings
from indexer.ingest import ingest
from indexer.models import SkipDocument
from indexer.pipeline import to_document

from .conftest import LAWS, head_jsonl, need_shared

N_DOCS, BODY_CHARS = 12, 300  # a tiny real index: the input handling is under test, not the ranking
REQUESTS = 10_000  # generated requests all tests of this module must send together
EXAMPLES = {"q": 600, "params": 3000, "raw": 2600, "paths": 3600, "schemathesis": 300}
JSON_PATHS = ("/api/", "/export", "/healthz", "/openapi")
SENT: Counter[str] = Counter()  # requests sent, per test
FUZZ = settings(
    deadline=None,
    database=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)

# pieces of hostile queries: index words (so that some queries find something), operators, quotes, metacharacters
WORDS = ["条例", "管理", "人民政府", "规定", "口岸", "安全", "委员会", "第一条", "本市", "国务院"]
OPERATORS = [
    '"',
    '""',
    "'",
    "“",
    "”",
    "《",
    "》",
    "AND",
    "OR",
    "NOT",
    "and",
    "or",
    "-",
    "+",
    "--",
    "(",
    ")",
    "((",
    "*",
    "?",
    "~",
    "^",
    "!",
    "&&",
    "||",
    ":",
    "::",
    "\\",
    "/",
    "title:",
    "标题:",
    "文号:",
    "机关:",
    "agency:",
    "date:",
    "日期:",
    "date:2014-01-01..2014-12-31",
    "date:..",
    "date:9999-99-99..0000-00-00",
    "date:2014..",
    "doc_number:",
    "国发〔2014〕5号",
    "〔",
    "〕",
    "[",
    "]",
    "{",
    "}",
    "{1,}",
    ".*",
    "[a-z]+",
    "(?:",
    "$",
    "|",
    "%",
    "%00",
    "%ff",
    "\x00",
    "\x1b[31m",
    "\u202e",
    "\ufeff",
    "\u200b",
    "𠀀",
    "　",
    "\t",
    "\n",
    "\r\n",
    "'; DROP TABLE records; --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "${jndi:ldap://x}",
    "{{7*7}}",
    "a" * 300,
    "政府" * 150,
]
PARAMS = [
    "q",
    "page",
    "per_page",
    "sort",
    "from",
    "to",
    "synonyms",
    "all",
    "lang",
    "topic",
    "agency",
    "region",
    "year",
    "doc_type",
    "status",
    "attachment",
    "fmt",
    "doc_id",
    "endpoint",
    "_external",
    "_scheme",
    "_anchor",
    "_method",
    "filename",
]  # the last ones collide with url_for()'s own arguments
NUMBERS = [
    "0",
    "1",
    "2",
    "-1",
    "+1",
    "999999",
    "1000000",
    "1000001",
    "99999999999999999999",
    "1e3",
    "1.5",
    " 3",
    "0x10",
    "١٢",
    "２",
    "NaN",
    "inf",
    "",
    "00000000000001",
    "-0",
]
BAD_ESCAPES = [
    "%ff",
    "%fe%ff",
    "%c3%28",
    "%ed%a0%80",
    "%00",
    "%",
    "%zz",
    "%e4%b8",
    "%F0%9F%98",
    "%c0%af",
    "%2e%2e%2f",
    "%0d%0a",
    "%u4e2d",
    "+",
    "&",
    "=",
    "==",
    "&&",
    ";",
]
ENDPOINTS = ("/api/search", "/search", "/search.atom", "/export.csv", "/export.jsonl", "/export.manifest.json")


class CountRequests:
    """WSGI middleware that counts the requests reaching the app."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.count = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        self.count += 1
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The web app over a tiny real index, with a request counter in front."""
    from webapp import create_app

    need_shared(LAWS)
    tmp = tmp_path_factory.mktemp("fuzz")
    docs = [{**r, "body": (r.get("body") or "")[:BODY_CHARS]} for r in head_jsonl(LAWS, N_DOCS)]
    (tmp / "docs.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), "utf-8")
    ingest([str(tmp / "docs.jsonl")], tmp / "ix")
    app = create_app(Settings(index_dir=tmp / "ix"))
    app.wsgi_app = CountRequests(app.wsgi_app)  # type: ignore[method-assign]
    return app


@pytest.fixture(scope="module")
def fuzz_client(fuzz_app: Flask) -> FlaskClient:
    """A test client of the fuzzed app."""
    return fuzz_app.test_client()


@pytest.fixture
def counted(fuzz_app: Flask, request: pytest.FixtureRequest) -> Iterator[None]:
    """Count the requests one test sends."""
    before = fuzz_app.wsgi_app.count  # type: ignore[attr-defined]
    yield
    SENT[request.node.name.split("[")[0]] += fuzz_app.wsgi_app.count - before  # type: ignore[attr-defined]


def assert_clean(resp: Any, url: str) -> None:
    """Assert no 5xx; errors are 4xx, with {"ok": false, "error": "..."} on the JSON paths."""
    data = resp.get_data()  # reads a streamed body to the end: a failure while streaming shows here
    assert resp.status_code < 500, f"{resp.status_code} for {url!r}: {data[:300]!r}"
    path = url.split("?")[0]
    if resp.status_code >= 400 and path.startswith(JSON_PATHS):
        body = json.loads(data)
        assert body["ok"] is False and isinstance(body["error"], str) and body["error"], body
        assert resp.mimetype == "application/json"
    elif resp.status_code == 200 and path == "/api/search":
        body = json.loads(data)
        assert {"query", "total", "page", "per_page", "hits", "facets"} <= body.keys()


@functools.cache
def first_id() -> str:
    """Return the id of the first document of the fuzzed index."""
    return str(head_jsonl(LAWS, 1)[0]["id"])


def queries() -> st.SearchStrategy[str]:
    """Hostile query strings: pieces joined by spaces or nothing, arbitrary text, and very long strings."""
    pieces = st.lists(st.sampled_from(WORDS + OPERATORS), min_size=1, max_size=12)
    return st.one_of(
        st.tuples(pieces, st.sampled_from([" ", ""])).map(lambda t: t[1].join(t[0])),
        st.text(st.characters(blacklist_categories=("Cs",)), max_size=80),
        st.text(string.printable, max_size=80),
        st.sampled_from(["a" * 10_000, "政" * 10_000, '"' * 1001, "(" * 999, "-" * 1000, "\x00" * 1000]),
    )


@pytest.mark.slow
@settings(FUZZ, max_examples=EXAMPLES["q"])
@given(q=queries(), endpoint=st.sampled_from(ENDPOINTS + ("/doc/",)))
def test_hostile_queries_never_fail(fuzz_client: FlaskClient, counted: None, q: str, endpoint: str) -> None:
    """Arbitrary q strings on every page, API, feed and export: a page or a 400, never a 5xx."""
    path = f"/doc/{quote(first_id())}" if endpoint == "/doc/" else endpoint
    resp = fuzz_client.get(path, query_string={"q": q})
    assert_clean(resp, path)


def values() -> st.SearchStrategy[str]:
    """Parameter values: numbers and near-numbers, dates, flags, arbitrary text."""
    return st.one_of(
        st.sampled_from(NUMBERS),
        st.sampled_from(WORDS),
        st.text(max_size=30).filter(_encodable),
        st.sampled_from(
            [
                "relevance",
                "date",
                "date_asc",
                "DATE",
                "true",
                "false",
                "on",
                "yes",
                "2014-01-01",
                "2014-13-45",
                "0000-00-00",
                "9999-12-31",
                "2014-1-1",
                "zh",
                "en",
            ]
        ),
    )


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@pytest.mark.slow
@settings(FUZZ, max_examples=EXAMPLES["params"])
@given(
    pairs=st.lists(
        st.tuples(st.one_of(st.sampled_from(PARAMS), st.text(max_size=10).filter(_encodable)), values()), max_size=8
    ),
    endpoint=st.sampled_from(ENDPOINTS + ("/",)),
)
def test_arbitrary_parameters_never_fail(
    fuzz_client: FlaskClient, counted: None, pairs: list[tuple[str, str]], endpoint: str
) -> None:
    """Facet filters, pages, sizes, sorts, dates and flags with arbitrary values: never a 5xx."""
    if not any(name == "q" for name, _ in pairs):
        pairs = [("q", ""), *pairs]  # an empty query finds everything and never pays for suggestions
    qs = "&".join(f"{quote(n, safe='')}={quote(v, safe='')}" for n, v in pairs)
    resp = fuzz_client.get(endpoint, query_string=qs)
    assert_clean(resp, f"{endpoint}?{qs}")


@pytest.mark.slow
@settings(FUZZ, max_examples=EXAMPLES["raw"])
@given(
    parts=st.lists(
        st.one_of(st.sampled_from(BAD_ESCAPES), st.sampled_from(PARAMS), st.text("abcdefq=&%0123456789", max_size=6)),
        min_size=1,
        max_size=12,
    ),
    endpoint=st.sampled_from(ENDPOINTS),
)
def test_invalid_utf8_and_broken_escapes_never_fail(
    fuzz_client: FlaskClient, counted: None, parts: list[str], endpoint: str
) -> None:
    """Raw query strings with invalid UTF-8 percent-escapes, lone %, stray & and =: never a 5xx."""
    qs = "".join(parts)
    resp = fuzz_client.get(endpoint, query_string=qs)
    assert_clean(resp, f"{endpoint}?{qs}")


@pytest.mark.slow
@settings(FUZZ, max_examples=EXAMPLES["paths"])
@given(
    doc_id=st.one_of(
        st.text(max_size=40).filter(_encodable).map(lambda t: quote(t, safe="")),
        st.lists(
            st.sampled_from(
                [
                    "..",
                    "%2e%2e",
                    "%2f",
                    "/",
                    "etc",
                    "passwd",
                    "%00",
                    "%ff",
                    "\\",
                    "C:",
                    "~",
                    "records.sqlite",
                    "CURRENT",
                    ".lock",
                    "gen-1",
                ]
            ),
            min_size=1,
            max_size=8,
        ).map("".join),
    ),
    prefix=st.sampled_from(["/api/doc/", "/doc/"]),
)
def test_arbitrary_document_ids_never_fail(fuzz_client: FlaskClient, counted: None, doc_id: str, prefix: str) -> None:
    """Document URLs with arbitrary ids, traversal and encoded NULs: the page, or a 404, never a 5xx."""
    resp = fuzz_client.get(prefix + doc_id)
    assert_clean(resp, prefix + doc_id)
    assert resp.status_code in (200, 404, 308), (resp.status_code, doc_id)


def records() -> st.SearchStrategy[dict[str, Any]]:
    """Arbitrary JSON records: known fields with values of any JSON type, and unknown fields."""
    leaf = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=40),
        st.sampled_from(OPERATORS + ["<html><body><p>未闭合", "<html>" * 50, "2014年13月45日"]),
    )
    value = st.recursive(
        leaf,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=6,
    )
    fields = st.sampled_from(
        [
            "id",
            "url",
            "title",
            "body",
            "html",
            "agency",
            "doc_number",
            "index_no",
            "date",
            "date_issued",
            "topics",
            "doc_type",
            "region",
            "status",
            "source",
            "category",
            "date_published",
            "发布日期",
            "文号",
            "keywords",
            "summary",
        ]
    )
    return st.dictionaries(st.one_of(fields, st.text(max_size=8)), value, max_size=10)


@settings(FUZZ, max_examples=600)
@given(rec=records())
def test_any_json_record_becomes_a_document_or_a_reason(rec: dict[str, Any]) -> None:
    """The ingest pipeline maps any JSON object to a Document or refuses it with a reason, never crashes."""
    try:
        doc = to_document(rec, source="fuzz")
    except SkipDocument as e:
        assert e.reason
        return
    assert doc.doc_id and isinstance(doc.title, str) and isinstance(doc.body, str)
    json.dumps(doc.to_record(), ensure_ascii=False)


@pytest.fixture(scope="module")
def api_cases(fuzz_app: Flask) -> st.SearchStrategy[Any]:
    """Cases for every operation of the app's own OpenAPI document (loaded through the WSGI app), valid and not."""
    import schemathesis
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_wsgi("/openapi.json", fuzz_app)
    return st.one_of(schema.as_strategy(GenerationMode.POSITIVE), schema.as_strategy(GenerationMode.NEGATIVE))


@pytest.mark.slow
@settings(FUZZ, max_examples=EXAMPLES["schemathesis"])
@given(data=st.data())
def test_openapi_operations_answer_as_documented(
    api_cases: st.SearchStrategy[Any], counted: None, data: st.DataObject
) -> None:
    """Schemathesis: no 5xx, documented status codes, content types and response shapes; errors as documented."""
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        negative_data_rejection,
        response_schema_conformance,
        status_code_conformance,
    )

    case = data.draw(api_cases)
    resp = case.call()
    case.validate_response(
        resp,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            negative_data_rejection,
        ],
    )
    if resp.status_code >= 400:
        body = resp.json()
        assert body["ok"] is False and body["error"], body


def test_generated_requests_add_up() -> None:
    """All the tests above together sent at least REQUESTS generated requests (when they all ran)."""
    if len(SENT) < 5:
        pytest.skip(f"only part of the fuzz tests ran: {dict(SENT)}")
    print(f"\n[fuzz] generated requests: {sum(SENT.values())} {dict(SENT)}")
    assert sum(SENT.values()) >= REQUESTS, dict(SENT)
