"""Settle a document's agency, region, 有效性 and 成文日期 from every signal it carries, ranked by certainty.

Signals, most certain first. Agency: the record's own field (a 政府信息公开 table, a dataset column); else
the title prefix (X关于…), a law's adoption lines, the issuer of a 令 and the 机关代字 of its 文号, which
must all name the same body or the field stays empty. Region: the record's own field, the agency's name,
the 文号 prefix (an ambiguous one resolved by the portal's host), the host itself. Never the body text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from indexer.agency import agency_from_header, agency_from_title, agency_of_order, agree, prefix_table
from indexer.models import Document
from indexer.normalize import _prefixes, canonical_agency, parse_date, parse_doc_number, region_of
from indexer.region import (
    NATIONAL,
    canonical_region,
    compatible,
    rank,
    region_from_title,
    region_of_host,
    resolve_in,
)
from indexer.validity import validity

# the same 文号 prefixes, agency names and hosts come back record after record: look each up once
_number = lru_cache(maxsize=8192)(parse_doc_number)
_region_of_name = lru_cache(maxsize=8192)(region_of)
# header lines that make the text: adoption, amendment, revision, a decree (not 批准 or 公布 lines)
ISSUING_LINE = re.compile(r"通过|修正|修订|令\s*第?\s*\d+\s*号(?:发布|公布)")


def header_lines(doc: Document) -> list[str]:
    """Return a record's header lines (LawRefBook's adoption and amendment lines), if it has any."""
    header = doc.extra.get("header")
    if isinstance(header, str):
        return [line for line in header.splitlines() if line.strip()]
    return [str(line) for line in header if line] if isinstance(header, list) else []


def issued_from_header(lines: Sequence[str]) -> date | None:
    """Return the date of the last adoption, amendment or decree line: when this text was made."""
    for line in reversed(lines):
        if ISSUING_LINE.search(line) and (day := parse_date(line[:20])):
            return day
    return None


def _prefix_agency(doc_number: str | None, host_region: str | None) -> str | None:
    """Name the agency of a 文号's 机关代字 from the learned table, then the hand-written one."""
    number = _number(doc_number)
    if number is None:
        return None
    agency = prefix_table().get(number.prefix, ("",))[0] or _prefixes().get(number.prefix, ("", ""))[1]
    region = _region_of_name(agency) if agency else None
    if agency and host_region and region and not compatible(region, host_region):
        return None  # 青府发 on Shanghai's portal is not 青海省's
    return agency or None


def _prefix_region(doc_number: str | None, host_region: str | None) -> str | None:
    """Give the region of a 文号's prefix; one that contradicts the host is read inside the host's region."""
    number = _number(doc_number)
    region = _region_of_name(None, number.canonical) if number else None
    if not region or not host_region or compatible(region, host_region):
        return region
    return resolve_in(number.prefix[0], host_region) if host_region != NATIONAL else None


def settle_agency(doc: Document, given: str | None, header: Sequence[str], host_region: str | None) -> str | None:
    """Return the given agency, else the one every document signal agrees on; None if they disagree."""
    if given:
        return given
    signals = (
        agency_from_title(doc.title),
        agency_from_header(header),
        agency_of_order(doc.doc_number),
        _prefix_agency(doc.doc_number, host_region),
    )
    return agree(canonical_agency(s) for s in signals)


def settle_region(doc: Document, given: str | None, agency: str | None, host_region: str | None) -> str | None:
    """Return the most certain region, refined by consistent less certain ones below it.

    The record's own region comes first; the others must fit the portal's host when it is known.
    """
    derived = [
        _region_of_name(agency) if agency else None,
        _prefix_region(doc.doc_number, host_region),
        region_from_title(doc.title),
        host_region,
    ]
    fitting = [r for r in derived if r and (host_region is None or compatible(r, host_region))]
    return rank([canonical_region(given), *fitting])


def settle(doc: Document, given: Document) -> Document:
    """Fill agency, region, status and 成文日期 of a normalised document from the signals it carries.

    given is the document before normalisation: what the record itself stated.
    """
    header = header_lines(doc)
    host_region = region_of_host(doc.url)
    agency = settle_agency(doc, doc.agency if given.agency else None, header, host_region)
    region = settle_region(doc, given.region, agency, host_region)
    if agency and not given.agency:
        agency = canonical_agency(agency, region)  # 省政府办公厅 and the like need the region
    changes: dict[str, Any] = {
        "agency": agency,
        "region": region,
        "status": validity(given.status, doc.title, header),
    }
    if doc.issued is None and (issued := issued_from_header(header)):
        changes["issued"] = issued
    return doc.with_(**changes)
