"""extract(): full expected records for real Guangzhou/Tianhe pages, plus edge cases written inline.

Every expected value below was read off the saved page itself (meta tags, the metadata
table or list, the 落款 at the end of the text, the attachment links), not copied from
the extractor's output; MANIFEST.jsonl was used to cross-check titles, PubDate and 文号.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from indexer.extract import canonical_url, decode_html, decode_page, doc_id_for, extract
from indexer.models import RawPage, SkipDocument

SHARED = Path(__file__).resolve().parents[2] / "shared"
FIXTURES = SHARED / "corpus" / "html_fixtures" / "guangzhou_tianhe"
# site furniture that must never reach the body
CHROME = (
    "扫一扫在手机打开当前页",
    "附件下载",
    "【打印】",
    "关闭窗口",
    "返回顶部",
    "分享到",
    "浏览次数",
    "当前位置",
    "网站标识码",
    "ICP备",
    "版权所有",
    "大 中 小",
    "字体：",
    "function(",
    "var ",
    "下载文字版",
    "主办单位",
    "网站地图",
    "点击查看政策解读",
)


@dataclass(frozen=True)
class Page:
    file: str
    title: str
    url: str
    head: str  # first 30 characters of the body
    tail: str  # last 30 characters of the body
    length: int  # body length, checked within ±2%
    published: date | None
    agency: str | None = None
    doc_number: str | None = None
    issued: date | None = None
    index_no: str | None = None
    status: str | None = None
    attachments: tuple[tuple[str, str], ...] = ()
    page_url: str = ""  # RawPage.url given by the crawler, when the page has no <meta name="Url">
    topics: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())


GZ, TH, RSJ = "https://www.gz.gov.cn", "http://www.thnet.gov.cn", "https://rsj.gz.gov.cn"
PAGES = [
    Page(  # 通告 of a 事业单位; 落款 gives agency and 成文日期
        "06_城乡居民医保集中参保缴费通告.html",
        "广州市医疗保险服务中心关于开展2026年度广州市城乡居民基本医疗保险集中参保缴费工作的通告",
        f"{GZ}/zt/zzyyzq/tzgg/content/post_10493724.html",
        "为持续深入推进全民参保计划，切实保障参保人员医保权益，根据《",
        "动办理续保。\n广州市医疗保险服务中心\n2025年10月14日",
        2941,
        date(2025, 10, 17),
        agency="广州市医疗保险服务中心",
        issued=date(2025, 10, 14),
    ),
    Page(  # 公告 with seven attachments
        "12_天河人才公寓申请公告_2025.html",
        "关于受理天河区人才公寓申请的公告",
        f"{TH}/thqzdlyxxgkzl/zfbz/bzxzffphtcxx/content/post_10393698.html",
        "根据《天河区人才公寓建设和使用管理办法》的有关规定，现面向辖",
        ".xls\n广州市天河区住房建设和园林局\n2025年8月11日",
        4611,
        date(2025, 8, 11),
        agency="广州市天河区住房建设和园林局",
        issued=date(2025, 8, 11),
        attachments=tuple(
            (f"{name}.{ext}", f"{TH}/attachment/{path}.{ext}")
            for name, path, ext in [
                ("1.天河区人才公寓申请表（个人）", "7/7864/7864427/10393698", "docx"),
                ("2.诚信承诺书（高层次人才、企业人才）", "7/7862/7862541/10393698", "docx"),
                ("3.天河区人才公寓申请表（企业）", "7/7864/7864428/10393698", "docx"),
                ("4.天河区人才公寓申请表（港澳台青年）", "7/7864/7864429/10393698", "docx"),
                ("5.办理居住证承诺书", "7/7862/7862544/10393698", "docx"),
                ("6.诚信承诺书（港澳台青年）", "7/7862/7862545/10393698", "docx"),
                ("7.天河区人才公寓申请人才情况汇总表", "7/7862/7862546/10393698", "xls"),
            ]
        ),
    ),
    Page(  # 通告 on a bureau site without <meta name="Url">: the id comes from the content
        "11b_2025年第一批户籍家庭公租房常态分配房源通告.html",
        "关于推出供应广州市2025年第一批户籍家庭公共租赁住房常态分配房源的通告",
        "",
        "为进一步提高公共租赁住房分配和使用效率，加快解决户籍家庭住房",
        "常态分配资料清单\n广州市住房保障办公室\n2025年3月19日",
        2601,
        date(2025, 3, 20),
        agency="广州市住房保障办公室",
        issued=date(2025, 3, 19),
        attachments=(
            (
                "2025年第一批户籍家庭公共租赁住房常态分配房源简介",
                "http://zfcj.gz.gov.cn/attachment/7/7778/7778529/10168701.pdf",
            ),
            ("保障房小区服务窗口", "http://zfcj.gz.gov.cn/attachment/7/7778/7778410/10168701.doc"),
            (
                "户籍家庭公共租赁住房常态分配办理指引",
                "http://zfcj.gz.gov.cn/attachment/7/7778/7778412/10168701.pdf",
            ),
            (
                "广州市2025年户籍家庭公共租赁住房常态分配资料清单",
                "http://zfcj.gz.gov.cn/attachment/7/7778/7778413/10168701.pdf",
            ),
        ),
    ),
    Page(  # 规范性文件: <li><span>文　　号：</span>…</li>; status set by a script: 失效（提前废止）
        "28_特困人员救助供养通知_穗府办规2021-7号.html",
        "广州市人民政府办公厅关于进一步加强特困人员救助供养工作的通知",
        f"{GZ}/gfxwj/szfgfxwj/gzsrmzfbgt/content/post_7231742.html",
        "穗府办规〔2021〕7号\n广州市人民政府办公厅关于进一步加强",
        "式：主动公开\n广州市人民政府办公厅 2021年4月16日印发",
        1929,
        date(2021, 4, 19),
        agency="广州市人民政府办公厅",
        doc_number="穗府办规〔2021〕7号",
        issued=date(2021, 4, 13),
        status="废止",
    ),
    Page(  # 规范性文件 with three attachments, each linked twice
        "13_户籍家庭住房保障通知_穗建规字2024-5号.html",
        "广州市住房和城乡建设局关于进一步加强户籍家庭住房保障工作的通知",
        f"{GZ}/gfxwj/sbmgfxwj/gzszfhcxjsj/content/post_9518264.html",
        "穗建规字〔2024〕5号\n广州市住房和城乡建设局关于进一步加",
        "州市住房和城乡建设局\n2024年3月4日\n公开方式：主动公开",
        3426,
        date(2024, 3, 4),
        agency="广州市住房和城乡建设局",
        doc_number="穗建规字〔2024〕5号",
        issued=date(2024, 3, 4),
        status="有效",
        attachments=(
            (
                "附件1：申请公共租赁住房保障家庭收入及财产限额.doc",
                f"{GZ}/attachment/7/7561/7561768/9518264.doc",
            ),
            ("附件2：住房租赁补贴标准.doc", f"{GZ}/attachment/7/7561/7561770/9518264.doc"),
            ("附件3：政府公共租赁住房分档租金标准.doc", f"{GZ}/attachment/7/7561/7561772/9518264.doc"),
        ),
    ),
    Page(  # joint 规范性文件: three agencies in 发布机关 and in the 落款
        "10b_广州门特费用范围标准_穗医保规字2019-4号.html",
        "广州市医疗保障局 广州市财政局 广州市卫生健康委员会"
        "关于印发广州市社会医疗保险统筹基金支付门诊特定病种费用范围及标准的通知",
        f"{GZ}/gfxwj/sbmgfxwj/gzsylbzj/content/post_5488731.html",
        "穗医保规字〔2019〕4号\n广州市医疗保障局 广州市财政局 ",
        "指定定点医疗机构确认适合家庭病床治疗的。\n公开方式：主动公开",
        17164,
        date(2019, 6, 17),
        agency="广州市医疗保障局,广州市财政局,广州市卫生健康委员会",
        doc_number="穗医保规字〔2019〕4号",
        issued=date(2019, 6, 14),
        status="失效",
    ),
    Page(  # gkmlpt 政府信息公开 table: 索引号, 发布机构, 成文日期, 文号, 发布日期; 分类 left empty
        "08_家庭医生实施方案_穗卫函2023-1930号.html",
        "广州市卫生健康委等4部门关于印发推进广州市家庭医生签约服务高质量发展实施方案的通知",
        "https://wjw.gz.gov.cn/gkmlpt/content/9/9306/post_9306638.html",
        "穗卫函〔2023〕1930号\n各区卫生健康局、财政局、人力资",
        "良好的社会氛围。\n各区政府、市卫生健康委\n/\n基层处\n宣传处",
        17643,
        date(2023, 11, 7),
        agency="广州市卫生健康委员会",
        doc_number="穗卫函〔2023〕1930号",
        issued=date(2023, 10, 19),
        index_no="11440100MB2C90856P/2023-00331",
        page_url="https://wjw.gz.gov.cn/gkmlpt/content/9/9306/post_9306638.html",
        notes=("empty metadata cell: 主题分类",),
    ),
    Page(  # gkmlpt repost: empty 文号 cell, the 文号 is taken from the first line of the text
        "11_公共租赁住房保障办法_穗府办规2024-13号.html",
        "广州市人民政府办公厅关于印发广州市公共租赁住房管理办法的通知",
        "",
        "穗府办规〔2024〕13号\n广州市人民政府办公厅关于印发广州",
        "动公开\n广州市人民政府办公厅秘书处 2024年7月29日印发",
        9273,
        date(2024, 9, 12),
        agency="广州市天河区人民政府天园街道办事处",
        doc_number="穗府办规〔2024〕13号",
        issued=date(2024, 7, 26),
        index_no="11440106718120458W/2024-00008",
        notes=("empty metadata cell: 主题分类",),
    ),
    Page(
        "30_老年人助餐配餐服务管理办法_穗民规字2024-3号.html",
        "广州市民政局 广州市财政局 广州市市场监督管理局关于印发广州市老年人助餐配餐服务管理办法的通知",
        f"{TH}/gzthczgz/gkmlpt/content/9/9914/post_9914521.html",
        "穗民规字〔2024〕3号\n各区民政局、财政局、市场监督管理局",
        "4年4月1日起实施，有效期5年。本办法实行前按照原标准执行。",
        5483,
        date(2024, 10, 15),
        agency="广州市天河区财政局（广州市天河区人民政府国有资产监督管理局）",
        doc_number="穗民规字〔2024〕3号",
        issued=date(2024, 3, 14),
        index_no="11440106007508528C/2024-00031",
        page_url=f"{TH}/gzthczgz/gkmlpt/content/9/9914/post_9914521.html",
        notes=("empty metadata cell: 主题分类",),
    ),
    Page(  # 国务院令: 文号 and 成文日期 from the promulgation line
        "37_市场主体登记管理条例_国务院令746号.html",
        "中华人民共和国市场主体登记管理条例",
        "http://scjgj.gz.gov.cn/zcfg/xzfg/content/post_9745016.html",
        "（2021年7月27日中华人民共和国国务院令第746号公布）",
        "登记管理条例》、《企业法人法定代表人登记管理规定》同时废止。",
        6560,
        date(2021, 7, 30),
        agency="国务院",
        doc_number="中华人民共和国国务院令第746号",
        issued=date(2021, 7, 27),
    ),
    Page(  # 政府令: 令 header split over two lines, 市长 signs
        "33_广州市老年人优待办法_政府令179号.html",
        "广州市老年人优待办法",
        f"{GZ}/zwgk/fggw/wyzzc/content/post_8300620.html",
        "广州市人民政府令\n第179号\n《广州市老年人优待办法》已经2",
        "方式：主动公开\n广州市人民政府办公厅 2021年2月7日印发",
        2378,
        date(2021, 2, 9),
        agency="广州市人民政府",
        doc_number="广州市人民政府令第179号",
        issued=date(2021, 1, 29),
    ),
    Page(  # FAQ
        "15_创业担保贷款常见问题_2025.html",
        "创业担保贷款常见问题",
        f"{RSJ}/zmhd/cjwt/rsrc/content/post_10555927.html",
        "一、创业担保贷款申请对象有哪几类？\n答：创业担保贷款申请对象",
        "信公众号，以及上述9家经办银行的相关网站和微信公众号上查询。",
        1192,
        date(2025, 11, 18),
        agency="市人力资源社会保障局 市劳动就业服务管理中心",
    ),
    Page(  # FAQ
        "36_积分制入户2025年度热点13问.html",
        "2025年度积分制入户工作热点13问",
        f"{RSJ}/zwdt/tzgg/content/post_10432658.html",
        "1.2025年度积分制入户指标有多少个？\n答：根据年度人口迁",
        "报需随迁配偶或未成年子女，在获得入户资格后不能增加随迁人员。",
        2431,
        date(2025, 9, 4),
        agency="市人力资源社会保障局、市人力资源市场服务中心",
    ),
    Page(  # service guide: the '信息来源：' line above the text is metadata, not text
        "22_怎么申领广州市社会保障卡_2026.html",
        "怎么申领广州市社会保障卡？",
        f"{RSJ}/ywzt/shbz/gzsshbzk/fwzy/bmwd/content/post_2419165.html",
        "一、申领对象\n本市户籍人员以及依法享受本市社会保障及其他公共",
        "付医药费用，请持卡人领卡后尽快到银行网点现场设置社保卡密码。",
        2291,
        date(2026, 6, 25),
        agency="广州市人力资源和社会保障数据服务中心（加挂广州市社会保障卡服务中心牌子）",
    ),
    Page(  # service guide with three spreadsheet attachments
        "02_积分入学指引_2026.html",
        "2026年广州市天河区积分制入学学位申请指引",
        f"{TH}/gzjg/qzf/qjyj/zsks/content/post_10872346.html",
        "一、申请资格及学位情况\n根据《广州市天河区来穗人员随迁子女积",
        "附件3 2026年天河区民办中小学积分入学招生计划.xlsx",
        1586,
        date(2026, 6, 25),
        agency="天河区教育局",
        attachments=(
            ("附件1 2026年公办小学积分入学招生计划表.xls", f"{TH}/attachment/8/8040/8040292/10872346.xls"),
            (
                "附件2 2026年天河区公办初中积分入学招生计划.xls",
                f"{TH}/attachment/8/8040/8040293/10872346.xls",
            ),
            (
                "附件3 2026年天河区民办中小学积分入学招生计划.xlsx",
                f"{TH}/attachment/8/8040/8040294/10872346.xlsx",
            ),
        ),
    ),
    Page(  # 通告 with pdf and xlsx attachments
        "24_养老保险待遇资格认证通告_2025.html",
        "广州市社会保险基金管理中心关于开展2025年企业职工和城乡居民养老保险待遇领取资格认证的通告",
        f"{RSJ}/ywzt/ztbd/zszhlwgzqmlslbrw/ylbx/content/post_10200153.html",
        "根据国家和省有关规定，符合企业职工基本养老保险和城乡居民基本",
        "引.pdf\n广州市社会保险基金管理中心\n2025年3月27日",
        2076,
        date(2025, 3, 31),
        agency="广州市社会保险基金管理中心",
        issued=date(2025, 3, 27),
        attachments=(
            (
                "1.粤省事企业职工和城乡居民基本养老保险待遇领取资格认证操作指引.pdf",
                f"{RSJ}/attachment/7/7789/7789305/10200153.pdf",
            ),
            ("2.广州市社保服务银行网点.xlsx", f"{RSJ}/attachment/7/7789/7789306/10200153.xlsx"),
            ("3.港澳资格认证协办机构网点.xlsx", f"{RSJ}/attachment/7/7789/7789347/10200153.xlsx"),
            (
                "4.广州市各区（街镇）社保经办机构、退管机构服务大厅名单.xlsx",
                f"{RSJ}/attachment/7/7789/7789308/10200153.xlsx",
            ),
            (
                "5.“粤省事”微信小程序企业退休人员修改手机号码操作指引.pdf",
                f"{RSJ}/attachment/7/7789/7789309/10200153.pdf",
            ),
        ),
    ),
    Page(  # 印发 notice: the 成文日期 is the cover letter's 落款, not the 细则's end
        "29_广州市临时救助实施细则_穗府办规2021-19号.html",
        "广州市人民政府办公厅关于印发广州市临时救助实施细则的通知",
        f"{GZ}/gfxwj/szfgfxwj/gzsrmzfbgt/content/post_7960479.html",
        "穗府办规〔2021〕19号\n广州市人民政府办公厅关于印发广州",
        "动公开\n广州市人民政府办公厅秘书处 2021年12月6日印发",
        4197,
        date(2021, 12, 10),
        agency="广州市人民政府办公厅",
        doc_number="穗府办规〔2021〕19号",
        issued=date(2021, 12, 1),
        status="有效",
    ),
]


def fixture_page(name: str, url: str = "") -> RawPage:
    """Read one saved page, skipping when ../shared is absent."""
    path = FIXTURES / name
    if not path.exists():
        pytest.skip(f"html fixtures not found at {FIXTURES} (../shared is absent on this machine)")
    return RawPage(url=url, body=path.read_bytes(), source=name)


@pytest.mark.parametrize("expected", PAGES, ids=[p.file.split("_")[0] for p in PAGES])
def test_fixture_page_full_record(expected: Page) -> None:
    doc = extract(fixture_page(expected.file, expected.page_url))
    assert doc.title == expected.title
    assert doc.url == expected.url
    if expected.url:
        assert doc.doc_id == "url-" + hashlib.sha1(expected.url.encode()).hexdigest()[:16]
    else:
        assert doc.doc_id.startswith("sha1-")
    assert (doc.agency, doc.doc_number, doc.index_no) == (
        expected.agency,
        expected.doc_number,
        expected.index_no,
    )
    assert (doc.published, doc.issued) == (expected.published, expected.issued)
    assert (doc.topics, doc.status) == (expected.topics, expected.status)
    assert [(a.name, a.url) for a in doc.attachments] == list(expected.attachments)
    assert doc.body[:30] == expected.head
    assert doc.body[-30:] == expected.tail
    assert abs(len(doc.body) - expected.length) <= 0.02 * expected.length
    assert doc.notes == expected.notes
    for chrome in CHROME:
        assert chrome not in doc.body, chrome


def test_paragraph_breaks_are_newlines() -> None:
    doc = extract(fixture_page("28_特困人员救助供养通知_穗府办规2021-7号.html"))
    lines = doc.body.split("\n")
    assert lines[:3] == [
        "穗府办规〔2021〕7号",
        "广州市人民政府办公厅关于进一步加强特困人员救助供养工作的通知",
        "各区人民政府，市政府各部门、各直属机构：",
    ]
    assert "一、认定范围" in lines


def test_title_site_suffix_is_removed_when_only_title_tag() -> None:
    html = (
        "<html><head><title>关于做好春节假期安全生产工作的通知 - 广州市人民政府门户网站</title></head>"
        "<body><div id='zoomcon'><p>各区人民政府：</p>"
        "<p>春节将至，现就有关事项通知如下。</p></div></body></html>"
    )
    doc = extract(RawPage(url="http://www.gz.gov.cn/a.html", body=html.encode()))
    assert doc.title == "关于做好春节假期安全生产工作的通知"
    assert doc.notes == ()


# ---------------------------------------------------------------- charsets
NOTICE = "<p>闽侯县人民政府办公室关于做好防汛工作的通知</p><p>各乡镇人民政府：䶮字测试。</p>"


def gbk_page(meta: str = "") -> bytes:
    """A GB18030-encoded page (GBK plus one GB18030-only character) with an optional <meta>."""
    return f"<html><head>{meta}<title>防汛通知</title></head><body>{NOTICE}</body></html>".encode("gb18030")


def test_gbk_declared_in_meta() -> None:
    text, note = decode_page(gbk_page('<meta charset="gbk">'))
    assert "各乡镇人民政府：䶮字测试。" in text and note is None


def test_gb2312_declared_in_http_header_is_read_as_gb18030() -> None:
    assert "䶮字测试" in decode_html(gbk_page(), "text/html; charset=GB2312")


def test_gbk_without_any_declaration() -> None:
    text, note = decode_page(gbk_page())
    assert "闽侯县人民政府办公室" in text and note is None


def test_wrong_declaration_is_detected_and_noted() -> None:
    page = RawPage(url="", body=gbk_page('<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'))
    doc = extract(page)
    assert doc.title == "防汛通知"
    assert doc.body.startswith("闽侯县人民政府办公室关于做好防汛工作的通知\n各乡镇人民政府")
    assert doc.notes == ("charset declared utf-8 but the page is gb18030",)


def test_utf8_page_declared_gbk_stays_utf8() -> None:
    body = f'<html><head><meta charset="gb2312"></head><body>{NOTICE}</body></html>'.encode()
    text, note = decode_page(body)
    assert "闽侯县人民政府办公室" in text
    assert note == "charset declared gb18030 but the page is utf-8"


# ---------------------------------------------------------------- bad input keeps the rest of the record
def test_page_without_title_takes_first_line_and_notes_it() -> None:
    html = (
        "<html><body><div class='TRS_Editor'><p>关于开展安全生产大检查的通知</p><p>各镇街：</p>"
        "<p>为切实做好安全生产工作，现通知如下。</p></div></body></html>"
    )
    doc = extract(RawPage(url="", body=html.encode()))
    assert doc.title == "关于开展安全生产大检查的通知"
    assert doc.notes == ("no title in page; title taken from text",)
    assert doc.body == "关于开展安全生产大检查的通知\n各镇街：\n为切实做好安全生产工作，现通知如下。"
    assert doc.doc_id == "sha1-" + hashlib.sha1(html.encode()).hexdigest()[:16]


METADATA_TABLE = """<html><head><title>上街镇2014年政府信息公开工作总结</title></head><body>
<table class="xxgk"><tr><td>索引号：</td><td>003565017/2014-00123</td><td>主题分类：</td><td></td></tr>
<tr><td>发布机构：</td><td>闽侯县上街镇人民政府</td><td>成文日期：</td><td>2014年13月5日</td></tr>
<tr><td>名称：</td><td colspan="3">上街镇2014年政府信息公开工作总结</td></tr>
<tr><td>文号：</td><td> </td><td>发布日期：</td><td>2014-12-03</td></tr>
<tr><td>有效性：</td><td>现行有效</td></tr></table>
<div id="zoomcon"><p>按照国务院办公厅要求，现将2014年政府信息公开工作进展情况汇报如下。</p>
<p>附件下载：</p><p><a href="/attach/2014/zj.pdf">工作总结表.pdf</a></p>
<p>【大 中 小】</p><p>【打印】【关闭】</p></div>
</body></html>"""


def test_metadata_table_with_empty_cells_and_a_bad_date() -> None:
    doc = extract(RawPage(url="http://www.minhou.gov.cn/xxgk/t1.htm", body=METADATA_TABLE.encode()))
    assert doc.title == "上街镇2014年政府信息公开工作总结"
    assert doc.index_no == "003565017/2014-00123"
    assert doc.agency == "闽侯县上街镇人民政府"
    assert doc.published == date(2014, 12, 3)
    assert doc.issued is None and doc.doc_number is None and doc.topics == ()
    assert doc.status == "有效"
    assert doc.body == "按照国务院办公厅要求，现将2014年政府信息公开工作进展情况汇报如下。\n工作总结表.pdf"
    assert [(a.name, a.url) for a in doc.attachments] == [
        ("工作总结表.pdf", "http://www.minhou.gov.cn/attach/2014/zj.pdf")
    ]
    assert set(doc.notes) == {
        "bad date: 2014年13月5日 (成文日期)",
        "empty metadata cell: 主题分类",
        "empty metadata cell: 文号",
    }


def test_page_without_any_text_is_skipped_with_a_reason() -> None:
    with pytest.raises(SkipDocument) as err:
        extract(RawPage(url="http://x.gov.cn/empty.html", body=b"<html><body><script>var a=1;</script></body></html>"))
    assert err.value.reason == "no usable text in page"
    assert err.value.source == "http://x.gov.cn/empty.html"


def test_doc_id_uses_the_canonical_url() -> None:
    assert canonical_url("HTTP://WWW.GZ.gov.cn:80/a/b.html#top") == "http://www.gz.gov.cn/a/b.html"
    assert doc_id_for("http://www.gz.gov.cn/a/b.html#x", b"") == doc_id_for("HTTP://www.gz.gov.cn:80/a/b.html", b"1")
