"""Sites of CMSs the crawler has never seen, one column layout each, with navigation, sidebars and footers.

Every layout knows its start URLs, the notices a crawl must take and the pages it must not (other columns'
notices in sidebars, footers, pages in the column that are not notices). Real Guangzhou/Tianhe pages from
../shared are among the notices of the script-paginated layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .server import Route, Site

TOPICS = [
    ("关于做好2025年秋季森林防火工作的通知", "各镇人民政府、街道办事处，县直各单位：为切实做好秋季森林防火工作"),
    (
        "关于印发《农村人居环境整治提升实施方案》的通知",
        "现将《农村人居环境整治提升实施方案》印发给你们，请认真贯彻执行",
    ),
    ("县人民政府关于调整城乡居民最低生活保障标准的批复", "你局《关于调整城乡居民最低生活保障标准的请示》收悉。经研究"),
    ("关于开展2025年度安全生产大检查的通知", "为深刻吸取近期事故教训，全面排查整治各类安全风险隐患"),
    (
        "县教育局关于2025年秋季学期义务教育招生工作的公告",
        "根据《中华人民共和国义务教育法》和省市有关规定，现将招生工作公告如下",
    ),
    (
        "关于公布第三批县级非物质文化遗产代表性项目名录的通知",
        "经专家评审、社会公示，县人民政府同意公布第三批县级非遗项目",
    ),
    ("关于进一步加强城市道路停车管理的通告", "为规范城市道路停车秩序，缓解停车难问题，根据有关法律法规"),
    (
        "县卫生健康局关于开展适龄女生HPV疫苗免费接种工作的通知",
        "为保护适龄女生健康，降低宫颈癌发病风险，决定开展免费接种",
    ),
    ("关于2025年度企业职工基本养老保险缴费基数的公告", "根据省人力资源和社会保障厅通知，现将缴费基数有关事项公告如下"),
    ("县人民政府办公室关于印发防汛抗旱应急预案的通知", "《县防汛抗旱应急预案》已经县人民政府同意，现印发给你们"),
    ("关于征集2026年县人民政府民生实事项目的公告", "为广泛听取群众意见，现面向社会公开征集2026年民生实事项目建议"),
    ("县市场监管局关于开展食品安全专项整治行动的通知", "为进一步规范食品生产经营秩序，保障人民群众饮食安全"),
    ("关于调整部分公交线路的通告", "因城市道路改造施工，经研究决定对部分公交线路进行临时调整"),
    (
        "县自然资源局关于集体土地征收补偿安置方案的公告",
        "依据《中华人民共和国土地管理法》，现将征收补偿安置方案予以公告",
    ),
    ("关于做好2025年度退役军人优待证申领工作的通知", "为做好退役军人优待证申领发放工作，现就有关事项通知如下"),
    ("关于公布县级行政许可事项清单的通知", "根据法律法规规章的立改废情况，县政府对行政许可事项清单进行了调整"),
    (
        "县人民政府关于表彰2024年度脱贫攻坚先进集体和先进个人的决定",
        "2024年，全县上下深入贯彻落实党中央决策部署，涌现出一批先进典型",
    ),
    ("关于规范农村宅基地审批管理的意见", "为加强农村宅基地管理，保障农民合法权益，提出如下意见"),
    ("县住房和城乡建设局关于老旧小区改造项目的公示", "根据老旧小区改造计划，现将2025年拟改造小区名单予以公示"),
    ("关于印发县数字政府建设三年行动计划的通知", "《县数字政府建设三年行动计划（2025—2027年）》已经县政府同意"),
]
# real saved pages (../shared/corpus/html_fixtures/guangzhou_tianhe) served as notices of layout s4
REAL_PAGES = {
    "art9101.html": "06_城乡居民医保集中参保缴费通告.html",
    "art9102.html": "28_特困人员救助供养通知_穗府办规2021-7号.html",
    "art9103.html": "26_最低生活保障及相关社会救助标准通知_穗民规字2025-2号.html",
    "art9104.html": "24_养老保险待遇资格认证通告_2025.html",
    "art9105.html": "13_户籍家庭住房保障通知_穗建规字2024-5号.html",
}


@dataclass
class Layout:
    """One column layout: where a crawl starts, what it must take and what it must leave."""

    name: str
    starts: list[str]
    notices: set[str] = field(default_factory=set)  # detail pages a crawl must take (site paths)
    outside: set[str] = field(default_factory=set)  # pages linked from the columns that a crawl must not take
    attachments: set[str] = field(default_factory=set)
    disallowed: set[str] = field(default_factory=set)  # notices robots.txt forbids: never requested
    rejected: set[str] = field(default_factory=set)  # in the column's list but not notices: fetched, not indexed
    stage: str = "settled"  # settled (tuned on) | held out (written after, never tuned on) | held out, then fixed

    @property
    def held_out(self) -> bool:
        """Tell whether the layout was written after the heuristics were settled."""
        return self.stage != "settled"


@dataclass
class Builder:
    """Collects the routes of all layouts on one test server."""

    site: Site
    layouts: dict[str, Layout] = field(default_factory=dict)
    serial: int = 0

    def add(self, path: str, html: str, charset: str = "utf-8", header: bool = True) -> None:
        """Serve a page; GBK pages may leave the charset out of the HTTP header."""
        ctype = f"text/html; charset={charset}" if header else "text/html"
        self.site.routes[path] = Route(html.encode(charset), ctype)

    def topic(self) -> tuple[str, str, str]:
        """Return the next (title, opening sentence, date)."""
        title, opening = TOPICS[self.serial % len(TOPICS)]
        self.serial += 1
        return title, opening, f"2025-{1 + self.serial % 12:02d}-{1 + self.serial * 7 % 28:02d}"


def frame(title: str, prefix: str, main: str, charset: str = "utf-8") -> str:
    """Wrap a column's main block in the site's header, breadcrumb, sidebar and footer."""
    hot = "".join(
        f'<li><a href="{prefix}/other/hot{k}.html">关于开展第{k}批政务服务满意度调查的通知</a>'
        f"<span>2025-06-0{k}</span></li>"
        for k in (1, 2, 3)
    )
    return f"""<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}_测试县人民政府</title></head><body>
