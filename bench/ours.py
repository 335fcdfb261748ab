"""Our system as the benchmark drives it: `govsearch ingest` into an index directory, then the backend's search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from indexer.models import SearchRequest

from .workload import PER_PAGE, BenchQuery


def build(jsonl: Path, index_dir: Path) -> int:
    """Ingest a JSON Lines file the way `govsearch ingest FILE --index DIR` does; return the documents indexed."""
    from indexer.analysis import segmenter
    from indexer.ingest import ingest

    segmenter()
    report = ingest([str(jsonl)], index_dir)
    if report.skipped:
        raise RuntimeError(f"{report.skipped} records skipped: {report.failures[:3]}")
    return report.total


def request(q: BenchQuery) -> SearchRequest:
    """Return the SearchRequest the web API makes of the query's URL."""
    return SearchRequest(
        q=q.text,
        filters=(("agency", q.agency),) if q.agency else (),
        sort="date" if q.kind == "date" else "relevance",
        page=q.page,
        per_page=PER_PAGE,
    )


class OurSearch:
    """Run bench queries through the production backend (per-thread searcher, record store, snippets, facets)."""

    def __init__(self, index_dir: Path) -> None:
        from indexer.analysis import segmenter
        from indexer.config import Settings
        from indexer.engine.whoosh.backend import WhooshBackend

        segmenter()
        self.backend = WhooshBackend(Settings(index_dir=index_dir))

    def run(self, q: BenchQuery) -> tuple[int, list[dict[str, Any]]]:
        """Return (total hits, the page's hits as the API gives them) of one query."""
        page = self.backend.search(request(q))
        return page.total, [h.to_json() for h in page.hits]


def server_command(index_dir: Path, port: int) -> list[str]:
    """Return the production server command: `govsearch serve` (gunicorn, 2 workers x 4 threads)."""
    import sys

    return [
        sys.executable,
        "-m",
        "indexer.cli",
        "serve",
        "--index",
        str(index_dir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
