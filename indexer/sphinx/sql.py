"""SphinxQL text: literals and the one SELECT shape every search, facet count and export uses."""

from __future__ import annotations

from typing import Any

from .conf import DIST
from .layout import META, Layout

ORDERS = {  # every order ends on doc_id, so pages are stable and comparable across engines
    "relevance": "WEIGHT() DESC, doc_id ASC",
    "date": "date_num DESC, doc_id ASC",
    "date_asc": "date_num ASC, doc_id ASC",
}
HIT_COLUMNS = "id, doc_id, dup_of, WEIGHT()"  # ORDER BY WEIGHT(), never an alias: FACET through dist fails on it
TITLE_WEIGHT = 3  # like query.TITLE_BOOST: a title match counts this much more than a body match
META_WEIGHT = 20  # a 文号 or agency term match puts the document first (query.DOCNUM_BOOST)
DEFAULT_MATCHES = 1000  # searchd's default max_matches


def ql_string(text: str) -> str:
    """Return a SphinxQL string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def ql_value(value: Any) -> str:
    """Return a SphinxQL literal: int, string, or an MVA tuple of ints."""
    if isinstance(value, tuple):
        return "(" + ",".join(str(int(v)) for v in value) + ")"
    if isinstance(value, int):
        return str(value)
    return ql_string(str(value))


def field_weights(lay: Layout) -> str:
    """Return the field_weights option: titles and META weigh more."""
    weights = [f"{f}={TITLE_WEIGHT if 'title' in f else 1}" for f in lay.word_fields + lay.char_fields]
    return ", ".join([*weights, f"{META}={META_WEIGHT}"])


def select_sql(
    lay: Layout,
    match: str,
    where: list[str],
    *,
    order: str = ORDERS["relevance"],
    offset: int = 0,
    limit: int = 20,
    facets: tuple[str, ...] = (),
    facet_limit: int = DEFAULT_MATCHES,
    columns: str = HIT_COLUMNS,
    ranker: str = "proximity_bm25",
) -> str:
    """Return a SELECT over the distributed index, with one FACET per attribute in `facets`."""
    conds = ([f"MATCH({ql_string(match)})"] if match else []) + where
    matches = max(DEFAULT_MATCHES, offset + limit, facet_limit if facets else 0)
    sql = f"SELECT {columns} FROM {DIST}" + (" WHERE " + " AND ".join(conds) if conds else "")
    sql += f" ORDER BY {order} LIMIT {offset}, {limit}"
    sql += f" OPTION max_matches={matches}, ranker={ranker}, field_weights=({field_weights(lay)})"
    return sql + "".join(f" FACET {attr} ORDER BY COUNT(*) DESC LIMIT {facet_limit}" for attr in facets)
