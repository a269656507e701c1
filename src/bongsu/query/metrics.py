"""Metric names and series (gauge / sum values; sum / count for histograms).

Example::

    body = metric_series(reads, "default", MetricSearch("process.memory.rss", s, e, 60e6, "max"))
"""

from __future__ import annotations

import math
from typing import Any

from bongsu.query.window import Window
from bongsu.store.reads import Agg, MetricSearch, Reads

AGGS: tuple[Agg, ...] = ("avg", "min", "max", "sum", "last")


def metric_names(reads: Reads, tenant: str, window: Window) -> dict[str, Any]:
    """Metric names with points in the window."""
    rows = reads.metric_names(tenant, window.start_us, window.end_us)
    return {
        "names": [
            {"name": r.name, "kind": r.kind, "unit": r.unit, "points": r.points} for r in rows
        ]
    }


def metric_series(reads: Reads, tenant: str, search: MetricSearch) -> dict[str, Any]:
    """One metric aggregated per step; steps without points are left out."""
    rows = reads.metric_series(tenant, search)
    return {
        "name": search.name,
        "step": search.step_us // 1_000_000,
        "agg": search.agg,
        "points": [{"ts": p.ts_us // 1000, "value": _finite(p.value)} for p in rows],
    }


def _finite(value: float | None) -> float | None:
    """JSON has no NaN or infinity; such points are given as null."""
    return value if value is not None and math.isfinite(value) else None
