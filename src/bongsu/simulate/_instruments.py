"""Metric instruments: cumulative histograms, and a writer for OTLP metric points.

Example::

    hist = Histogram(HTTP_BUCKETS)
    hist.record(0.042)
    writer = MetricWriter(scope_metrics, attrs, start_ns, now_ns)
    writer.histogram("http.server.request.duration", "s", [((("http.route", "/"),), hist)])
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality, ScopeMetrics

from bongsu.simulate._attributes import AttributeCache, Value

# OpenTelemetry's advisory buckets for http.server.request.duration (seconds)
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5,
                10.0)
CUMULATIVE = AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
Attrs = tuple[tuple[str, Value], ...]


class Histogram:
    """Cumulative explicit-bucket histogram."""

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = tuple(bounds)
        self.counts = [0] * (len(bounds) + 1)
        self.count = 0
        self.sum = 0.0
        self.min = math.inf
        self.max = -math.inf

    def record(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.count += 1
        self.sum += value
        self.min = min(self.min, value)
        self.max = max(self.max, value)


class ExponentialHistogram:
    """Cumulative base-2 exponential histogram at a fixed scale (positive values only).

    Scale 3 (8 buckets per doubling, ~9% wide) covers 100 µs .. 30 s in ~150 buckets.
    """

    def __init__(self, scale: int = 3) -> None:
        self.scale = scale
        self._factor = 2.0**scale
        self.buckets: dict[int, int] = {}
        self.zero_count = 0
        self.count = 0
        self.sum = 0.0
        self.min = math.inf
        self.max = -math.inf

    def record(self, value: float) -> None:
        self.count += 1
        self.sum += value
        self.min = min(self.min, value)
        self.max = max(self.max, value)
        if value <= 0.0:
            self.zero_count += 1
            return
        index = math.ceil(math.log2(value) * self._factor) - 1
        self.buckets[index] = self.buckets.get(index, 0) + 1


class MetricWriter:
    """Appends metrics with their data points to one ``ScopeMetrics``; counts the points."""

    def __init__(self, scope: ScopeMetrics, attrs: AttributeCache, start_ns: int,
                 now_ns: int) -> None:
        self._scope = scope
        self._attrs = attrs
        self._start_ns = start_ns
        self._now_ns = now_ns
        self.points = 0

    def gauge(self, name: str, unit: str, points: Sequence[tuple[Attrs, float]]) -> None:
        metric = self._scope.metrics.add(name=name, unit=unit)
        for attrs, value in points:
            point = metric.gauge.data_points.add(time_unix_nano=self._now_ns)
            if isinstance(value, int):
                point.as_int = value
            else:
                point.as_double = value
            point.attributes.extend(self._attrs.get(k, v) for k, v in attrs)
        self.points += len(points)

    def sum(self, name: str, unit: str, points: Sequence[tuple[Attrs, float]],
            monotonic: bool) -> None:
        metric = self._scope.metrics.add(name=name, unit=unit)
        metric.sum.aggregation_temporality = CUMULATIVE
        metric.sum.is_monotonic = monotonic
        for attrs, value in points:
            point = metric.sum.data_points.add(time_unix_nano=self._now_ns,
                                               start_time_unix_nano=self._start_ns)
            if isinstance(value, int):
                point.as_int = value
            else:
                point.as_double = value
            point.attributes.extend(self._attrs.get(k, v) for k, v in attrs)
        self.points += len(points)

    def histogram(self, name: str, unit: str,
                  points: Sequence[tuple[Attrs, Histogram]]) -> None:
        metric = self._scope.metrics.add(name=name, unit=unit)
        metric.histogram.aggregation_temporality = CUMULATIVE
        for attrs, hist in points:
            point = metric.histogram.data_points.add(
                time_unix_nano=self._now_ns, start_time_unix_nano=self._start_ns,
                count=hist.count, sum=hist.sum, bucket_counts=hist.counts,
                explicit_bounds=hist.bounds)
            if hist.count:
                point.min = hist.min
                point.max = hist.max
            point.attributes.extend(self._attrs.get(k, v) for k, v in attrs)
        self.points += len(points)

    def exponential(self, name: str, unit: str,
                    points: Sequence[tuple[Attrs, ExponentialHistogram]]) -> None:
        metric = self._scope.metrics.add(name=name, unit=unit)
        metric.exponential_histogram.aggregation_temporality = CUMULATIVE
        for attrs, hist in points:
            point = metric.exponential_histogram.data_points.add(
                time_unix_nano=self._now_ns, start_time_unix_nano=self._start_ns,
                count=hist.count, sum=hist.sum, scale=hist.scale, zero_count=hist.zero_count)
            if hist.count:
                point.min = hist.min
                point.max = hist.max
            if hist.buckets:
                low, high = min(hist.buckets), max(hist.buckets)
                point.positive.offset = low
                point.positive.bucket_counts.extend(
                    hist.buckets.get(i, 0) for i in range(low, high + 1))
            point.attributes.extend(self._attrs.get(k, v) for k, v in attrs)
        self.points += len(points)
