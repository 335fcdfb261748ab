"""The test government site: real Guangzhou/Tianhe pages from ../shared plus pages written for the edge cases."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from .server import Route, Site

HERE = Path(__file__).resolve().parent
COLUMN = "/zwgk/tzgg/"
# detail path -> real fixture page (corpus/html_fixtures/guangzhou_tianhe)
FIXTURES = {
    "post_1001": "06_城乡居民医保集中参保缴费通告.html",
    "post_1002": "28_特困人员救助供养通知_穗府办规2021-7号.html",
    "post_1003": "12_天河人才公寓申请公告_2025.html",  # links 7 attachments on a real host: never fetched
    "post_1004": "26_最低生活保障及相关社会救助标准通知_穗民规字2025-2号.html",
    "post_1005": "11b_2025年第一批户籍家庭公租房常态分配房源通告.html",
    "post_1006": "24_养老保险待遇资格认证通告_2025.html",
    "post_1007": "13_户籍家庭住房保障通知_穗建规字2024-5号.html",
    "post_1099": "37_市场主体登记管理条例_国务院令746号.html",  # reached only through a 301
}
LIST_PAGES = {
    "index.html": ("list_index.html", ["post_1001", "post_1002", "post_1003"]),
    "index_1.html": ("list_page1.html", ["post_1004", "post_1005"]),
    "index_2.html": ("list_page2.html", ["post_1006", "post_1007"]),
}
ROBOTS = "User-agent: *\nDisallow: /zwgk/tzgg/private/\n\nUser-agent: BadBot\nDisallow: /\n"
GBK_HTML = "text/html"  # no charset in the header: the page's meta (or nothing) has to tell


def page(name: str) -> str:
    """Return one of the pages written for these tests."""
    return (HERE / name).read_text(encoding="utf-8")


def detail(name: str) -> str:
    """Return the site path of a detail page."""
    return f"{COLUMN}content/{name}.html"


def gov_site(fixtures: Path, attachments: dict[str, bytes], *, edge_cases: bool = True) -> Site:
    """Start the site on 127.0.0.1 and fill its routes."""
    site = Site()
    site.start()
    host = site.base.split("://", 1)[1]
    site.routes["/robots.txt"] = Route(ROBOTS.encode(), "text/plain")
    for path, (template, posts) in LIST_PAGES.items():
        links = "\n".join(f'<li><a href="content/{p}.html">{p}</a></li>' for p in posts)
        html = page(template).replace("{fixture_links}", links).replace("{host}", host)
        gbk = path == "index_1.html"  # this list page is GBK, declared only in the HTTP header
        site.routes[COLUMN + path] = Route(
            html.encode("gbk") if gbk else html.encode(),
            "text/html; charset=GBK" if gbk else "text/html; charset=utf-8",
        )
    for name, file in FIXTURES.items():
        site.routes[detail(name)] = Route((fixtures / file).read_bytes())
    site.routes[detail("post_2001")] = Route(page("gbk_declared.html").encode("gbk"), GBK_HTML)
    site.routes[detail("post_2002")] = Route(page("gbk_undeclared.html").encode("gbk"), GBK_HTML)
    site.routes[detail("post_5001")] = Route(page("notice_attachments.html").encode())
    set_version(site, "第一版：请各区做好防汛检查准备。")
    site.routes[detail("post_6002")] = Route(page("notice_plain.html").encode(), validators=False)
    for name, data in attachments.items():
        site.routes[f"/attachment/2025/{name}"] = Route(data, "application/octet-stream")
    if edge_cases:
        _edge_cases(site)
    return site


def set_version(site: Site, text: str) -> None:
    """Publish a new version of the page that changes between crawls."""
    site.routes[detail("post_6001")] = Route(page("notice_changing.html").replace("{version}", text).encode())


def _edge_cases(site: Site) -> None:
    routes = site.routes
    flaky = page("notice_plain.html").replace("政务服务事项清单", "全民健身月活动")
    routes[detail("post_8001")] = Route(flaky.encode(), fail_first=1)
    routes[detail("post_8002")] = Route(b"<p>too late</p>", delay=2.0)
    routes[detail("post_8003")] = Route(status=302, headers={"Location": "/loop/b.html"})
    routes["/loop/b.html"] = Route(status=302, headers={"Location": detail("post_8003")})
    routes[detail("post_8004")] = Route(stream=3 * 1024 * 1024)
    routes[detail("post_8005")] = Route(status=301, headers={"Location": detail("post_1099")})
    routes[f"{COLUMN}private/content/post_3001.html"] = Route(b"<p>secret</p>")


def small_site() -> Site:
    """A site with only a robots.txt, for the listing and sitemap tests to add routes to."""
    site = Site()
    site.start()
    site.routes["/robots.txt"] = Route(ROBOTS.encode(), "text/plain")
    return site


def kill_site(fixtures: Path, attachments: dict[str, bytes]) -> Site:
    """The site without the slow and failing pages, for the kill-and-resume test."""
    return gov_site(fixtures, attachments, edge_cases=False)


def make_attachments() -> dict[str, bytes]:
    """Generate the attachment files: PDF with Chinese text, a scan without text, DOCX, XLSX, a zip bomb, a DOC."""
    import docx
    import openpyxl

    document = docx.Document()
    document.add_paragraph("公共租赁住房申请表填写说明")
    document.add_paragraph("申请人应如实填写家庭成员及住房情况，承诺书须本人签名。")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "申请人姓名", "身份证号码"
    docx_bytes = io.BytesIO()
    document.save(docx_bytes)
    book = openpyxl.Workbook()
    book.active.append(["序号", "房源地址", "面积"])
    book.active.append([1, "测试区幸福路88号3栋", 45.5])
    xlsx_bytes = io.BytesIO()
    book.save(xlsx_bytes)
    return {
        "fangyuan.pdf": _pdf("公租房房源清单：幸福路88号小区共120套，户型一房一厅。"),
        "saomiao.pdf": _pdf(None),
        "shenqingbiao.docx": docx_bytes.getvalue(),
        "mingxi.xlsx": xlsx_bytes.getvalue(),
        "shuoming.docx": _zip_bomb(),
        "jiuban.doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096),
    }


def _pdf(text: str | None) -> bytes:
    """A one-page PDF with Chinese text (Adobe's built-in STSong font), or only a picture-like box (a scan)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    if text:
        pdf.setFont("STSong-Light", 12)
        pdf.drawString(60, 760, text)
    else:
        pdf.rect(40, 40, 500, 750, fill=1)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def _zip_bomb() -> bytes:
    """A DOCX whose document.xml unpacks to 100 MB of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", bytes(100 * 1024 * 1024))
    return out.getvalue()


def add_gkmlpt(site: Site) -> str:
    """Serve a two-page gkmlpt listing and its notices; return the start URL."""
    articles = [
        {
            "id": 7001,
            "title": "广东省人民政府办公厅关于印发测试工作方案的通知",
            "document_number": "粤府办〔2025〕21号",
            "publisher": "广东省人民政府办公厅",
            "identifier": "006939748/2025-00101",
            "display_publish_time": 1756684800,
        },
        {
            "id": 7002,
            "title": "广东省人民政府关于公布测试名单的通知",
            "document_number": "粤府函〔2025〕88号",
            "publisher": "广东省人民政府",
            "identifier": "006939748/2025-00102",
            "display_publish_time": 1756771200,
        },
        {
            "id": 7003,
            "title": "广东省人民政府关于调整测试标准的批复",
            "document_number": "粤府函〔2025〕90号",
            "publisher": "广东省人民政府",
            "identifier": "006939748/2025-00103",
            "display_publish_time": 1756857600,
        },
    ]
    for a in articles:
        a["url"] = f"{site.base}/gkmlpt/content/0/{a['id']}/post_{a['id']}.html"
        html = page("notice_gkmlpt.html").replace("{title}", a["title"]).replace("{text}", "正文见附件。" * 3)
        site.routes[f"/gkmlpt/content/0/{a['id']}/post_{a['id']}.html"] = Route(html.encode())
    for n, chunk in ((1, articles[:2]), (2, articles[2:])):
        body = json.dumps({"total": 3, "articles": chunk}, ensure_ascii=False).encode()
        site.routes[f"/gkmlpt/api/all/5?page={n}&sid=2"] = Route(body, "application/json")
    return f"{site.base}/gkmlpt/api/all/5?page=1&sid=2"


def add_sitemap(site: Site) -> str:
    """Serve a sitemap index -> sitemap of two fixture pages and an off-site one; return its URL."""
    urls = [
        f"{site.base}{detail('post_1001')}",
        f"{site.base}{detail('post_1002')}",
        "http://www.thnet.gov.cn/zwgk/content/post_1.html",
    ]
    locs = "".join(f"<url><loc>{u}</loc><lastmod>2025-08-01</lastmod></url>" for u in urls)
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    site.routes["/sitemap-notices.xml"] = Route(
        f'<?xml version="1.0"?><urlset {ns}>{locs}</urlset>'.encode(), "application/xml"
    )
    index = f'<?xml version="1.0"?><sitemapindex {ns}><sitemap><loc>{site.base}/sitemap-notices.xml</loc></sitemap>'
    site.routes["/sitemap.xml"] = Route((index + "</sitemapindex>").encode(), "application/xml")
    return f"{site.base}/sitemap.xml"
