"""Schedule periods: which window a daily, weekly or monthly report covers and when it is
sent (UTC).

A ``daily`` report at ``HH:MM`` covers the previous UTC day and is due at ``HH:MM`` of the
next; ``weekly`` covers the previous ISO week (Monday 00:00 to Monday 00:00) and is due on
Monday at ``HH:MM``; ``monthly`` covers the previous calendar month and is due on the 1st
at ``HH:MM``. A period is named by its start, which makes a delivery's key.

>>> from datetime import datetime, UTC
>>> now = int(datetime(2026, 12, 2, 3, 0, tzinfo=UTC).timestamp() * 1e6)
>>> [stamp(p.start_us) for p in due_periods("daily", 120, None, now, 5)]
['2026-12-01']
>>> nov29 = int(datetime(2026, 11, 29, tzinfo=UTC).timestamp() * 1e6)
>>> [stamp(p.start_us) for p in due_periods("daily", 120, nov29, now, 5)]
['2026-11-30', '2026-12-01']
>>> [stamp(p.start_us) for p in due_periods("daily", 240, nov29, now, 5)]
['2026-11-30']
>>> [stamp(p.start_us) for p in due_periods("monthly", 0, None, now, 5)]
['2026-11-01']
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from bongsu.reports.model import ReportError

Every = Literal["daily", "weekly", "monthly"]
EVERY: tuple[Every, ...] = ("daily", "weekly", "monthly")
_US = 1_000_000


@dataclass(frozen=True, slots=True)
class Period:
    start_us: int
    end_us: int
    due_us: int  # when its report is sent


def stamp(us: int) -> str:
    return datetime.fromtimestamp(us / _US, UTC).strftime("%Y-%m-%d")


def parse_at(text: str) -> int:
    """``HH:MM`` (UTC) as minutes after midnight; ReportError naming ``at`` otherwise."""
    try:
        hh, mm = text.split(":")
        minutes = int(hh) * 60 + int(mm)
        if len(hh) != 2 or len(mm) != 2 or not (0 <= int(hh) < 24 and 0 <= int(mm) < 60):
            raise ValueError
    except ValueError:
        raise ReportError("at", f"{text!r} is not a UTC time HH:MM") from None
    return minutes


def _us(d: datetime) -> int:
    return int(d.timestamp()) * _US


def _start_of(every: Every, d: datetime) -> datetime:
    """The start of the period ``d`` falls in."""
    midnight = datetime(d.year, d.month, d.day, tzinfo=UTC)
    if every == "daily":
        return midnight
    if every == "weekly":
        return midnight - timedelta(days=midnight.weekday())
    return datetime(d.year, d.month, 1, tzinfo=UTC)


def _next(every: Every, start: datetime) -> datetime:
    if every == "daily":
        return start + timedelta(days=1)
    if every == "weekly":
        return start + timedelta(days=7)
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)


def _previous(every: Every, start: datetime) -> datetime:
    if every == "monthly":
        return _start_of(every, start - timedelta(days=1))
    return start - timedelta(days=1 if every == "daily" else 7)


def period_of(every: Every, at_minutes: int, start: datetime) -> Period:
    end = _next(every, start)
    return Period(_us(start), _us(end), _us(end) + at_minutes * 60 * _US)


def due_periods(every: Every, at_minutes: int, after_start_us: int | None, now_us: int,
                limit: int) -> list[Period]:
    """Periods due by ``now_us`` that start after ``after_start_us`` (the last one planned;
    ``None``: none yet), oldest first, at most ``limit`` (the newest ones)."""
    now = datetime.fromtimestamp(now_us / _US, UTC)
    start = _previous(every, _start_of(every, now))  # the newest period that may be due
    out: list[Period] = []
    for p in _back_from(every, at_minutes, start):
        if len(out) >= limit or (after_start_us is not None and p.start_us <= after_start_us):
            break
        if p.due_us <= now_us:
            out.append(p)
        elif p.start_us < _us(start):
            break  # only the newest may be not yet due
    if after_start_us is None:
        out = out[:1]  # a new schedule starts with the newest period due, not a backlog
    return sorted(out, key=lambda p: p.start_us)


def _back_from(every: Every, at_minutes: int, start: datetime) -> Iterator[Period]:
    for _ in range(400):
        yield period_of(every, at_minutes, start)
        start = _previous(every, start)
