"""Build reposts of real documents: the same text re-wrapped in another site's page chrome, then extracted.

A repost (转载) is a real document's title and body placed in one of several page templates (a district
portal, a department site, a news-style page, a bare CMS page) with their headers, navigation, breadcrumbs,
来源/转载 lines, share/print/scan-to-phone widgets, related-article lists and footers, plus small edits (a few
characters changed, punctuation in the other width, the 文号 line or the closing 附件 line dropped). The
page then goes through our real HTML extraction (pipeline.to_document). A "precedent" is the same text
issued by another government: its place names, agency and 文号 changed (a different document).
Everything is seeded: the same recipe builds the same page.
"""

from __future__ import annotations

import html
import random
from datetime import date, timedelta

from indexer.models import Document
from indexer.pipeline import to_document

SITES = (  # (site, its office, the 6-digit division code that starts its 网站标识码)
    ("广州市增城区人民政府门户网站", "增城区人民政府办公室", "440118"),
    ("广州市黄埔区人民政府", "黄埔区政务服务数据管理局", "440112"),
    ("广州市民政局网站", "广州市民政局办公室", "440100"),
    ("东莞市人民政府门户网站", "东莞市政务服务数据管理局", "441900"),
    ("佛山市南海区人民政府网", "南海区人民政府办公室", "440605"),
    ("中山市人民政府门户网站", "中山市人民政府办公室", "442000"),
)
RELATED = (
    "关于做好2025年元旦春节期间安全生产工作的通知",
    "区政务服务中心延长周末服务时间的公告",
    "2024年第三季度政府网站检查情况通报",
    "关于开展消防安全专项整治行动的通告",
    "我区召开优化营商环境工作推进会",
    "关于公布第二批区级非物质文化遗产代表性项目名录的通知",
)
SHARE = ("分享到：微信 微博 QQ空间", "扫一扫在手机打开当前页", "【打印本页】【关闭窗口】", "【字体：大 中 小】")
WIDTH = str.maketrans("，：；（）！？", ",:;()!?")
# a government's names, as a precedent swaps them: the same policy implemented elsewhere
PLACES = (("广州市", "深圳市"), ("广州", "深圳"), ("天河区", "南山区"), ("穗", "深"), ("广东省", "河南省"))


