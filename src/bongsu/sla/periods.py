"""SLA periods: UTC days, ISO weeks (Monday 00:00 UTC) and calendar months (UTC).

A window is cut at period boundaries; the first and last pieces may be partial periods
(their ``start_us`` / ``end_us`` are the window's), so the figures of a month that has not
ended yet are those of its days so far.

Example::

    for start_us, end_us in split(window_start_us, window_end_us, "day"):
        ...
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Literal

Period = Literal["day", "week", "month"]
PERIODS: tuple[Period, ...] = ("day", "week", "month")
US = 1_000_000
DAY_US = 86_400 * US


def _moment(at_us: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=at_us)


def _us(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * US + delta.microseconds


def period_start(at_us: int, period: Period) -> int:
    """The start of the period holding ``at_us``."""
    day = at_us // DAY_US * DAY_US
    if period == "day":
        return day
    if period == "week":
        return day - _moment(day).weekday() * DAY_US
    moment = _moment(day)
    return _us(moment.replace(day=1))


def next_start(start_us: int, period: Period) -> int:
    """The start of the period after the one starting at ``start_us``."""
    if period == "day":
        return start_us + DAY_US
    if period == "week":
        return start_us + 7 * DAY_US
    moment = _moment(start_us)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return _us(moment.replace(year=year, month=month, day=1))


def split(start_us: int, end_us: int, period: Period) -> Iterator[tuple[int, int]]:
    """``[start_us, end_us)`` cut at the period's boundaries, oldest first."""
    at = start_us
    while at < end_us:
        piece_end = min(next_start(period_start(at, period), period), end_us)
        yield at, piece_end
        at = piece_end


__all__ = ["PERIODS", "Period", "next_start", "period_start", "split"]
