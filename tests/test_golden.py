"""Golden queries on the session index: each must return the listed documents on the first page (20 hits).

The expected documents were chosen by reading them (the lawrefbook regulations, the policy metadata records and
the seed notice of the session corpus), not by copying what the engine returned. Comments say why each fits.
"""

from __future__ import annotations

import pytest

from indexer.models import SearchRequest

SEED = "000_7eabf1a7e4b02af4"  # 上街镇 2014 年政府信息公开工作报告, cites 侯政办〔2014〕120号 (traditional characters)

GOLDEN: list[tuple[str, str, set[str]]] = [
    # ---- exact titles (the document first)
    ("title", "上海市公共图书馆条例", {"lawrefbook-6cbd2c7758ba"}),
    ("title", "德州市扒鸡保护与发展条例", {"lawrefbook-312c7ed1d60f"}),
    ("title", "济南市既有多层住宅增设电梯规定", {"lawrefbook-9d00ca3643a2"}),
    ("title", "山东省湖泊保护条例", {"lawrefbook-c8731e8e5259"}),
    ("title", "广东省培育扶持个体工商户若干措施", {"ptc-4134be504617"}),  # metadata only: 关于印发…的通知
    # ---- keywords (every word must occur)
    (
        "keywords",
        "养犬 管理",
        {
            "lawrefbook-8eeb59e2a964",
            "lawrefbook-4cf290fdd8e4",
            "lawrefbook-0f92e64f79a3",
            "lawrefbook-90507fa0d19e",
            "lawrefbook-7d98d219e438",
            "lawrefbook-adc5eb5a98ae",
        },
    ),
    (
        "keywords",
        "供热条例",
        {"lawrefbook-58beb539aaf5", "lawrefbook-fed0dfb0d656", "lawrefbook-a36755fe5cd5", "lawrefbook-b9fcb262ce47"},
    ),
    (
        "keywords",
        "禁止燃放烟花爆竹",
        {"lawrefbook-a8c84513130c", "lawrefbook-455679389174", "lawrefbook-83fadf5d8f6f", "lawrefbook-77c2d5041596"},
    ),
    ("keywords", "见义勇为 奖励", {"lawrefbook-20fa67438689", "lawrefbook-588914932973"}),
    ("keywords", "增设电梯 业主", {"lawrefbook-9d00ca3643a2", "lawrefbook-879f3e7109f5"}),
    ("keywords", "自然资源 行政职权", {"ptc-22deb1f6d606", "ptc-1fe284e13d0a"}),
    # ---- natural-language questions
    ("question", "遗体捐献需要办理哪些登记手续？", {"lawrefbook-98d162638bf5"}),  # 第十二条 办理遗体捐献登记手续
    ("question", "公共图书馆应当免费开放吗？", {"lawrefbook-6cbd2c7758ba"}),  # 第二十三条 向社会公众免费开放
    ("question", "既有多层住宅怎样增设电梯？", {"lawrefbook-9d00ca3643a2", "lawrefbook-879f3e7109f5"}),
    # 青岛: 保修期不得低于二个采暖期; 菏泽: 最低保修期为二个采暖期
    ("question", "供热设施的保修期是多少个采暖期？", {"lawrefbook-b9fcb262ce47", "lawrefbook-936bbdac0606"}),
    ("question", "见义勇为人员可以获得什么奖励和保护？", {"lawrefbook-20fa67438689", "lawrefbook-588914932973"}),
    ("question", "养犬人如何给犬只办理登记？", {"lawrefbook-8eeb59e2a964"}),  # 上海市养犬管理条例: 犬只登记
    ("question", "谁可以成为个体工商户？", {"ptc-7903a4f50e00", "ptc-4134be504617"}),  # 促进/培育个体工商户
    ("question", "湖泊保护规划应当包括哪些内容", {"lawrefbook-c8731e8e5259"}),  # 第九条
    # ---- one character, and words jieba cuts otherwise in the document
    ("one char", "犬", {"lawrefbook-8eeb59e2a964", "lawrefbook-0f92e64f79a3"}),
    ("split word", "公共饮用水源", {"lawrefbook-1e83bbab8750"}),  # 饮用水源: jieba 饮用水/源
    # ---- synonyms and abbreviations
    ("synonym", "安监", {"lawrefbook-2dd9c304c6cd"}),  # 烟台市安全生产监督管理条例
    ("synonym", "国土 南沙区", {"ptc-22deb1f6d606"}),  # 将部分省级自然资源行政职权事项调整由广州市南沙区实施
    ("synonym", "计生", {"lawrefbook-367d42df4403"}),  # 上海市人口与计划生育条例
    # ---- 文号 in any form
    ("doc number", "侯政办〔2014〕120号", {SEED}),
    ("doc number", "侯政辦[2014]120號", {SEED}),
    ("doc number", "粤府〔2023〕68号", {"ptc-043d67d49367"}),
    ("doc number", "粤办函（2023）12号", {"ptc-4134be504617"}),
    # ---- traditional characters, quoted phrases
    ("traditional", "國務院辦公廳 政府信息公開", {SEED}),
    ("traditional", "養犬管理條例", {"lawrefbook-8eeb59e2a964", "lawrefbook-0f92e64f79a3"}),
    ("phrase", '"遗体捐献"', {"lawrefbook-98d162638bf5"}),
    ("phrase", '"扒鸡"', {"lawrefbook-312c7ed1d60f"}),
    ("title field", "标题:供热", {"lawrefbook-58beb539aaf5", "lawrefbook-b9fcb262ce47"}),
]

FIRST: dict[str, str] = {  # the one document that must come first
    "上海市公共图书馆条例": "lawrefbook-6cbd2c7758ba",
    "德州市扒鸡保护与发展条例": "lawrefbook-312c7ed1d60f",
    "济南市既有多层住宅增设电梯规定": "lawrefbook-9d00ca3643a2",
    "山东省湖泊保护条例": "lawrefbook-c8731e8e5259",
    "遗体捐献需要办理哪些登记手续？": "lawrefbook-98d162638bf5",
    "侯政办〔2014〕120号": SEED,
    "侯政辦[2014]120號": SEED,
    "粤府〔2023〕68号": "ptc-043d67d49367",
    "粤办函（2023）12号": "ptc-4134be504617",
}


def test_there_are_enough_golden_queries_of_every_kind():
    kinds = {k for k, _, _ in GOLDEN}
    assert len(GOLDEN) >= 30 and len(kinds) >= 8


@pytest.mark.parametrize(("kind", "q", "expected"), GOLDEN, ids=[f"{k}:{q}" for k, q, _ in GOLDEN])
def test_golden_query_returns_the_documents_on_the_first_page(backend, kind, q, expected):
    page = backend.search(SearchRequest(q=q, per_page=20, collapse=False))
    found = [h.doc_id for h in page.hits]
    assert expected <= set(found), f"{kind} {q!r}: missing {expected - set(found)}; got {found[:10]}"
    if q in FIRST:
        assert found[0] == FIRST[q]
