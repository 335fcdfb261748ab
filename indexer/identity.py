"""Document identity: whether two records are copies (转载), versions of one text, or different documents.

The rules of issue 19, on the metadata a record has (an unknown field is evidence neither way):
- different 文号 never make copies, nor do different issuing governments (region paths where neither
  contains the other) or different agencies;
- a record without a body (metadata only) is a copy only of one with the same 文号 and folded title;
- records with a body are copies when their texts are near-identical (MinHash estimate >= COPY_THRESHOLD,
  or >= SAME_NUMBER_THRESHOLD when they share a 文号) and their titles agree;
- a law, regulation or 办法 that is not a copy but has the same title (its version marks removed) in the same
  government is a version of it; everything else is a different document, however similar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from .analysis import fold
from .normalize import parse_doc_number

Relation = Literal["copy", "version", "different"]
# chosen by 5-fold cross-validation on tests/data/copy_pairs.jsonl (bench/eval_copies.py prints it)
COPY_THRESHOLD = 0.9  # estimated share of the shorter text found in the longer (identity.overlap)
SAME_NUMBER_THRESHOLD = 0.5  # a shared 文号 is strong evidence: the text may carry more page chrome
SIMILARITY_FLOOR = 0.4  # below this estimated Jaccard two texts are not compared at all (LSH finds none)
NATIONAL = "全国"  # the region of national documents: above every province
REPUBLISH_DAYS = 180  # reposts follow the original within months; amendments come years apart
NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
# marks a republishing site adds to a title, and marks of one version of a law
TITLE_CHROME = re.compile(r"[（(【\[]\s*(?:转载|转发|来源[^）)】\]]*)\s*[）)】\]]|^转发|^关于转发")
VERSION_MARK = re.compile(
    r"[（(]\s*(?:\d{4}年?(?:[^）)]{0,6})?(?:修订|修正|修改|版)|试行|暂行|草案|征求意见稿)\s*[）)]"
)
# titles of texts that are amended over the years (law, regulation, 办法, rules), not one-off notices
STATUTE = re.compile(r"(?:法|条例|规定|办法|细则|规则|规程|章程|解释|准则|标准)$")
STATUTE_LAST = set("法例定则則程释釋准準")  # the last character of every STATUTE ending, either script
TRAILING_MARK = re.compile(r"(?:\s*[（(][^（()）]*[)）])+$")
REPOST_MARK = re.compile(r"转载|转自|转发自")
WITHDRAWN = ("废止", "失效", "已修订", "已被修改", "历史版本")


@dataclass(frozen=True, slots=True)
class Facts:
    """What the identity rules read of one record."""

    doc_id: str
    title: str = ""
    has_body: bool = False
    doc_number: str | None = None
    agency: str | None = None
    region: str | None = None
    published: date | None = None
    issued: date | None = None
    status: str | None = None
    reposted: bool = False  # the record says it republishes another site's text
    length: int = 0  # characters of title and body: page chrome weighs more on a short text
    addressed: bool = False  # it has a URL: it was published somewhere


def facts_of(rec: dict[str, Any]) -> Facts:
    """Return the identity facts of a stored record (Document.to_record shape)."""
    body = rec.get("body") or ""
    # a repost says so near its top (转载 lines) or at its foot (本文转载自…); the store passes both ends
    marks = " ".join(str(rec.get(k) or "") for k in ("title", "source", "url")) + body[:200] + body[-200:]
    return Facts(
        doc_id=rec["id"],
        title=rec.get("title") or "",
        has_body=bool(body.strip()),
        doc_number=rec.get("doc_number") or None,
        agency=rec.get("agency") or None,
        region=_issuer_region(rec),
        published=_day(rec.get("date")),
        issued=_day(rec.get("date_issued")),
        status=rec.get("status") or None,
        reposted=bool(REPOST_MARK.search(marks)),
        length=int(rec.get("length") or len(rec.get("title") or "") + len(body)),
        addressed=bool(rec.get("url")),
    )


def _issuer_region(rec: dict[str, Any]) -> str | None:
    """Return the record's region when it can be the issuer's: with neither agency nor 文号 it was read off
    the text (normalize.region_of's last resort: a place the text names, or the reposting site's), which
    says nothing of who issued it."""
    if not (rec.get("agency") or rec.get("doc_number")):
        return None
    return rec.get("region") or None


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def title_key(title: str) -> str:
    """Return a title folded for comparison: repost marks, punctuation, spaces and the optional 中华人民共和国
    of a national law's name removed (《民法典》 and 《中华人民共和国民法典》 are one law)."""
    return NOISE.sub("", TITLE_CHROME.sub("", fold(title or ""))).replace("中华人民共和国", "")


def work_key(title: str) -> str:
    """Return the key shared by every version of a law or 办法: its folded title without version marks,
    or "" when the title is not one of a text that is amended over the years."""
    bare = TRAILING_MARK.sub("", (title or "").rstrip())
    if not bare or bare[-1] not in STATUTE_LAST:  # most titles (notices, articles) end otherwise: no folding
        return ""
    key = title_key(VERSION_MARK.sub("", fold(title or "")))
    return key if len(key) >= 3 and STATUTE.search(key) else ""


