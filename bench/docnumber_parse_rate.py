"""Measure parse_doc_number on the 文号 values of policy_transparency_metadata.jsonl.

Prints the parse rate, the refused values grouped by category, and a reproducible random
sample of parsed values (raw -> canonical) for checking by eye.
Usage: python bench/docnumber_parse_rate.py [--sample 200] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from pathlib import Path

from indexer.normalize import parse_doc_number

DATA = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "policy_transparency_metadata.jsonl"


def category(value: str) -> str:
    """Name why a value was refused."""
    v = value.strip().translate({0x200B: None, 0x200D: None})
    if not re.search(r"\d", v):
        return "no number"
    if v.startswith("其他"):
        return "placeholder 其他 instead of a 机关代字"
    if re.match(r"^(公告|通告)\d", v):
        return "no issuer code (公告2018年第14号)"
    if re.search(r"^(号|据|共和国)|已发布", v):
        return "cut out of a sentence (号市人大公告…, 上海海关已发布…)"
    if re.match(r"^[^\d]{1,3}[市县]", v) or v[1:2] == "和":
        return "truncated agency or place name (海市人民政府…, 业和信息化部…)"
    if re.search(r"[〕\]）)]\s*号\d", v):
        return "number after 号 (garbled)"
    if re.search(r"第\d+号$", v) and not re.search(r"令\s*第", v):
        return "serial without year, not a 令 (豫政 第24号)"
    return "other"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    values = [json.loads(line).get("doc_number") for line in DATA.open(encoding="utf-8")]
    values = [v for v in values if v]
    parsed = [(v, parse_doc_number(v)) for v in values]
    ok = [(v, n) for v, n in parsed if n is not None]
    refused = Counter(category(v) for v, n in parsed if n is None)
    print(f"values: {len(values)}  parsed: {len(ok)}  rate: {len(ok) / len(values):.4%}")
    print("refused by category:")
    for name, count in refused.most_common():
        examples = [v for v, n in parsed if n is None and category(v) == name][:4]
        print(f"  {count:5d}  {name}: {examples}")
    print(f"random sample of {args.sample} parsed values (seed {args.seed}):")
    for raw, number in random.Random(args.seed).sample(ok, min(args.sample, len(ok))):
        print(f"  {raw!r:40} -> {number.canonical}  (prefix={number.prefix}, year={number.year}, n={number.number})")


if __name__ == "__main__":
    main()
