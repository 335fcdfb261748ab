"""Find what a document cites: 文号 and 《titles》."""

from __future__ import annotations

import re

from indexer.normalize import find_doc_numbers

# 《…》 with no nested 《; titles longer than this are a broken bracket, not a title
TITLE_CITE = re.compile(r"《([^《》\n]{1,120})》")


def extract_citations(body: str) -> tuple[str, ...]:
    """Return the canonical 文号 cited in a body, then the 《titles》 as written, without repeats."""
    if not body:
        return ()
    numbers = [n.canonical for n in find_doc_numbers(body)]
    titles = [m[1].strip() for m in TITLE_CITE.finditer(body) if m[1].strip()]
    return tuple(dict.fromkeys(numbers + titles))
