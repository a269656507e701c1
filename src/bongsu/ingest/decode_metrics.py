"""OTLP metrics into metric point columns: gauge, sum, histogram, exponential histogram."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from bongsu.ingest.attributes import to_dict
from bongsu.ingest.resource import note_resource, origin_of
from bongsu.store.batch import METRIC_SCHEMA


class MetricColumns:
    """Growing column lists for one batch of metric points."""

    def __init__(self) -> None:
        self.cols: dict[str, list[Any]] = {name: [] for name in METRIC_SCHEMA.names}

    def __len__(self) -> int:
        return len(self.cols["ts_us"])

    def table(self) -> pa.Table:
        return pa.Table.from_pydict(self.cols, schema=METRIC_SCHEMA)


def decode_metrics(
    request: Any, tenant: str, out: MetricColumns, resources: dict[Any, list[Any]]
) -> int:
    """Append the data points of one ``ExportMetricsServiceRequest``; returns how many."""
    count = 0
    for rm in request.resource_metrics:
        origin = origin_of(rm.resource)
        first_ts, last_ts = 2**63, 0
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                which = metric.WhichOneof("data")
                if which is None:
                    continue
                data = getattr(metric, which)
                for point in data.data_points:
                    ts_us = point.time_unix_nano // 1000
                    last_ts = max(last_ts, ts_us)
                    first_ts = min(first_ts, ts_us)
                    row = _point(which, point)
                    _append(out.cols, tenant, ts_us, origin.service, origin.instance,
                            metric.name, metric.unit or None, row, point.attributes)
                    count += 1
        if last_ts:
            note_resource(resources, tenant, origin, first_ts, last_ts)
    return count


_KIND = {
    "gauge": "gauge",
    "sum": "sum",
    "histogram": "histogram",
    "exponential_histogram": "exp_histogram",
    "summary": "summary",
}


def _point(which: str, p: Any) -> tuple[Any, ...]:
    """(kind, value, count, sum, min, max, bounds, bucket_counts) of one data point."""
    kind = _KIND[which]
    if which in ("gauge", "sum"):
        value = p.as_double if p.WhichOneof("value") == "as_double" else float(p.as_int)
        return kind, value, None, None, None, None, None, None
    if which == "summary":
        return kind, None, p.count, p.sum, None, None, None, None
    minimum = p.min if p.HasField("min") else None
    maximum = p.max if p.HasField("max") else None
    total = p.sum if p.HasField("sum") else None
    if which == "histogram":
        return (kind, None, p.count, total, minimum, maximum, list(p.explicit_bounds),
                list(p.bucket_counts))
    return kind, None, p.count, total, minimum, maximum, None, None


def _append(
    cols: dict[str, list[Any]], tenant: str, ts_us: int, service: str, instance: str,
    name: str, unit: str | None, row: tuple[Any, ...], attributes: Any,
) -> None:
    kind, value, count, total, minimum, maximum, bounds, buckets = row
    attrs = to_dict(attributes)
    for key, v in (
        ("tenant", tenant), ("ts_us", ts_us), ("service", service), ("instance", instance),
        ("name", name), ("kind", kind), ("unit", unit), ("value", value), ("count", count),
        ("sum", total), ("min", minimum), ("max", maximum), ("bounds", bounds),
        ("bucket_counts", buckets),
        ("attributes", json.dumps(attrs, sort_keys=True, default=str) if attrs else None),
    ):
        cols[key].append(v)
