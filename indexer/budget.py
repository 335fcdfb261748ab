"""The per-request time budget (Settings.time_budget_ms): a search past it answers with what it has.

A search checks its deadline between its stages, never inside one: the matches are always collected and
counted (the total and the facets stay exact), then re-ranking the top hits and looking for a "did you
mean" are skipped once the time is up. A page cut short says so: `partial` is true and a line in its
warnings names what was left out. Suggestions are also refused for words longer than
MAX_SUGGEST_WORD characters: comparing such a word with the lexicon costs far more than any budget
(Whoosh builds an edit-distance automaton that grows with the word), and no real word is that long.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .query import ParsedQuery, important_words

MAX_SUGGEST_WORD = 40  # characters; longer query words get no "did you mean" (no 文号 or word is longer)


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
    """Tell whether a query may look for a "did you mean": none of its words is absurdly long."""
    for c in (c for g in parsed.groups for c in g):
        looked_up = important_words(c.text) if c.kind == "words" else [c.text]  # what is compared with terms
        if any(len(w) > MAX_SUGGEST_WORD for w in looked_up):
            return False
    return True
