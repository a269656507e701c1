"""A check's status over time, weighted by time: up, down, unknown or maintenance.

A result's status holds from its ``ts_us`` until the next result of the check (the store's
contract, :mod:`bongsu.store.reads`); before the first result the status is ``unknown``
(nothing was measured), and the last result holds until the end of what is asked (never
past now: the future is not measured either). Maintenance windows override whatever the
check said. Up and down time count; unknown and maintenance time are left out of both
sides of the uptime, so the monitor's own outage or a planned window never moves the SLA.

A service's synthetic status combines its checks at every instant (:func:`combine`): down
when any check not in maintenance is down; otherwise unknown when any such check is
unknown; otherwise up when at least one is up; maintenance when every check is in it.

Example::

    spans = spans_of(results, start_us, end_us)              # from CheckResult rows
    spans = with_maintenance(spans, [(m_start, m_end)])
    tally = tally_of(spans, start_us, end_us)                # seconds per status
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal, Protocol

Status = Literal["up", "down", "unknown", "maintenance"]
US = 1_000_000


class ResultLike(Protocol):
    """What the timeline reads of a stored check result (``CheckResult`` has these)."""

    @property
    def ts_us(self) -> int: ...

    @property
    def state(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Span:
    """``status`` held over ``[start_us, end_us)``."""

    start_us: int
    end_us: int
    status: Status


@dataclass(frozen=True, slots=True)
class Tally:
    """Seconds of each status in a window."""

    up_s: float = 0.0
    down_s: float = 0.0
    unknown_s: float = 0.0
    maintenance_s: float = 0.0

    @property
    def measured_s(self) -> float:
        """Up and down time: the uptime's divisor."""
        return self.up_s + self.down_s

    @property
    def uptime(self) -> float | None:
        """Up time over up + down time; None when nothing was measured."""
        return self.up_s / self.measured_s if self.measured_s > 0 else None


def spans_of(results: Iterable[ResultLike], start_us: int, end_us: int) -> list[Span]:
    """The check's status over ``[start_us, end_us)`` from its results (oldest first; one
    before ``start_us`` gives the status in force at the start)."""
    spans: list[Span] = []
    at, status = start_us, "unknown"
    for result in results:
        ts = max(result.ts_us, start_us)
        if ts >= end_us:
            break
        state = _status(result.state)
        if state == status:
            continue  # most results repeat the state: no span of their own
        if ts > at:
            spans.append(Span(at, ts, _status(status)))
            at = ts
        status = state
    if at < end_us:
        spans.append(Span(at, end_us, _status(status)))
    return _merged(spans)


def with_maintenance(spans: Sequence[Span], windows: Iterable[tuple[int, int]]) -> list[Span]:
    """``spans`` with every instant inside a maintenance window set to maintenance."""
    cuts = _union(windows)
    out: list[Span] = []
    for span in spans:
        at = span.start_us
        for m_start, m_end in cuts:
            if m_end <= at or m_start >= span.end_us:
                continue
            if m_start > at:
                out.append(Span(at, m_start, span.status))
            piece_end = min(m_end, span.end_us)
            out.append(Span(max(m_start, at), piece_end, "maintenance"))
            at = piece_end
        if at < span.end_us:
            out.append(Span(at, span.end_us, span.status))
    return _merged(out)


def combine(timelines: Sequence[Sequence[Span]], start_us: int, end_us: int) -> list[Span]:
    """A service's status from its checks' (see the module docstring); no checks: unknown."""
    if not timelines:
        return [Span(start_us, end_us, "unknown")] if start_us < end_us else []
    edges = sorted({start_us, end_us, *(s.start_us for t in timelines for s in t
                                       if start_us < s.start_us < end_us)})
    cursors = [0] * len(timelines)
    out: list[Span] = []
    for left, right in pairwise(edges):
        statuses: list[Status] = []
        for i, timeline in enumerate(timelines):
            while cursors[i] < len(timeline) and timeline[cursors[i]].end_us <= left:
                cursors[i] += 1
            statuses.append(timeline[cursors[i]].status if cursors[i] < len(timeline)
                            else "unknown")
        out.append(Span(left, right, _combined(statuses)))
    return _merged(out)


def tally_of(spans: Iterable[Span], start_us: int, end_us: int) -> Tally:
    """Seconds of each status within ``[start_us, end_us)``."""
    seconds = {"up": 0, "down": 0, "unknown": 0, "maintenance": 0}
    for span in spans:
        overlap = min(span.end_us, end_us) - max(span.start_us, start_us)
        if overlap > 0:
            seconds[span.status] += overlap
    return Tally(seconds["up"] / US, seconds["down"] / US, seconds["unknown"] / US,
                 seconds["maintenance"] / US)


def _combined(statuses: Sequence[Status]) -> Status:
    counted = [s for s in statuses if s != "maintenance"]
    if not counted:
        return "maintenance"
    if "down" in counted:
        return "down"
    if "unknown" in counted:
        return "unknown"
    return "up"


def _status(raw: str) -> Status:
    return raw if raw in ("up", "down") else "unknown"  # type: ignore[return-value]


def _union(windows: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(w for w in windows if w[1] > w[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _merged(spans: Iterable[Span]) -> list[Span]:
    out: list[Span] = []
    for span in spans:
        if span.end_us <= span.start_us:
            continue
        if out and out[-1].status == span.status and out[-1].end_us == span.start_us:
            out[-1] = Span(out[-1].start_us, span.end_us, span.status)
        else:
            out.append(span)
    return out


__all__ = ["ResultLike", "Span", "Status", "Tally", "combine", "spans_of", "tally_of",
           "with_maintenance"]
