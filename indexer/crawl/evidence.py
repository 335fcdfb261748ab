"""Evidence that a link on a list page is a notice, for sites whose CMS has no URL pattern we know.

A link is taken when it sits in a group of links that repeat in one list block (a <ul>, a table, div cards)
and the group reads as a list of notices: titles that read as notice titles, a date beside each link, links
that stay in the column's folder. Navigation, header, footer and breadcrumb blocks are never taken, and a
group outside the column's folder only when it is the page's best group (other columns' sidebars are not).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, Tag

from .urls import BadURL, canonical_url

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# the words a notice title ends with (文种), or a title's usual opening and numbering
TITLE_CUE = re.compile(
    r"^关于|〔\d{4}〕|\[\d{4}\]|第\s*\d+\s*号|"
    r"(?:通知|公告|通告|公示|意见|办法|决定|规定|方案|批复|细则|规划|报告|通报|函|指引|指南|规则|条例|纲要|计划"
    r"|要点|措施|标准|清单|决议|答复|解读|公报|预案|制度|名单|目录|说明|复函|命令)(?:[(（][^)）]{0,20}[)）])?$"
)
DATE = re.compile(r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}|(?<!\d)\d{2}-\d{2}(?!\d)")
PAGER = re.compile(r"^(?:下一?页|上一?页|后一?页|前一?页|尾页|末页|next|prev|previous|last|[>›»]{1,2}|\d{1,4})$", re.I)
MORE = re.compile(r"^(?:更多|more|查看更多)\s*[>›»]*$|^[>›»]+\s*更多$", re.I)
CHROME_TAGS = {"nav", "header", "footer", "aside"}
# class or id words of navigation, header, footer, breadcrumb and friend-link blocks
CHROME_WORDS = re.compile(
    r"(?:^|[-_\s])(?:nav\w*|menu\w*|footer|foot|header|head|top|topbar|bottom|banner|crumbs?|breadcrumbs?"
    r"|position|location|weizhi|dqwz|copyright|friend\w*|yqlj|dh|daohang|sitemap|share|toolbar)(?=$|[-_\s\d])",
    re.I,
)
MIN_GROUP_SCORE = 2.0  # of title (0-1) + date (0-1) + repetition (0-1) + folder (0-1); a title share of half needed
MAX_CLIMB = 6  # ancestors looked at to find the repeating record around a link
LIST_CONTAINERS = {"ul", "ol", "tbody", "table", "dl"}
CSS_NAME = re.compile(r"^[A-Za-z_][\w-]*$")


def anchor_text(a: Tag) -> str:
    """Return a link's text, or its title attribute when the list cuts the text short."""
    text = " ".join(a.get_text(" ", strip=True).split())
    title = " ".join(str(a.get("title", "")).split())
    return title if len(title) > len(text.rstrip(".…")) else text


def title_like(text: str) -> bool:
    """Tell whether a link text reads as a notice title (关于…的通知, …办法, a long sentence of Chinese)."""
    text = text.strip()
    cjk = len(CJK.findall(text))
    if not 6 <= len(text) <= 150 or cjk < len(text) / 2 or PAGER.match(text) or MORE.match(text):
        return False
    return bool(TITLE_CUE.search(text)) or cjk >= 12


def pager_text(text: str) -> bool:
    """Tell whether a link text is a pager's (下一页, a page number, »)."""
    return bool(PAGER.match(text.strip()))


def more_text(text: str) -> bool:
    """Tell whether a link text is a column's 更多 link."""
    return bool(MORE.match(text.strip()))


def in_chrome(tag: Tag) -> bool:
    """Tell whether an element sits in navigation, a header, a footer or a breadcrumb."""
    for node in (tag, *tag.parents):
        if not isinstance(node, Tag) or node.name in ("body", "html", "[document]"):
            return False
        if node.name in CHROME_TAGS:
            return True
        words = " ".join([str(node.get("id", "")), *node.get("class", [])])
        if words.strip() and CHROME_WORDS.search(words):
            return True
    return False


