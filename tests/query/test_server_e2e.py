"""End to end: the official OpenTelemetry SDK and OTLP exporter send to a real ``bongsu
server`` process; its query API gives back figures recomputed here from what was sent."""

from __future__ import annotations

import math
import time
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from bongsu.store.rollup import bucket_mid_us, bucket_of

MINUTE_NS = 60_000_000_000
N = 40


def make_spans(t0_ns: int) -> list[ReadableSpan]:
    """N front -> back traces: front durations 10, 20 … 400 ms; every tenth one failed."""
    memory = InMemorySpanExporter()
    tracers = {}
    for service in ("e2e-front", "e2e-back"):
        provider = TracerProvider(resource=Resource.create(
            {"service.name": service, "service.instance.id": f"{service}-1"}))
        provider.add_span_processor(SimpleSpanProcessor(memory))
        tracers[service] = provider.get_tracer("e2e")
    for i in range(N):
        start = t0_ns + i * 5_000_000_000
        dur = (i + 1) * 10_000_000
        root = tracers["e2e-front"].start_span("GET /e2e", kind=SpanKind.SERVER,
                                              start_time=start)
        ctx = trace.set_span_in_context(root)
        call = tracers["e2e-front"].start_span("GET back", context=ctx, kind=SpanKind.CLIENT,
                                              start_time=start + 1_000_000)
        served = tracers["e2e-back"].start_span(
            "GET /work", context=trace.set_span_in_context(call), kind=SpanKind.SERVER,
            start_time=start + 2_000_000)
        served.end(end_time=start + dur // 2)
        call.end(end_time=start + dur // 2 + 1_000_000)
        if i % 10 == 0:
            root.set_status(Status(StatusCode.ERROR, "failed"))
        root.end(end_time=start + dur)
    return list(memory.get_finished_spans())


@pytest.mark.slow
def test_figures_from_a_real_server(server_factory: Any) -> None:
    server = server_factory().start()
    t0_ns = (time.time_ns() // MINUTE_NS - 10) * MINUTE_NS
    exporter = OTLPSpanExporter(endpoint=server.otlp_url + "/v1/traces")
    assert exporter.export(make_spans(t0_ns)) is SpanExportResult.SUCCESS
    server.wait_loaded()
    window = f"from={t0_ns // 1_000_000}&to={t0_ns // 1_000_000 + 600_000}"
    deadline = time.monotonic() + 20
    while True:
        status, topo = server.api(f"/api/v1/topology?{window}")
        if topo["edges"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert [(e["source"], e["target"], e["calls"]) for e in topo["edges"]] == [
        ("e2e-front", "e2e-back", N)]

    status, body = server.api(f"/api/v1/services?{window}")
    assert status == 200
    front = next(s for s in body["services"] if s["name"] == "e2e-front")
    durations = [(i + 1) * 10_000 for i in range(N)]
    assert front["transactions"] == N and front["errors"] == N // 10
    assert front["tps"] == pytest.approx(N / 600)
    assert front["avg_ms"] == pytest.approx(sum(durations) / N / 1000)
    p95 = sorted(durations)[math.ceil(0.95 * N) - 1]
    assert front["p95_ms"] == bucket_mid_us(bucket_of(p95)) / 1000
    ok = [d for i, d in enumerate(durations) if i % 10]
    assert front["apdex"] == sum(1 for d in ok if d <= 500_000) / N  # all ok ones satisfied

    status, series = server.api(f"/api/v1/services/e2e-front/series?{window}&step=60")
    assert sum(p["transactions"] for p in series["points"]) == N

    status, found = server.api(f"/api/v1/traces?{window}&service=e2e-front&status=error")
    assert len(found["traces"]) == N // 10
    status, detail = server.api(f"/api/v1/traces/{found['traces'][0]['trace_id']}")
    names = [(s["service"], s["name"], s["kind"]) for s in detail["spans"]]
    assert names == [("e2e-front", "GET /e2e", "server"), ("e2e-front", "GET back", "client"),
                     ("e2e-back", "GET /work", "server")]
    ids = [s["span_id"] for s in detail["spans"]]
    assert [s["parent_span_id"] for s in detail["spans"]] == [None, ids[0], ids[1]]
