"""Turn a raw page into a Document: decode, find the metadata, the main text and the attachments."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from urllib.parse import urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from indexer.models import Attachment, Document, RawPage, SkipDocument
from indexer.normalize import parse_date, parse_doc_number, status_of

CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([-\w:.]+)""", re.I)
GB_FAMILY = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "gb_2312-80", "csgb2312", "euc-cn", "x-euc-cn"}
ATTACHMENT_EXT = re.compile(r"\.(pdf|docx?|wps|xlsx?|zip|rar|ofd|et|txt)$", re.I)
# where TRS/NFCMS/gkmlpt and similar CMSs put the article body, most specific first
CONTENT_SELECTORS = (
    "#zoomcon",
    "#info_cont",
    ".article-content",
    "ucapcontent",
    "#detailCon",
    ".TRS_Editor",
    ".trs_editor_view",
    "#UCAP-CONTENT",
    ".pages_content",
    ".newsMain",
    "article",
    ".content_article",
    "#content",
    ".content",
    "main",
)
DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "iframe",
    "form",
    "input",
    "button",
    "select",
    "textarea",
    "nav",
    "header",
    "footer",
    "object",
    "embed",
    "svg",
    "canvas",
    "template",
    "link",
    "meta",
)
BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "section",
    "article",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "hr",
    "center",
    "ucapcontent",
}
CHROME_LINES = re.compile(
    r"^(?:扫一扫在手机打开当前页|扫一扫|附件下载[:：]?|相关附件[:：]?|分享到?[:：]?|打印(?:本页)?|关闭(?:窗口)?"
    r"|返回顶部|收藏|浏览次数[:：]?.*|【?\s*(?:字体|字号)?[:：]?\s*大\s*中\s*小\s*】?|[【\[]\s*(?:打印|关闭|关闭窗口"
    r"|返回顶部|收藏)\s*[】\]](?:\s*[【\[]\s*(?:打印|关闭|关闭窗口|返回顶部|收藏)\s*[】\]])*|下载文字版|下载图片版"
    r"|微信|微博|QQ空间|上一篇[:：].*|下一篇[:：].*|当前位置[:：].*|点击查看政策解读[:：].*|-|—|·"
    # share bars, scan-to-phone, font size, print/close rows and ICP/公安备案 footers, in their common spellings
    r"|分享到?[:：]?\s*(?:微信|微博|QQ空间|QQ|朋友圈|新浪微博|腾讯微博|\s)*|扫一扫[，,]?\s*(?:在手机(?:上)?打开当前页|分享到朋友圈|用手机看)"
    r"|(?:【\s*)?(?:字号|字体)\s*[:：]?\s*[【\[]?\s*大\s*[】\]]?\s*[【\[]?\s*中\s*[】\]]?\s*[【\[]?\s*小\s*[】\]]?(?:\s*】)?"
    r"|(?:[【\[]?\s*(?:打印(?:本页|此页)?|关闭(?:本页|窗口)?|返回顶部|收藏|纠错)\s*[】\]]?\s*){1,5}"
    r"|.{0,40}ICP备\s*\d+号.{0,60}|.{0,40}公网安备\s*\d+号.{0,40})$"
)
# metadata labels (政府信息公开目录) -> field; labels are matched with spaces removed
LABELS = {
    "索引号": "index_no",
    "名称": "title",
    "标题": "title",
    "文件名称": "title",
    "发布机构": "agency",
    "发文机关": "agency",
    "发布机关": "agency",
    "发文单位": "agency",
    "发文机构": "agency",
    "制发机关": "agency",
    "文号": "doc_number",
    "发文字号": "doc_number",
    "成文日期": "issued",
    "发文日期": "issued",
    "发布日期": "published",
    "发布时间": "published",
    "主题分类": "topics",
    "分类": "topics",
    "主题词": "keywords",
    "关键词": "keywords",
    "有效性": "status",
    "文件状态": "status",
    "时效性": "status",
    "体裁": "doc_type",
    "体裁分类": "doc_type",
    "文种": "doc_type",
    "内容概述": "summary",
    "摘要": "summary",
    "生成日期": "issued",
    "实施日期": "effective",
    "失效日期": "expires",
    "统一编号": "unified_no",
    "来源": "source_name",
    "信息来源": "source_name",
}
# labels a 政府信息公开 table also writes without a colon (<td>生成日期</td>): none is an ordinary word
BARE_LABELS = (
    "索引号",
    "文号",
    "发文字号",
    "发文机关",
    "发布机构",
    "成文日期",
    "发布日期",
    "生成日期",
    "主题分类",
    "有效性",
)
LABEL_RE = re.compile(
    rf"^(?:({'|'.join(sorted(LABELS, key=len, reverse=True))})[:：]|({'|'.join(BARE_LABELS)})[:：]?)$"
)
# a date after its label, with or without a colon: "生成日期 2015年3月2日", "成文日期：二〇一五年三月二日"
DATE_LABEL = re.compile(
    r"(生成日期|成文日期|发文日期|发布日期|发布时间)\s*[:：]?\s*"
    r"(\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|[〇○零一二三四五六七八九]{4}\s*年[十一二三四五六七八九]{1,2}月[十一二三四五六七八九]{1,3}日)"
)
INLINE_LABEL = re.compile(rf"({'|'.join(sorted(LABELS, key=len, reverse=True))})[:：]\s*")
# cells of the 政府信息公开 catalogue whose emptiness is worth a note
TABLE_CELLS = {"index_no", "title", "agency", "doc_number", "issued", "published", "topics", "status"}
SITE_SUFFIX = re.compile(r"\s*(?:[-_|—－]+\s*)[^-_|—－]*(?:网站|门户网站|政府网|人民政府|政务网|网)\s*$")
TITLE_DECOR = re.compile(r"^(?:[（(]转载[)）]|【[^】]{1,4}】)\s*")
# what no text has many of: U+FFFD (undecodable bytes), C0/C1 controls, private use (GB18030 decoding junk)
_NOT_TEXT = re.compile(r"[\ufffd\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ue000-\uf8ff]")
TEXT_SAMPLE = 20_000  # characters looked at by check_text (a bounded cost per record)
MAX_BAD_PERCENT = 10  # a real page with a few broken characters stays far below this
NOT_AGENCY = re.compile(r"^(?:本网|本站|南方\+|.*(?:日报|晚报|新闻|公众号|官网|数据库|网站|客户端).*)$")