def signature(tag: Tag) -> str:
    """Return an element's tag and classes, e.g. 'li.item' (the shape that repeats in a list)."""
    return ".".join([tag.name, *sorted(tag.get("class", []))])


def _has_link(tag: Tag) -> bool:
    return tag.name == "a" or tag.find("a", href=True) is not None


def record_of(a: Tag) -> tuple[Tag, Tag | None]:
    """Return the repeating item around a link (li, tr, a card) and the block that repeats it, if any."""
    cur = a
    for _ in range(MAX_CLIMB):
        parent = cur.parent
        if not isinstance(parent, Tag) or parent.name in ("body", "html", "[document]"):
            break
        sig = signature(cur)
        same = sum(1 for c in parent.find_all(recursive=False) if signature(c) == sig and _has_link(c))
        if same >= 2 or parent.name in LIST_CONTAINERS:
            return cur, parent
        cur = parent
    return (a.parent if isinstance(a.parent, Tag) else a), None


def _path(record: Tag, a: Tag) -> tuple[str, ...]:
    """Return the signatures from the record down to the link: links at the same path form one group."""
    steps = [signature(a)]
    node = a.parent
    while isinstance(node, Tag) and node is not record and node is not a:
        steps.append(signature(node))
        node = node.parent
    if record is not a:
        steps.append(signature(record))
    return tuple(reversed(steps))


def dated(record: Tag, a: Tag) -> bool:
    """Tell whether a date stands beside the link in its item (or right after it when the link is the item)."""
    text = record.get_text(" ", strip=True)
    if record is a:
        sibling = a.find_next_sibling()
        text += " " + (sibling.get_text(" ", strip=True) if sibling is not None else "")
    return bool(DATE.search(text))


@dataclass
class Group:
    """Links at one path inside one list block, with the evidence they carry together."""

    block: Tag | None
    path: tuple[str, ...]
    links: list[tuple[str, Tag, str]] = field(default_factory=list)  # (url, anchor, text)
    titled: int = 0
    with_date: int = 0
    in_folder: int = 0
    chrome: bool = False

    def shares(self) -> tuple[float, float, float, float]:
        """Return the shares of titled, dated and in-folder links, and the repetition (1 from 3 links)."""
        n = len(self.links)
        return self.titled / n, self.with_date / n, self.in_folder / n, min(n, 3) / 3

    def score(self) -> float:
        """Return title + date + folder + repetition, each 0 to 1."""
        return sum(self.shares())

    def qualifies(self) -> bool:
        """Tell whether the group reads as a list of notices on its own evidence."""
        titled = self.shares()[0]
        return not self.chrome and titled >= 0.5 and self.score() >= MIN_GROUP_SCORE

    def why(self) -> str:
        """Say in words what the group's evidence is."""
        n = len(self.links)
        return (
            f"{n} links repeating in {self.block_name()}: {self.titled}/{n} read as notice titles, "
            f"{self.with_date}/{n} with a date beside, {self.in_folder}/{n} in the column folder"
        )

    def key(self) -> str:
        """Return where the block sits in the page's template and the links' path in it (same on every page)."""
        node = self.block if self.block is not None else self.links[0][1].parent
        steps = []
        while isinstance(node, Tag) and node.name not in ("body", "html", "[document]"):
            parent = node.parent
            same = parent.find_all(node.name, recursive=False) if isinstance(parent, Tag) else [node]
            steps.append(f"{css_step(node)}[{next(i for i, s in enumerate(same) if s is node)}]")
            node = parent
        return "/".join(reversed(steps)) + " > " + " > ".join(self.path)

    def block_name(self) -> str:
        """Return a short name of the block, e.g. ul.news_list."""
        return signature(self.block) if self.block is not None else "no list block"


