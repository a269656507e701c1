"""The service dashboard: per-service figures, time series, heatmap and its drag-select,
and per-instance figures. All of it is read from the rollups except the drag-select list.

Example::

    body = services(reads, "default", window, now_us, settings.apdex_t_for)
    body["services"][0]["apdex"]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bongsu.errors import NotFound, TooManyRows
from bongsu.query.figures import EMPTY, figures_json
from bongsu.query.ids import span_hex, status_name, trace_hex
from bongsu.query.names import instance_names
from bongsu.query.window import Window, resolution_for
from bongsu.store.reads import Reads
from bongsu.store.rollup import HEATMAP_GROUP, bucket_low_us

ACTIVE_USERS_US = 5 * 60 * 1_000_000
_US = 1_000_000


def services(
    reads: Reads, tenant: str, window: Window, now_us: int,
    apdex_t_for: Callable[[str], float], instance: str | None = None,
) -> dict[str, Any]:
    """Every service with transactions in the window; active users over the last 5 min.
    With ``instance``, the services it served and its share of their figures."""
    resolution = resolution_for(window)
    w = window.aligned(resolution)
    seconds = w.elapsed_seconds(now_us)
    rows = reads.services(
        tenant, w.start_us, w.end_us, resolution, w.end_us - ACTIVE_USERS_US, instance
    )
    names = instance_names(reads, tenant, (i for row in rows for i in row.instance_ids))
    out = []
    for row in rows:
        entry: dict[str, Any] = {"name": row.service}
        entry.update(figures_json(row.figures, seconds))
        entry["instances"] = row.instances
        entry["instance_names"] = {i: names[i] for i in row.instance_ids}
        entry["active_users"] = row.active_users
        entry["apdex_t_ms"] = apdex_t_for(row.service)
        out.append(entry)
    return {"from": w.start_us // 1000, "to": w.end_us // 1000, "services": out}


def service_series(
    reads: Reads, tenant: str, service: str, window: Window, step_s: int, max_rows: int,
    instance: str | None = None,
) -> dict[str, Any]:
    """One service's figures per step; steps without transactions have zero counts."""
    resolution = resolution_for(window, step_s)
    step_us = step_s * _US
    w = window.aligned(resolution).aligned(step_s)
    slots = (w.end_us - w.start_us) // step_us
    if slots > max_rows:
        raise TooManyRows(
            f"step: {slots} points is over the {max_rows}-row limit; use a larger step"
        )
    found = {
        p.ts_us: p.figures
        for p in reads.service_series(
            tenant, service, w.start_us, w.end_us, resolution, step_us, instance
        )
    }
    if not found:
        _require_service(reads, tenant, service)
    points = []
    for ts in range(w.start_us, w.end_us, step_us):
        point: dict[str, Any] = {"ts": ts // 1000}
        point.update(figures_json(found.get(ts, EMPTY), step_s))
        points.append(point)
    return {"service": service, "step": step_s, "points": points}


def heatmap(
    reads: Reads, tenant: str, service: str, window: Window, step_s: int, max_rows: int,
    instance: str | None = None,
) -> dict[str, Any]:
    """Transaction counts per step and duration row; ``bucket`` indexes ``bounds_ms``."""
    body = combined_heatmap(reads, tenant, [service], window, step_s, max_rows, instance)
    if not body["cells"]:
        _require_service(reads, tenant, service)
    del body["totals"]
    return {"service": service, **body}


def combined_heatmap(
    reads: Reads, tenant: str, services: Sequence[str], window: Window, step_s: int,
    max_rows: int, instance: str | None = None,
) -> dict[str, Any]:
    """The heatmap of several services as one: each cell sums theirs (a group's T-Map);
    ``totals`` counts each service's transactions in it. Services never seen add nothing."""
    resolution = resolution_for(window, step_s)
    w = window.aligned(resolution).aligned(step_s)
    if (w.end_us - w.start_us) // (step_s * _US) > max_rows:
        raise TooManyRows(f"step: over the {max_rows}-row limit; use a larger step")
    summed: dict[tuple[int, int], list[int]] = {}
    totals: dict[str, int] = {}
    for service in services:
        for c in reads.heatmap(
            tenant, service, w.start_us, w.end_us, resolution, step_s * _US, instance
        ):
            cell = summed.setdefault((c.ts_us, c.row), [0, 0])
            cell[0] += c.count
            cell[1] += c.errors
            totals[service] = totals.get(service, 0) + c.count
    body: dict[str, Any] = {"step": step_s, "bounds_ms": [], "cells": [],
                            "totals": [{"service": s, "transactions": totals.get(s, 0)}
                                       for s in services]}
    if not summed:
        return body
    low = min(row for _, row in summed)
    high = max(row for _, row in summed)
    body["bounds_ms"] = [bucket_low_us(row * HEATMAP_GROUP) / 1000
                         for row in range(low, high + 2)]
    body["cells"] = [{"ts": ts // 1000, "bucket": row - low, "count": n, "errors": e}
                     for (ts, row), (n, e) in sorted(summed.items())]
    return body


def transactions(
    reads: Reads, tenant: str, service: str, window: Window, min_us: int, max_us: int,
    errors_only: bool, limit: int, instance: str | None = None,
) -> dict[str, Any]:
    """The transactions inside a heatmap selection, newest first."""
    body = combined_transactions(reads, tenant, [service], window, min_us, max_us,
                                 errors_only, limit, instance)
    if not body["transactions"]:
        _require_service(reads, tenant, service)
    return body


def combined_transactions(
    reads: Reads, tenant: str, services: Sequence[str], window: Window, min_us: int,
    max_us: int, errors_only: bool, limit: int, instance: str | None = None,
) -> dict[str, Any]:
    """The transactions of several services inside a selection of their combined heatmap:
    the newest ``limit`` of them all (ties by span id), each with its service."""
    found = [
        (service, r)
        for service in services
        for r in reads.transactions(tenant, service, window.start_us, window.end_us,
                                    min_us, max_us, errors_only, limit, instance)
    ]
    if len(services) > 1:
        found.sort(key=lambda sr: (-sr[1].ts_us, sr[1].span_id))
        del found[limit:]
    names = instance_names(reads, tenant, (r.instance for _, r in found))
    return {
        "transactions": [
            {
                "trace_id": trace_hex(r.trace_hi, r.trace_lo),
                "span_id": span_hex(r.span_id),
                "ts": r.ts_us / 1000,
                "name": r.name,
                "service": service,
                "duration_ms": r.duration_us / 1000,
                "status": status_name(r.status),
                "error": r.is_error,
                "instance": r.instance,
                "instance_name": names[r.instance],
                "http_status": r.http_status,
            }
            for service, r in found
        ]
    }


def instances(
    reads: Reads, tenant: str, service: str | None, window: Window, rate_window_s: int,
    now_us: int,
) -> dict[str, Any]:
    """Instances seen in the window, with TPS / response time over the last
    ``rate_window_s`` seconds of it (10-second rollup).

    The recent stretch ends at the last whole 10-second slot: the slot in progress holds
    only part of its traffic (and less still of what is on its way), which read as a drop
    to zero just after every slot boundary.
    """
    slot = 10 * _US
    end = min(window.end_us, now_us) // slot * slot
    recent = Window(end - rate_window_s * _US, end)
    seconds = recent.elapsed_seconds(now_us)
    rows = reads.instances(tenant, service, window.start_us, window.end_us, recent.start_us)
    names = instance_names(reads, tenant, (r.instance for r in rows))
    return {
        "window": rate_window_s,
        "instances": [
            {
                "service": r.service,
                "instance": r.instance,
                "instance_name": names[r.instance],
                "last_seen": r.last_seen_us // 1000,
                "transactions": r.transactions,
                "tps": r.transactions / seconds if seconds > 0 else 0.0,
                "avg_ms": r.sum_us / r.transactions / 1000 if r.transactions else None,
                "error_rate": r.errors / r.transactions if r.transactions else None,
            }
            for r in rows
        ],
    }


def _require_service(reads: Reads, tenant: str, service: str) -> None:
    """404 for a service that never reported (checked only when a result is empty)."""
    if not reads.service_exists(tenant, service):
        raise NotFound(f"service {service!r} not found")
