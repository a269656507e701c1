"""Silences: label matchers over a time range, or a recurring maintenance window (UTC).

A recurrence is ``"daily HH:MM-HH:MM"`` or ``"weekly DAY[,DAY] HH:MM-HH:MM"`` (``mon`` …
``sun``); a window that ends before it starts runs over midnight (``daily 23:00-01:00``).
A recurring silence applies only between its ``starts_us`` and ``ends_us``.

Example::

    window = Silence(id="s1", tenant="default", matchers=[Matcher("env", "=", "prod")],
                     starts_us=0, ends_us=2**62, author="ana", comment="db patching",
                     recurrence="weekly sun 02:00-04:00")
    check_silence(window)
    muted = silenced([window], {"env": "prod"}, now_us)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from bongsu.alerts.model import Labels, Silence
from bongsu.alerts.notify.routing import check_matcher, matches
from bongsu.errors import RuleError

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RECURRENCE = re.compile(
    r"^(daily|weekly\s+([a-z,]+))\s+(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Window:
    """A parsed recurrence: the weekdays it starts on (0 = Monday) and its minutes of day."""

    days: frozenset[int]
    start_min: int
    end_min: int

    def active(self, at_us: int) -> bool:
        """Whether ``at_us`` falls in the window (one starting yesterday may still run)."""
        moment = datetime.fromtimestamp(at_us / 1e6, tz=UTC)
        minute = moment.hour * 60 + moment.minute
        today = moment.weekday()
        if self.start_min < self.end_min:
            return today in self.days and self.start_min <= minute < self.end_min
        # Over midnight: the part after the start today, or the part before the end of a
        # window that started yesterday.
        yesterday = (today - 1) % 7
        return (today in self.days and minute >= self.start_min) or (
            yesterday in self.days and minute < self.end_min
        )


def parse_recurrence(text: str) -> Window:
    """Parse ``daily 01:00-01:30`` or ``weekly sat,sun 02:00-04:00`` (raises RuleError)."""
    found = _RECURRENCE.match(text.strip())
    if found is None:
        raise RuleError(
            "recurrence",
            f"{text!r} is not 'daily HH:MM-HH:MM' or 'weekly DAY[,DAY] HH:MM-HH:MM' (UTC)",
        )
    days: set[int] = set(range(7))
    if found.group(2):
        days = set()
        for name in found.group(2).lower().split(","):
            if name not in _DAYS:
                raise RuleError("recurrence", f"unknown day {name!r}; use one of {_DAYS}")
            days.add(_DAYS.index(name))
    h1, m1, h2, m2 = (int(found.group(i)) for i in (3, 4, 5, 6))
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise RuleError("recurrence", f"{text!r} has a time of day out of range")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start == end:
        raise RuleError("recurrence", f"{text!r} is an empty window")
    return Window(frozenset(days), start, end)


def check_silence(silence: Silence) -> None:
    """Refuse a silence that matches everything, ends before it starts or has a bad window."""
    if not silence.matchers:
        raise RuleError("matchers", "a silence needs at least one matcher")
    for i, matcher in enumerate(silence.matchers):
        check_matcher(matcher, f"matchers[{i}]")
    if silence.ends_us <= silence.starts_us:
        raise RuleError("ends_us", "a silence must end after it starts")
    if not silence.author.strip():
        raise RuleError("author", "say who silences it")
    if silence.recurrence is not None:
        parse_recurrence(silence.recurrence)


def active(silence: Silence, at_us: int) -> bool:
    """Whether the silence mutes at ``at_us`` (its range, and its window if recurring)."""
    if not silence.starts_us <= at_us < silence.ends_us:
        return False
    if silence.recurrence is None:
        return True
    return parse_recurrence(silence.recurrence).active(at_us)


def silenced(silences: Iterable[Silence], labels: Labels, at_us: int) -> Silence | None:
    """The first silence that mutes an alert with ``labels`` at ``at_us``, or None."""
    for silence in silences:
        if active(silence, at_us) and matches(silence.matchers, labels):
            return silence
    return None


__all__ = ["Window", "active", "check_silence", "parse_recurrence", "silenced"]