def _edit(body: str, rng: random.Random) -> str:
    """Change a few characters, the width of some punctuation, and maybe drop the 文号 or 附件 line."""
    lines = [line for line in body.split("\n") if line.strip()]
    if len(lines) > 3 and rng.random() < 0.5:
        lines = [line for line in lines if not line.startswith(("附件", "公开方式"))]
    if len(lines) < 5:
        return "\n".join(lines)
    # the 文号 line and the 落款 stay as they are: a repost copies them, its typos fall in the text
    head, text, tail = lines[0], "\n".join(lines[1:-3]), "\n".join(lines[-3:])
    chars = list(text)
    for i in rng.sample(range(len(chars)), min(len(chars) // 200 + 1, 12)):
        if "\u4e00" <= chars[i] <= "\u9fff":
            chars[i] = rng.choice("的了和与及在")
    text = "".join(chars)
    text = text.translate(WIDTH) if rng.random() < 0.3 else text
    return "\n".join((head, text, tail))


def _paragraphs(body: str) -> str:
    return "\n".join(f"<p>{html.escape(line)}</p>" for line in body.split("\n") if line.strip())


def _chrome(rng: random.Random, site: str, office: str, code: str) -> tuple[str, str]:
    nav = " | ".join(["首页", "政务公开", "政策文件", "办事服务", "互动交流", "走进" + site[:4]])
    links = (f"<li><a href='/art/{rng.randrange(10**6)}.html'>{t}</a></li>" for t in rng.sample(RELATED, 3))
    crumb = "<div class='crumb'>当前位置：首页 > 政务公开 > 政策文件</div>"
    head = f"<div class='top'>{site}</div><div class='nav'>{nav}</div>{crumb}"
    tail = (
        f"<div class='share'>{' '.join(rng.sample(SHARE, 3))}</div>"
        f"<div class='related'><h3>相关文章</h3><ul>{''.join(links)}</ul></div>"
        f"<div class='foot'>主办：{office}　网站标识码{code}{rng.randrange(10**4):04d}"
        f"　粤ICP备{rng.randrange(10**8)}号</div>"
    )
    return head, tail


def wrap(doc: Document, template: str, seed: int, published: date | None) -> str:
    """Return the HTML of a repost of doc on another site, in one of the TEMPLATES."""
    rng = random.Random(seed)
    site, office, code = rng.choice(SITES)
    head, tail = _chrome(rng, site, office, code)
    body, title, agency = _edit(doc.body, rng), html.escape(doc.title), html.escape(doc.agency or "")
    day = (published or date(2024, 1, 1)) + timedelta(days=rng.randrange(0, 40))
    number = f"<p>{html.escape(doc.doc_number)}</p>" if doc.doc_number and rng.random() < 0.6 else ""
    source = f"来源：{agency}" if agency else "来源：本网"
    if template == "portal":  # a TRS portal: meta tags, an info bar with 来源 and date
        metas = f"<meta name='ArticleTitle' content='{title}'><meta name='PubDate' content='{day} 09:30'>"
        metas += f"<meta name='ContentSource' content='{agency}'>" if agency else ""
        info = f"<div class='info'>{source}　发布时间：{day}　浏览次数：{rng.randrange(50, 5000)}</div>"
        main = f"<h1>{title}</h1>{info}<div class='article'>{number}{_paragraphs(body)}</div>"
        return f"<html><head><title>{title} - {site}</title>{metas}</head><body>{head}{main}{tail}</body></html>"
    if template == "department":  # a department site: the repost says where it comes from
        note = f"<p class='note'>（本文转载自{agency or '上级部门'}网站）</p>"
        text = f"<div id='zoom'>{number}{_paragraphs(body)}{note}</div>"
        main = f"<h2 class='title'>{title}</h2><div class='info'>发布日期：{day}</div>{text}"
        return f"<html><head><title>{title}_{site}</title></head><body>{head}{main}{tail}</body></html>"
    if template == "news":  # a news-style page: a lead line, the text, an editor's line
        lead = f"<p class='lead'>{source}　{day}　【转载】</p>"
        editor = f"<p>（责任编辑：王{rng.choice('明丽华强')}）</p>"
        text = f"<div class='content'>{_paragraphs(body)}</div>"
        main = f"<div class='news'><h1>【转载】{title}</h1>{lead}{text}{editor}</div>"
        return f"<html><head><title>{title}</title></head><body>{head}{main}{tail}</body></html>"
    # bare: a small CMS page, no metadata at all
    main = f"<table><tr><td><b>{title}</b></td></tr><tr><td>{_paragraphs(body)}</td></tr></table>"
    return f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>{head}{main}{tail}</body></html>"


TEMPLATES = ("portal", "department", "news", "bare")


def build_repost(doc: Document, template: str, seed: int, doc_id: str) -> Document:
    """Return the Document our extraction makes of a repost of doc (template, seed)."""
    page = wrap(doc, template, seed, doc.published or doc.issued)
    return to_document({"id": doc_id, "html": page, "url": f"https://example.gov.cn/zwgk/{doc_id}.html"})


def build_precedent(doc: Document, seed: int, doc_id: str) -> Document:
    """Return the same text issued by another government: places, agency and 文号 changed."""

    def swap(text: str | None) -> str:
        out = text or ""
        for old, new in PLACES:
            out = out.replace(old, new)
        return out

    rng = random.Random(seed)
    number = f"深府办规〔{rng.randrange(2015, 2025)}〕{rng.randrange(1, 30)}号"
    record = {
        "id": doc_id,
        "title": swap(doc.title),
        "body": swap(doc.body),
        "agency": swap(doc.agency) or "深圳市人民政府办公厅",
        "doc_number": number if doc.doc_number else None,
        "region": "广东省/深圳市" if doc.region else None,
        "date": (doc.published or date(2024, 1, 1)).isoformat(),
    }
    return to_document(record)