<div class="header"><div class="logo">测试县人民政府</div><ul class="nav"><li><a href="/">首页</a></li>
<li><a href="/s1/xxgk/index.html">信息公开</a></li><li><a href="/s2/tzgg/index.html">通知公告</a></li>
<li><a href="/s3/gzdt/list.htm">工作动态</a></li><li><a href="{prefix}/hdjl/">互动交流</a></li></ul></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="{prefix}/">{title}</a></div>
<div class="wrap"><div class="main">{main}</div>
<div class="side"><h3>热点信息</h3><ul class="hot">{hot}</ul></div></div>
<div class="footer"><a href="{prefix}/wzdt.html">网站地图</a> | <a href="{prefix}/lxwm.html">联系我们</a> |
<a href="http://www.gov.cn/">中国政府网</a><p>主办：测试县人民政府办公室 版权所有</p></div></body></html>"""


def notice(title: str, opening: str, date: str, charset: str = "utf-8", extra: str = "") -> str:
    """Return a notice page of a small county site: h1, date line, body, attachments."""
    body = "".join(
        f"<p>{opening}，{s}。</p>"
        for s in (
            "现将有关事项通知如下",
            "各单位要高度重视，加强组织领导，明确责任分工",
            "请于规定时间内报送工作进展情况",
        )
    )
    return f"""<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}</title></head><body>