def titles_agree(a: str, b: str) -> bool:
    """Tell whether two titles may name one document: equal after folding, or one holds the other (a
    repost titled by its attachment, a notice 关于印发X的通知 and X). An unknown title agrees."""
    ka, kb = title_key(a), title_key(b)
    if not ka or not kb or ka == kb:
        return True
    short, long_ = sorted((ka, kb), key=len)
    return len(short) >= 6 and short in long_


def governments_differ(a: str | None, b: str | None) -> bool:
    """Tell whether two region paths name different governments (neither contains the other)."""
    if not a or not b:
        return False
    pa, pb = a.strip("/"), b.strip("/")
    if NATIONAL in (pa, pb):  # a province reposts the State Council's notice: national is above it
        return False
    return not (pa == pb or pa.startswith(pb + "/") or pb.startswith(pa + "/"))


def agencies_differ(a: str | None, b: str | None) -> bool:
    """Tell whether two agencies are known and different (a joint notice's list holding the other agrees)."""
    if not a or not b:
        return False
    sa, sb = set(fold(a).split("、")), set(fold(b).split("、"))
    return not (sa & sb)


def numbers_differ(a: str | None, b: str | None) -> bool:
    """Tell whether two 文号 are both known and different: another year or serial, or a 机关代字 neither
    ends (办规〔2025〕8号 read off a page that lost 穗府 is still 穗府办规〔2025〕8号)."""
    if not (a and b):
        return False
    pa, pb = parse_doc_number(a), parse_doc_number(b)
    if pa is None or pb is None:
        return NOISE.sub("", fold(a)) != NOISE.sub("", fold(b))
    if (pa.year, pa.number) != (pb.year, pb.number):
        return True
    return not (pa.prefix.endswith(pb.prefix) or pb.prefix.endswith(pa.prefix))


def _dates_apart(a: Facts, b: Facts) -> bool:
    if a.issued and b.issued and a.issued != b.issued:
        return True
    return bool(a.published and b.published and abs((a.published - b.published).days) > REPUBLISH_DAYS)


def published(f: Facts) -> bool:
    """Tell whether a record says anything of a publication: 文号, a date or an address. Not the agency: it
    is read from a title prefix too (最高人民法院关于…), which names the author, not a publication."""
    return bool(f.doc_number or f.published or f.issued or f.addressed)


def may_be_copies(a: Facts, b: Facts) -> bool:
    """Tell whether the metadata allows two records to be copies (the text decides the rest)."""
    if not (published(a) or published(b)):  # one text in two compilations (an article of a law in two
        return False  # versions) is not a notice published again: nothing says which version either is
    if numbers_differ(a.doc_number, b.doc_number) or governments_differ(a.region, b.region):
        return False
    shared = bool(a.doc_number and b.doc_number)  # one 文号 names one issuer: an agency read off a
    if (agencies_differ(a.agency, b.agency) and not shared) or _dates_apart(a, b):  # site's chrome is not it
        return False
    if not (a.has_body and b.has_body):  # metadata only: the same 文号, agency and title, nothing less
        same_title = title_key(a.title) == title_key(b.title) != ""
        return shared and same_title and not agencies_differ(a.agency, b.agency)
    return titles_agree(a.title, b.title)


def overlap(a: Facts, b: Facts, sim: float) -> float:
    """Estimate how much of the shorter text the longer holds, from the Jaccard estimate and the lengths
    (|A and B| = J (|A| + |B|) / (1 + J)): a short notice in a page with much chrome scores high."""
    if not (a.length and b.length):
        return sim
    return min(1.0, sim * (a.length + b.length) / ((1 + sim) * min(a.length, b.length)))


def is_copy(a: Facts, b: Facts, sim: float, threshold: float = COPY_THRESHOLD) -> bool:
    """Tell whether two records are copies of one document, given their estimated text similarity."""
    if not may_be_copies(a, b):
        return False
    if not (a.has_body and b.has_body):
        return True
    shared = bool(a.doc_number and b.doc_number)
    if sim < SIMILARITY_FLOOR and not shared:
        return False
    return overlap(a, b, sim) >= (min(threshold, SAME_NUMBER_THRESHOLD) if shared else threshold)


def relation(a: Facts, b: Facts, sim: float, threshold: float = COPY_THRESHOLD) -> Relation:
    """Return how two records relate: copies, versions of one law or 办法, or different documents."""
    if is_copy(a, b, sim, threshold):
        return "copy"
    key = work_key(a.title)
    if key and key == work_key(b.title) and not governments_differ(a.region, b.region):
        if not agencies_differ(a.agency, b.agency):
            return "version"
    return "different"


def current_first(members: list[Facts]) -> list[Facts]:
    """Order versions: the one in force first (not marked withdrawn, then newest), then newest to oldest."""

    def when(f: Facts) -> date:
        return f.published or f.issued or date.min

    return sorted(members, key=lambda f: ((f.status or "") in WITHDRAWN, -when(f).toordinal(), f.doc_id))


def canonical_copy(members: list[Facts]) -> Facts:
    """Return the copy a collapsed group shows: the issuing agency's own publication, else the earliest."""

    def key(f: Facts) -> tuple[bool, int, str]:
        # publication dates compare; a 成文日期 is the same on every copy, so it cannot tell them apart
        return (f.reposted, f.published.toordinal() if f.published else date.max.toordinal(), f.doc_id)

    return min(members, key=key)
