"""有效性 (validity) from what one document says: its own field, title markers and repeal lines."""

from __future__ import annotations

import re
from collections.abc import Iterable

from indexer.normalize import status_of

STATUSES = ("有效", "已修订", "废止", "失效")
# a bracketed marker at the end of a title: 某某办法（已废止）, 某某规定[失效]; （试行）and（修订）are not validity
TITLE_MARK = re.compile(r"[（(【\[]\s*(?:已经?|已被)?(废止|失效|作废|停止执行|被修改|修改)\s*[)）】\]]\s*$")
MARKS = {"废止": "废止", "失效": "失效", "作废": "失效", "停止执行": "失效", "被修改": "已修订", "修改": "已修订"}
CITED = re.compile(r"《[^《》]*》|〈[^〈〉]*〉|<[^<>]*>")
# a header line that repeals this text: "2016年…决定废止", "…公告废止", "宣布失效"
REPEAL_LINE = re.compile(r"(?:废止|宣布失效|失效)[）)。]?$")


def status_from_title(title: str | None) -> str | None:
    """Read a validity marker at the end of a title; None when there is none."""
    m = TITLE_MARK.search(title or "")
    return MARKS[m[1]] if m else None


def status_from_header(lines: Iterable[str]) -> str | None:
    """Read a repeal line among a law's header lines (titles of other acts quoted in it do not count)."""
    for line in lines:
        if REPEAL_LINE.search(CITED.sub("", str(line)).strip()):
            return "废止"
    return None


def validity(given: str | None, title: str | None, header: Iterable[str] = ()) -> str | None:
    """Return 有效, 已修订, 废止, 失效 or None (unknown): the source's field, else the title, else the header."""
    return status_of(given) or status_from_title(title) or status_from_header(header)
