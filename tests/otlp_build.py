"""Hand-built OTLP requests for tests (official opentelemetry-proto classes)."""

from __future__ import annotations

import os
import time
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status


def kv(key: str, value: Any) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


def span(
    name: str = "GET /items/{id}",
    kind: int = Span.SPAN_KIND_SERVER,
    trace_id: bytes | None = None,
    span_id: bytes | None = None,
    parent_id: bytes = b"",
    start_ns: int | None = None,
    duration_ms: float = 10.0,
    error: bool = False,
    attributes: dict[str, Any] | None = None,
) -> Span:
    start = time.time_ns() - 5 * 10**9 if start_ns is None else start_ns
    return Span(
        trace_id=trace_id or os.urandom(16),
        span_id=span_id or os.urandom(8),
        parent_span_id=parent_id,
        name=name,
        kind=kind,
        start_time_unix_nano=start,
        end_time_unix_nano=start + int(duration_ms * 1e6),
        status=Status(code=Status.STATUS_CODE_ERROR if error else Status.STATUS_CODE_UNSET),
        attributes=[kv(k, v) for k, v in (attributes or {}).items()],
    )


def traces(spans: list[Span], service: str = "checkout", instance: str = "checkout-1",
           **resource: Any) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    rs = request.resource_spans.add()
    attrs = {"service.name": service, "service.instance.id": instance, **resource}
    rs.resource.attributes.extend(kv(k, v) for k, v in attrs.items())
    rs.scope_spans.add().spans.extend(spans)
    return request


def gauge(name: str, value: float, service: str = "checkout", instance: str = "checkout-1",
          ts_ns: int | None = None) -> ExportMetricsServiceRequest:
    request = ExportMetricsServiceRequest()
    rm = request.resource_metrics.add()
    rm.resource.attributes.extend(
        [kv("service.name", service), kv("service.instance.id", instance)]
    )
    metric = rm.scope_metrics.add().metrics.add(name=name, unit="By")
    point = metric.gauge.data_points.add()
    point.time_unix_nano = ts_ns or time.time_ns()
    point.as_double = value
    return request


def log_record(body: str, trace_id: bytes = b"", span_id: bytes = b"",
               service: str = "checkout", ts_ns: int | None = None) -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    rl = request.resource_logs.add()
    rl.resource.attributes.extend([kv("service.name", service)])
    rec = rl.scope_logs.add().log_records.add()
    rec.time_unix_nano = ts_ns or time.time_ns()
    rec.severity_number = 9
    rec.severity_text = "INFO"
    rec.body.string_value = body
    rec.trace_id = trace_id
    rec.span_id = span_id
    return request
