"""extract_citations: 文号 (canonical, simplified) and 《titles》 (as written) cited in a body."""

from __future__ import annotations

from pathlib import Path

from indexer.normalize import extract_citations

SEED = Path(__file__).resolve().parents[1] / "corpus" / "000_7eabf1a7e4b02af4.txt"


def test_seed_notice_in_traditional_characters() -> None:
    cites = extract_citations(SEED.read_text(encoding="utf-8"))
    assert cites[0] == "侯政办〔2014〕120号"  # written 侯政辦〔2014〕120號 with pinyin annotations around it
    assert "2014年政府信息公開工作要點(diǎn)" in cites  # titles are returned as written
    assert "條例" in cites
    assert len(cites) == len(set(cites))


def test_numbers_first_then_titles_without_repeats() -> None:
    body = (
        "根据《中华人民共和国政府信息公开条例》和《广州市人民政府办公厅关于印发广州市社区居家养老服务管理办法的通知》"
        "（穗府办规〔2020〕24号），以及国办发[2019]61号、国办发〔2019〕61号，再次依照《中华人民共和国政府信息公开条例》。"
    )
    assert extract_citations(body) == (
        "穗府办规〔2020〕24号",
        "国办发〔2019〕61号",
        "中华人民共和国政府信息公开条例",
        "广州市人民政府办公厅关于印发广州市社区居家养老服务管理办法的通知",
    )


def test_order_numbers_and_broken_brackets() -> None:
    body = "依据《市场主体登记管理条例》（国务院令第746号）执行；本条《未闭合的书名号\n不算。"
    assert extract_citations(body) == ("国务院令第746号", "市场主体登记管理条例")


def test_empty_body() -> None:
    assert extract_citations("") == ()
