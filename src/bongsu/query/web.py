"""The web view: HTTP endpoints across services and the status distribution over time,
read from the per-minute ``web_1m`` rollup written at ingest (HTTP server spans per
service x endpoint x status code x duration bucket).

An endpoint is ``METHOD http.route`` (the route template), else the span name. The
transaction rollup is not enough here: it has neither the route nor the status code.

Example::

    body = endpoints(reads, "default", window, None, "p95", 10, now_us)  # the slowest
    statuses(reads, "default", window, None, None, 10_000)["classes"]["5xx"]
"""

from __future__ import annotations

from typing import Any

from bongsu.errors import TooManyRows
from bongsu.query.databases import minute_step, view_resolution
from bongsu.query.figures import bucket_ms
from bongsu.query.window import Window
from bongsu.store.reads import EndpointOrder, Reads

CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx", "other")
_US = 1_000_000


def status_class(code: int | None) -> str:
    """``"2xx"`` … ``"5xx"``; ``"other"`` for a missing or out-of-range code."""
    return f"{code // 100}xx" if code is not None and 100 <= code < 600 else "other"


def endpoints(reads: Reads, tenant: str, window: Window, service: str | None,
              order: EndpointOrder, limit: int, now_us: int) -> dict[str, Any]:
    """The first ``limit`` endpoints by ``order`` over the window."""
    res = view_resolution(window)
    w = window.aligned(res)
    seconds = w.elapsed_seconds(now_us)
    rows = reads.web_endpoints(tenant, w.start_us, w.end_us, service, order, limit, res)
    return {
        "order": order, "service": service, "from": w.start_us // 1000,
        "to": w.end_us // 1000,
        "endpoints": [
            {"service": r.service, "endpoint": r.endpoint, "calls": r.calls,
             "tps": r.calls / seconds if seconds > 0 else 0.0, "errors": r.errors,
             "error_rate": r.errors / r.calls if r.calls else None,
             "status_4xx": r.client_errors, "status_5xx": r.server_errors,
             "total_ms": r.sum_us / 1000,
             "avg_ms": r.sum_us / r.calls / 1000 if r.calls else None,
             "p50_ms": bucket_ms(r.p50_bucket), "p95_ms": bucket_ms(r.p95_bucket)}
            for r in rows
        ],
    }


def statuses(reads: Reads, tenant: str, window: Window, service: str | None,
             step_s: int | None, max_rows: int) -> dict[str, Any]:
    """HTTP server spans per step by status class and exact code; totals over the window."""
    step = minute_step(window, step_s)
    res = view_resolution(window, step)
    w = window.aligned(step)
    step_us = step * _US
    slots = (w.end_us - w.start_us) // step_us
    if slots > max_rows:
        raise TooManyRows(f"step: {slots} points is over the {max_rows}-row limit; "
                          "use a larger step")
    by_ts: dict[int, dict[str, Any]] = {
        ts: {"ts": ts // 1000, "total": 0, "classes": dict.fromkeys(CLASSES, 0), "codes": {}}
        for ts in range(w.start_us, w.end_us, step_us)
    }
    classes = dict.fromkeys(CLASSES, 0)
    codes: dict[str, int] = {}
    for p in reads.web_statuses(tenant, w.start_us, w.end_us, step_us, service, res):
        point = by_ts.get(p.ts_us)
        if point is None:
            continue
        cls = status_class(p.status)
        code = "none" if p.status is None else str(p.status)
        point["total"] += p.count
        point["classes"][cls] += p.count
        point["codes"][code] = point["codes"].get(code, 0) + p.count
        classes[cls] += p.count
        codes[code] = codes.get(code, 0) + p.count
    return {
        "service": service, "step": step, "from": w.start_us // 1000,
        "to": w.end_us // 1000, "total": sum(classes.values()), "classes": classes,
        "codes": dict(sorted(codes.items())), "points": list(by_ts.values()),
    }
