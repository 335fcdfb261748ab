"""The per-request time budget (Settings.time_budget_ms): a search past it answers with what it has.

A search checks its deadline between its stages, never inside one: the matches are always collected and
counted (the total and the facets stay exact), then re-ranking the top hits and looking for a "did you
mean" are skipped once the time is up. A page cut short says so: `partial` is true and a line in its
warnings names what was left out. Suggestions are also refused for words longer than
MAX_SUGGEST_WORD characters, and for queries of more than MAX_SUGGEST_WORDS words: comparing such words
with the lexicon costs far more than any budget (Whoosh builds an edit-distance automaton per word, that
grows with the word), and neither is a typo of a real query. Within those limits the suggestion checks
the deadline before each look-up in the lexicon (BoundedSearcher), every SCAN_CHECK terms of a scan of the
lexicon (what Whoosh runs over several segments: seconds at 35,000 documents) and before each count.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from whoosh.reading import IndexReader
from whoosh.support.levenshtein import distance

from .query import MAX_WORD_CHARS, ParsedQuery, important_words

MAX_SUGGEST_WORD = MAX_WORD_CHARS - 1  # characters; a word the parser had to cut gets no "did you mean"
SCAN_CHECK = 2000  # terms compared between two looks at the clock in a scan of the lexicon
MAX_SUGGEST_WORDS = 16  # a query of more words gets none: each word costs a look-up near it in the lexicon


class BudgetExceeded(RuntimeError):
    """Raised inside a stage the deadline stops (the suggestion's counts); the search catches it."""


@dataclass
class Deadline:
    """When the request's time is up (monotonic clock), and what was skipped because of it."""

    ms: int | None
    start: float = field(default_factory=time.monotonic)
    skipped: list[str] = field(default_factory=list)

    def expired(self) -> bool:
        """Tell whether the budget is spent (never, without one)."""
        return self.ms is not None and (time.monotonic() - self.start) * 1000 >= self.ms

    def check(self) -> None:
        """Raise BudgetExceeded when the budget is spent."""
        if self.expired():
            raise BudgetExceeded(f"time budget of {self.ms} ms spent")

    def skip(self, what: str) -> None:
        """Record that a stage was left out for lack of time."""
        self.skipped.append(what)

    @property
    def partial(self) -> bool:
        """Tell whether some stage was left out."""
        return bool(self.skipped)

    def warning(self) -> str:
        """Return the line the page's warnings carry when it is partial."""
        return f"partial result: the time budget of {self.ms} ms ran out before {' and '.join(self.skipped)}"


def no_deadline() -> Deadline:
    """Return a deadline that never expires (exports, counts, the command line)."""
    return Deadline(None)


def suggestable(parsed: ParsedQuery) -> bool:
    """Tell whether a query may look for a "did you mean": a few words, none of them absurdly long."""
    looked_up = [
        w for g in parsed.groups for c in g for w in (important_words(c.text) if c.kind == "words" else [c.text])
    ]  # what suggestions compare with the lexicon
    return len(looked_up) <= MAX_SUGGEST_WORDS and all(len(w) <= MAX_SUGGEST_WORD for w in looked_up)


class BoundedSearcher:
    """A searcher whose reader checks the deadline before each look-up near a word in the lexicon (the
    suggestion's costly step), so that a did-you-mean stops within one look-up of the budget."""

    def __init__(self, searcher: Any, deadline: Deadline) -> None:
        self._searcher, self._deadline = searcher, deadline

    def reader(self) -> Any:
        """Return the searcher's reader, bounded by the deadline."""
        return _BoundedReader(self._searcher.reader(), self._deadline)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._searcher, name)


class _BoundedReader:
    def __init__(self, reader: Any, deadline: Deadline) -> None:
        self._reader, self._deadline = reader, deadline

    def terms_within(self, fieldname: str, text: str, maxdist: int, prefix: int = 0) -> Any:
        self._deadline.check()
        if type(self._reader).terms_within is not IndexReader.terms_within:
            return self._reader.terms_within(fieldname, text, maxdist, prefix=prefix)  # a segment's automaton
        return self._scan(fieldname, text, maxdist, prefix)

    def _scan(self, fieldname: str, text: str, maxdist: int, prefix: int) -> Iterator[str]:
        """Whoosh's IndexReader.terms_within (what a reader over several segments runs: every term of the
        field compared with text), with the deadline checked every SCAN_CHECK terms."""
        field = self._reader.schema[fieldname]
        for i, btext in enumerate(self._reader.expand_prefix(fieldname, text[:prefix])):
            if i % SCAN_CHECK == 0:
                self._deadline.check()
            word = field.from_bytes(btext)
            if distance(word, text, limit=maxdist) <= maxdist:
                yield word

    def expand_prefix(self, *args: Any, **kwargs: Any) -> Any:
        self._deadline.check()
        return self._reader.expand_prefix(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)