def _charset_name(name: str) -> str:
    name = name.strip().strip("\"'").lower()
    if name in GB_FAMILY:
        return "gb18030"  # the superset: GB2312 and GBK pages often contain GB18030-only characters
    return "utf-8" if name in {"utf8", "utf-8", "unicode-1-1-utf-8"} else name


def _declared(body: bytes, content_type: str) -> str | None:
    if m := re.search(r"charset\s*=\s*([-\w:.\"']+)", content_type or "", re.I):
        return _charset_name(m[1])
    if m := CHARSET.search(body[:4096]):
        return _charset_name(m[1].decode("ascii", "replace"))
    return None


def decode_page(body: bytes, content_type: str = "") -> tuple[str, str | None]:
    """Decode page bytes; return the text and a note when the declared charset was wrong or missing."""
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", "replace"), None
    declared = _declared(body, content_type)
    # valid UTF-8 with non-ASCII bytes is UTF-8 whatever the page says: GB18030 would decode it as mojibake
    for charset in dict.fromkeys(["utf-8", declared or "utf-8", "gb18030"]):
        try:
            text = body.decode(charset)
        except (UnicodeDecodeError, LookupError):
            continue
        if declared and charset != declared and not body.isascii():
            return text, f"charset declared {declared} but the page is {charset}"
        return text, None
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    encoding = best.encoding if best else "utf-8"
    note = f"charset declared {declared} but the page is {encoding}" if declared else None
    return body.decode(encoding, "replace"), note or f"charset guessed: {encoding}"


def check_text(text: str, what: str) -> None:
    """Refuse text that is mostly U+FFFD, control or private-use characters: binary, not a page or text."""
    sample = text[:TEXT_SAMPLE]
    visible = len(sample) - sum(map(sample.count, " \n\t\r\u3000"))
    bad = len(_NOT_TEXT.findall(sample))
    if visible and bad * 100 > visible * MAX_BAD_PERCENT:
        raise SkipDocument(f"not text: {bad * 100 // visible}% of the {what}'s characters are U+FFFD or control")


def decode_html(body: bytes, content_type: str = "") -> str:
    """Decode a GBK, GB2312, GB18030 or UTF-8 page, declared or not, correcting a wrong declaration."""
    return decode_page(body, content_type)[0]


def _squash(text: str) -> str:
    return re.sub(r"[\s\u3000\xa0]+", " ", text).strip()


