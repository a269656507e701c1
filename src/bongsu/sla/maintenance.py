"""Maintenance windows: the alert engine's silences that are planned work.

A silence is a maintenance window when it is recurring (``recurrence`` set: the silence
model calls those maintenance windows) or when its comment starts with ``maintenance``
(``"maintenance: database upgrade"``). Any other one-off silence is someone muting a pager,
often *during* a real outage, so it never hides down time. A window applies to a check
when the silence's matchers select the check's labels (:func:`check_labels`): ``check``
and ``check_id`` (its id), ``check_name``, and ``service`` when its SLA target names one
(``service=shop`` covers every check of the shop service).

Example::

    windows = maintenance_windows(silences, check_labels("c_1", "shop health", "shop"),
                                  start_us, end_us)
"""

from __future__ import annotations

from collections.abc import Iterable

from bongsu.alerts.model import Labels, Silence
from bongsu.alerts.notify.routing import matches
from bongsu.alerts.notify.silences import Window, parse_recurrence

DAY_US = 86_400_000_000
MINUTE_US = 60_000_000


def is_maintenance(silence: Silence) -> bool:
    """Whether the silence is planned maintenance (see the module docstring)."""
    return silence.recurrence is not None or silence.comment.strip().lower().startswith(
        "maintenance")


def check_labels(check_id: str, name: str = "", service: str | None = None) -> Labels:
    """The labels a silence's matchers are matched against for one check."""
    labels = {"check": check_id, "check_id": check_id, "check_name": name}
    if service:
        labels["service"] = service
    return labels


def maintenance_windows(silences: Iterable[Silence], labels: Labels, start_us: int,
                        end_us: int) -> list[tuple[int, int]]:
    """The maintenance intervals selecting ``labels`` within ``[start_us, end_us)``."""
    out: list[tuple[int, int]] = []
    for silence in silences:
        if not is_maintenance(silence) or not matches(silence.matchers, labels):
            continue
        lo, hi = max(start_us, silence.starts_us), min(end_us, silence.ends_us)
        if lo >= hi:
            continue
        if silence.recurrence is None:
            out.append((lo, hi))
        else:
            out.extend(_occurrences(parse_recurrence(silence.recurrence), lo, hi))
    return sorted(out)


def _occurrences(window: Window, start_us: int, end_us: int) -> list[tuple[int, int]]:
    """A recurring window's occurrences clipped to ``[start_us, end_us)`` (one that began
    the day before ``start_us`` included)."""
    length = ((window.end_min - window.start_min) % (24 * 60)) * MINUTE_US
    out: list[tuple[int, int]] = []
    day = start_us // DAY_US * DAY_US - DAY_US
    while day < end_us:
        weekday = (day // DAY_US + 3) % 7  # 1970-01-01 was a Thursday (Monday = 0)
        if weekday in window.days:
            begin = day + window.start_min * MINUTE_US
            lo, hi = max(begin, start_us), min(begin + length, end_us)
            if lo < hi:
                out.append((lo, hi))
        day += DAY_US
    return out


__all__ = ["check_labels", "is_maintenance", "maintenance_windows"]
