"""Planning scheduled deliveries in a real metadata database (SQLite through Alembic): a
period is planned once whoever plans it, a missed stretch is caught up, a changed timing
never plans a delivered period again; the period arithmetic (doctests included)."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime
from pathlib import Path

import pytest

import bongsu.reports.periods as periods_module
from bongsu.meta.database import connect
from bongsu.reports.model import ReportError
from bongsu.reports.periods import due_periods, parse_at, stamp
from bongsu.reports.repo import ReportRepo, Schedule

DAY_US = 86_400_000_000


def _us(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp()) * 1_000_000  # type: ignore[arg-type,misc]


def _schedule(**kw: object) -> Schedule:
    values: dict[str, object] = dict(id="s1", tenant="default", name="Daily", kind="performance",
                                     service=None, every="daily", at="06:00", channel_id="c1",
                                     enabled=True, created_us=0, updated_us=0,
                                     last_period_us=None)
    values.update(kw)
    return Schedule(**values)  # type: ignore[arg-type]


def test_the_doctests() -> None:
    assert doctest.testmod(periods_module).failed == 0


def test_periods() -> None:
    now = _us(2026, 12, 2, 5, 59)  # before 06:00: yesterday's daily report is not due yet
    assert [stamp(p.start_us) for p in due_periods("daily", parse_at("06:00"), None, now, 5)] \
        == ["2026-11-30"]
    [week] = due_periods("weekly", 0, None, now, 5)  # 2026-12-02 is a Wednesday
    assert (stamp(week.start_us), stamp(week.end_us)) == ("2026-11-23", "2026-11-30")
    [jan] = due_periods("monthly", 0, None, _us(2027, 1, 1, 0, 0), 5)
    assert (stamp(jan.start_us), stamp(jan.end_us)) == ("2026-12-01", "2027-01-01")
    # A server down three days plans the three days it missed, oldest first.
    after = _us(2026, 11, 27)
    assert [stamp(p.start_us) for p in due_periods("daily", 0, after, now, 12)] == [
        "2026-11-28", "2026-11-29", "2026-11-30", "2026-12-01"]
    assert len(due_periods("daily", 0, after - 40 * DAY_US, now, 12)) == 12
    for bad in ("6:00", "24:00", "06:60", "noon"):
        with pytest.raises(ReportError, match=r"^at: "):
            parse_at(bad)


def test_a_period_is_planned_once(tmp_path: Path) -> None:
    repo = ReportRepo(connect(f"sqlite:///{tmp_path / 'meta.sqlite'}"))
    stale = _schedule()
    repo.put_schedule(stale)
    now = _us(2026, 12, 2, 7, 0)
    due = due_periods("daily", 360, None, now, 12)
    assert repo.plan(stale, due) == 1
    assert repo.plan(stale, due) == 0  # a second planner read the same schedule: nothing
    fresh = repo.schedule("default", "s1")
    assert fresh is not None and fresh.last_period_us == due[-1].start_us
    assert due_periods("daily", 360, fresh.last_period_us, now, 12) == []
    # The timing changed (the API starts it again from its newest due period): that period
    # was planned already, so nothing new.
    repo.put_schedule(_schedule(at="05:00"))
    moved = repo.schedule("default", "s1")
    assert moved is not None
    assert repo.plan(moved, due_periods("daily", 300, None, now, 12)) == 0
    [delivery] = repo.deliveries("s1")
    assert (delivery.state, delivery.period_start_us) == ("pending", _us(2026, 12, 1))
    assert [d.period_start_us for d in repo.due_deliveries(now)] == [_us(2026, 12, 1)]
