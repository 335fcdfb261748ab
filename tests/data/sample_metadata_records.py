"""Draw the hand-checked metadata sample of issue 20 (point 7) and print it.

The selection only: no value is extracted here.  Each selected record is
printed compactly (title, header, upstream fields, first lines of the body)
so that a person can read it and write the expected values by hand into
tests/data/metadata_sample.jsonl.

    python tests/data/sample_metadata_records.py [--shared /work/shared] [--list]

--list prints one line per record (source, line, id, title) and nothing else.
The draw is stratified and uses a fixed seed, so re-running it gives the
same selection for the same corpus files.
"""

import argparse
import collections
import json
import pathlib
import random

SEED = 20  # the issue number
LAW_FILE = "lawrefbook_laws.jsonl"
POLICY_FILE = "policy_transparency_metadata.jsonl"
NATIONAL_LAW = (
    "行政法",
    "经济法",
    "宪法相关法",
    "社会法",
    "民法商法",
    "刑法",
    "诉讼与非诉讼程序法",
    "民法典",
    "宪法",
    "其他",
)
# (stratum, how many); a stratum is a category, or 地方性法规/<province>
LAW_STRATA = [
    ("national-law", 22),
    ("行政法规", 16),
    ("司法解释", 14),
    ("地方性法规/山东", 5),
    ("地方性法规/河南", 5),
    ("地方性法规/浙江", 5),
    ("地方性法规/上海", 4),
    ("地方性法规/北京", 4),
    ("部门规章", 4),
    ("案例", 3),
]
MULTI_VERSION_TITLES = 4  # titles with 2+ versions; every version is taken
POLICY_PER_GOVERNMENT = 7
POLICY_LARGE = ("State Council", "Shanghai Municipal Government", "Guangdong Provincial Government")
POLICY_UNTITLED_EXTRA = 3  # title-less records of governments that usually have titles


def law_stratum(rec):
    cat = rec.get("category")
    if cat in NATIONAL_LAW:
        return "national-law"
    if cat == "地方性法规":
        return "地方性法规/" + (rec.get("region") or "")
    return cat


def read_jsonl(path):
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def draw_laws(records, rng):
    by_title = collections.defaultdict(list)
    for i, rec in enumerate(records):
        by_title[rec["title"]].append(i)
    multi = sorted(t for t, idx in by_title.items() if len(idx) > 1)
    chosen = []
    for title in rng.sample(multi, MULTI_VERSION_TITLES):
        chosen.extend(by_title[title])
    strata = collections.defaultdict(list)
    for i, rec in enumerate(records):
        strata[law_stratum(rec)].append(i)
    for name, n in LAW_STRATA:
        pool = [i for i in strata[name] if i not in chosen]
        chosen.extend(rng.sample(pool, n))
    return chosen


def draw_policy(records, rng):
    by_gov = collections.defaultdict(list)
    for i, rec in enumerate(records):
        by_gov[rec["government"]].append(i)
    chosen = []
    for gov in sorted(by_gov):
        n = POLICY_PER_GOVERNMENT + (1 if gov.startswith(POLICY_LARGE) else 0)
        chosen.extend(rng.sample(by_gov[gov], n))
    untitled = [
        i
        for i, rec in enumerate(records)
        if not rec.get("title") and any(records[j].get("title") for j in by_gov[rec["government"]][:50])
    ]
    chosen.extend(rng.sample([i for i in untitled if i not in chosen], POLICY_UNTITLED_EXTRA))
    return chosen


def show_law(line, rec):
    print(f"=== {LAW_FILE}:{line} {rec['id']} [{rec['category']}/{rec['region']}]")
    print("title:", rec["title"])
    print("file:", rec["source"].rsplit(":", 1)[-1])
    print("upstream date/doc_number/agency:", rec.get("date"), rec.get("doc_number"), rec.get("agency"))
    for h in rec.get("header") or []:
        print("  H|", h)
    body = [b for b in (rec.get("body") or "").splitlines() if b.strip()]
    for b in body[:4]:
        print("  B|", b[:160])
    tail = body[-2:] if len(body) > 6 else []
    for b in tail:
        print("  T|", b[:160])


def show_policy(line, rec):
    print(f"=== {POLICY_FILE}:{line} {rec['id']} [{rec['government']}]")
    print("title:", rec.get("title"))
    print("url:", rec.get("url"))
    print("doc_number:", rec.get("doc_number"), "| raw:", rec.get("doc_number_raw"))
    print("date_issued:", rec.get("date_issued"), "| date_published:", rec.get("date_published"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default="/work/shared")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    corpus = pathlib.Path(args.shared) / "corpus"
    rng = random.Random(SEED)
    laws = read_jsonl(corpus / LAW_FILE)
    policy = read_jsonl(corpus / POLICY_FILE)
    law_lines = draw_laws(laws, rng)
    policy_lines = draw_policy(policy, rng)
    for line in law_lines:
        rec = laws[line]
        if args.list:
            print(LAW_FILE, line, rec["id"], rec["title"], sep="\t")
        else:
            show_law(line, rec)
    for line in policy_lines:
        rec = policy[line]
        if args.list:
            print(POLICY_FILE, line, rec["id"], rec.get("title") or rec.get("doc_number") or rec["url"], sep="\t")
        else:
            show_policy(line, rec)
    fixtures = sorted((corpus / "html_fixtures" / "guangzhou_tianhe").glob("*.html"))
    seeds = sorted((pathlib.Path(args.shared) / "seeds").glob("*.txt"))
    for path in fixtures + seeds:
        print("html_fixtures/guangzhou_tianhe" if path.suffix == ".html" else "seeds", path.name, sep="\t")


if __name__ == "__main__":
    main()
