"""The SLA building blocks on small known shapes: periods, maintenance occurrences against
the alert engine's own ``active``, span arithmetic and the service combination."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bongsu.alerts.model import Matcher, Silence
from bongsu.alerts.notify.silences import active
from bongsu.sla.budget import against
from bongsu.sla.maintenance import check_labels, maintenance_windows
from bongsu.sla.periods import split
from bongsu.sla.timeline import Span, combine, spans_of, tally_of, with_maintenance

US = 1_000_000
MIN = 60 * US


def us(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp()) * US  # type: ignore[misc]


@dataclass
class R:
    ts_us: int
    state: str


def test_periods_cut_at_utc_days_monday_weeks_and_calendar_months() -> None:
    start, end = us(2026, 1, 30, 12), us(2026, 3, 2, 6)
    assert list(split(start, end, "month")) == [
        (start, us(2026, 2, 1)), (us(2026, 2, 1), us(2026, 3, 1)), (us(2026, 3, 1), end)]
    weeks = list(split(start, us(2026, 2, 10), "week"))
    assert [datetime.fromtimestamp(lo / US, UTC).weekday() for lo, _ in weeks[1:]] == [0, 0]
    assert weeks[1][0] == us(2026, 2, 2)
    days = list(split(us(2026, 12, 31, 23), us(2027, 1, 1, 1), "day"))
    assert days == [(us(2026, 12, 31, 23), us(2027, 1, 1)), (us(2027, 1, 1), us(2027, 1, 1, 1))]


def test_recurring_windows_match_the_silence_minute_by_minute() -> None:
    # Over midnight, weekly on two days, clipped by the silence's own range.
    silence = Silence("s", "t", [Matcher("service", "=", "shop")], us(2026, 3, 1, 23, 30),
                      us(2026, 3, 20), "ops", "", "weekly sun,wed 23:00-01:30")
    start, end = us(2026, 2, 25), us(2026, 3, 25)
    windows = maintenance_windows([silence], {"service": "shop"}, start, end)
    inside = {t for lo, hi in windows for t in range(lo, hi, MIN)}
    expected = {t for t in range(start, end, MIN) if active(silence, t)}
    assert inside == expected and len(expected) > 0
    assert maintenance_windows([silence], {"service": "other"}, start, end) == []


def test_only_planned_silences_are_maintenance() -> None:
    plain = Silence("a", "t", [Matcher("check", "=", "c1")], 0, 100 * MIN, "ops", "noisy")
    planned = Silence("b", "t", [Matcher("check", "=", "c1")], 0, 100 * MIN, "ops",
                      "  Maintenance: kernel")
    labels = check_labels("c1", "web", "shop")
    assert maintenance_windows([plain], labels, 0, 200 * MIN) == []
    assert maintenance_windows([planned], labels, 10 * MIN, 200 * MIN) == [(10 * MIN, 100 * MIN)]


def test_a_result_holds_until_the_next_and_maintenance_overrides() -> None:
    rows = [R(-5 * MIN, "down"), R(10 * MIN, "up"), R(20 * MIN, "unknown"), R(30 * MIN, "up")]
    spans = spans_of(rows, 0, 60 * MIN)
    assert spans == [Span(0, 10 * MIN, "down"), Span(10 * MIN, 20 * MIN, "up"),
                     Span(20 * MIN, 30 * MIN, "unknown"), Span(30 * MIN, 60 * MIN, "up")]
    assert spans_of([R(10 * MIN, "up")], 0, 20 * MIN)[0] == Span(0, 10 * MIN, "unknown")
    masked = with_maintenance(spans, [(5 * MIN, 15 * MIN), (12 * MIN, 25 * MIN)])
    tally = tally_of(masked, 0, 60 * MIN)
    assert (tally.up_s, tally.down_s, tally.unknown_s, tally.maintenance_s) == (
        1800, 300, 300, 1200)
    assert tally.uptime == 1800 / 2100


def test_service_down_when_any_counted_check_is_down() -> None:
    web = [Span(0, 10, "up"), Span(10, 20, "down"), Span(20, 40, "maintenance")]
    api = [Span(0, 15, "up"), Span(15, 30, "unknown"), Span(30, 40, "maintenance")]
    assert combine([web, api], 0, 40) == [
        Span(0, 10, "up"), Span(10, 20, "down"), Span(20, 30, "unknown"),
        Span(30, 40, "maintenance")]
    assert combine([], 0, 40) == [Span(0, 40, "unknown")]


def test_budget_against_the_target() -> None:
    month = 30 * 86_400
    figures = against(month - 2000, month, 99.9)
    assert abs(figures.budget_allowed - 2592) < 1e-6  # 43 min 12 s a 30-day month
    assert figures.budget_used == 2000 and figures.met is True
    assert abs(figures.budget_left - 592) < 1e-6
    assert against(0, 0, 99.9).sla_percent is None
