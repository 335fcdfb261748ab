"""A county 政府信息公开 page: dates in every form, labels without colons, page chrome removed."""

from __future__ import annotations

from datetime import date

import pytest

from indexer.extract import extract
from indexer.models import RawPage

COUNTY_PAGE = """<html><head><meta charset="utf-8"><title>上街镇2014年政府信息公开工作年度报告</title></head>
<body><div class="nav">当前位置：首页 > 政务公开</div>
<table class="xxgk"><tr><td>索引号</td><td>003586000/2015-00012</td><td>发布机构</td><td>闽侯县上街镇人民政府</td></tr>
<tr><td>生成日期</td><td>{generated}</td><td>文号</td><td>侯上政〔2015〕3号</td></tr></table>
<div class="share">分享到：微信 微博 QQ空间</div><div>扫一扫在手机打开当前页</div>
<div class="article"><h1>上街镇2014年政府信息公开工作年度报告</h1>
<p>【字号：大 中 小】</p>
<p>按照闽侯县人民政府办公室的要求，上街镇政府认真做好政府信息公开工作，现将2014年工作情况报告如下。</p>
<p>一、概述。全年主动公开政府信息一百二十条，依申请公开三件，均按时答复，无行政复议和诉讼。</p>
<p>二、存在问题。公开内容还不够全面，更新还不够及时，下一步将加强培训，健全制度，提高质量。</p>
<p>【打印】 【关闭】</p></div>
<div class="footer">主办：闽侯县人民政府办公室 闽ICP备05012345号-1 闽公网安备 35012102500123号</div>
</body></html>"""
CHROME = ("分享到", "扫一扫", "字号", "ICP备", "打印", "关闭", "公网安备")


@pytest.mark.parametrize("generated", ["2015年3月2日", "二〇一五年三月二日", "2015.3.2", "2015-03-02", "2015/3/2"])
def test_generated_date_in_every_form_is_the_issue_date(generated):
    page = COUNTY_PAGE.format(generated=generated).encode("utf-8")
    doc = extract(RawPage(url="http://www.minhou.gov.cn/xxgk/a.html", body=page))
    assert doc.issued == date(2015, 3, 2)
    assert (doc.index_no, doc.agency, doc.doc_number) == (
        "003586000/2015-00012",
        "闽侯县上街镇人民政府",
        "侯上政〔2015〕3号",
    )


def test_a_generated_date_line_without_a_colon_is_read():
    page = COUNTY_PAGE.replace('<table class="xxgk">', "<p>生成日期 2015年3月2日</p><table>").format(generated="")
    doc = extract(RawPage(url="http://www.minhou.gov.cn/xxgk/a.html", body=page.encode("utf-8")))
    assert doc.issued == date(2015, 3, 2)


def test_page_chrome_is_not_text():
    doc = extract(RawPage(url="http://x.gov.cn/a.html", body=COUNTY_PAGE.format(generated="2015-03-02").encode()))
    assert doc.body.startswith("按照闽侯县人民政府办公室的要求") or doc.body.startswith("上街镇2014年")
    assert "提高质量" in doc.body
    assert not [c for c in CHROME if c in doc.body], doc.body
