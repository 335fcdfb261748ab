"""The tokenizers: sequential positions, sub-words at their parent's position, folding, pinyin, dictionary."""

from __future__ import annotations

import json

import jieba
import pytest

from indexer.analysis import BigramTokenizer, CharTokenizer, WordTokenizer, fold, load_userdict, strip_pinyin, words

from .conftest import LAWS, head_jsonl, need_shared


def tokens(tokenizer, text):
    return [(t.text, t.pos) for t in tokenizer(text, positions=True)]


def test_word_positions_are_sequential_and_subwords_share_the_parent_position():
    toks = tokens(WordTokenizer(), "中华人民共和国国务院办公厅关于安全生产的通知")
    assert toks == [
        ("中华", 0),
        ("华人", 0),
        ("人民", 0),
        ("共和", 0),
        ("共和国", 0),
        ("中华人民共和国", 0),
        ("国务", 1),
        ("院办", 1),
        ("办公", 1),
        ("国务院", 1),
        ("办公厅", 1),
        ("国务院办公厅", 1),
        ("关于", 2),
        ("安全", 3),
        ("生产", 3),
        ("安全生产", 3),
        ("的", 4),
        ("通知", 5),
    ]


def test_punctuation_and_spaces_are_not_word_tokens():
    assert tokens(WordTokenizer(), "通知， 公告。") == [("通知", 0), ("公告", 1)]


def test_char_tokens_number_every_non_space_character_punctuation_included():
    assert tokens(CharTokenizer(), "征地 补偿，标准") == [
        ("征", 0),
        ("地", 1),
        ("补", 2),
        ("偿", 3),
        (",", 4),
        ("标", 5),
        ("准", 6),
    ]


def test_bigram_tokens_are_neighbouring_character_pairs_across_spaces_numbered_in_sequence():
    assert tokens(BigramTokenizer(), "征地 补偿，标准") == [
        ("征地", 0),
        ("地补", 1),
        ("补偿", 2),
        ("偿,", 3),
        (",标", 4),
        ("标准", 5),
    ]
    assert tokens(BigramTokenizer(), "水") == [] and tokens(BigramTokenizer(), "") == []


def test_traditional_and_full_width_fold_to_simplified_half_width():
    assert fold("國務院辦公廳ＡＢＣ１２３") == "国务院办公厅abc123"
    assert tokens(WordTokenizer(), "國務院辦公廳") == tokens(WordTokenizer(), "国务院办公厅")


def test_fold_keeps_the_length_so_offsets_map_back_to_the_published_text():
    text = "按照國務院辦公廳《2014年政府信息公開工作要點》（侯政辦〔2014〕120號）"
    assert len(fold(text)) == len(text)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("國(guó)務(wù)院", "國務院"),
        ("國（guó）務（wù）院", "國務院"),
        ("我們(men)的(de)國(guó)家(jiā)", "我們的國家"),
        ("國(guo\u0301)務(wù)院", "國務院"),  # decomposed tone mark
        ("工作?,F(xiàn)將國(guó)務(wù)院", "工作?,F將國務院"),  # after a GBK round-trip artifact, in the seed
    ],
)
def test_pinyin_annotations_are_removed(raw, clean):
    assert strip_pinyin(raw) == clean


@pytest.mark.parametrize(
    "text",
    [
        "(一)全面深化",
        "PM2.5(xì)",
        "Café(ça)",
        "條例(試行)",
        "加入(WTO)後",
        "第(2020-05-14)號",
        "附件(a)",
        "金額(元)",
        "PM2.5(細顆粒物)",
        "的(de)一次",
    ],
)
def test_real_parentheses_are_kept(text):
    assert strip_pinyin(text) == text


def test_seed_document_has_annotations_that_are_all_removed():
    from .conftest import SEED

    raw = SEED.read_text(encoding="utf-8")
    assert "(guó)" in raw
    cleaned = strip_pinyin(raw)
    assert "(guó)" not in cleaned and "(wù)" not in cleaned and "(xiàn)" not in cleaned
    assert "(一)全面深化政府信息公開工作" in cleaned


def test_government_terms_are_one_word_and_their_parts_still_indexed():
    entries = dict(load_userdict())
    for term in ("安全生产", "应急预案", "政府信息公开", "土地承包经营权", "三公经费"):
        assert term in entries
    segmented = [w for w, _, _ in words("农村土地承包经营权流转和三公经费公开")]
    assert "土地承包经营权" in segmented and "三公经费" in segmented
    texts = [t.text for t in WordTokenizer()("三公经费")]
    assert texts == ["三公", "经费", "三公经费"]


def test_rjieba_gives_jieba_word_boundaries_on_real_text():
    need_shared(LAWS)
    tk = jieba.Tokenizer()
    tk.setLogLevel(60) if hasattr(tk, "setLogLevel") else None
    for word, freq in load_userdict():
        tk.add_word(word, freq)
    lines = [line for rec in head_jsonl(LAWS, 40) for line in rec["body"].split("\n") if line.strip()][:2000]
    differ = [line for line in lines if [w for w, _, _ in words(fold(line))] != tk.lcut(fold(line), HMM=True)]
    # number+unit runs (5.0cm) are the one known difference between the two segmenters
    assert len(differ) <= len(lines) // 200, json.dumps(differ[:3], ensure_ascii=False)