<div class="top"><a href="/">首页</a></div><div class="article"><h1>{title}</h1>
<div class="info">发布时间：{date}　来源：测试县人民政府办公室</div><div class="content">{body}{extra}
<p style="text-align:right">测试县人民政府办公室<br>{date[:4]}年{int(date[5:7])}月{int(date[8:])}日</p></div></div>
<div class="footer">版权所有：测试县人民政府</div></body></html>"""


def _outside(b: Builder, layout: Layout, prefix: str) -> None:
    """Serve the pages a column links that are not its notices, as real-looking pages a bad crawl would take."""
    for k in (1, 2, 3):
        path = f"{prefix}/other/hot{k}.html"
        b.add(path, notice(f"关于开展第{k}批政务服务满意度调查的通知", "为持续提升政务服务水平", "2025-06-01"))
        layout.outside.add(path)
    for name in ("wzdt.html", "lxwm.html"):
        b.add(f"{prefix}/{name}", frame("网站地图", prefix, "<p>网站地图</p>"))
        layout.outside.add(f"{prefix}/{name}")


def table_query_pages(b: Builder) -> Layout:
    """s1: a county 信息公开 column, a table per page, ?page=N pagination, notices at /xxgk/aN.html."""
    col = "/s1/xxgk/"
    layout = Layout("table, ?page=N", [col + "index.html"])
    per_page = [3, 3, 1]
    n = 0
    for page, count in enumerate(per_page, 1):
        rows = []
        for _ in range(count):
            n += 1
            title, opening, date = b.topic()
            rows.append(
                f'<tr><td>{n}</td><td class="bt"><a href="a{n}.html" target="_blank">{title}</a></td>'
                f"<td>{date}</td></tr>"
            )
            b.add(f"{col}a{n}.html", notice(title, opening, date))
            layout.notices.add(f"{col}a{n}.html")
        if page == 1:
            rows.append(
                '<tr><td>0</td><td class="bt"><a href="private/a99.html">关于内部事项的通知（robots.txt 禁止）</a></td>'
                "<td>2025-01-02</td></tr>"
            )
            b.add(f"{col}private/a99.html", notice("关于内部事项的通知", "内部事项", "2025-01-02"))
            layout.disallowed.add(f"{col}private/a99.html")
        pager = " ".join(f'<a href="?page={k}">{k}</a>' for k in range(1, 4))
        nxt = f'<a href="?page={page + 1}">下一页</a>' if page < 3 else ""
        main = (
            f'<h2>信息公开</h2><p><a href="{col}about.html">栏目说明</a></p><table class="list"><tbody>'
            f"<tr><th>序号</th><th>标题</th><th>日期</th></tr>{''.join(rows)}</tbody></table>"
            f'<div class="pages">{pager} {nxt} 共3页</div>'
        )
        html = frame("信息公开", "/s1", main)
        b.add(col + "index.html" + (f"?page={page}" if page > 1 else ""), html)
        if page == 1:
            b.add(col + "index.html?page=1", html)
    b.add(col + "about.html", frame("栏目说明", "/s1", "<p>本栏目公开县政府文件。</p>"))
    layout.outside.add(col + "about.html")
    _outside(b, layout, "/s1")
    return layout


def ul_index_pages_gbk(b: Builder) -> Layout:
    """s2: a GBK 通知公告 column, <ul> lists, index_N.html page numbers, absolute links to show.php?id=N."""
    col = "/s2/tzgg/"
    layout = Layout("ul, index_N.html, GBK, absolute", [col + "index.html"])
    names = ["index.html", "index_1.html", "index_2.html"]
    n = 200
    for page, name in enumerate(names):
        items = []
        for _ in range(3):
            n += 1
            title, opening, date = b.topic()
            href = f"{b.site.base}{col}show.php?id={n}" if n % 2 else f"show.php?id={n}"
            items.append(
                f'<li><span class="date">[{date}]</span><a href="{href}" title="{title}">{title[:18]}…</a></li>'
            )
            b.add(f"{col}show.php?id={n}", notice(title, opening, date, "gbk"), "gbk", header=False)
            layout.notices.add(f"{col}show.php?id={n}")
        pager = " ".join(f'<a href="{nm}">{k + 1}</a>' for k, nm in enumerate(names) if k != page)
        main = f'<div class="lm">通知公告</div><ul class="news">{"".join(items)}</ul><div class="fy">{pager}</div>'
        b.add(col + name, frame("通知公告", "/s2", main, "gbk"), "gbk", header=page != 1)
    _outside(b, layout, "/s2")
    return layout


def cards_next_link(b: Builder, attachments: dict[str, bytes]) -> Layout:
    """s3: div cards with 年月日 dates, a 下一页 link only, attachments, and one card that is not a notice."""
    col = "/s3/gzdt/"
    layout = Layout("div cards, 下一页, attachments", [col + "list.htm"])
    names = ["list.htm", "list_p2.htm", "list_p3.htm"]
    n = 300
    for page, name in enumerate(names):
        cards = []
        for k in range(3):
            n += 1
            title, opening, date = b.topic()
            y, m, d = date.split("-")
            extra = ""
            if k == 0 and page == 0:
                extra = "".join(
                    f'<p><a href="/s3/files/{f}">附件{i}：{f}</a></p>' for i, f in enumerate(attachments, 1)
                )
                layout.attachments.update(f"/s3/files/{f}" for f in attachments)
            cards.append(
                f'<div class="card"><h3><a href="detail/{n}.html">{title}</a></h3>'
                f'<p class="meta">{y}年{int(m)}月{int(d)}日</p><p class="zy">{opening}……</p></div>'
            )
            b.add(f"{col}detail/{n}.html", notice(title, opening, date, extra=extra))
            layout.notices.add(f"{col}detail/{n}.html")
        if page == 0:
            cards.append(
                '<div class="card"><h3><a href="detail/video1.html">视频：县长带您走进美丽乡村建设一线</a></h3>'
                '<p class="meta">2025年8月3日</p><p class="zy">点击观看视频……</p></div>'
            )
        nxt = f'<a class="next" href="{names[page + 1]}">下一页</a>' if page < 2 else ""
        main = f'<h2>工作动态</h2><div class="cards">{"".join(cards)}</div><div class="pager">{nxt}</div>'
        b.add(col + name, frame("工作动态", "/s3", main))
    b.add(
        col + "detail/video1.html",
        "<html><head><title>视频</title></head><body><h1>视频：县长带您走进美丽乡村建设一线"
        '</h1><video src="/v.mp4"></video></body></html>',
    )
    layout.rejected.add(col + "detail/video1.html")
    for name, data in attachments.items():
        b.site.routes[f"/s3/files/{name}"] = Route(data, "application/octet-stream")
    _outside(b, layout, "/s3")
    return layout


def script_pages_two_columns(b: Builder, fixtures: Path) -> Layout:
    """s4: TRS-like createPageHTML pagination, real saved pages as notices, a notice linked from two columns."""
    col, col2 = "/s4/zwgk/tzgg/", "/s4/zwgk/zcwj/"
    layout = Layout("script pages, real pages, two columns", [col + "index.html", col2 + "index.html"])
    names = ["index.html", "index_1.html", "index_2.html"]
    real = list(REAL_PAGES.items())
    n = 400
    for page, name in enumerate(names):
        items = []
        for _ in range(3):
            if real:
                file, source = real.pop(0)
                b.site.routes[col + file] = Route((fixtures / source).read_bytes())
                title, date = source.split("_", 1)[1].removesuffix(".html"), "2025-07-01"
            else:
                n += 1
                title, opening, date = b.topic()
                file = f"art{n}.html"
                b.add(col + file, notice(title, opening, date))
            items.append(f'<li><a href="./{file}">{title}</a><span class="time">{date}</span></li>')
            layout.notices.add(col + file)
        main = (
            f'<div class="list"><ul>{"".join(items)}</ul></div>'
            f'<script>createPageHTML(3, {page}, "index", "html");</script>'
        )
        b.add(col + name, frame("通知公告", "/s4", main))
    shared = col + "art9101.html"  # a notice of 通知公告 listed in 政策文件 too
    items = [
        '<li><a href="../tzgg/art9101.html">广州市城乡居民医保集中参保缴费通告</a>'
        '<span class="time">2025-07-01</span></li>'
    ]
    for _ in range(2):
        n += 1
        title, opening, date = b.topic()
        b.add(f"{col2}art{n}.html", notice(title, opening, date))
        layout.notices.add(f"{col2}art{n}.html")
        items.append(f'<li><a href="art{n}.html">{title}</a><span class="time">{date}</span></li>')
    b.add(col2 + "index.html", frame("政策文件", "/s4", f'<div class="list"><ul>{"".join(items)}</ul></div>'))
    assert shared in layout.notices
    _outside(b, layout, "/s4")
    return layout


def nested_columns(b: Builder) -> Layout:
    """s5: a column whose page shows two sub-columns, each with its own list behind a 更多 link."""
    col = "/s5/xxgk/"
    layout = Layout("nested columns, 更多", [col + "index.html"])
    n = 500
    boxes = []
    for sub, name in (("tzgg", "通知公告"), ("zcwj", "政策文件")):
        items = []
        for _ in range(5):
            n += 1
            title, opening, date = b.topic()
            path = f"{col}{sub}/{n}.shtml"
            b.add(path, notice(title, opening, date))
            layout.notices.add(path)
            items.append((f"{n}.shtml", title, date))
        lines = [f'<li><a href="{href}">{title}</a><em>{date}</em></li>' for href, title, date in items]
        b.add(f"{col}{sub}/list.jsp", frame(name, "/s5", f'<ul class="lb">{"".join(lines)}</ul>'))
        top = [f'<li><a href="{sub}/{href}">{title}</a><em>{date}</em></li>' for href, title, date in items[:3]]
        boxes.append(
            f'<div class="box"><div class="bt">{name}<a class="gd" href="{sub}/list.jsp">更多&gt;&gt;</a></div>'
            f'<ul class="lb">{"".join(top)}</ul></div>'
        )
    b.add(col + "index.html", frame("信息公开", "/s5", "".join(boxes)))
    _outside(b, layout, "/s5")
    return layout


def build(site: Site, fixtures: Path, attachments: dict[str, bytes]) -> Builder:
    """Serve the layouts the heuristics were settled on; return the builder (held_out.py adds more)."""
    b = Builder(site)
    site.routes["/robots.txt"] = Route(b"User-agent: *\nDisallow: /s1/xxgk/private/\n", "text/plain")
    for layout in (
        table_query_pages(b),
        ul_index_pages_gbk(b),
        cards_next_link(b, attachments),
        script_pages_two_columns(b, fixtures),
        nested_columns(b),
    ):
        b.layouts[layout.name] = layout
    return b
