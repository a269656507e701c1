"""End to end: the official OpenTelemetry SDK sends the hostmetrics receiver's ``system.*``
metrics for a node and an app's process metrics and spans from it to a real ``bongsu
server``; the host view's figures are recomputed here from the points the exporter sent,
and search finds the host, the service and the trace by id."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    InMemoryMetricReader,
    MetricExportResult,
    MetricsData,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind

HOST = "node-a.example"
STATES = ("user", "system", "idle", "wait")


class Recorder:
    """The points each flush exported: (metric, attributes, time ns, value)."""

    def __init__(self) -> None:
        self.points: list[tuple[str, dict[str, Any], int, float]] = []

    def take(self, data: MetricsData) -> None:
        for rm in data.resource_metrics:
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    for p in m.data.data_points:
                        self.points.append((m.name, dict(p.attributes or {}),
                                            p.time_unix_nano, float(p.value)))  # type: ignore[union-attr]


def _counter(values: Sequence[dict[Any, float]], step: list[int]) -> Any:
    def callback(options: CallbackOptions) -> Iterable[Observation]:
        for attrs, v in values[min(step[0], len(values) - 1)].items():
            yield Observation(v, dict(attrs))
    return callback


def _send_node(endpoint: str, recorder: Recorder) -> None:
    step = [0]
    cpu = [{(("cpu", f"cpu{c}"), ("state", s)): (10.0 + k * (8 if s == "idle" else 2)
                                                 * (c + 1))
            for c in range(2) for s in STATES} for k in range(3)]
    memory = [{(("state", "used"),): 4e9 + k * 1e8, (("state", "free"),): 9e9,
               (("state", "cached"),): 3e9, (("state", "slab_reclaimable"),): 2e8}
              for k in range(3)]
    disk = [{(("device", "sda"), ("direction", "read")): 1e6 + k * 5e5,
             (("device", "sda"), ("direction", "write")): 2e6 + k * 7e5} for k in range(3)]
    net = [{(("device", "eth0"), ("direction", "receive")): 1e7 + k * 3e6,
            (("device", "eth0"), ("direction", "transmit")): 1e7 + k * 1e6,
            (("device", "lo"), ("direction", "receive")): 5e9 + k * 9e8} for k in range(3)]
    fs = [{(("mountpoint", "/"), ("device", "/dev/sda1"), ("state", "used")): 3e10,
           (("mountpoint", "/"), ("device", "/dev/sda1"), ("state", "free")): 7e10}]
    load = [{(): 0.5 + k} for k in range(3)]
    reader = InMemoryMetricReader()
    provider = MeterProvider(resource=Resource.create({"host.name": HOST, "os.type": "linux"}),
                             metric_readers=[reader])
    meter = provider.get_meter("otelcol/hostmetricsreceiver")
    meter.create_observable_counter("system.cpu.time", [_counter(cpu, step)], unit="s")
    meter.create_observable_up_down_counter("system.memory.usage", [_counter(memory, step)],
                                            unit="By")
    meter.create_observable_counter("system.disk.io", [_counter(disk, step)], unit="By")
    meter.create_observable_counter("system.network.io", [_counter(net, step)], unit="By")
    meter.create_observable_up_down_counter("system.filesystem.usage", [_counter(fs, step)],
                                            unit="By")
    meter.create_observable_gauge("system.cpu.load_average.1m", [_counter(load, step)])
    app_reader = InMemoryMetricReader()
    app = MeterProvider(resource=Resource.create(
        {"service.name": "hostapp", "service.instance.id": "hostapp-1", "host.name": HOST,
         "process.pid": 42}), metric_readers=[app_reader])
    app_meter = app.get_meter("bongsu")
    app_meter.create_observable_counter("process.cpu.time", [_counter(
        [{(("cpu.mode", "user"),): 5.0 + k * 0.4} for k in range(3)], step)], unit="s")
    app_meter.create_observable_gauge("process.memory.usage", [_counter(
        [{(): 2e8 + k * 1e6} for k in range(3)], step)], unit="By")
    exporter = OTLPMetricExporter(endpoint=endpoint + "/v1/metrics")
    for k in range(3):
        step[0] = k
        for r in (reader, app_reader):
            data = r.get_metrics_data()
            assert data is not None
            recorder.take(data)
            assert exporter.export(data) is MetricExportResult.SUCCESS
        time.sleep(0.6)


def _rate(points: list[tuple[str, dict[str, Any], int, float]], name: str,
          keep: Any = lambda a: True) -> float:
    series: dict[tuple[tuple[str, Any], ...], list[tuple[int, float]]] = {}
    for n, attrs, t, v in points:
        if n == name and keep(attrs):
            series.setdefault(tuple(sorted(attrs.items())), []).append((t, v))
    total = 0.0
    for pts in series.values():
        (t0, v0), (t1, v1) = pts[0], pts[-1]
        total += (v1 - v0) / ((t1 - t0) / 1e9)
    return total


@pytest.mark.slow
def test_host_figures_from_the_sdk(server_factory: Any) -> None:
    server = server_factory().start()
    recorder = Recorder()
    _send_node(server.otlp_url, recorder)
    tracer_provider = TracerProvider(resource=Resource.create(
        {"service.name": "hostapp", "service.instance.id": "hostapp-1", "host.name": HOST}))
    spans = []

    class Keep(OTLPSpanExporter):
        def export(self, batch: Any) -> Any:
            spans.extend(batch)
            return super().export(batch)

    tracer_provider.add_span_processor(SimpleSpanProcessor(
        Keep(endpoint=server.otlp_url + "/v1/traces")))
    tracer_provider.get_tracer("t").start_span("GET /host", kind=SpanKind.SERVER).end()
    server.wait_loaded()
    pts = recorder.points
    status, body = server.api("/api/v1/hosts")
    assert status == 200
    [row] = [h for h in body["hosts"] if h["host"] == HOST]
    busy = _rate(pts, "system.cpu.time", lambda a: a["state"] != "idle")
    assert row["cpu_utilization"] == pytest.approx(busy / _rate(pts, "system.cpu.time"))
    last_used = 4e9 + 2e8
    assert row["memory_used_bytes"] == pytest.approx(last_used)
    assert row["memory_utilization"] == pytest.approx(last_used / (last_used + 9e9 + 3e9))
    assert row["load_1m"] == pytest.approx(2.5)
    assert row["disk_bytes_per_s"] == pytest.approx(_rate(pts, "system.disk.io"))
    assert row["network_bytes_per_s"] == pytest.approx(
        _rate(pts, "system.network.io", lambda a: a["device"] != "lo"))
    assert row["process_cpu"] == pytest.approx(_rate(pts, "process.cpu.time"))
    assert row["process_memory_bytes"] == pytest.approx(2e8 + 2e6)
    assert row["instances"] == 1 and row["pods"] == 0  # the app; not the Collector's origin

    status, detail = server.api(f"/api/v1/hosts/{HOST}?step=10")
    assert status == 200
    assert [i["service"] for i in detail["instances"]] == ["hostapp"]
    assert detail["summary"]["cpu_utilization"] == pytest.approx(row["cpu_utilization"])
    [fs] = detail["filesystems"]
    assert fs["mountpoint"] == "/" and {p["used_bytes"] for p in fs["points"]
                                        if p["used_bytes"]} == {3e10}
    assert any(p["load_1m"] == pytest.approx(2.5) for p in detail["points"])
    assert server.api("/api/v1/hosts/no-such-host")[0] == 404

    status, found = server.api("/api/v1/search?q=node-a")
    assert found["results"][0] == {"kind": "host", "label": HOST, "detail": "host",
                                   "route": "hosts", "params": {"host": HOST}}
    status, found = server.api("/api/v1/search?q=hostapp&limit=5")
    assert found["results"][0]["kind"] == "service"
    assert found["results"][0]["params"] == {"service": "hostapp"}
    trace_id = format(spans[0].context.trace_id, "032x")
    status, found = server.api(f"/api/v1/search?q={trace_id}")
    assert found["results"][0]["route"] == "trace"
    assert found["results"][0]["params"] == {"trace_id": trace_id}
    assert server.api("/api/v1/search?q=x&limit=51")[0] == 400
    assert server.api("/api/v1/groups?services=hostapp&label=namespace:x")[0] == 400
    status, by_list = server.api("/api/v1/groups?services=hostapp")
    assert status == 200 and by_list["services"][0]["transactions"] == 1


def test_simulated_nodes_carry_their_pods(tmp_path: Any) -> None:
    """Every simulated node is a host with the pods the simulator placed on it, and CPU,
    memory, load, disk and network from its Collector's points."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    from query.test_groups import simulated

    for sim in simulated(tmp_path, seed=13):
        placed: dict[str, set[str]] = {}
        for e in sim.exports:
            if e.kind != "traces":
                continue
            for rs in ExportTraceServiceRequest.FromString(e.body).resource_spans:
                a = {kv.key: kv.value.string_value for kv in rs.resource.attributes}
                placed.setdefault(a["k8s.node.name"], set()).add(a["k8s.pod.name"])
        body = sim.client.get("/api/v1/hosts", params={
            "from": str(sim.start_ms), "to": str(sim.end_ms)}).json()
        rows = {h["host"]: h for h in body["hosts"]}
        assert set(rows) == set(placed)
        for node, pods in placed.items():
            row = rows[node]
            assert row["pods"] == len(pods) and row["instances"] == len(pods)
            assert 0 < row["cpu_utilization"] < 1 and 0 < row["memory_utilization"] < 1
            for field in ("load_1m", "disk_bytes_per_s", "network_bytes_per_s",
                          "process_cpu", "process_memory_bytes"):
                assert row[field] > 0, (node, field)
            detail = sim.client.get(f"/api/v1/hosts/{node}", params={
                "from": str(sim.start_ms), "to": str(sim.end_ms), "step": "60"}).json()
            assert {i["pod"] for i in detail["instances"]} == pods
            assert detail["filesystems"][0]["mountpoint"] == "/"
