"""Agency, region and 有效性 read from what a document says (indexer.agency, region, validity, metadata)."""

from __future__ import annotations

import pytest

from indexer.agency import agency_from_header, agency_from_title, agency_of_order
from indexer.pipeline import to_document
from indexer.region import canonical_region, region_from_title, region_of_host, resolve_in
from indexer.validity import validity


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("海南省人民政府关于印发海南省某某办法的通知", "海南省人民政府"),
        ("国务院办公厅转发发展改革委关于某某意见的通知", "国务院办公厅"),
        ("财政部 国家税务总局关于某某政策的通知", "财政部、国家税务总局"),
        ("最高人民法院关于审理某某案件适用法律若干问题的解释", "最高人民法院"),
        ("河南省人民政府贯彻国务院关于某某决定的实施意见", None),  # the issuer ends before 贯彻: not certain
        ("关于印发某某办法的通知", None),
        ("2026年广州市天河区积分制入学学位申请指引", None),
        ("", None),
    ],
)
def test_agency_from_title(title, expected):
    assert agency_from_title(title) == expected


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["2011年11月17日 上海市第十三届人民代表大会常务委员会第三十次会议通过"], "上海市人民代表大会常务委员会"),
        (["2002年6月29日  第九届全国人民代表大会常务委员会第二十八次会议通过"], "全国人民代表大会常务委员会"),
        (["1982年12月4日第五届全国人民代表大会第五次会议通过"], "全国人民代表大会"),
        (["1993年4月22日 中华人民共和国国务院令第112号发布"], "国务院"),
        (["1990年12月24日 中华人民共和国国务院、中华人民共和国中央军事委员会令第71号发布"], "国务院、中央军事委员会"),
        (
            ["2000年6月16日 最高人民法院审判委员会第1119次会议通过", "2000年6月19日 最高人民法院公告公布"],
            "最高人民法院",
        ),  # noqa: E501
        (["1986年12月3日 国务院批准", "1986年12月26日 公安部、外交部、交通部发布"], "公安部、外交部、交通部"),
        ([], None),
    ],
)
def test_agency_from_header(lines, expected):
    assert agency_from_header(lines) == expected


def test_agency_of_a_decree_with_or_without_its_number_sign():
    assert agency_of_order("国务院令第291号") == agency_of_order("国务院令291号") == "国务院"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("河南", "河南省"),
        ("上海", "上海市"),
        ("广东", "广东省"),
        ("宁夏", "宁夏回族自治区"),
        ("广东省/东莞市", "广东省/东莞市"),
        ("福建省/福州市/闽侯县/上街镇", "福建省/福州市/闽侯县/上街镇"),
        ("全国", "全国"),
        ("", None),
    ],
)
def test_split_region_values_become_one(value, expected):
    assert canonical_region(value) == expected


def test_region_of_host_and_abbreviation_inside_it():
    assert region_of_host("https://www.shanghai.gov.cn/nw12344/a.html") == "上海市"
    assert region_of_host("http://www.thnet.gov.cn/x.html") == "广东省/广州市/天河区"
    assert region_of_host("http://example.com/x") is None
    assert resolve_in("青", "上海市") == "上海市/青浦区"


def test_qingpu_notice_on_shanghai_portal_is_not_filed_under_qinghai():
    rec = {"id": "q", "url": "https://www.shanghai.gov.cn/nw12344/20221010/a.html", "doc_number": "青府发〔2022〕54号"}
    rec["title"] = "关于印发某某实施方案的通知"
    assert to_document(rec).region == "上海市/青浦区"


def test_a_statute_that_mentions_hong_kong_is_not_filed_under_it():
    body = "第一条 为了保障香港特别行政区的繁荣稳定，制定本法。\n第二条 澳门特别行政区参照执行。"
    doc = to_document({"id": "hk", "title": "某某法", "body": body})
    assert doc.region is None


def test_signals_that_disagree_leave_the_agency_empty():
    rec = {"id": "x", "title": "广东省人民政府关于某某的通知", "doc_number": "川府发〔2020〕1号"}
    assert to_document(rec).agency is None
    rec["doc_number"] = "粤府〔2020〕1号"
    assert to_document(rec).agency == "广东省人民政府"


@pytest.mark.parametrize(
    ("given", "title", "header", "expected"),
    [
        (None, "某某办法（已废止）", [], "废止"),
        (None, "某某办法（失效）", [], "失效"),
        (None, "某某办法（试行）", [], None),
        (None, "某某条例", ["2016年1月1日 某某市人民代表大会常务委员会决定废止"], "废止"),
        (None, "某某条例", ["2013年 《关于废止和修改部分法规的决定》修正"], None),
        ("现行有效", "某某条例", [], "有效"),
        (None, "某某条例", [], None),
    ],
)
def test_validity(given, title, header, expected):
    assert validity(given, title, header) == expected


def test_a_law_gets_agency_region_and_issue_date_from_its_header():
    rec = {
        "id": "law",
        "title": "青岛市房屋使用安全条例",
        "body": "第一条 为了加强房屋使用安全管理，制定本条例。",
        "region": "山东",
        "header": [
            "2014年10月30日 青岛市第十五届人民代表大会常务委员会第二十二次会议通过",
            "2014年11月27日 山东省第十二届人民代表大会常务委员会第十一次会议批准",
        ],
    }
    doc = to_document(rec)
    assert (doc.agency, doc.region, str(doc.issued)) == ("青岛市人民代表大会常务委员会", "山东省/青岛市", "2014-10-30")


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("青岛市房屋使用安全条例", "山东省/青岛市"),
        ("上海市口岸服务条例", "上海市"),
        ("广州市天河区积分制入学指引", "广东省/广州市/天河区"),
        ("中华人民共和国安全生产法", None),
        ("朝阳区某某规定", None),  # 朝阳区 is in 北京 and 长春: not guessed
        ("中山大学招生简章", None),
        ("关于印发某某办法的通知", None),
    ],
)
def test_region_from_the_divisions_a_title_starts_with(title, expected):
    assert region_from_title(title) == expected
    assert to_document({"id": "t", "title": title, "body": "正文。"}).region == expected
