"""Silences and maintenance windows: matchers, ranges, recurrences in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bongsu.alerts.model import Matcher, Silence
from bongsu.alerts.notify.routing import matches
from bongsu.alerts.notify.silences import active, check_silence, parse_recurrence, silenced
from bongsu.errors import RuleError


def us(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1_000_000)


def silence(matchers: list[Matcher], recurrence: str | None = None,
            starts: str = "2026-01-01T00:00", ends: str = "2027-01-01T00:00") -> Silence:
    return Silence(id="s", tenant="default", matchers=matchers, starts_us=us(starts),
                   ends_us=us(ends), author="ana", comment="patching", recurrence=recurrence)


def test_matcher_operators_and_anchoring() -> None:
    labels = {"service": "orders", "pod": "orders-7f9c-x2"}
    assert matches([Matcher("service", "=", "orders")], labels)
    assert not matches([Matcher("service", "!=", "orders")], labels)
    assert matches([Matcher("pod", "=~", "orders-.*")], labels)
    assert not matches([Matcher("pod", "=~", "7f9c")], labels)  # anchored: whole value
    assert matches([Matcher("pod", "!~", "billing-.*")], labels)
    assert matches([Matcher("namespace", "=", "")], labels)  # absent reads as ""
    assert not matches([Matcher("service", "=", "orders"), Matcher("pod", "=", "x")], labels)


def test_time_range() -> None:
    s = silence([Matcher("service", "=", "orders")], starts="2026-03-01T10:00",
                ends="2026-03-01T11:00")
    assert not active(s, us("2026-03-01T09:59"))
    assert active(s, us("2026-03-01T10:00"))
    assert active(s, us("2026-03-01T10:59"))
    assert not active(s, us("2026-03-01T11:00"))  # the end is exclusive
    assert silenced([s], {"service": "orders"}, us("2026-03-01T10:30")) is s
    assert silenced([s], {"service": "billing"}, us("2026-03-01T10:30")) is None


def test_weekly_window() -> None:
    s = silence([Matcher("env", "=", "prod")], recurrence="weekly sun 02:00-04:00")
    # 2026-03-01 is a Sunday.
    assert datetime(2026, 3, 1).weekday() == 6
    assert active(s, us("2026-03-01T02:00"))
    assert active(s, us("2026-03-01T03:59"))
    assert not active(s, us("2026-03-01T04:00"))
    assert not active(s, us("2026-03-01T01:59"))
    assert not active(s, us("2026-03-02T02:30"))  # Monday
    assert active(s, us("2026-03-08T02:30"))  # the next Sunday
    assert not active(s, us("2027-01-03T02:30"))  # a Sunday after the silence's end


def test_daily_and_over_midnight() -> None:
    daily = silence([Matcher("env", "=", "prod")], recurrence="daily 01:00-01:30")
    assert active(daily, us("2026-05-05T01:10"))
    assert not active(daily, us("2026-05-05T01:30"))
    night = silence([Matcher("env", "=", "prod")], recurrence="weekly sat 23:00-01:00")
    assert active(night, us("2026-02-28T23:30"))  # Saturday
    assert active(night, us("2026-03-01T00:30"))  # Sunday, the window started Saturday
    assert not active(night, us("2026-03-01T23:30"))  # Sunday evening: not a start day
    both = parse_recurrence("weekly sat,sun 02:00-04:00")
    assert both.days == frozenset({5, 6})


@pytest.mark.parametrize(("text", "field", "says"), [
    ("weekly someday 02:00-04:00", "recurrence", "unknown day 'someday'"),
    ("hourly 02:00-04:00", "recurrence", "not 'daily HH:MM-HH:MM'"),
    ("daily 25:00-26:00", "recurrence", "out of range"),
    ("daily 02:00-02:00", "recurrence", "empty window"),
])
def test_bad_recurrence(text: str, field: str, says: str) -> None:
    with pytest.raises(RuleError) as caught:
        check_silence(silence([Matcher("env", "=", "prod")], recurrence=text))
    assert caught.value.field == field
    assert says in str(caught.value)


def test_bad_silences() -> None:
    with pytest.raises(RuleError, match=r"^matchers: a silence needs at least one matcher"):
        check_silence(silence([]))
    with pytest.raises(RuleError, match=r"^matchers\[0\]\.value: not a regular expression"):
        check_silence(silence([Matcher("pod", "=~", "orders-(")]))
    with pytest.raises(RuleError, match=r"^matchers\[0\]\.op: unknown operator"):
        check_silence(silence([Matcher("pod", "==", "x")]))  # type: ignore[arg-type]
    with pytest.raises(RuleError, match=r"^ends_us: a silence must end after it starts"):
        check_silence(silence([Matcher("env", "=", "prod")], starts="2026-02-01T00:00",
                              ends="2026-01-01T00:00"))
