"""The advanced-search form: fields that build the same /search URL a typed query would, so it stays shareable."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from indexer.api import BadRequest, SearchRequest

from .api import run_search, settings
from .params import MAX_QUERY_CHARS, search_request

bp = Blueprint("advanced", __name__)

WORD_FIELDS = ("all_words", "any_words", "phrase", "none_words")
FACET_FIELDS = ("agency", "region", "doc_type", "status")  # chosen from the index's own values
DATE_FIELDS = ("from", "to", "issued_from", "issued_to")
FORM_FIELDS = (*WORD_FIELDS, "scope", "doc_number", *FACET_FIELDS, *DATE_FIELDS)
OPERATORS = ("OR", "AND", "NOT")  # words the query syntax would read as operators: searched as phrases
SUGGESTIONS = 200  # values offered per field (datalist or select)


def issued_range_supported() -> bool:
    """Tell whether this version's search can filter by 成文日期 (SearchRequest has issued_from)."""
    return "issued_from" in {f.name for f in fields(SearchRequest)}


def _clean(text: str) -> str:
    return text.replace('"', "").replace("“", "").replace("”", "").strip()


def term(word: str, scope: str, negate: bool = False) -> str:
    """Return one word in the query syntax, in the title only when scope is title."""
    text = _clean(word)
    if not text:
        return ""
    needs_quotes = text in OPERATORS or text.startswith("-") or ":" in text or "：" in text
    body = f'"{text}"' if needs_quotes else text
    return ("-" if negate else "") + ("title:" if scope == "title" else "") + body


def compose_query(form: MultiDict[str, str], known_agencies: set[str]) -> str:
    """Return the query the form's text fields make: words ANDed, one OR group, a phrase, exclusions, 文号."""
    scope = form.get("scope", "")
    parts = [term(w, scope) for w in form.get("all_words", "").split()]
    parts.append(" OR ".join(filter(None, (term(w, scope) for w in form.get("any_words", "").split()))))
    if phrase := _clean(form.get("phrase", "")):
        parts.append(("title:" if scope == "title" else "") + f'"{phrase}"')
    parts += [term(w, scope, negate=True) for w in form.get("none_words", "").split()]
    if number := "".join(form.get("doc_number", "").split()):
        parts.append(f"文号:{number}")
    agency = form.get("agency", "").strip()
    if agency and agency not in known_agencies:  # not one of the index's values: search it as text
        parts.append(f"机关:{''.join(agency.split())}")
    return " ".join(p for p in parts if p)


def target_args(form: MultiDict[str, str], known_agencies: set[str]) -> dict[str, str]:
    """Return the /search parameters of a submitted form; raise BadRequest the way /search would."""
    args = {"q": compose_query(form, known_agencies)}
    agency = form.get("agency", "").strip()
    if agency in known_agencies:
        args["agency"] = agency
    args |= {name: form.get(name, "").strip() for name in ("region", "doc_type", "status", "from", "to")}
    issued = {name: form.get(name, "") for name in ("issued_from", "issued_to")}
    if any(issued.values()) and not issued_range_supported():
        raise BadRequest("this index cannot filter by 成文日期 yet: leave issued_from and issued_to empty")
    args = {k: v for k, v in (args | issued).items() if v}
    if len(args.get("q", "")) > MAX_QUERY_CHARS:
        raise BadRequest(f"the form makes a query of {len(args['q'])} characters; at most {MAX_QUERY_CHARS}")
    s = settings()
    search_request(MultiDict(args), s.page_size, s.max_page_size)  # the same checks as the results page
    return args


def suggestions() -> dict[str, list[str]]:
    """Return the index's own values of each facet the form offers, most frequent first."""
    page = run_search(SearchRequest(q="", per_page=1))
    return {name: [b.value for b in page.facets.get(name, ())][:SUGGESTIONS] for name in FACET_FIELDS}


@bp.get("/advanced")
def advanced() -> Any:
    """Show the advanced-search form; submitted, send the reader to the /search URL it makes."""
    values = suggestions()
    submitted = [k for k in request.args if k in FORM_FIELDS]
    if submitted:
        args = target_args(request.args, set(values["agency"]))
        lang = request.args.get("lang")
        return redirect(url_for("search.results", **args, lang=lang if lang in ("zh", "en") else None), 303)
    return render_template(
        "advanced.html", q="", values=values, issued=issued_range_supported(), max_query=MAX_QUERY_CHARS
    )