def groups(soup: BeautifulSoup | Tag, base: str, column: str, allowed: Callable[[str], bool]) -> list[Group]:
    """Group the links of a page by list block and path; allowed(url) keeps only crawlable URLs."""
    found: dict[tuple[int, tuple[str, ...]], Group] = {}
    for url, a in anchors(soup, base, allowed):
        record, block = record_of(a)
        path = _path(record, a)
        key = (id(block) if block is not None else -id(a), path)
        group = found.get(key)
        if group is None:
            group = found[key] = Group(block, path, chrome=in_chrome(a))
        text = anchor_text(a)
        group.links.append((url, a, text))
        group.titled += title_like(text)
        group.with_date += dated(record, a)
        group.in_folder += url.startswith(column) and url != column
    return list(found.values())


def anchors(soup: BeautifulSoup | Tag, base: str, allowed: Callable[[str], bool]) -> Iterator[tuple[str, Tag]]:
    """Yield (canonical URL, anchor) for every followable link the predicate allows."""
    for a in soup.find_all("a", href=True):
        href = a["href"].strip()
        if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
            continue
        try:
            url = canonical_url(href, base=base)
        except BadURL:
            continue
        if allowed(url):
            yield url, a


def notice_groups(all_groups: list[Group], known: Iterable[str] = ()) -> list[Group]:
    """Return the groups whose links are notices: qualifying groups in the folder, and the best group anyway.

    known holds the keys of the blocks that were the column's notice lists on its pages read before: a column's
    pages share one list block, so the short last page of a list is not outweighed by a sidebar there.
    """
    known = set(known)
    ranked = sorted(all_groups, key=lambda g: (g.score(), len(g.links)), reverse=True)
    familiar = [g for g in ranked if g.key() in known and not g.chrome and g.shares()[0] >= 0.5]
    best = familiar[0] if familiar else next((g for g in ranked if g.qualifies()), None)
    in_folder = [g for g in ranked if g.qualifies() and g.shares()[2] >= 0.5]
    return [g for g in ranked if g is best or g in familiar or g in in_folder]


def diagnose(all_groups: list[Group]) -> str:
    """Say in one phrase why no group of links reads as a list of notices."""
    if not all_groups:
        return "no links on the page"
    n = sum(len(g.links) for g in all_groups)
    candidates = [g for g in all_groups if not g.chrome] or all_groups
    best = max(candidates, key=lambda g: (g.score(), len(g.links)))
    chrome = sum(len(g.links) for g in all_groups if g.chrome)
    return f"{n} links ({chrome} in navigation/footer), none reads as a list of notices; best group: {best.why()}"


def css_step(tag: Tag, positional: bool = False) -> str:
    """Return one CSS step for an element: tag#id, else tag.class..., else (positional) tag:nth-of-type(k)."""
    ident = str(tag.get("id", ""))
    if ident and CSS_NAME.match(ident):
        return f"{tag.name}#{ident}"
    step = ".".join([tag.name, *sorted(c for c in tag.get("class", []) if CSS_NAME.match(c))])
    if not positional or step != tag.name or not isinstance(tag.parent, Tag):
        return step
    same = tag.parent.find_all(tag.name, recursive=False)
    return f"{tag.name}:nth-of-type({next(i for i, s in enumerate(same, 1) if s is tag)})"


def selector_of(soup: BeautifulSoup | Tag, group: Group, taken: set[int]) -> str:
    """Return the shortest CSS selector for the group's links that picks no link outside taken (ids of anchors).

    Ancestors are named by tag and class, and by position among their siblings where that is all that tells
    two blocks apart (a list and a sidebar in the cells of one layout table).
    """
    a0 = group.links[0][1]
    if group.block is None:
        tail, node = [css_step(a0)], a0.parent
    else:
        record_to_a = [a0]
        while record_to_a[-1].parent is not None and record_to_a[-1].parent is not group.block:
            record_to_a.append(record_to_a[-1].parent)
        tail, node = [css_step(t) for t in reversed(record_to_a)], group.block
    chain: list[str] = []
    selector = " > ".join(tail)
    while isinstance(node, Tag) and node.name != "[document]":
        for positional in (False, True):
            selector = " > ".join([css_step(node, positional), *chain, *tail])
            if {id(x) for x in soup.select(selector)} <= taken:
                return selector
        chain.insert(0, css_step(node, positional=True))
        if "#" in chain[0]:
            break
        node = node.parent
    return selector
