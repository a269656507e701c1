"""Metric series for rules: one list of step values per label set, read through the query
service (one series) or the store's reads (one series per point-attribute value); rules
of one evaluation round asking for the same series share the read.

A preview (:mod:`bongsu.alerts.preview`) evaluates a rule at hundreds of times whose
windows overlap; its :class:`SeriesCache` reads each series once over the whole span and
gives each evaluation its window from memory. The store aggregates per epoch-aligned step
over the points in ``[start, end)``, so a window starting and ending on step boundaries is
exactly a slice of the long read's rows. A window that cuts a step (the evaluation time,
or its start, inside a step) is read on its own, as before: a slice would hold the whole
cut step, points the evaluator did not see.

A step's aggregate is timed by :func:`step_times` at the middle of the part of the step
the window covers: where its samples lie is unknown (one scrape a step, anywhere in it, or
many), so the middle is never more than half a step from where the value was taken, for
every ``agg`` and either direction of the series.

Example::

    per_labels = metric_values(ctx, "default", {"metric": "m", "agg": "max",
                               "step_s": 60, "service": None, "instance": None,
                               "group_by": None}, window)
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from bongsu.alerts.kinds import Context
from bongsu.alerts.kinds.shared import Shared
from bongsu.errors import TooManyRows
from bongsu.query.window import Window
from bongsu.store.reads import GroupPoint, MetricSearch

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
        if isinstance(ctx.shared, SeriesCache):
            rows = ctx.shared.by_attribute(ctx, *args)
        else:
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
    if isinstance(ctx.shared, SeriesCache):
        found = ctx.shared.series(ctx, tenant, search)
    else:
        found = _shared(ctx, ("metric_series", tenant, search),
                        lambda: ctx.queries.metric_series(tenant, search))["points"]
    points = [(p["ts"] * 1000, p["value"]) for p in found if p["value"] is not None]
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


def step_times(points: Sequence[tuple[int, float]], step_s: float, window: Window
               ) -> list[tuple[int, float]]:
    """``points`` (ts: the step's start, as the store gives) timed at the middle of the
    part of their step inside ``window`` — a step the window's start or end cuts is timed
    at the middle of the part it covers."""
    step_us = int(step_s * _US)
    out = []
    for ts, value in points:
        lo, hi = max(ts, window.start_us), min(ts + step_us, window.end_us)
        out.append(((lo + hi) // 2, value))
    return out


class SeriesCache(Shared):
    """A preview's series reads: each series (one search, window length) read once over
    ``[first_us - length, last_us)`` — ``first_us`` / ``last_us`` the first and last
    evaluation times — and each evaluation's window cut from it, its edge steps read on
    their own. A long read over the store's ``max_rows`` makes that series read per
    evaluation instead. Nothing else is kept: the preview's other reads (figures) have a
    window of their own at every evaluation."""

    def __init__(self, first_us: int, last_us: int) -> None:
        super().__init__()
        self.first_us, self.last_us = first_us, last_us
        self._long: dict[Hashable, tuple[list[Any], list[int]] | None] = {}
        self.long_reads = 0  # for tests and benchmarks
        self.own_reads = 0  # windows read alone

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        return compute()

    def series(self, ctx: Context, tenant: str, search: MetricSearch) -> list[dict[str, Any]]:
        """The ``points`` of ``ctx.queries.metric_series(tenant, search)``."""
        def read(start_us: int, end_us: int) -> list[dict[str, Any]]:
            part = MetricSearch(search.name, start_us, end_us, search.step_us, search.agg,
                                search.service, search.instance)
            points: list[dict[str, Any]] = ctx.queries.metric_series(tenant, part)["points"]
            return points

        key = ("metric_series", tenant, search.name, search.step_us, search.agg,
               search.service, search.instance, search.end_us - search.start_us)
        return self._cut(key, search.start_us, search.end_us, search.step_us, read,
                         lambda p: int(p["ts"]) * 1000)

    def by_attribute(self, ctx: Context, tenant: str, name: str, attribute: str,
                     start_us: int, end_us: int, step_us: int, agg: Any,
                     service: str | None) -> list[GroupPoint]:
        """The rows of ``ctx.reads.metric_by_attribute`` with these arguments."""
        def read(lo: int, hi: int) -> list[GroupPoint]:
            return ctx.reads.metric_by_attribute(tenant, name, attribute, lo, hi, step_us,
                                                 agg, service)

        key = ("metric_by_attribute", tenant, name, attribute, step_us, agg, service,
               end_us - start_us)
        return self._cut(key, start_us, end_us, step_us, read, lambda r: r.ts_us)

    def _cut(self, key: Hashable, start_us: int, end_us: int, step_us: int,
             read: Callable[[int, int], list[T]], ts_of: Callable[[T], int]) -> list[T]:
        """The rows of ``read(start_us, end_us)``: a slice of the long read when the window
        starts and ends on step boundaries (rows come in step order), else read alone."""
        if (start_us % step_us or end_us % step_us
                or not self.first_us <= end_us <= self.last_us):
            self.own_reads += 1
            return read(start_us, end_us)
        if key not in self._long:
            try:
                long = read(self.first_us - (end_us - start_us), self.last_us)
                self._long[key] = long, [ts_of(r) for r in long]
                self.long_reads += 1
            except TooManyRows:
                self._long[key] = None
        found = self._long[key]
        if found is None:
            self.own_reads += 1
            return read(start_us, end_us)
        rows, stamps = found
        return rows[bisect.bisect_left(stamps, start_us):bisect.bisect_left(stamps, end_us)]
