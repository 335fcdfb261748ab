"""Layouts written after the heuristics were settled: scored by bench/crawl_eval.py, never tuned on.

s6 failed when first scored and was then fixed (its stage says so); s7 and s8 passed untuned.
"""

from __future__ import annotations

from pathlib import Path

from .layouts import Builder, Layout, build
from .server import Site


def build_all(site: Site, fixtures: Path, attachments: dict[str, bytes]) -> dict[str, Layout]:
    """Serve the settled layouts and the held-out ones; return them all by name, settled first."""
    b = build(site, fixtures, attachments)
    for layout in (old_tables_dated_folders(b), dl_wrapped_dates(b), grid_rows_extensionless(b)):
        b.layouts[layout.name] = layout
    return b.layouts


def old_tables_dated_folders(b: Builder) -> Layout:
    """s6: a GB2312 site of nested tables; notices in dated folders outside the column; a dated sidebar."""
    col = "/s6/zwgk/tzgg/"
    layout = Layout("nested tables, dated folders", [col + "list.asp"], stage="held out, then fixed")
    side = []
    for k in range(5):
        title, opening, date = b.topic()
        path = f"/s6/html/2025/07{10 + k}/{700 + k}.html"
        b.add(path, _old_notice(title, opening, date), "gbk", header=False)
        layout.outside.add(path)
        side.append(f'<tr><td>·<a href="{path}" target="_blank">{title}</a></td><td>{date[5:]}</td></tr>')
    n = 600
    for page, count in ((1, 8), (2, 3)):
        rows = []
        for _ in range(count):
            n += 1
            title, opening, date = b.topic()
            path = f"/s6/html/2025/{date[5:7]}{date[8:]}/{n}.html"
            b.add(path, _old_notice(title, opening, date), "gbk", header=False)
            layout.notices.add(path)
            rows.append(
                f'<tr><td width="20"><img src="/s6/images/dot.gif"></td><td><a href="{path}" target="_blank">'
                f'<font color="#333333">{title}</font></a></td><td align="right">({date})</td></tr>'
                '<tr><td colspan="3" height="1" bgcolor="#cccccc"></td></tr>'
            )
        nxt = '<a href="list.asp?page=2">下一页</a> <a href="list.asp?page=2">尾页</a>' if page == 1 else ""
        html = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>通知公告</title></head><body><table width="980" align="center"><tr><td colspan="2">
<a href="/s6/">首页</a> | <a href="/s6/zwgk/">政务公开</a> | <a href="/s6/bsfw/">办事服务</a></td></tr>
<tr><td width="240" valign="top"><table><tr><td>最新信息</td></tr>{"".join(side)}</table></td>
<td valign="top"><table width="100%"><tr><td>您现在的位置：<a href="/s6/">首页</a> &gt; 通知公告</td></tr></table>
<table width="100%">{"".join(rows)}</table><table><tr><td>第{page}页 共2页 {nxt}</td></tr></table></td></tr>
<tr><td colspan="2" align="center">主办：测试县人民政府 <a href="/s6/about.asp">关于本站</a></td></tr>
</table></body></html>"""
        b.add(col + "list.asp" + (f"?page={page}" if page > 1 else ""), html, "gbk", header=False)
    return layout


def _old_notice(title: str, opening: str, date: str) -> str:
    y, m, d = date.split("-")
    return f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>{title}</title>
</head><body><table width="980"><tr><td class="title" align="center"><b>{title}</b></td></tr>
<tr><td align="center">发布日期：{y}年{m}月{d}日　　浏览次数：128</td></tr>
<tr><td class="content"><p>{opening}，现将有关事项通知如下。</p>
<p>一、提高认识，加强领导。各单位要把此项工作摆上重要议事日程。</p>
<p>二、明确任务，落实责任。请于规定时间内报送工作进展。</p></td></tr></table></body></html>"""