def _is_hidden(tag: Tag) -> bool:
    if tag.name in ("html", "body"):  # pages hide <body> until their scripts ran
        return False
    style = (tag.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style or tag.has_attr("hidden")


def _clean_tree(soup: BeautifulSoup) -> None:
    """Remove scripts, forms, hidden blocks and comments that are never document text."""
    for node in soup.find_all(string=lambda s: isinstance(s, Comment)):
        node.extract()
    for tag in soup.find_all(DROP_TAGS):
        tag.decompose()
    for tag in [t for t in soup.find_all(True) if _is_hidden(t)]:
        if not tag.decomposed:
            tag.decompose()


def _text_of(node: Tag) -> str:
    """Render a subtree as text: one paragraph per line, table cells separated by a space."""
    chunks: list[str] = []
    for item in node.descendants:
        if isinstance(item, NavigableString):
            chunks.append(re.sub(r"[\t\r\n ]+", " ", str(item)))
        elif isinstance(item, Tag) and item.name in BLOCK_TAGS:
            chunks.append("\n")
        elif isinstance(item, Tag) and item.name in ("td", "th"):
            chunks.append(" ")
    lines = (_squash(line) for line in "".join(chunks).split("\n"))
    return "\n".join(line for line in lines if line and not CHROME_LINES.match(line))


def _meta(soup: BeautifulSoup) -> dict[str, str]:
    """Collect <meta name=... content=...> values by lower-cased name."""
    found: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        name = (tag.get("name") or tag.get("property") or "").strip().lower()
        if name and tag.get("content") and name not in found:
            found[name] = _squash(tag["content"])
    return found


def _is_label(tag: Tag | NavigableString) -> str | None:
    text = tag.get_text() if isinstance(tag, Tag) else str(tag)
    m = LABEL_RE.match(re.sub(r"[\s\u3000\xa0]+", "", text))
    return LABELS[m[1] or m[2]] if m else None


def _labelled(soup: BeautifulSoup) -> dict[str, str]:
    """Read label/value pairs of a metadata table or list (<td>文号：</td><td>…</td>, <li><span>…)."""
    found: dict[str, str] = {}
    for tag in soup.find_all(["td", "th", "span", "li", "div", "b", "strong", "label", "em", "dt", "p", "i"]):
        field = _is_label(tag) if len(_squash(tag.get_text())) < 16 else None
        if field is None or field in found:
            continue
        parts = []
        for sibling in tag.next_siblings:
            if _is_label(sibling):
                break
            parts.append(_text_of(sibling) if isinstance(sibling, Tag) else str(sibling))
        found[field] = _squash(" ".join(parts))
    return found


def _inline_labels(text: str) -> dict[str, str]:
    """Read 'label：value' pairs from short lines such as '来源：广州日报 发布时间：2025-01-01'."""
    found: dict[str, str] = {}
    for line in text.split("\n"):
        matches = list(INLINE_LABEL.finditer(line))
        if not matches or matches[0].start() != 0 or len(line) > 120:
            continue
        for m, nxt in zip(matches, matches[1:] + [None], strict=True):
            value = _squash(line[m.end() : nxt.start() if nxt else None])
            found.setdefault(LABELS[m[1]], value)
    for m in DATE_LABEL.finditer(text):  # a labelled date without a colon is still a date
        found.setdefault(LABELS[m[1]], m[2])
    return found


def _score_nodes(soup: BeautifulSoup) -> Tag | None:
    """Find the block holding most paragraph text (readability-style), for pages no selector knows."""
    scores: dict[int, float] = {}
    nodes: dict[int, Tag] = {}
    for para in soup.find_all(["p", "td", "li", "div", "span", "section"]):
        if para.name in ("div", "section") and para.find(["div", "p", "table", "section"]):
            continue
        size = len(_squash(para.get_text()))
        if size < 20 or para.find_parent("a") or para.parent is None:
            continue
        for depth, node in enumerate((para.parent, para.parent.parent)):
            if isinstance(node, Tag):
                nodes[id(node)] = node
                scores[id(node)] = scores.get(id(node), 0) + size / (depth + 1)
    return nodes[max(scores, key=scores.__getitem__)] if scores else None


def _main_node(soup: BeautifulSoup) -> Tag | None:
    """Pick the element holding the article body."""
    fallback = _score_nodes(soup)
    floor = 0.25 * len(_squash(fallback.get_text())) if fallback else 0
    for selector in CONTENT_SELECTORS:
        for node in soup.select(selector):
            if len(_squash(node.get_text())) >= max(floor, 20):
                return node
    return fallback or soup.body


def _attachments(soup: BeautifulSoup, base: str) -> tuple[Attachment, ...]:
    """List linked files (pdf, doc, xls, zip, ofd ...) with absolute URLs."""
    found: dict[str, Attachment] = {}
    for link in soup.find_all("a", href=True):
        href = link["href"].strip()
        label = link.get("download") or link.get("alt") or link.get("title") or ""
        path = urlsplit(href).path
        if not (ATTACHMENT_EXT.search(path) or ATTACHMENT_EXT.search(label)) or href.startswith("javascript"):
            continue
        url = urljoin(base, href) if base else href
        name = _squash(link.get_text()) or _squash(label) or path.rsplit("/", 1)[-1]
        found.setdefault(url, Attachment(url=url, name=name))
    return tuple(found.values())


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop the fragment and default ports."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme.lower(), host, parts.path or "/", parts.query, ""))


def doc_id_for(url: str, body: bytes) -> str:
    """Give the stable id: sha1 of the canonical URL, else of the content."""
    if url:
        return "url-" + hashlib.sha1(canonical_url(url).encode("utf-8")).hexdigest()[:16]
    return "sha1-" + hashlib.sha1(body).hexdigest()[:16]


DATE_LINE = re.compile(
    r"(?:\d{4}|[〇○零一二三四五六七八九]{4})\s*年\s*[\d十一二三四五六七八九]{1,3}\s*月\s*[\d十一二三四五六七八九]{1,3}\s*日"
)
AGENCY_LINE = re.compile(r"(?:政府|办公厅|办公室|局|委员会|委|厅|部|院|中心|联合会|办事处|管委会)$")
HEAD_LINE = re.compile(r"^(?:省\s*长|市\s*长|县\s*长|区\s*长|主\s*席|总\s*理)\s*[:：]")
PROMULGATED = re.compile(
    r"^[（(](?P<date>\d{4}年\d{1,2}月\d{1,2}日)\s*(?P<number>\S+?令\s*[（(]?第\s*\d+\s*号[)）]?)\s*(?:公布|发布)"
)
STATUS_SCRIPT = re.compile(r"""file_status\s*=\s*['"]([^'"]+)['"]""")


def _signature(lines: list[str]) -> tuple[str | None, str | None]:
    """Read the first 落款: an agency (or 市长：…) line followed by a date line; return agency and date."""
    for i in range(1, len(lines)):
        if not DATE_LINE.fullmatch(lines[i]) or len(lines[i - 1]) > 60:
            continue
        if AGENCY_LINE.search(lines[i - 1]):
            start = i - 1
            while start > max(0, i - 5) and AGENCY_LINE.search(lines[start - 1]) and len(lines[start - 1]) <= 40:
                start -= 1  # joint documents sign with one agency per line
            return " ".join(lines[start:i]), lines[i]
        if HEAD_LINE.match(lines[i - 1]):
            return None, lines[i]
    return None, None


def _promulgation(lines: list[str]) -> tuple[str | None, str | None]:
    """Read '（2021年7月27日中华人民共和国国务院令第746号公布）' at the top of a regulation."""
    for line in lines[:3]:
        if m := PROMULGATED.match(line):
            return m["number"], m["date"]
    return None, None


def _number_in_text(lines: list[str]) -> str | None:
    """Find a line near the top that is only a 文号 (穗府办规〔2021〕7号, 国务院令 第746号)."""
    head = lines[:8]
    for i, line in enumerate(head):
        candidate = line.strip("（()）")
        if line.endswith("令") and i + 1 < len(head):
            candidate = line + head[i + 1].strip("（()）")
        if parse_doc_number(candidate):
            return candidate
    return None


def _title_from(meta: dict[str, str], labels: dict[str, str], soup: BeautifulSoup) -> str:
    h1 = soup.find("h1")
    html_title = soup.title.get_text() if soup.title else ""
    html_title = re.sub(r"^[^-_|]*(?:网站|门户网站)\s*[-_|]\s*", "", SITE_SUFFIX.sub("", _squash(html_title)))
    for candidate in (
        meta.get("articletitle"),
        labels.get("title"),
        h1 and _squash(h1.get_text()),
        html_title,
    ):
        if candidate:
            return TITLE_DECOR.sub("", candidate)
    return ""


def _agency(labels: dict[str, str], signed_by: str | None, number: str | None, meta: dict[str, str]) -> str | None:
    """Prefer the metadata table, then the 落款, then the issuer of a 令, then the page's 来源."""
    parsed = parse_doc_number(number)
    orderer = parsed.prefix[:-1] if parsed and parsed.year is None and parsed.prefix.endswith("政府令") else None
    orderer = orderer or ("国务院" if parsed and parsed.prefix == "国务院令" else None)
    source = re.sub(r"^本网", "", meta.get("contentsource") or labels.get("source_name") or "")
    candidates = (labels.get("agency"), signed_by, orderer, source if not NOT_AGENCY.match(source) else None)
    return next((c for c in candidates if c), None)


def _date(value: str | None, label: str, notes: list[str]) -> date | None:
    parsed = parse_date(value) if value else None
    if value and parsed is None:
        notes.append(f"bad date: {value} ({label})")
    return parsed


def extract(page: RawPage) -> Document:
    """Extract a Document from a raw page.

    Raises:
        SkipDocument: the page has no usable text at all.
    """
    html, charset_note = decode_page(page.body, page.content_type)
    check_text(html, "page")
    soup = BeautifulSoup(html, "lxml")
    notes = [charset_note] if charset_note else []
    meta = _meta(soup)
    status_js = STATUS_SCRIPT.search(html)
    _clean_tree(soup)
    url = page.url or meta.get("url", "")
    labels = _labelled(soup)
    empty = [k for k, v in labels.items() if not v and k in TABLE_CELLS]
    title = _title_from(meta, labels, soup)
    attachments = _attachments(soup, url)
    lines, page_labels = _text_and_labels(soup)
    labels = {**page_labels, **{k: v for k, v in labels.items() if v}}
    body = "\n".join(lines)
    if not title and not body:
        raise SkipDocument("no usable text in page", source=page.url or page.source)
    if not title:
        title = lines[0][:200]
        notes.append("no title in page; title taken from text")
    signed_by, signed_on = _signature(lines)
    promulgated_by, promulgated_on = _promulgation(lines)
    number = labels.get("doc_number") or _number_in_text(lines) or promulgated_by
    status = labels.get("status") or (status_js[1] if status_js else None)
    doc = Document(
        doc_id=doc_id_for(url, page.body),
        url=url,
        title=title,
        body=body,
        agency=_agency(labels, signed_by, number, meta),
        doc_number=number,
        index_no=labels.get("index_no"),
        published=_date(labels.get("published") or meta.get("pubdate"), "发布日期", notes),
        issued=_date(labels.get("issued") or signed_on or promulgated_on, "成文日期", notes),
        topics=tuple(t for t in re.split(r"[、，,;；\s]+", labels.get("topics", "")) if t),
        doc_type=labels.get("doc_type"),
        status=status_of(status) if status else None,
        summary=labels.get("summary"),
        keywords=tuple(k for k in re.split(r"[、，,;；\s]+", labels.get("keywords", "")) if k),
        attachments=attachments,
        source=page.source or None,
        extra={k: labels[k] for k in ("effective", "expires", "unified_no") if labels.get(k)},
        notes=tuple(notes),
    )
    missing = [f"empty metadata cell: {EMPTY_CELLS[k]}" for k in empty if not getattr(doc, k)]
    return doc.with_(notes=doc.notes + tuple(missing)) if missing else doc


EMPTY_CELLS = {  # a metadata table's cell left empty, noted when nothing else filled the field
    "index_no": "索引号",
    "title": "名称",
    "agency": "发布机构",
    "doc_number": "文号",
    "issued": "成文日期",
    "published": "发布日期",
    "topics": "主题分类",
    "status": "有效性",
}


def _text_and_labels(soup: BeautifulSoup) -> tuple[list[str], dict[str, str]]:
    """Return the main text's non-empty lines and the labels ('发布日期：…') written in the rest of the page
    or in the first lines above the text, which are metadata, not text. The main node leaves the tree."""
    main = _main_node(soup)
    lines = _text_of(main).split("\n") if main else []
    head = 0
    while head < min(3, len(lines)) and INLINE_LABEL.match(lines[head]) and len(lines[head]) <= 120:
        head += 1  # '信息来源：…' lines above the text are metadata, not text
    if main is not None:
        main.extract()
    labels = _inline_labels("\n".join([_text_of(soup), *lines[:head]]))
    return [line for line in lines[head:] if line], labels
