"""Per-endpoint request counts and duration histograms, exact whatever the sampling.

Every server request is counted once: by the sender thread for the spans it drains from
the queue (one lock per batch), by the request thread for spans not queued (unsampled or
dropped). Exported as the semantic-convention ``http.server.request.duration`` histogram, whose
``count`` is the request count and whose ``error.type`` attribute marks failures.

Example::

    stats = EndpointStats()
    stats.record("GET", "/orders/{id}", 200, "", 0.012)
    [metric] = stats.collect(delta=False)
    assert metric.points[0].count == 1
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterable
from typing import Any

from bongsu.agent._otlp import HistogramPoint, Metric
from bongsu.agent._tracer import SERVER, Span

__all__ = ["BOUNDS", "EndpointStats"]

# The semantic conventions' advised boundaries for http.server.request.duration (s).
BOUNDS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
_MAX_SERIES = 2000


class EndpointStats:
    """Histogram per (method, route, status code, error type)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[tuple[str, str, int, str], list[Any]] = {}
        self.overflow = 0

    def after_fork(self) -> None:
        self._lock = threading.Lock()
        self._data = {}

    def record(self, method: str, route: str, status: int, error: str, seconds: float) -> None:
        lock = self._lock
        lock.acquire()  # half the cost of ``with lock`` (~70 ns here)
        try:
            self._add((method, route, status, error), seconds)
        finally:
            lock.release()

    def record_spans(self, spans: Iterable[Span]) -> None:
        """Record the finished SERVER spans among ``spans`` (on the sender thread).

        A queued server span is recorded here rather than on the request thread, under one
        lock per batch; ``end_server`` records only the spans that were not queued.
        """
        lock = self._lock
        lock.acquire()
        try:
            for s in spans:
                if s.kind == SERVER:
                    a = s.attrs
                    self._add((a["http.request.method"], a.get("http.route", ""),
                               a.get("http.response.status_code", 0), a.get("error.type", "")),
                              (s.end - s.start) / 1e9)
        finally:
            lock.release()

    def _add(self, key: tuple[str, str, int, str], seconds: float) -> None:
        entry = self._data.get(key)
        if entry is None:
            if len(self._data) >= _MAX_SERIES:
                self.overflow += 1
                return
            entry = self._data[key] = [0, 0.0, [0] * (len(BOUNDS) + 1), seconds, seconds]
        entry[0] += 1
        entry[1] += seconds
        entry[2][bisect_left(BOUNDS, seconds)] += 1
        if seconds < entry[3]:
            entry[3] = seconds
        if seconds > entry[4]:
            entry[4] = seconds

    def collect(self, delta: bool) -> list[Metric]:
        """The histogram metric; with ``delta`` the counts restart afterwards."""
        with self._lock:
            data = self._data
            if delta:
                self._data = {}
            else:
                data = {k: [v[0], v[1], list(v[2]), v[3], v[4]] for k, v in data.items()}
        metric = Metric("http.server.request.duration", "histogram", "s",
                        "Duration of HTTP server requests.", delta=delta)
        for (method, route, status, error), (count, total, counts, lo, hi) in data.items():
            attrs: dict[str, Any] = {"http.request.method": method}
            if route:
                attrs["http.route"] = route
            if status:
                attrs["http.response.status_code"] = status
            if error:
                attrs["error.type"] = error
            metric.points.append(HistogramPoint(attrs, count, total, counts, BOUNDS, lo, hi))
        return [metric] if metric.points else []
