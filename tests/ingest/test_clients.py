"""Real OpenTelemetry SDK exporters, ingest keys and tenants, retention."""

from __future__ import annotations

import subprocess
import sys
import time

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from accounts.people import People
from otlp_build import span, traces
from server_process import ServerProcess


def wait_for(check, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_official_sdk_exporters_traces_metrics_logs(shared_server: ServerProcess) -> None:
    resource = Resource.create({"service.name": "sdk-app", "service.instance.id": "sdk-1"})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(
        SimpleSpanProcessor(OTLPSpanExporter(endpoint=shared_server.otlp_url + "/v1/traces"))
    )
    tracer = provider.get_tracer("test")
    with (
        tracer.start_as_current_span("GET /sdk", kind=trace.SpanKind.SERVER) as root,
        tracer.start_as_current_span("SELECT", kind=trace.SpanKind.CLIENT,
                                     attributes={"db.system": "postgresql"}),
    ):
        pass
    trace_id = format(root.get_span_context().trace_id, "032x")
    provider.shutdown()

    reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(endpoint=shared_server.otlp_url + "/v1/metrics"),
        export_interval_millis=60_000,
    )
    meters = MeterProvider(
        resource=resource, metric_readers=[reader],
        views=[View(instrument_name="sdk.exp",
                    aggregation=ExponentialBucketHistogramAggregation())],
    )
    meter = meters.get_meter("test")
    meter.create_counter("sdk.requests").add(3)
    meter.create_histogram("sdk.latency", unit="ms").record(12.5)
    meter.create_histogram("sdk.exp").record(7.0)
    meter.create_observable_gauge("sdk.gauge", callbacks=[lambda _o: [_obs(5.0)]])
    meters.force_flush()
    meters.shutdown()

    logs = LoggerProvider(resource=resource)
    logs.add_log_record_processor(
        SimpleLogRecordProcessor(OTLPLogExporter(endpoint=shared_server.otlp_url + "/v1/logs"))
    )
    import logging

    logger = logging.getLogger("sdk-test")
    logger.addHandler(LoggingHandler(logger_provider=logs))
    logger.setLevel(logging.INFO)
    with tracer.start_as_current_span("log-parent"):
        logger.info("hello from the sdk")
    logs.shutdown()

    detail = wait_for(lambda: _ok(shared_server.api(f"/api/v1/traces/{trace_id}")))
    assert sorted(s["name"] for s in detail["spans"]) == ["GET /sdk", "SELECT"]
    names = wait_for(
        lambda: {"sdk.requests", "sdk.latency", "sdk.exp", "sdk.gauge"}
        <= set(_names(shared_server))
    )
    assert names
    found = wait_for(
        lambda: _ok(shared_server.api("/api/v1/logs?service=sdk-app&q=hello"))
    )
    assert any("hello from the sdk" in str(r) for r in found["logs"])


def _obs(value: float):  # type: ignore[no-untyped-def]
    from opentelemetry.metrics import Observation

    return Observation(value)


def _ok(result: tuple[int, object]) -> object:
    status, body = result
    return body if status == 200 and body and body != {"logs": []} else None


def _names(server: ServerProcess) -> list[str]:
    status, body = server.api("/api/v1/metrics/names")
    if status != 200:
        return []
    names = body["names"] if isinstance(body, dict) else body
    return [n if isinstance(n, str) else n["name"] for n in names]


def bongsu(data_dir: str, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "bongsu", "keys", "--data-dir", data_dir, *args],
        check=True, capture_output=True, text=True,
    ).stdout


def test_keys_map_to_tenants_and_isolate_data(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory({"BONGSU_AUTH": "accounts"})
    data = str(server.data_dir)
    assert "refuses telemetry until one is created" in bongsu(data, "list")
    key_a = bongsu(data, "create", "acme", "--name", "prod").splitlines()[1].strip()
    key_b = bongsu(data, "create", "globex").splitlines()[1].strip()
    assert key_a.startswith("bsk_") and key_b.startswith("bsk_")
    # Each key's tenant is a project of an organisation of its own; a viewer of each reads.
    people = People(f"sqlite:///{server.data_dir / 'meta.sqlite'}")
    token_a = people.member(people.org_of("acme"), "ACME_VIEWER")[1]
    token_b = people.member(people.org_of("globex"), "GLOBEX_VIEWER")[1]
    people.close()
    server.start()

    body = traces([span()], service="acme-svc").SerializeToString()
    assert server.post("/v1/traces", body)[0] == 401
    assert server.post("/v1/traces", body, headers={"Authorization": "Bearer nope"})[0] == 401
    assert server.post("/v1/traces", body, headers={"Authorization": f"Bearer {key_a}"})[0] == 200
    other = traces([span()], service="globex-svc").SerializeToString()
    assert server.post("/v1/traces", other, headers={"Authorization": f"Bearer {key_b}"})[0] == 200
    server.wait_loaded()

    def services(token: str) -> list[str]:
        status, body = server.api("/api/v1/services", {"Authorization": f"Bearer {token}"})
        assert status == 200
        return [s["name"] for s in body["services"]]

    assert services(token_a) == ["acme-svc"]
    assert services(token_b) == ["globex-svc"]
    assert server.api("/api/v1/services")[0] == 401
    # The key that writes acme's telemetry reads none of it.
    assert server.api("/api/v1/services", {"Authorization": f"Bearer {key_a}"})[0] == 403

    listing = bongsu(data, "list")
    assert "acme" in listing and "globex" in listing and "prod" in listing
    bongsu(data, "revoke", key_a[:12])
    assert "revoked" in bongsu(data, "list")
    wait_for(lambda: server.post("/v1/traces", body,
                                 headers={"Authorization": f"Bearer {key_a}"})[0] == 401)
    assert services(token_a) == ["acme-svc"]  # revoking the key leaves the data readable


def test_retention_deletes_old_telemetry(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(
        {"BONGSU_RETENTION_DAYS": "1", "BONGSU_RETENTION_INTERVAL_SECONDS": "1"}
    ).start()
    old = span(start_ns=time.time_ns() - 2 * 86_400 * 10**9)
    new = span()
    assert server.post("/v1/traces", traces([old, new]).SerializeToString())[0] == 200
    server.wait_loaded()
    wait_for(lambda: server.api(f"/api/v1/traces/{old.trace_id.hex()}")[0] == 404)
    assert server.api(f"/api/v1/traces/{new.trace_id.hex()}")[0] == 200
