"""Spans made by the official OpenTelemetry Python SDK, encoded as its OTLP exporter does."""

from __future__ import annotations

from typing import Any

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode


def sdk_traces() -> tuple[list[Any], bytes]:
    """One trace: a server span with a DB child that fails and an internal span."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create(
        {"service.name": "sdk-app", "service.instance.id": "sdk-1"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("bongsu-tests")
    with tracer.start_as_current_span(
        "GET /items/{id}", kind=SpanKind.SERVER,
        attributes={"http.request.method": "GET", "http.route": "/items/{id}",
                    "http.response.status_code": 200, "item.id": 42},
    ):
        with tracer.start_as_current_span(
            "SELECT items", kind=SpanKind.CLIENT,
            attributes={"db.system": "sqlite", "db.name": "main",
                        "db.statement": "SELECT * FROM items WHERE id = ?"},
        ) as db:
            db.add_event("retry", {"attempt": 2})
            db.set_status(Status(StatusCode.ERROR, "database is locked"))
        with tracer.start_as_current_span("render", attributes={"template": "item.html"}):
            pass
    provider.shutdown()
    spans = list(exporter.get_finished_spans())
    return spans, encode_spans(spans).SerializeToString()
