"""Document priors for the learned re-ranker: what a document is, read from its title and the corpus.

A statute's kind and level (法, 条例, 规定/办法, judicial interpretation, local regulation) and how often
other documents cite it by name tell how likely it answers a citizen's question before any word is
compared. Nothing here knows which documents a benchmark judged relevant.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass
from typing import Any, ClassVar

from .analysis import fold
from .engine.whoosh.columns import version_key
from .engine.whoosh.terms import doc_frequency, field_frequencies

_NUMERAL = "零〇一二三四五六七八九十百千两"
ARTICLE = re.compile(rf"第([{_NUMERAL}\d]+)条(?:之[{_NUMERAL}]+)?$")
_BRACKETS = re.compile(r"[（(][^（）()]*[)）]")
_LOCAL = re.compile(r"^[\u4e00-\u9fff]{2,9}?(?:省|市|自治区|自治州|自治县|县|盟)(?!场|民|政府令)")
_RULE = re.compile(r"(规定|办法|细则|规则|准则)$")
_DECISION = re.compile(r"(决定|决议|批复|答复)$")
_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_UNITS = {"十": 10, "百": 100, "千": 1000}
NATIONAL = "中华人民共和国"


def article_number(text: str) -> int:
    """Return the number of 第X条 written in Chinese numerals or digits (0 when it is none)."""
    if text.isdigit():
        return int(text)
    total, digit = 0, 0
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            total += (digit or 1) * _UNITS[ch]
            digit = 0
        else:
            return 0
    return total + digit


def law_name(title: str) -> str:
    """Return the name of the law an article belongs to (the title without its 第X条), folded."""
    return fold(ARTICLE.sub("", title.strip())).strip()


def short_name(name: str) -> str:
    """Return a law's name as people say it: without 中华人民共和国 and bracketed notes (试行)."""
    return _BRACKETS.sub("", name.removeprefix(NATIONAL)).strip()


@dataclass(frozen=True)
class Priors:
    """The prior features of one document."""

    NAMES: ClassVar[tuple[str, ...]] = (
        "is_law",
        "is_regulation",
        "is_rule",
        "is_interpretation",
        "is_decision",
        "is_local",
        "is_national",
        "is_trial",
        "name_length",
        "article",
        "cited",
    )
    values: tuple[float, ...]
    short: str = ""  # the short name of the law (short_name(law_name(title))), which the features compare


def kind_of(name: str) -> tuple[float, ...]:
    """Return the kind and level features of a law's name (the first nine of Priors.NAMES)."""
    base = short_name(name)
    return (
        float(base.endswith(("法", "法典"))),
        float(base.endswith("条例")),
        float(bool(_RULE.search(base))),
        float("解释" in base or "最高人民法院" in base or "最高人民检察院" in base),
        float(bool(_DECISION.search(base))),
        float(bool(_LOCAL.match(base)) and not name.startswith(NATIONAL)),
        float(name.startswith(NATIONAL)),
        float("试行" in name or "暂行" in name),
        float(len(base)),
    )


MAX_CACHED = 200_000  # titles whose priors a process keeps (all of them, for most indexes)
_cache: dict[tuple[Any, str], Priors] = {}
_lock = threading.Lock()


def priors(reader: Any, titles: list[str]) -> list[Priors]:
    """Return the documents' priors, each computed once per index version and title."""
    version = version_key(reader)
    out = [_cache.get((version, t)) for t in titles]
    if any(p is None for p in out):  # the table of cited names is looked up once, not once a title
        table = field_frequencies(reader, "cites")
        out = [p or _priors(reader, version, t, table) for p, t in zip(out, titles, strict=True)]
    return out  # type: ignore[return-value]


def _priors(reader: Any, version: tuple[Any, ...], title: str, table: dict[bytes, int] | None) -> Priors:
    name = law_name(title)
    short = short_name(name)
    names = {name, short, NATIONAL + short} - {""}
    if table is not None:
        to_bytes = reader.schema["cites"].to_bytes
        cited = math.log1p(sum(table.get(to_bytes(k), 0) for k in names))
    else:
        cited = math.log1p(sum(doc_frequency(reader, "cites", k) for k in names))
    m = ARTICLE.search(title.strip())
    article = article_number(m.group(1)) if m else 0
    got = Priors((*kind_of(name), math.log1p(article), cited), short)
    with _lock:
        if len(_cache) >= MAX_CACHED:
            _cache.clear()
        _cache[(version, title)] = got
    return got
