"""Start URLs from a maintained list: the notice columns of the `gov-site-list` package (PyPI)."""

from __future__ import annotations

INSTALL_HINT = "pip install gov-site-list==0.1.0"


class SeedListMissing(Exception):
    """The gov-site-list package is not installed."""


def notice_columns(pattern: str) -> list[str]:
    """Return the URLs of gov-site-list notice columns whose site, column or URL contains pattern ('all': every one)."""
    try:
        import gov_site_list
    except ImportError:
        raise SeedListMissing(f"--from-list and seed_list need the gov-site-list package: {INSTALL_HINT}") from None
    rows = gov_site_list.load_notice_columns()
    keys = ("site", "column", "url")
    wanted = [r for r in rows if pattern == "all" or any(pattern in str(r.get(k) or "") for k in keys)]
    return list(dict.fromkeys(str(r["url"]) for r in wanted if r.get("url")))
