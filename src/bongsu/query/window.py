"""Time windows of API queries: parsing ``from``/``to``/``step`` and rollup alignment.

``from`` and ``to`` are ISO-8601 (a time without an offset is UTC) or epoch milliseconds;
the default window is the 15 minutes before now. Windows are half-open ``[from, to)``.

Example::

    w = parse_window("2024-05-01T10:00:00Z", "1714561200000", now_us=...)
    assert w.seconds == 1200
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from bongsu.errors import InvalidQuery
from bongsu.store.reads import Resolution

DEFAULT_WINDOW_US = 15 * 60 * 1_000_000
MAX_WINDOW_US = 400 * 86_400 * 1_000_000
_US = 1_000_000
_EPOCH_MS = re.compile(r"-?\d{1,16}(\.\d+)?")
_MAX_EPOCH_MS = 253_402_300_799_000  # 9999-12-31T23:59:59Z
# Default steps, in seconds: the smallest giving at most TARGET_POINTS points is used.
NICE_STEPS = (10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
TARGET_POINTS = 120


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open time window in epoch microseconds."""

    start_us: int
    end_us: int

    @property
    def seconds(self) -> float:
        return (self.end_us - self.start_us) / _US

    def aligned(self, resolution_s: int) -> Window:
        """The window widened outwards to whole slots of ``resolution_s``."""
        r = resolution_s * _US
        return Window(self.start_us // r * r, -(-self.end_us // r) * r)

    def elapsed_seconds(self, now_us: int) -> float:
        """Seconds of the window that have already happened (the TPS divisor)."""
        return max(0, min(self.end_us, now_us) - self.start_us) / _US


def parse_time(name: str, raw: str) -> int:
    """One ``from``/``to`` value as epoch microseconds."""
    text = raw.strip()
    if _EPOCH_MS.fullmatch(text):
        ms = float(text)
        if not 0 <= ms <= _MAX_EPOCH_MS:
            raise InvalidQuery(f"{name}: epoch milliseconds out of range: {raw!r}")
        return round(ms * 1000)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidQuery(
            f"{name}: expected an ISO-8601 time or epoch milliseconds, got {raw!r}"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = when - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds


def parse_window(raw_from: str | None, raw_to: str | None, now_us: int) -> Window:
    """The window named by ``from``/``to``; each defaults relative to the other or now."""
    end = parse_time("to", raw_to) if raw_to is not None else now_us
    start = parse_time("from", raw_from) if raw_from is not None else end - DEFAULT_WINDOW_US
    if start >= end:
        raise InvalidQuery("from: must be before to")
    if end - start > MAX_WINDOW_US:
        raise InvalidQuery("from: the window is longer than 400 days")
    return Window(start, end)


MAX_STEP_S = 31 * 86_400


def parse_step(raw: str | None, window: Window, name: str = "step") -> int:
    """A step in seconds: a positive multiple of 10, or a default giving ~120 points."""
    return default_step(window) if raw is None else check_step(raw, name)


def default_step(window: Window) -> int:
    """The smallest of :data:`NICE_STEPS` giving at most ~120 points over ``window``."""
    for step in NICE_STEPS:
        if window.seconds / step <= TARGET_POINTS:
            return step
    return NICE_STEPS[-1]


def check_step(raw: str, name: str = "step") -> int:
    """A step given in seconds: a positive multiple of 10, at most 31 days."""
    try:
        step = int(raw)
    except ValueError:
        raise InvalidQuery(f"{name}: expected whole seconds, got {raw!r}") from None
    if step <= 0 or step % 10:
        raise InvalidQuery(f"{name}: must be a positive multiple of 10 seconds, got {step}")
    if step > MAX_STEP_S:
        raise InvalidQuery(f"{name}: must be at most 31 days, got {step}")
    return step


def resolution_for(window: Window, step_s: int | None = None) -> Resolution:
    """The rollup to read: per-minute when the step allows it and the window is over 1 h."""
    if (step_s is None or step_s % 60 == 0) and window.seconds > 3600:
        return 60
    return 10
