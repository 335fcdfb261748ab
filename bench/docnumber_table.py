"""Learn the 机关代字 -> agency table from real 文号 and check it on records it was not learned from.

    .venv/bin/python bench/docnumber_table.py [--write]

policy_transparency_metadata.jsonl (../shared) has 文号 with titles; the title names the issuer
(广东省人民政府关于…). Records are split in two by a hash of their id: the table is learned from one half
(a prefix is kept when it is seen MIN_SEEN times and at least AGREE of them name the same first body)
and checked on the other: of the held-out records whose prefix the table knows and whose title names an
issuer, how many name the table's agency. --write stores the table learned from all records.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import Counter, defaultdict
from pathlib import Path

from indexer.agency import agency_from_title, first_body
from indexer.config import PACKAGE_DATA
from indexer.normalize import _prefixes, canonical_agency, parse_doc_number, region_of

POLICY = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "policy_transparency_metadata.jsonl"
MIN_SEEN = 3  # a prefix seen fewer times says too little
AGREE = 0.95  # share of a prefix's titled records that must name the same first body


def pairs() -> list[tuple[str, str, str]]:
    """Return (id, 文号 prefix, issuer named by the title) of every titled record with a 文号."""
    out = []
    with POLICY.open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            number = parse_doc_number(rec.get("doc_number"))
            agency = canonical_agency(agency_from_title(rec.get("title")))
            # a 转发 notice carries the number of the document it relays, not its own
            if number and agency and "转发" not in rec["title"] and consistent(number.prefix, agency):
                out.append((rec["id"], number.prefix, agency))
    return out


def consistent(prefix: str, agency: str) -> bool:
    """Tell whether a prefix can be the agency's: a province's bodies use its abbreviation (粤, 沪), others none."""
    province = (region_of(first_body(agency)) or "").split("/")[0]
    abbreviations = {p for p, (region, _) in _prefixes().items() if len(p) == 1 and region}
    if province in ("", "全国"):
        return prefix[0] not in abbreviations
    return _prefixes().get(prefix[0], ("",))[0] == province


def learn(rows: list[tuple[str, str, str]]) -> dict[str, str]:
    """Keep each prefix whose records agree on one issuer (its most common full name)."""
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for _, prefix, agency in rows:
        seen[prefix][agency] += 1
    table = {}
    for prefix, names in seen.items():
        total = sum(names.values())
        firsts = Counter()
        for name, n in names.items():
            firsts[first_body(name)] += n
        body, n = firsts.most_common(1)[0]
        if total >= MIN_SEEN and n >= AGREE * total:
            table[prefix] = body
    return table


def check(table: dict[str, str], rows: list[tuple[str, str, str]]) -> tuple[int, int, int]:
    """Return (held-out records, records whose prefix the table knows, of those how many it names right)."""
    known = [(p, a) for _, p, a in rows if p in table]
    return len(rows), len(known), sum(first_body(a) == table[p] for p, a in known)


def main() -> None:
    """Print the held-out check; with --write, store the table learned from every record."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    rows = pairs()
    half = [int(hashlib.sha1(r[0].encode()).hexdigest(), 16) % 2 for r in rows]
    for fold in (0, 1):
        train = [r for r, h in zip(rows, half, strict=True) if h != fold]
        test = [r for r, h in zip(rows, half, strict=True) if h == fold]
        table = learn(train)
        n, known, right = check(table, test)
        print(
            f"fold {fold}: learned {len(table)} prefixes from {len(train)} records; held out {n}: "
            f"prefix known {known} ({known / n:.1%}), agency right {right} ({right / max(known, 1):.2%})"
        )
    hand = {p: a for p, (_, a) in _prefixes().items() if a}  # written by hand: every record is held out
    n, known, right = check(hand, rows)
    print(f"hand table: {len(hand)} prefixes; of {n} records, prefix known {known}, agency right {right}")
    if args.write:
        table = learn(rows)
        lines = [f"{p}\t{a}" for p, a in sorted(table.items())]
        head = (
            "# 机关代字 -> issuer, learned by bench/docnumber_table.py from titled records of\n"
            "# policy_transparency_metadata.jsonl (checked on held-out halves; see the commit). Do not edit by hand.\n"
        )
        (PACKAGE_DATA / "docnumber_agencies.tsv").write_text(head + "\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {len(table)} prefixes")


if __name__ == "__main__":
    main()
