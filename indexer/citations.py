"""Find what a document cites: 文号 and 《titles》."""

from __future__ import annotations

import re
from functools import lru_cache

from indexer.normalize import find_doc_numbers

# 《…》 with no nested 《; titles longer than this are a broken bracket, not a title
TITLE_CITE = re.compile(r"《([^《》\n]{1,120})》")


# normalize() and pipeline.to_document() both ask for the same body in a row: the second call is a
# cache hit (a str caches its hash, and the same object compares equal by identity at once)
@lru_cache(maxsize=4)
def extract_citations(body: str) -> tuple[str, ...]:
    """Return the canonical 文号 cited in a body, then the 《titles》 as written, without repeats."""
    if not body:
        return ()
    numbers = [n.canonical for n in find_doc_numbers(body)]
    titles = [m[1].strip() for m in TITLE_CITE.finditer(body)] if "《" in body else []
    return tuple(dict.fromkeys(numbers + [t for t in titles if t]))
