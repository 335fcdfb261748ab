"""The `govsearch` command line (see INTERFACE.md)."""

from __future__ import annotations

import json
import shlex
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from .backend import ingest_paths, open_backend
from .check import check_index
from .config import Settings
from .coverage import store_coverage
from .crawl.command import crawl_cmd
from .errors import BadRequest, IndexBusy, IndexError_
from .export import EXPORTERS, export_request, manifest, write_xlsx
from .generations import store_path
from .models import SearchRequest
from .region import filter_value
from .sources import input_files, stdin_is_tty, total_bytes


class UserError(click.ClickException):
    """Bad input or usage: one clear line on stderr, exit status 2."""

    exit_code = 2


index_option = click.option(
    "--index",
    "index_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Index directory (default: $GOVSEARCH_INDEX, else ./var/index).",
)


def settings_for(index_dir: Path | None, serving: bool = False) -> Settings:
    """Return Settings from the environment with the --index option applied (dictionary files must exist)."""
    try:
        settings = Settings.from_env(serving=serving, index_dir=index_dir)
    except ValueError as e:  # a malformed GOVSEARCH_* value
        raise UserError(str(e)) from None
    for path, var in ((settings.userdict_path, "GOVSEARCH_USERDICT"), (settings.synonyms_path, "GOVSEARCH_SYNONYMS")):
        if not Path(path).is_file():
            raise UserError(f"{var}: no such dictionary file: {path}")
    return settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="govsearch")
def main() -> None:
    """govsearch: full-text search over Chinese government documents."""


@main.command("ingest")
@click.argument("paths", nargs=-1)
@index_option
@click.option("--rebuild", is_flag=True, help="Rebuild the whole index from the stored records (PATHs optional).")
def ingest_cmd(paths: tuple[str, ...], index_dir: Path | None, rebuild: bool) -> None:
    """Ingest .jsonl .json .txt .html files or folders (- reads JSONL from stdin)."""
    settings = settings_for(index_dir)
    if not paths and not rebuild:
        raise UserError("nothing to ingest: give files, folders or - (or --rebuild to rebuild from the stored records)")
    if "-" in paths and stdin_is_tty():
        raise UserError("'-' reads JSON Lines from standard input, but it is a terminal")
    missing = [p for p in paths if p != "-" and not Path(p).exists()]
    if missing:
        raise UserError(f"no such file or folder: {missing[0]}")
    files = input_files(paths)
    try:
        if sys.stderr.isatty():
            with click.progressbar(length=max(total_bytes(files), 1), label="ingest", file=sys.stderr) as bar:
                report = ingest_paths(files, settings, rebuild=rebuild, progress=bar.update)
        else:
            report = ingest_paths(files, settings, rebuild=rebuild)
    except IndexBusy as e:
        raise click.ClickException(str(e)) from None
    except (OSError, IndexError_) as e:
        raise click.ClickException(f"cannot write the index at {settings.index_dir}: {e}") from None
    for source, reason in report.failures[:50]:
        click.echo(f"skipped {source}: {reason}", err=True)
    if len(report.failures) > 50:
        click.echo(f"... and {len(report.failures) - 50} more skipped", err=True)
    if report.reasons:
        click.echo("skip reasons: " + ", ".join(f"{r} ({n})" for r, n in report.reasons.most_common()), err=True)
    click.echo(report.summary())


def parse_filters(filters: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Turn FIELD=VALUE options into filter pairs."""
    out = []
    for f in filters:
        name, sep, value = f.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise UserError(f"bad --filter {f!r}: expected FIELD=VALUE, e.g. topic=安全生产")
        out.append((name.strip(), filter_value(name.strip(), value.strip())))
    return tuple(out)


def parse_day(value: str | None, name: str) -> date | None:
    """Parse an ISO date option."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"bad {name} {value!r}: expected YYYY-MM-DD") from None


def query_options(f: Any) -> Any:
    """Add the options shared by search and export."""
    for opt in reversed(
        [
            click.option("--filter", "filters", multiple=True, help="FIELD=VALUE facet filter, repeatable."),
            click.option("--sort", type=click.Choice(["relevance", "date", "date_asc"]), default="relevance"),
            click.option("--from", "date_from", default=None, help="Published on or after YYYY-MM-DD."),
            click.option("--to", "date_to", default=None, help="Published on or before YYYY-MM-DD."),
            click.option("--no-synonyms", is_flag=True, help="Do not expand government synonyms."),
            click.option("--all-copies", is_flag=True, help="Show every copy of a republished notice."),
            index_option,
        ]
    ):
        f = opt(f)
    return f


def make_request(
    query: str,
    filters: tuple[str, ...],
    sort: str,
    date_from: str | None,
    date_to: str | None,
    no_synonyms: bool,
    all_copies: bool,
    **kw: Any,
) -> SearchRequest:
    """Build a SearchRequest from command-line options; a bad one is a usage error (one line, status 2)."""
    try:
        return SearchRequest(
            q=query,
            filters=parse_filters(filters),
            sort=sort,
            date_from=parse_day(date_from, "--from"),
            date_to=parse_day(date_to, "--to"),
            synonyms=not no_synonyms,
            collapse=not all_copies,
            **kw,
        )
    except BadRequest as e:
        raise UserError(str(e)) from None


def backend_for(index_dir: Path | None) -> Any:
    """Open the configured backend or fail with one clear line."""
    try:
        return open_backend(settings_for(index_dir))
    except IndexError_ as e:
        raise click.ClickException(str(e)) from None


@main.command("search")
@click.argument("query")
@query_options
@click.option("--limit", type=click.IntRange(1, 10_000), default=10, help="Hits to show.")
@click.option("--page", type=click.IntRange(1), default=1)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON of GET /api/search.")
def search_cmd(query: str, index_dir: Path | None, limit: int, page: int, as_json: bool, **opts: Any) -> None:
    """Search the index."""
    req = make_request(query, per_page=limit, page=page, **opts)
    try:
        result = backend_for(index_dir).search(req)
    except BadRequest as e:
        raise UserError(str(e)) from None
    except OSError as e:  # a damaged or vanished index file
        raise click.ClickException(f"cannot read the index: {e} (`govsearch check` tells more)") from None
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False))
        return
    click.echo(
        f"{result.total} documents" + (f" (also searched: {', '.join(result.expanded)})" if result.expanded else "")
    )
    for w in result.warnings:
        click.echo(f"note: {w}", err=True)
    for i, h in enumerate(result.hits, start=(page - 1) * limit + 1):
        meta = " · ".join(x for x in (h.agency, h.doc_number, h.date) if x)
        click.echo(f"{i:>3}. {h.title}  [{h.doc_id}]" + (f"\n     {meta}" if meta else ""))


