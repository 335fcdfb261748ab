"""Read the issuing agency (发文机关) from what a document itself says: its title, adoption lines, 令, 文号."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from indexer.config import PACKAGE_DATA

CJK = "\u4e00-\u9fff"
# how the name of a government body ends (a title's first words that end otherwise are not an issuer)
_END = (
    r"(?:人民政府|政府|办公厅|办公室|委员会|人民代表大会|总局|局|厅|部|院|署|委|中心|法院|检察院|管委会|管理委员会"
    r"|办事处|政协|党委|中共中央|总队|支队|银行|联合会|协会|工作领导小组|领导小组|指挥部|公司|学校|大学)"
)
AGENCY_NAME = re.compile(rf"[{CJK}（）()]{{2,30}}?{_END}")
# X关于… / X印发… / X转发…: the words before the verb name the issuer (several may be joined by spaces or 、)
TITLE_ISSUER = re.compile(rf"^(?P<who>[{CJK}（）()、\s]{{2,80}}?{_END})\s*(?:关于|印发|转发|批转|颁布|发布|公布|令)")
# adoption lines of a law: "山东省第十一届人民代表大会常务委员会第二十四次会议通过"
ADOPTED = re.compile(
    rf"(?P<place>[{CJK}]{{0,14}}?)(?:第[一二三四五六七八九十]+届)?(?P<body>全国人民代表大会|人民代表大会)"
    rf"(?P<standing>常务委员会)?(?:第[一二三四五六七八九十百零〇\d]+次)?(?:全体)?会议"
)
COURT = re.compile(r"(最高人民法院|最高人民检察院)(?:审判委员会|检察委员会)")
ORDER = re.compile(rf"^(?P<who>[{CJK}、]{{2,60}}?)令\s*[（(]?\s*第?\s*\d+\s*号")
ANNOUNCED = re.compile(rf"^(?P<who>[{CJK}、]{{2,60}}?{_END})(?:公告)?(?:发布|公布)$")
RELAYED = re.compile("贯彻|落实|转发|批转|印发|执行|关于|实施")
LINE_DATE = re.compile(r"^\s*[（(]?\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*")
PRC = "中华人民共和国"


def _bodies(who: str) -> str | None:
    """Join the bodies of a joint issuer with 、, each without 中华人民共和国; None if one is not a body."""
    parts = [p.removeprefix(PRC) for p in re.split(r"[、\s]+", who.strip()) if p]
    if not parts or not all(AGENCY_NAME.fullmatch(p) or p in ("国务院", "中共中央") for p in parts):
        return None
    return "、".join(dict.fromkeys(parts))


def agency_from_title(title: str | None) -> str | None:
    """Name the issuer a title starts with (广东省人民政府关于…, 国务院办公厅印发…); None if it names none."""
    if not title:
        return None
    m = TITLE_ISSUER.match(title.strip())
    if not m or RELAYED.search(m["who"]):  # 河南省人民政府贯彻国务院关于…: the issuer ends before the verb
        return None
    return _bodies(m["who"])


def _adopting_body(line: str) -> str | None:
    if m := COURT.search(line):
        return m[1]
    m = ADOPTED.match(line)
    if not m or not ("通过" in line or "批准" in line):
        return None
    place = m["place"].removeprefix(PRC)
    if m["body"] == "全国人民代表大会" or not place:
        return "全国人民代表大会" + (m["standing"] or "") if not place else None
    return place + "人民代表大会" + (m["standing"] or "")


def agency_from_header(lines: Iterable[str]) -> str | None:
    """Name the body that adopted (通过), decreed (令) or announced (公布) a law, from its header lines."""
    adopted = ordered = announced = None
    for raw in lines:
        line = LINE_DATE.sub("", str(raw)).strip().rstrip("）)。")
        if adopted is None and "通过" in line:
            adopted = _adopting_body(line)
        if ordered is None and (m := ORDER.match(line)):
            ordered = _bodies(m["who"])
        if announced is None and (m := ANNOUNCED.match(line)):
            announced = _bodies(m["who"])
    return adopted or ordered or announced


def agency_of_order(doc_number: str | None) -> str | None:
    """Name the issuer of a 令 from its number: 国务院令第291号 -> 国务院."""
    if not doc_number or not (m := ORDER.match(doc_number)):
        return None
    return _bodies(m["who"])


@lru_cache(maxsize=1)
def prefix_table() -> dict[str, tuple[str, str]]:
    """Load the 机关代字 table learned from real 文号 (data/docnumber_agencies.tsv): prefix -> (agency, region)."""
    table = {}
    path = PACKAGE_DATA / "docnumber_agencies.tsv"
    for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else ():
        if line.strip() and not line.startswith("#"):
            prefix, agency, region, *_ = [*line.split("\t"), "", ""]
            table[prefix] = (agency, region)
    return table


def first_body(agency: str | None) -> str | None:
    """Return the first body of a joint issuer (A、B -> A)."""
    return agency.split("、", 1)[0] if agency else None


def agree(names: Iterable[str | None]) -> str | None:
    """Return the first name when every given name has the same first body; None when they disagree."""
    given = [n for n in names if n]
    if not given or len({first_body(n) for n in given}) > 1:
        return None
    return given[0]
