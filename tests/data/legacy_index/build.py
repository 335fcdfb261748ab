"""Build the legacy index in this folder with the code of the commit it was committed beside.

The index was built by commit 4920c4b, before the Whoosh fast path moved into indexer/engine/whoosh/.
Its bulk-written segment names the codec by its old path, ``indexer.segments.ArraysCodec``, in the
pickled table of contents: tests/test_legacy_index.py opens it with the current code and searches it,
so that moving the codec never makes an existing index unreadable.

The records are the seed notice (corpus/) and synthetic but realistic notices made here, so that the
script needs nothing outside the repository. ARRAY_MIN_DF is lowered so that a small segment still
keeps its common terms as arrays (.arr/.ard), the format the alias must keep readable.

Run from the repository root (this replaces the index files beside this script):
    .venv/bin/python tests/data/legacy_index/build.py
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
SEED = ROOT / "corpus" / "000_7eabf1a7e4b02af4.txt"
OUT = HERE / "index"

AGENCIES = [
    ("国务院办公厅", "国办发", None),
    ("福建省人民政府办公厅", "闽政办", "福建省"),
    ("福州市人民政府", "榕政综", "福建省/福州市"),
    ("闽侯县人民政府办公室", "侯政办", "福建省/福州市/闽侯县"),
    ("广东省应急管理厅", "粤应急", "广东省"),
    ("东莞市生态环境局", "东环", "广东省/东莞市"),
]
TOPICS = [
    ("安全生产", "安全生产责任制", "隐患排查治理", "应急预案演练"),
    ("环境保护", "大气污染防治", "水污染防治", "生态环境监测"),
    ("政府信息公开", "主动公开目录", "依申请公开", "政策解读"),
    ("教育", "义务教育均衡发展", "校园安全", "教师队伍建设"),
    ("财政", "预算公开", "专项资金管理", "绩效评价"),
]
DOC_TYPES = ["通知", "意见", "办法", "报告", "公告"]


def synthetic(k: int) -> dict:
    """Return the k-th synthetic record: a notice of one agency on one topic, with a 文号 and a date."""
    agency, prefix, region = AGENCIES[k % len(AGENCIES)]
    topic, a, b, c = TOPICS[k % len(TOPICS)]
    doc_type = DOC_TYPES[k % len(DOC_TYPES)]
    year = 2012 + k % 8
    number = f"{prefix}〔{year}〕{k + 1}号"
    title = f"{agency}关于做好{year}年{topic}工作的{doc_type}"
    body = (
        f"各有关单位：\n为深入贯彻落实党中央、国务院关于{topic}的决策部署，进一步做好{a}工作，"
        f"现就有关事项{doc_type}如下。\n一、提高思想认识。各单位要充分认识{topic}工作的重要性，"
        f"把{b}列入重要议事日程，明确责任分工，确保各项措施落到实处。\n"
        f"二、突出工作重点。要围绕{a}和{c}，建立健全工作机制，加强督促检查，及时发现和解决问题。\n"
        f"三、加强组织保障。各单位要于{year}年{k % 12 + 1}月底前将工作开展情况报送{agency}。\n"
        f"本{doc_type}自印发之日起施行。"
    )
    record = {
        "id": f"legacy-{k:03d}",
        "url": f"https://example.gov.cn/legacy/{k:03d}.html",
        "title": title,
        "body": body,
        "agency": agency,
        "doc_number": number,
        "date": f"{year}-{k % 12 + 1:02d}-{k % 27 + 1:02d}",
        "topics": [topic],
        "doc_type": doc_type,
    }
    if region:
        record["region"] = region
    return record


def main() -> None:
    """Ingest the seed and 80 synthetic records into a fresh index, as one bulk build."""
    from indexer import segments  # noqa: I001 - commit 4920c4b's modules (build.py has moved since)
    from indexer.build import ingest

    segments.ARRAY_MIN_DF = 16  # a small segment keeps its common terms as arrays too
    shutil.rmtree(OUT, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        records = Path(tmp) / "records.jsonl"
        records.write_text("".join(json.dumps(synthetic(k), ensure_ascii=False) + "\n" for k in range(80)), "utf-8")
        report = ingest([str(SEED), str(records)], OUT)
    assert report.rebuilt and report.skipped == 0, report.failures
    print(report.summary())


if __name__ == "__main__":
    main()