def dl_wrapped_dates(b: Builder) -> Layout:
    """s7: a <dl> list whose links wrap title and date, short titles among them, index_N.htm page numbers."""
    col = "/s7/gsgg/"
    layout = Layout("dl, link wraps the date", [col + "index.htm"], stage="held out")
    short = ["征兵公告", "2025年第二季度财政收支情况", "停水通知", "县长信箱办理情况"]
    names = ["index.htm", "index_1.htm", "index_2.htm"]
    n = 700
    for page, name in enumerate(names):
        items = []
        for k in range(4):
            n += 1
            title, opening, date = b.topic()
            title = short[page] if k == 1 and page < len(short) else title
            path = f"{col}202508/t0801_{n}.htm"
            b.add(path, _dl_notice(title, opening, date))
            layout.notices.add(path)
            items.append(
                f'<dd><a href="202508/t0801_{n}.htm"><span class="tit">{title}</span>'
                f'<span class="time">{date}</span></a></dd>'
            )
        pages = " ".join(
            f'<a href="{nm}">{i + 1}</a>' if i != page else f"<b>{i + 1}</b>" for i, nm in enumerate(names)
        )
        html = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>公示公告</title></head><body>
<div id="header"><a href="/s7/">网站首页</a><a href="/s7/zwgk/">政务公开</a><a href="/s7/hdjl/">互动交流</a></div>
<div class="crumb"><a href="/s7/">首页</a> &gt; 公示公告</div>
<div class="con"><dl class="list"><dt>公示公告</dt>{"".join(items)}</dl><div class="page">{pages}</div></div>
<div id="footer"><select onchange="location=this.value"><option>友情链接</option></select>
<a href="/s7/sitemap.htm">网站地图</a> <a href="/s7/jiucuo.htm">我要纠错</a></div></body></html>"""
        b.add(col + name, html)
    return layout


def _dl_notice(title: str, opening: str, date: str) -> str:
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}-测试县人民政府</title></head><body>
<div id="header"><a href="/s7/">网站首页</a></div><div class="article"><h2>{title}</h2>
<div class="source">发布时间：{date}　来源：县政府办</div><div id="zoom"><p>{opening}。</p>
<p>特此公告。请广大群众相互转告，并提前做好相关准备工作。如有疑问，请拨打咨询电话。</p></div></div></body></html>"""


# Held out after the fix for s6 (a column's pages share one list block): written after that fix, scored once, untuned.


def grid_rows_extensionless(b: Builder) -> Layout:
    """s8: grid rows (title and date in sibling cells), extension-less notices outside the column, ?start=N
    pages behind › and », and a carousel of undated picture news pointing to the same notice folder."""
    col = "/s8/news/notice/"
    layout = Layout("grid rows, /info/N, ?start=N", [col], stage="held out")
    carousel = []
    for k in range(3):
        title, opening, date = b.topic()
        path = f"/s8/info/{9000 + k}"
        b.add(path, _dl_notice(title, opening, date))
        layout.outside.add(path)
        carousel.append(f'<div class="slide"><a href="{path}"><img src="/s8/p{k}.jpg"><p>{title}</p></a></div>')
    n = 8000
    for page, count in enumerate((10, 10, 2)):
        rows = []
        for _ in range(count):
            n += 1
            title, opening, date = b.topic()
            b.add(f"/s8/info/{n}", _dl_notice(title, opening, date))
            layout.notices.add(f"/s8/info/{n}")
            rows.append(
                f'<div class="row"><div class="col-md-9"><a href="/s8/info/{n}">{title}</a></div>'
                f'<div class="col-md-3 text-right">{date}</div></div>'
            )
        pager = []
        if page < 2:
            pager.append(f'<a href="?start={10 * (page + 1)}">›</a> <a href="?start=20">»</a>')
        if page > 0:
            pager.insert(0, f'<a href="?start={10 * (page - 1)}">‹</a>')
        html = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>通知公告</title></head><body>
<nav class="navbar"><a href="/s8/">首页</a><a href="/s8/news/">新闻中心</a><a href="/s8/gov/">政务公开</a></nav>
<div class="container"><div class="carousel">{"".join(carousel)}</div>
<div class="col-md-3"><h4>相关栏目</h4><a href="/s8/news/">新闻中心</a><a href="/s8/news/notice/">通知公告</a>
<a href="/s8/news/work/">工作动态</a></div><div class="col-md-9"><h3>通知公告</h3>{"".join(rows)}
<div class="pagination">{" ".join(pager)}</div></div></div><footer>测试县人民政府 版权所有</footer></body></html>"""
        b.add(col + (f"?start={10 * page}" if page else ""), html)
    return layout
