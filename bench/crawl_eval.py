"""Link precision and recall of the crawler on sites of unknown CMSs, per layout (python -m bench.crawl_eval).

Serves tests/crawl_site/layouts.py on 127.0.0.1 and dry-runs each layout's columns (nothing is written). Two
stages are scored against the notices each layout declares:
- links: the URLs taken from list pages as notices, on evidence or known URL patterns, before any fetch;
- checked: the pages that, once fetched, were kept as notices (a title, a body and a date).
Layouts marked held out were written after the heuristics were settled and never tuned on; 'held out,
then fixed' was scored held out once, then its failure was fixed (its figures are no longer held out).
Needs ../shared/corpus/html_fixtures (real pages in one layout); prints why and stops when it is absent.
"""

from __future__ import annotations

import sys
from pathlib import Path

from indexer.crawl.crawler import CrawlConfig, Job
from indexer.crawl.explain import dry_run
from indexer.crawl.fetch import FetchPolicy
from indexer.crawl.profiles import load_profile
from tests.crawl_site.gov import make_attachments
from tests.crawl_site.held_out import build_all
from tests.crawl_site.layouts import Layout
from tests.crawl_site.server import Site

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "html_fixtures" / "guangzhou_tianhe"


def score(taken: set[str], expected: set[str]) -> tuple[float, float]:
    """Return (precision, recall); an empty side counts as perfect."""
    hits = len(taken & expected)
    return (hits / len(taken) if taken else 1.0, hits / len(expected) if expected else 1.0)


def evaluate(site: Site, layout: Layout) -> tuple[int, int, float, float, int, float, float]:
    """Dry-run one layout; return notices, links taken, link P/R, pages kept, checked P/R."""
    job = Job(load_profile("generic"), tuple(site.base + s for s in layout.starts))
    config = CrawlConfig(Path(":memory:"), Path("unused"), FetchPolicy(allow_private=True, timeout=5), delay=0.0)
    run = dry_run(job, config)
    path = len(site.base)
    ignore = layout.disallowed  # robots.txt forbids them: the evidence is not at fault either way
    links = {u[path:] for u, (kind, _, _) in run.found.items() if kind in ("detail", "candidate")} - ignore
    kept = {u[path:] for u, kind, state, _ in run.pages if kind == "detail" and state == "done"} - ignore
    return (len(layout.notices), len(links), *score(links, layout.notices), len(kept), *score(kept, layout.notices))


def main() -> int:
    """Print the table."""
    if not FIXTURES.is_dir():
        print(f"crawl_eval: {FIXTURES} is absent (../shared): the layouts need its real pages", file=sys.stderr)
        return 1
    site = Site()
    site.start()
    try:
        attachments = {k: v for k, v in make_attachments().items() if k in ("fangyuan.pdf", "shenqingbiao.docx")}
        layouts = build_all(site, FIXTURES, attachments)
        head = f"{'layout':<42} {'stage':<21} {'notices':>7} {'links':>5} {'link P':>6} {'link R':>6}"
        print(head + f" {'kept':>5} {'kept P':>6} {'kept R':>6}")
        for name, layout in layouts.items():
            n, taken, lp, lr, kept, kp, kr = evaluate(site, layout)
            print(
                f"{name:<42} {layout.stage:<21} {n:>7} {taken:>5} {lp:>6.3f} {lr:>6.3f} {kept:>5} {kp:>6.3f} {kr:>6.3f}"
            )
    finally:
        site.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
