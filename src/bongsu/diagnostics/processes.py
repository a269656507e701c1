"""The processes analyzer (``bongsu.processes/1``): who uses the CPU and the memory.

One capture: the processes by RSS and by CPU time, and per name (``gunicorn`` x 9).
Two captures (:meth:`Processes.compare`): the CPU and memory movers — a process is the same
in both when its pid *and* its start time match (a reused pid is another process); CPU %
is CPU seconds used over the interval (the system uptime between the captures, else their
timestamps), 100 % being one core. New and gone processes are listed.

Example::

    Processes().compare(before, after)["cpu_movers"][0]   # {"pid": 7, "cpu_percent": 97.0, …}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from bongsu.diagnostics.memory import mib

Doc = Mapping[str, Any]

TOP = 20


def _procs(doc: Doc) -> list[Mapping[str, Any]]:
    value = doc.get("processes")
    return [p for p in value if isinstance(p, Mapping)] if isinstance(value, list) else []


def _f(value: Any) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok and math.isfinite(value) else 0.0


def _row(p: Mapping[str, Any]) -> dict[str, Any]:
    state = p.get("state")
    return {"pid": _ident(p.get("pid")), "name": str(p.get("name", "")),
            "cmdline": str(p.get("cmdline", "")), "state": None if state is None else str(state),
            "cpu_seconds": _f(p.get("cpu_seconds")), "rss_bytes": int(_f(p.get("rss_bytes"))),
            "threads": p.get("threads") if isinstance(p.get("threads"), int)
            and not isinstance(p.get("threads"), bool) else None}


def _ident(value: Any) -> int | str | None:
    """A pid (or start time) usable as a key: as given when a number or text, else text."""
    if value is None or (isinstance(value, int | float | str) and not isinstance(value, bool)):
        return value  # type: ignore[return-value]
    return str(value)


def _by_name(procs: list[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for p in procs:
        entry = out.setdefault(str(p.get("name", "")), {"count": 0, "cpu_seconds": 0.0,
                                                        "rss_bytes": 0})
        entry["count"] += 1
        entry["cpu_seconds"] += _f(p.get("cpu_seconds"))
        entry["rss_bytes"] += int(_f(p.get("rss_bytes")))
    return out


def _interval(base: Doc, other: Doc) -> float | None:
    up0, up1 = _f(base.get("uptime_s")), _f(other.get("uptime_s"))
    if up0 > 0 and up1 > up0:
        return up1 - up0
    t0, t1 = _f(base.get("captured_at_unix_nano")), _f(other.get("captured_at_unix_nano"))
    return (t1 - t0) / 1e9 if t0 > 0 and t1 > t0 else None


class Processes:
    kind = "processes"
    format = "bongsu.processes/1"
    version = 1

    def normalize(self, doc: Doc) -> dict[str, Any]:
        return dict(doc)

    def analyze(self, doc: Doc) -> dict[str, Any]:
        procs = [_row(p) for p in _procs(doc)]
        names = _by_name(_procs(doc))
        by_rss = sorted(procs, key=lambda p: (-p["rss_bytes"], str(p["pid"])))[:TOP]
        by_cpu = sorted(procs, key=lambda p: (-p["cpu_seconds"], str(p["pid"])))[:TOP]
        total = sum(p["rss_bytes"] for p in procs)
        by_name = sorted(({"name": n, **v} for n, v in names.items()),
                         key=lambda r: (-r["rss_bytes"], r["name"]))[:TOP]
        headline = f"{len(procs)} processes, {mib(total)} rss"
        if by_rss:
            headline += f"; largest {by_rss[0]['name']} (pid {by_rss[0]['pid']}) " \
                        f"{mib(by_rss[0]['rss_bytes'])}"
        return {"process_count": len(procs), "rss_bytes": total,
                "cpu_seconds": round(sum(p["cpu_seconds"] for p in procs), 3),
                "by_rss": by_rss, "by_cpu": by_cpu, "by_name": by_name, "headline": headline}

    def compare(self, base: Doc, other: Doc) -> dict[str, Any]:
        interval = _interval(base, other)

        def key(p: Mapping[str, Any]) -> tuple[Any, Any]:
            return _ident(p.get("pid")), _ident(p.get("start_time_s"))

        before = {key(p): p for p in _procs(base)}
        after = {key(p): p for p in _procs(other)}
        movers: list[dict[str, Any]] = []
        for k, p in after.items():
            q = before.get(k)
            if q is None:
                continue
            cpu = _f(p.get("cpu_seconds")) - _f(q.get("cpu_seconds"))
            movers.append({
                "pid": _ident(p.get("pid")), "name": str(p.get("name", "")),
                "cpu_seconds_delta": round(cpu, 3),
                "cpu_percent": None if not interval else round(100 * cpu / interval, 1),
                "rss_delta_bytes": int(_f(p.get("rss_bytes")) - _f(q.get("rss_bytes"))),
                "rss_bytes": int(_f(p.get("rss_bytes"))),
            })
        cpu_movers = sorted((m for m in movers if m["cpu_seconds_delta"] > 0),
                            key=lambda m: (-m["cpu_seconds_delta"], str(m["pid"])))[:TOP]
        rss_movers = sorted((m for m in movers if m["rss_delta_bytes"] != 0),
                            key=lambda m: (-abs(m["rss_delta_bytes"]), str(m["pid"])))[:TOP]
        n0, n1 = _by_name(_procs(base)), _by_name(_procs(other))
        by_name: list[dict[str, Any]] = []
        for name in sorted(set(n0) | set(n1)):
            a = n0.get(name, {"count": 0, "cpu_seconds": 0.0, "rss_bytes": 0})
            b = n1.get(name, {"count": 0, "cpu_seconds": 0.0, "rss_bytes": 0})
            by_name.append({"name": name, "count_delta": b["count"] - a["count"],
                            "cpu_seconds_delta": round(b["cpu_seconds"] - a["cpu_seconds"], 3),
                            "rss_delta_bytes": b["rss_bytes"] - a["rss_bytes"]})
        by_name.sort(key=lambda r: (-abs(r["rss_delta_bytes"]), -abs(r["cpu_seconds_delta"]),
                                    r["name"]))
        started = [_row(p) for k, p in after.items() if k not in before][:TOP]
        gone = [_row(p) for k, p in before.items() if k not in after][:TOP]
        parts = [f"{len(started)} started, {len(gone)} gone"]
        if cpu_movers:
            m = cpu_movers[0]
            pct = f" ({m['cpu_percent']:g} %)" if m["cpu_percent"] is not None else ""
            parts.append(f"most CPU {m['name']} (pid {m['pid']}) {m['cpu_seconds_delta']:g} s{pct}")
        if rss_movers:
            m = rss_movers[0]
            sign = "+" if m["rss_delta_bytes"] >= 0 else "-"
            parts.append(f"memory {m['name']} (pid {m['pid']}) {sign}"
                         f"{mib(abs(m['rss_delta_bytes']))}")
        return {"interval_s": None if interval is None else round(interval, 3),
                "cpu_movers": cpu_movers, "rss_movers": rss_movers, "by_name": by_name[:TOP],
                "started": started, "gone": gone, "headline": "; ".join(parts)}
