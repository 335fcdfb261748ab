"""The one configuration object; nothing else reads the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

PACKAGE_DATA = Path(__file__).resolve().parent / "data"
SERVE_TIME_BUDGET_MS = 2000  # `govsearch serve`'s budget unless GOVSEARCH_TIME_BUDGET_MS says otherwise


@dataclass(frozen=True)
class Settings:
    """Where the index lives and how search behaves; see the README's Settings table."""

    index_dir: Path = Path("var/index")  # the index: records.sqlite + Whoosh generations
    corpus_dir: Path = Path("corpus")  # documents shipped with the repo
    page_size: int = 20  # hits per page unless the request says otherwise
    max_page_size: int = 100  # the most hits one page may ask for
    facet_size: int = 30  # buckets shown per facet
    userdict_path: Path = PACKAGE_DATA / "userdict.txt"  # government terms for jieba
    synonyms_path: Path = PACKAGE_DATA / "synonyms.txt"  # query-time synonym groups
    backend: str = "whoosh"  # whoosh | sphinx
    sphinx_nodes: tuple[str, ...] = ()  # host:sql_port of each searchd node, node 1 first
    lock_timeout: float = 10.0  # seconds to wait for the index writer lock
    base_url: str = ""  # public root of absolute links (feeds, exports); "" = the address `serve` listens on
    export_max_rows: int = 100_000  # most records one HTTP export may hold (the CLI has no limit)
    saved_queries_max: int = 10_000  # rows of the table of POSTed queries kept for their shareable ids
    time_budget_ms: int | None = None  # a search past this answers with what it has ("partial"); None: no limit
    extras: dict[str, Any] = field(default_factory=dict)  # knobs for experiments and tests

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, serving: bool = False, **overrides: Any) -> Settings:
        """Build Settings from GOVSEARCH_* variables, then apply explicit overrides (`serving`: the
        production server's defaults, i.e. a time budget)."""
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {"time_budget_ms": SERVE_TIME_BUDGET_MS} if serving else {}
        if env.get("GOVSEARCH_INDEX"):
            values["index_dir"] = Path(env["GOVSEARCH_INDEX"])
        if env.get("GOVSEARCH_CORPUS"):
            values["corpus_dir"] = Path(env["GOVSEARCH_CORPUS"])
        if env.get("GOVSEARCH_PAGE_SIZE"):
            values["page_size"] = int(env["GOVSEARCH_PAGE_SIZE"])
        if env.get("GOVSEARCH_USERDICT"):
            values["userdict_path"] = Path(env["GOVSEARCH_USERDICT"])
        if env.get("GOVSEARCH_SYNONYMS"):
            values["synonyms_path"] = Path(env["GOVSEARCH_SYNONYMS"])
        if env.get("GOVSEARCH_BACKEND"):
            values["backend"] = env["GOVSEARCH_BACKEND"]
        if env.get("GOVSEARCH_SPHINX_NODES"):
            values["sphinx_nodes"] = tuple(n for n in env["GOVSEARCH_SPHINX_NODES"].split(",") if n)
        if env.get("GOVSEARCH_LOCK_TIMEOUT"):
            values["lock_timeout"] = float(env["GOVSEARCH_LOCK_TIMEOUT"])
        if env.get("GOVSEARCH_BASE_URL"):
            values["base_url"] = env["GOVSEARCH_BASE_URL"]
        if env.get("GOVSEARCH_EXPORT_MAX_ROWS"):
            values["export_max_rows"] = int(env["GOVSEARCH_EXPORT_MAX_ROWS"])
        if env.get("GOVSEARCH_TIME_BUDGET_MS"):
            values["time_budget_ms"] = _budget(env["GOVSEARCH_TIME_BUDGET_MS"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "index_dir" in values:
            values["index_dir"] = Path(values["index_dir"])
        return cls(**values)

    def __post_init__(self) -> None:
        if self.time_budget_ms is not None and (isinstance(self.time_budget_ms, bool) or self.time_budget_ms < 0):
            raise ValueError(f"time_budget_ms must be 0 or more milliseconds, not {self.time_budget_ms!r}")

    def with_(self, **changes: Any) -> Settings:
        """Return a copy with some settings changed."""
        return replace(self, **changes)


def _budget(raw: str) -> int | None:
    """Read GOVSEARCH_TIME_BUDGET_MS: whole milliseconds, or "off" for no limit."""
    if raw.strip().lower() in ("off", "none"):
        return None
    if not raw.strip().isdigit():
        raise ValueError(f"GOVSEARCH_TIME_BUDGET_MS must be whole milliseconds or 'off', not {raw!r}")
    return int(raw)
