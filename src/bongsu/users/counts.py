"""Service users over any window, rolled up from the stored minute and day sketches.

- **DAU / WAU / MAU at ``to``**: distinct users on the UTC day holding the instant just
  before ``to`` (the window is half-open), on that day and the 6 before, and on it and
  the 29 before, from day sketches.
- **Active users**: distinct users in the 5 minutes up to ``to``, from minute sketches
  (the minute holding the instant before ``to`` and the 4 before it): the dashboard's
  active-users figure, counted over the same ``user_id`` column, and equal to it when
  ``to`` falls on a minute.
- **Series**: active users at points ending ``to``, every ``step`` back to ``from``
  (at most :data:`MAX_POINTS`), and distinct users per UTC day over ``[from, to)``.

A count is exact up to ``EXACT_LIMIT`` (4,096) distinct users, else an estimate with
:func:`relative_error` (one sigma): the union is made under the same limit as the stored
sketches, so it is the same whether compaction merged the partial rows yet or not (a
union of exact partial sketches past the limit would otherwise be exact before and an
estimate after).
Overall (``service`` None) merges every service's sketches: a user of two services is
one user.

Example::

    report = users_report(reads, "default", None, start_us, end_us)
    print(report.mau.users, report.mau.exact)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bongsu.store.reads import Reads, UserSketchRow
from bongsu.users.rollup import DAY_US, MINUTE_US
from bongsu.users.sketch import PRECISION, Sketch, relative_error

__all__ = ["ACTIVE_WINDOW_US", "MAX_POINTS", "Count", "Point", "UsersReport", "users_report"]

ACTIVE_WINDOW_US = 5 * MINUTE_US
MAX_POINTS = 120
_STEPS_MIN = (5, 10, 15, 30, 60, 120, 180, 360, 720, 1440)


@dataclass(frozen=True, slots=True)
class Count:
    users: int
    exact: bool

    @property
    def error_bound(self) -> float | None:
        """Relative standard error (one sigma) of an estimate; None when exact."""
        return None if self.exact else relative_error(PRECISION)


@dataclass(frozen=True, slots=True)
class Point:
    ts_us: int  # the end of the window counted (active users) or the day's start (daily)
    count: Count


@dataclass(frozen=True, slots=True)
class UsersReport:
    service: str | None
    start_us: int
    end_us: int
    dau: Count
    wau: Count
    mau: Count
    active: Count
    step_us: int
    active_series: list[Point]
    daily: list[Point]


def union(rows: Iterable[UserSketchRow]) -> Count:
    """Distinct users of the rows' sketches merged (exact up to the sketches' limit)."""
    merged = Sketch()
    for row in rows:
        merged.merge(Sketch.from_bytes(row.sketch))
    return Count(merged.count(), merged.exact)


def active_step_us(start_us: int, end_us: int) -> int:
    """The active-users step: the smallest of 5 min, 10 min … 1 day giving at most
    :data:`MAX_POINTS` points over the window."""
    for minutes in _STEPS_MIN:
        if (end_us - start_us) / (minutes * MINUTE_US) <= MAX_POINTS:
            return minutes * MINUTE_US
    return _STEPS_MIN[-1] * MINUTE_US


def users_report(reads: Reads, tenant: str, service: str | None, start_us: int,
                 end_us: int) -> UsersReport:
    """DAU / WAU / MAU at ``end_us``, active users, and their series over the window."""
    last_day = (end_us - 1) // DAY_US * DAY_US
    first_day = min(start_us // DAY_US * DAY_US, last_day - 29 * DAY_US)
    days = reads.user_sketches(tenant, "day", first_day, last_day + DAY_US, service)
    by_day: dict[int, list[UserSketchRow]] = {}
    for row in days:
        by_day.setdefault(row.ts_us, []).append(row)

    def over_days(n: int) -> Count:
        return union(r for d, rows in by_day.items() if d > last_day - n * DAY_US for r in rows)

    daily = [Point(d, union(by_day.get(d, ())))
             for d in range(start_us // DAY_US * DAY_US, last_day + DAY_US, DAY_US)]

    # Minute sketches: whole minutes, the last one the minute holding end_us - 1.
    end_min = (end_us - 1) // MINUTE_US * MINUTE_US + MINUTE_US
    step = active_step_us(start_us, end_us)
    points = [end_min - k * step for k in range(MAX_POINTS) if end_min - k * step > start_us]
    lowest = points[-1] - ACTIVE_WINDOW_US
    minutes = reads.user_sketches(tenant, "minute", lowest, end_min, service,
                                  every_us=step, within_us=ACTIVE_WINDOW_US)
    by_point: dict[int, list[UserSketchRow]] = {}
    for row in minutes:
        by_point.setdefault(end_min - (end_min - row.ts_us - 1) // step * step, []).append(row)
    series = [Point(p, union(by_point.get(p, ()))) for p in reversed(points)]
    return UsersReport(
        service=service, start_us=start_us, end_us=end_us,
        dau=over_days(1), wau=over_days(7), mau=over_days(30), active=series[-1].count,
        step_us=step, active_series=series, daily=daily,
    )
