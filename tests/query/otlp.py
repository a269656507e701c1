"""Hand-built OTLP requests with controlled ids, times, durations and statuses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

SERVER, CLIENT, INTERNAL, CONSUMER = 2, 3, 1, 5


@dataclass
class SpanSpec:
    """One span as the test sends it (and computes expected figures from)."""

    service: str
    instance: str
    trace_id: int
    span_id: int
    parent_id: int
    name: str
    kind: int
    start_us: int
    duration_us: int
    status: int = 0
    attrs: dict[str, Any] = field(default_factory=dict)
    events: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)

    @property
    def http_status(self) -> int | None:
        value = self.attrs.get("http.response.status_code")
        return None if value is None else int(value)

    @property
    def is_error(self) -> bool:
        return self.status == 2 or (self.http_status is not None and self.http_status >= 500)

    @property
    def is_transaction(self) -> bool:
        return self.kind in (SERVER, CONSUMER)


@dataclass
class LogSpec:
    service: str
    instance: str
    ts_us: int
    severity: int
    text: str
    body: str
    trace_id: int = 0
    span_id: int = 0


@dataclass
class PointSpec:
    service: str
    instance: str
    name: str
    ts_us: int
    value: float | None = None  # gauge
    hist: tuple[int, float] | None = None  # (count, sum) of a histogram point


def any_value(v: Any) -> AnyValue:
    if isinstance(v, bool):
        return AnyValue(bool_value=v)
    if isinstance(v, int):
        return AnyValue(int_value=v)
    if isinstance(v, float):
        return AnyValue(double_value=v)
    return AnyValue(string_value=str(v))


def kvs(attrs: dict[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=k, value=any_value(v)) for k, v in attrs.items()]


Resources = Mapping[str, Mapping[str, Any]]  # instance id -> more resource attributes


def _resource(service: str, instance: str, resources: Resources | None) -> list[KeyValue]:
    return kvs({"service.name": service, "service.instance.id": instance,
                "k8s.cluster.name": "test-cluster", "k8s.namespace.name": "shop",
                **(resources or {}).get(instance, {})})


def _groups(items: Iterable[Any]) -> dict[tuple[str, str], list[Any]]:
    groups: dict[tuple[str, str], list[Any]] = {}
    for item in items:
        groups.setdefault((item.service, item.instance), []).append(item)
    return groups


def traces_request(spans: Sequence[SpanSpec], resources: Resources | None = None) -> bytes:
    req = ExportTraceServiceRequest()
    for (service, instance), group in _groups(spans).items():
        rs = req.resource_spans.add()
        rs.resource.attributes.extend(_resource(service, instance, resources))
        ss = rs.scope_spans.add()
        for s in group:
            span = Span(
                trace_id=s.trace_id.to_bytes(16, "big"),
                span_id=s.span_id.to_bytes(8, "big"),
                parent_span_id=s.parent_id.to_bytes(8, "big") if s.parent_id else b"",
                name=s.name,
                kind=s.kind,  # type: ignore[arg-type]
                start_time_unix_nano=s.start_us * 1000,
                end_time_unix_nano=(s.start_us + s.duration_us) * 1000,
                status=Status(code=s.status, message="boom" if s.status == 2 else ""),  # type: ignore[arg-type]
            )
            span.attributes.extend(kvs(s.attrs))
            for name, ts_us, attrs in s.events:
                event = span.events.add()
                event.name = name
                event.time_unix_nano = ts_us * 1000
                event.attributes.extend(kvs(attrs))
            ss.spans.append(span)
    return req.SerializeToString()


def logs_request(logs: Sequence[LogSpec], resources: Resources | None = None) -> bytes:
    req = ExportLogsServiceRequest()
    for (service, instance), group in _groups(logs).items():
        rl = req.resource_logs.add()
        rl.resource.attributes.extend(_resource(service, instance, resources))
        sl = rl.scope_logs.add()
        for item in group:
            rec = sl.log_records.add()
            rec.time_unix_nano = item.ts_us * 1000
            rec.severity_number = item.severity  # type: ignore[assignment]
            rec.severity_text = item.text
            rec.body.string_value = item.body
            if item.trace_id:
                rec.trace_id = item.trace_id.to_bytes(16, "big")
                rec.span_id = item.span_id.to_bytes(8, "big")
    return req.SerializeToString()


def metrics_request(points: Sequence[PointSpec], resources: Resources | None = None) -> bytes:
    req = ExportMetricsServiceRequest()
    for (service, instance), group in _groups(points).items():
        rm = req.resource_metrics.add()
        rm.resource.attributes.extend(_resource(service, instance, resources))
        sm = rm.scope_metrics.add()
        for p in group:
            metric = sm.metrics.add()
            metric.name = p.name
            if p.hist is None:
                metric.unit = "By"
                dp = metric.gauge.data_points.add()
                dp.as_double = float(p.value or 0.0)
            else:
                metric.unit = "ms"
                dp = metric.histogram.data_points.add()  # type: ignore[assignment]
                dp.count, dp.sum = p.hist  # type: ignore[attr-defined]
                dp.explicit_bounds.extend([10.0, 100.0])  # type: ignore[attr-defined]
                dp.bucket_counts.extend([0, p.hist[0], 0])  # type: ignore[attr-defined]
            dp.time_unix_nano = p.ts_us * 1000
    return req.SerializeToString()