@main.command("export")
@click.argument("query")
@query_options
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "xlsx"]), required=True)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="File to write; FILE.manifest.json is written beside it.",
)
@click.option("--one-per-group", is_flag=True, help="One row per group of copies (default: every copy).")
def export_cmd(query: str, index_dir: Path | None, fmt: str, output: Path, one_per_group: bool, **opts: Any) -> None:
    """Export every hit of a query, copies included, with a provenance manifest."""
    req = export_request(make_request(query, **opts), not one_per_group)
    backend = backend_for(index_dir)
    seen: list[str] = []
    records = (seen.append(r["id"]) or r for r in backend.iter_records(req))
    try:
        with output.open("wb") as out:
            if fmt == "xlsx":
                write_xlsx(records, out, None, backend.store().max_chars("body"))
            else:
                out.writelines(EXPORTERS[fmt](records))
    except BadRequest as e:
        raise UserError(str(e)) from None
    except OSError as e:
        raise click.ClickException(f"cannot write {output}: {e.strerror}") from None
    rerun = "govsearch export " + " ".join(_quote(a) for a in sys.argv[2:])
    info = manifest(req, backend.version(), backend.iter_records(req), rerun, fmt)
    Path(f"{output}.manifest.json").write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    click.echo(f"wrote {len(seen)} documents to {output} (manifest: {output}.manifest.json)")


def _quote(arg: str) -> str:
    return shlex.quote(arg)


@main.command("stats")
@index_option
def stats_cmd(index_dir: Path | None) -> None:
    """Print what the index holds."""
    backend = backend_for(index_dir)
    click.echo(json.dumps(backend.version(), ensure_ascii=False))
    page = backend.search(SearchRequest(per_page=1, collapse=False))
    for name, buckets in page.facets.items():
        click.echo(f"{name}: " + ", ".join(f"{b.value} ({b.count})" for b in buckets[:10]))
    store = store_path(settings_for(index_dir).index_dir)
    if store.exists():  # coverage of each metadata field, per source file or crawled host
        click.echo(store_coverage(store).table())


@main.command("check")
@index_option
def check_cmd(index_dir: Path | None) -> None:
    """Verify the index: every segment readable, the index and the stored records in agreement."""
    report = check_index(settings_for(index_dir).index_dir)
    for problem in report.problems:
        click.echo(f"problem: {problem}", err=True)
    click.echo(
        f"{report.records} stored records, {report.indexed} indexed documents in {report.segments} segments: "
        + ("ok" if report.ok else f"{len(report.problems)} problems")
    )
    if not report.ok:
        sys.exit(1)


@main.command("serve")
@index_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="Processes.")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True, help="Threads each.")
@click.option("--dev", is_flag=True, help="Flask's development server instead of gunicorn.")
def serve_cmd(index_dir: Path | None, host: str, port: int, workers: int, threads: int, dev: bool) -> None:
    """Serve the web app and API (gunicorn, index read-only, jieba loaded before forking)."""
    from webapp.server import run_server  # the one place the indexer reaches into the web layer

    settings = settings_for(index_dir, serving=True)  # with a time budget (SERVE_TIME_BUDGET_MS)
    backend_for(index_dir)  # a missing index is reported here, before any worker starts
    run_server(settings, host, port, workers, threads, dev)


main.add_command(crawl_cmd)

if __name__ == "__main__":
    main()
