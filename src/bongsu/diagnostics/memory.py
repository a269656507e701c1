"""The memory analyzer (``bongsu.memory/1``): what holds the memory, and what grew.

One capture: the largest types and allocation sites, the process's RSS and the container's
usage and working set (usage less inactive file cache, when the agent sends it) against
its limit. Two captures (:meth:`Memory.compare`): the types and allocation
sites that grew, ranked by bytes grown, with their counts — the leak suspects — and the
RSS, container and heap deltas. A type or site missing from one capture counts as 0 there
(the agent lists the 200 largest types, so a small one may simply have been left out).

Example::

    Memory().compare(before, after)["suspects"][0]   # {"what": "type", "name": ..., ...}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

Doc = Mapping[str, Any]

TOP = 20
MIB = 1024 * 1024


def _num(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if math.isfinite(value) else None


def _section(doc: Doc, key: str) -> Mapping[str, Any]:
    value = doc.get(key)
    return value if isinstance(value, Mapping) else {}


def _rows(value: Any) -> list[Mapping[str, Any]]:
    return [x for x in value if isinstance(x, Mapping)] if isinstance(value, list) else []


def _types(doc: Doc) -> dict[str, tuple[int, int]]:
    """type -> (bytes, count)."""
    out: dict[str, tuple[int, int]] = {}
    for t in _rows(doc.get("types")):
        name = str(t.get("type", ""))
        b, c = out.get(name, (0, 0))
        out[name] = (b + (_num(t.get("bytes")) or 0), c + (_num(t.get("count")) or 0))
    return out


def _sites(doc: Doc) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for s in _rows(_section(doc, "tracemalloc").get("top")):
        name = str(s.get("site", ""))
        b, c = out.get(name, (0, 0))
        out[name] = (b + (_num(s.get("bytes")) or 0), c + (_num(s.get("count")) or 0))
    return out


def mib(n: int | None) -> str:
    """A size as people read it: 512 B, 3.2 KiB, 231 MiB, 1.5 GiB."""
    if n is None:
        return "?"
    for unit, scale in (("GiB", MIB * 1024), ("MiB", MIB), ("KiB", 1024)):
        if abs(n) >= scale:
            value = n / scale
            return f"{value:,.1f} {unit}" if abs(value) < 10 else f"{value:,.0f} {unit}"
    return f"{n} B"


def _share(part: int | None, whole: int | None) -> float | None:
    return None if part is None or not whole else round(part / whole, 4)


def _delta(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else b - a


class Memory:
    kind = "memory"
    format = "bongsu.memory/1"
    version = 2

    def normalize(self, doc: Doc) -> dict[str, Any]:
        return dict(doc)

    def analyze(self, doc: Doc) -> dict[str, Any]:
        types = _types(doc)
        sites = _sites(doc)
        trace = _section(doc, "tracemalloc")
        container = _section(doc, "container")
        rss = _num(_section(doc, "process").get("rss_bytes"))
        limit = _num(container.get("limit_bytes"))
        usage = _num(container.get("usage_bytes"))
        working = _num(container.get("working_set_bytes"))  # agents since the watchdog's reader
        types_bytes = sum(b for b, _ in types.values())
        top_types: list[dict[str, Any]] = [
            {"type": name, "bytes": b, "count": c, "share": _share(b, types_bytes)}
            for name, (b, c) in sorted(types.items(), key=lambda kv: (-kv[1][0], kv[0]))[:TOP]
        ]
        top_sites: list[dict[str, Any]] = [
            {"site": name, "bytes": b, "count": c}
            for name, (b, c) in sorted(sites.items(), key=lambda kv: (-kv[1][0], kv[0]))[:TOP]
        ]
        analysis: dict[str, Any] = {
            "top_types": top_types, "types_bytes": types_bytes,
            "types_count": sum(c for _, c in types.values()),
            "top_sites": top_sites, "tracemalloc": bool(trace.get("on")) or bool(sites),
            "traced_bytes": _num(trace.get("traced_bytes")),
            "peak_bytes": _num(trace.get("peak_bytes")),
            "gc_objects": _num(_section(doc, "gc").get("objects")),
            "rss_bytes": rss, "container_usage_bytes": usage, "limit_bytes": limit,
            "rss_of_limit": _share(rss, limit), "usage_of_limit": _share(usage, limit),
            "working_set_bytes": working, "working_set_of_limit": _share(working, limit),
            "oom_kills": _num(container.get("oom_kills")),
            "cgroup": container.get("cgroup"),
            "python_allocated_blocks": _num(_section(doc, "python").get("allocated_blocks")),
            "jvm_heap_bytes": _num(_section(doc, "jvm").get("bytes")),
            "jvm_instances": _num(_section(doc, "jvm").get("instances")),
        }
        jvm_heap = analysis["jvm_heap_bytes"]
        parts = [f"rss {mib(rss)}" if rss is not None or jvm_heap is None
                 else f"heap {mib(jvm_heap)} in {analysis['jvm_instances'] or 0:,} objects"]
        if limit:
            parts[0] += f" = {100 * (rss or 0) / limit:.0f} % of the {mib(limit)} limit"
            if working is not None:  # what the kubelet evicts on and the kernel OOM-kills at
                parts.append(f"working set {mib(working)} = {100 * working / limit:.0f} % of "
                             "the limit")
        if top_types:
            parts.append(f"largest type {top_types[0]['type']} {mib(top_types[0]['bytes'])}")
        if top_sites:
            parts.append(f"top site {top_sites[0]['site']} {mib(top_sites[0]['bytes'])}")
        analysis["headline"] = "; ".join(parts)
        return analysis

    def compare(self, base: Doc, other: Doc) -> dict[str, Any]:
        a, b = self.analyze(base), self.analyze(other)
        types = _grown(_types(base), _types(other), "type")
        sites = _grown(_sites(base), _sites(other), "site")
        suspects: list[dict[str, Any]] = sorted(
            [{"what": "type", "name": t["type"], "bytes_grown": t["bytes_grown"],
              "count_grown": t["count_grown"]} for t in types]
            + [{"what": "site", "name": s["site"], "bytes_grown": s["bytes_grown"],
                "count_grown": s["count_grown"]} for s in sites],
            key=lambda s: (-s["bytes_grown"], s["what"], s["name"]))[:TOP]
        t0 = _num(base.get("captured_at_unix_nano"))
        t1 = _num(other.get("captured_at_unix_nano"))
        interval = None if t0 is None or t1 is None else round((t1 - t0) / 1e9, 3)
        result: dict[str, Any] = {
            "interval_s": interval,
            "rss_delta_bytes": _delta(a["rss_bytes"], b["rss_bytes"]),
            "container_usage_delta_bytes": _delta(a["container_usage_bytes"],
                                                  b["container_usage_bytes"]),
            "types_bytes_delta": b["types_bytes"] - a["types_bytes"],
            "traced_bytes_delta": _delta(a["traced_bytes"], b["traced_bytes"]),
            "gc_objects_delta": _delta(a["gc_objects"], b["gc_objects"]),
            "allocated_blocks_delta": _delta(a["python_allocated_blocks"],
                                             b["python_allocated_blocks"]),
            "jvm_heap_delta_bytes": _delta(a["jvm_heap_bytes"], b["jvm_heap_bytes"]),
            "types": types[:TOP], "sites": sites[:TOP], "suspects": suspects,
        }
        rss_d = result["rss_delta_bytes"]
        label = "rss"
        if rss_d is None and result["jvm_heap_delta_bytes"] is not None:
            label, rss_d = "heap", result["jvm_heap_delta_bytes"]
        sign = "+" if (rss_d or 0) >= 0 else "-"
        parts = [f"{label} {sign}{mib(abs(rss_d)) if rss_d is not None else '?'}"]
        if interval is not None:
            parts[0] += f" in {interval:g} s"
        if suspects:
            s = suspects[0]
            parts.append(f"{s['name']} grew {mib(s['bytes_grown'])} ({s['count_grown']:+,d})")
        result["headline"] = "; ".join(parts)
        return result


def _grown(before: Mapping[str, tuple[int, int]], after: Mapping[str, tuple[int, int]],
           key: str) -> list[dict[str, Any]]:
    """Entries whose bytes grew, most bytes grown first."""
    rows: list[dict[str, Any]] = []
    for name, (b1, c1) in after.items():
        b0, c0 = before.get(name, (0, 0))
        if b1 > b0:
            rows.append({key: name, "base_bytes": b0, "other_bytes": b1, "bytes_grown": b1 - b0,
                         "base_count": c0, "other_count": c1, "count_grown": c1 - c0,
                         "new": name not in before})
    rows.sort(key=lambda r: (-r["bytes_grown"], r[key]))
    return rows
