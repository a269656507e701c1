"""Data trend (F6): a metric's growth over days and weeks, per service, instance or
attribute value.

For each group: the daily min / mean / max of the metric's 5-minute values (each series
counts once per 5 minutes by its latest point; ``agg`` combines a group's series in those
5 minutes: ``sum`` for pools of one heap or replicas of one service), the week over week
change of the daily means (the last 7 days against the 7 before), and a Theil-Sen line
through the daily means (its slope per day and the share of days within 10 % of the range
of the line, as :mod:`bongsu.alerts.trend` measures fit). Days are UTC calendar days; the
last one is today, so far.

``metric=bongsu.tps`` reads transactions per second from the 1-minute rollups instead
(per service or instance; a 5-minute step without transactions counts as 0, so a day's
min is 0 and its mean is lowered when some of its steps had none).

Bounded before any read: at most ``MAX_DAYS`` (90) days and ``MAX_SERIES`` (50) groups;
more groups than that are cut (in group order) and the answer says ``truncated``.

Example::

    answer = trend(reads, "default", "process.memory.usage", now_us, days=30,
                   group_by="instance")
    answer["series"][0]["fit"]["slope_per_day"]  # bytes a day
"""

from __future__ import annotations

from typing import Any

from bongsu.alerts.trend import BAND, theil_sen
from bongsu.errors import InvalidQuery
from bongsu.store.reads import Agg, BucketRow, BucketSearch, Reads

__all__ = ["DAY_US", "MAX_DAYS", "MAX_SERIES", "STEP_S", "TPS", "trend"]

_US = 1_000_000
DAY_US = 86_400 * _US
MAX_DAYS = 90
MAX_SERIES = 50
STEP_S = 300  # 5-minute values: 288 a day per series
WEEK = 7
TPS = "bongsu.tps"  # transactions per second, from the rollups


def trend(
    reads: Reads, tenant: str, metric: str, now_us: int, *, days: int = 30, agg: Agg = "avg",
    service: str | None = None, instance: str | None = None, group_by: str | None = None,
) -> dict[str, Any]:
    """Daily figures, week over week and the fitted line of ``metric`` for each group."""
    if not metric:
        raise InvalidQuery("metric: required")
    if not 1 <= days <= MAX_DAYS:
        raise InvalidQuery(f"days: must be 1 to {MAX_DAYS}, got {days}")
    if metric == TPS and group_by not in (None, "service", "instance"):
        raise InvalidQuery(f"group_by: {TPS} is per service or instance, not {group_by!r}")
    end_us = (now_us // (STEP_S * _US) + 1) * STEP_S * _US
    start_us = (now_us // DAY_US - days + 1) * DAY_US
    search = BucketSearch(
        name=metric, start_us=start_us, end_us=end_us, step_us=STEP_S * _US, bucket_us=DAY_US,
        agg=agg, max_groups=MAX_SERIES + 1, service=service, instance=instance,
        group_by=group_by, filters=())
    if metric == TPS:
        agg = "sum"
        rows = [_with_idle_steps(r, start_us, end_us)
                for r in reads.transaction_buckets(tenant, search)]
    else:
        rows = reads.metric_buckets(tenant, search)
    groups: dict[str | None, list[BucketRow]] = {}
    for r in rows:
        groups.setdefault(r.group, []).append(r)
    truncated = len(groups) > MAX_SERIES
    series = [_series(group, days_of, now_us)
              for group, days_of in list(groups.items())[:MAX_SERIES]]
    return {
        "metric": metric, "agg": agg, "group_by": group_by, "service": service,
        "instance": instance, "days": days, "from": start_us // 1000, "to": end_us // 1000,
        "step_s": STEP_S, "series": series, "truncated": truncated,
    }


def _with_idle_steps(r: BucketRow, start_us: int, end_us: int) -> BucketRow:
    """A day's TPS with the steps that had no transaction counted as 0."""
    expected = (min(r.ts_us + DAY_US, end_us) - max(r.ts_us, start_us)) // (STEP_S * _US)
    if r.steps >= expected:
        return r
    return BucketRow(r.ts_us, r.group, 0.0, r.avg * r.steps / expected, r.max, int(expected))


def _series(group: str | None, rows: list[BucketRow], now_us: int) -> dict[str, Any]:
    daily = [{"day": r.ts_us // 1000, "min": r.min, "avg": r.avg, "max": r.max,
              "steps": r.steps} for r in rows]
    return {"group": group, "daily": daily, "week_over_week": _week_over_week(rows, now_us),
            "fit": _fit(rows)}


def _week_over_week(rows: list[BucketRow], now_us: int) -> dict[str, Any]:
    """Mean of the daily means of the last 7 days (today included) against the 7 before."""
    today = now_us // DAY_US * DAY_US
    this = [r.avg for r in rows if r.ts_us > today - WEEK * DAY_US]
    last = [r.avg for r in rows if today - 2 * WEEK * DAY_US < r.ts_us <= today - WEEK * DAY_US]
    this_avg = sum(this) / len(this) if this else None
    last_avg = sum(last) / len(last) if last else None
    change = (None if this_avg is None or last_avg is None or last_avg == 0
              else (this_avg - last_avg) / abs(last_avg))
    return {"this_week_avg": this_avg, "last_week_avg": last_avg, "change": change,
            "this_week_days": len(this), "last_week_days": len(last)}


def _fit(rows: list[BucketRow]) -> dict[str, Any] | None:
    """The Theil-Sen line through the daily means (at each day's start), or None under 2
    days."""
    points = [(r.ts_us, r.avg) for r in rows]
    if len(points) < 2:
        return None
    slope, intercept = theil_sen(points)
    values = [v for _, v in points]
    band = BAND * (max(values) - min(values))
    near = sum(1 for t, v in points if abs(v - (intercept + slope * t / _US)) <= band)
    first, last = points[0][0], points[-1][0]
    return {"slope_per_day": slope * 86_400, "fit_fraction": near / len(points),
            "days": len(points), "start": first // 1000, "end": last // 1000,
            "start_value": intercept + slope * first / _US,
            "end_value": intercept + slope * last / _US}
