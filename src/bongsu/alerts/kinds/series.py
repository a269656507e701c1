"""Metric series for rules: one list of step values per label set, read through the query
service (one series) or the store's reads (one series per point-attribute value); rules
of one evaluation round asking for the same series share the read.

Example::

    per_labels = metric_values(ctx, "default", {"metric": "m", "agg": "max",
                               "step_s": 60, "service": None, "instance": None,
                               "group_by": None}, window)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from bongsu.alerts.kinds import Context
from bongsu.query.window import Window
from bongsu.store.reads import MetricSearch

_US = 1_000_000
LabelsKey = tuple[tuple[str, str], ...]
T = TypeVar("T")


def metric_points(ctx: Context, tenant: str, spec: dict[str, Any], window: Window,
                  metric: str | None = None) -> dict[LabelsKey, list[tuple[int, float]]]:
    """``(ts_us, value)`` per step and label set of ``metric`` (default ``spec["metric"]``);
    steps without a finite value are left out."""
    name = metric or spec["metric"]
    step_us = int(spec["step_s"] * _US)
    base: dict[str, str] = {"metric": spec["metric"]}
    for key in ("service", "instance"):
        if spec.get(key):
            base[key] = spec[key]
    out: dict[LabelsKey, list[tuple[int, float]]] = {}
    if spec.get("group_by"):
        attribute = spec["group_by"]
        args = (tenant, name, attribute, window.start_us, window.end_us, step_us,
                spec["agg"], spec.get("service"))
        rows = _shared(ctx, ("metric_by_attribute", *args),
                       lambda: ctx.reads.metric_by_attribute(*args))
        for r in rows:
            if r.group is None or r.value is None or not math.isfinite(r.value):
                continue
            group_key: LabelsKey = tuple(sorted({**base, attribute: r.group}.items()))
            out.setdefault(group_key, []).append((r.ts_us, r.value))
        return out
    search = MetricSearch(name, window.start_us, window.end_us, step_us, spec["agg"],
                          spec.get("service"), spec.get("instance"))
    body = _shared(ctx, ("metric_series", tenant, search),
                   lambda: ctx.queries.metric_series(tenant, search))
    points = [(p["ts"] * 1000, p["value"]) for p in body["points"] if p["value"] is not None]
    if points:
        out[tuple(sorted(base.items()))] = points
    return out


def _shared(ctx: Context, key: Hashable, read: Callable[[], T]) -> T:
    """``read()``, once per round for rules asking the same (a threshold on a series and a
    predictive rule's limit often do)."""
    return read() if ctx.shared is None else ctx.shared.get(key, read)


def metric_values(ctx: Context, tenant: str, spec: dict[str, Any], window: Window
                  ) -> dict[LabelsKey, list[float]]:
    """The step values of each label set (for a threshold's aggregation over the window).
    With no points at all, one label set with no values (a no-data sample)."""
    found = metric_points(ctx, tenant, spec, window)
    if not found and not spec.get("group_by"):
        base = {"metric": spec["metric"]}
        base.update({k: spec[k] for k in ("service", "instance") if spec.get(k)})
        return {tuple(sorted(base.items())): []}
    return {key: [v for _, v in pts] for key, pts in found.items()}


def combine(agg: str, values: Sequence[float]) -> float | None:
    """The steps' values over the window: max of maxima, min of minima, sum of sums, the
    last step's value, and for ``avg`` the mean of the steps' means (steps weigh alike)."""
    if not values:
        return None
    if agg == "max":
        return max(values)
    if agg == "min":
        return min(values)
    if agg == "sum":
        return math.fsum(values)
    if agg == "last":
        return values[-1]
    return math.fsum(values) / len(values)
