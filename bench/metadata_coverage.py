"""Print metadata coverage of the shared corpus: ingest it into a temporary index, then count per field.

    .venv/bin/python bench/metadata_coverage.py [--json OUT] [--keep DIR]

Ingests lawrefbook_laws.jsonl, policy_transparency_metadata.jsonl, the html fixtures and the seed corpus
(../shared must exist), prints the records skipped and why, then the coverage table of `govsearch stats`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from indexer.coverage import store_coverage
from indexer.generations import store_path
from indexer.ingest import ingest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpus"
INPUTS = [
    SHARED / "lawrefbook_laws.jsonl",
    SHARED / "policy_transparency_metadata.jsonl",
    SHARED / "html_fixtures",
    ROOT / "corpus",
]


def main() -> None:
    """Ingest the shared corpus into a temporary index and print its coverage."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", type=Path, help="also write the counts as JSON here")
    parser.add_argument("--keep", type=Path, help="index directory to use (kept); default a temporary one")
    args = parser.parse_args()
    if not SHARED.is_dir():
        sys.exit(f"no shared corpus at {SHARED}")
    with tempfile.TemporaryDirectory(prefix="govsearch-cov-") as tmp:
        index_dir = args.keep or Path(tmp) / "ix"
        report = ingest([str(p) for p in INPUTS], index_dir)
        print(report.summary())
        for reason, n in report.reasons.most_common():
            print(f"skipped {n:>6}  {reason}")
        cov = store_coverage(store_path(index_dir))
        print(cov.table())
        if args.json:
            data = {"skipped": report.skipped, "reasons": dict(report.reasons), **cov.to_json()}
            args.json.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
