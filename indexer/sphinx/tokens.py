"""Keywords as Sphinx sees them: our own tokens made safe for its charset, term keys and date tokens.

Text reaches Sphinx already segmented by indexer.analysis, one keyword per token, joined by spaces.
A token outside the charset (punctuation, Greek, 〇...) or too long becomes ``x`` + a hash, so Sphinx
never splits or truncates a token and Whoosh and Sphinx compare the very same terms. The terms of
ID and KEYWORD fields become ``k`` + a hash in the hidden ``meta`` field; dates become tokens for
every calendar unit that holds them (millennium .. day) so that any date range is a short OR.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from datetime import date, timedelta
from functools import lru_cache

SAFE = re.compile("[0-9a-z_\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002a6df]{1,20}")
# must accept every character SAFE accepts, and nothing that SAFE rejects may reach Sphinx
CHARSET_TABLE = "0..9, A..Z->a..z, _, a..z, U+3400..U+4DBF, U+4E00..U+9FFF, U+F900..U+FAFF, U+20000..U+2A6DF"
ALL = "zall"  # in every document: the positive half of a query that only excludes
NOTHING = "znone"  # in no document: a query that can match nothing
NO_DATE = "dnone"  # documents without a date (date_num 0)
UNITS = ("k", "c", "e", "y", "m", "d")  # millennium, century, decade, year, month, day
MAX_DAY_NUM = 99991231


@lru_cache(maxsize=1 << 17)
def keyword(token: str) -> str:
    """Return the Sphinx keyword of one of our tokens: itself when safe, else a hash of it."""
    if SAFE.fullmatch(token):
        return token
    return "x" + hashlib.blake2b(token.encode("utf-8"), digest_size=6).hexdigest()


def term_key(field: str, value: str) -> int:
    """Return the 63-bit key of a field term: the MVA value that facets count and filters test."""
    digest = hashlib.blake2b(f"{field}\x1f{value}".encode(), digest_size=8, person=b"govsearch-term").digest()
    return (int.from_bytes(digest, "big") >> 1) or 1


def term_token(field: str, value: str) -> str:
    """Return the meta keyword of a field term."""
    return f"k{term_key(field, value):x}"


def day_tokens(day: date | None) -> list[str]:
    """Return the date keywords of a day: one per calendar unit that holds it."""
    if day is None:
        return [NO_DATE]
    y = day.year
    return [
        f"dk{y // 1000}",
        f"dc{y // 100}",
        f"de{y // 10}",
        f"dy{y}",
        f"dm{y}{day.month:02d}",
        f"dd{y}{day.month:02d}{day.day:02d}",
    ]


def _unit_span(unit: str, day: date) -> tuple[date, date, str]:
    """Return (first day, last day, keyword) of the calendar unit of a kind that holds day."""
    y = day.year
    if unit == "m":
        last = calendar.monthrange(y, day.month)[1]
        return day.replace(day=1), day.replace(day=last), f"dm{y}{day.month:02d}"
    if unit == "d":
        return day, day, f"dd{y}{day.month:02d}{day.day:02d}"
    size = {"k": 1000, "c": 100, "e": 10, "y": 1}[unit]
    first = max(1, y // size * size)
    last = min(9999, y // size * size + size - 1)
    return date(first, 1, 1), date(last, 12, 31), f"d{unit}{y // size}"


def date_cover(lo: date, hi: date) -> list[str]:
    """Return the fewest date keywords whose days are exactly lo..hi (greedy, largest unit first)."""
    out: list[str] = []
    day = lo
    while day <= hi:
        for unit in UNITS:
            first, last, token = _unit_span(unit, day)
            if first == day and last <= hi:
                out.append(token)
                break
        if last == date.max:
            break
        day = last + timedelta(days=1)
    return out


def day_of(num: int, upper: bool) -> date:
    """Return the real day a yyyymmdd bound stands for: the first day >= num, or the last day <= num."""
    num = min(max(num, 10101), MAX_DAY_NUM)
    y, m, d = num // 10000, num // 100 % 100, num % 100
    if upper:
        if m == 0:
            return date(y - 1, 12, 31)
        m, d = (12, 31) if m > 12 else (m, d)
        if d == 0:
            return date(y, m, 1) - timedelta(days=1)
        return date(y, m, min(d, calendar.monthrange(y, m)[1]))
    if m > 12:
        return date(y + 1, 1, 1)
    m, d = (1, 1) if m == 0 else (m, max(d, 1))
    last = calendar.monthrange(y, m)[1]
    return date(y, m, d) if d <= last else date(y, m, last) + timedelta(days=1)
