"""The traffic simulator: deterministic, realistic in shape, and delivered over OTLP/HTTP."""

from __future__ import annotations

import collections
import contextlib
import http.server
import itertools
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.metrics.v1.metrics_pb2 import Metric
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

import bongsu.simulate
from bongsu.simulate import Export, generate, run
from bongsu.simulate._sender import Sender, retry_after

START_NS = 1_767_225_600 * 10**9  # 2026-01-01T00:00:00Z
SERVER, CLIENT = Span.SPAN_KIND_SERVER, Span.SPAN_KIND_CLIENT
K8S_KEYS = ("service.name", "service.instance.id", "host.name", "k8s.pod.name",
            "k8s.namespace.name", "k8s.cluster.name", "k8s.node.name",
            "telemetry.sdk.language", "service.version", "deployment.environment")


def attributes(kvs: Iterator[KeyValue] | list[KeyValue]) -> dict[str, object]:
    out: dict[str, object] = {}
    for kv in kvs:
        kind = kv.value.WhichOneof("value")
        out[kv.key] = getattr(kv.value, kind) if kind else None
    return out


@dataclass
class Sample:
    """Parsed output of one generate() run."""

    exports: list[Export]
    spans: list[tuple[dict[str, object], Span]] = field(default_factory=list)
    metrics: list[tuple[dict[str, object], Metric]] = field(default_factory=list)
    logs: list[tuple[dict[str, object], LogRecord]] = field(default_factory=list)
    resources: list[dict[str, object]] = field(default_factory=list)
    # The Collector's host metrics per node (resources without service.name), kept apart.
    nodes: list[tuple[dict[str, object], Metric, int]] = field(default_factory=list)
    spans_per_request: list[int] = field(default_factory=list)


def parse(exports: list[Export]) -> Sample:
    sample = Sample(exports)
    for export in exports:
        if export.kind == "traces":
            traces = ExportTraceServiceRequest.FromString(export.body)
            count = 0
            for rs in traces.resource_spans:
                res = attributes(rs.resource.attributes)
                sample.resources.append(res)
                for ss in rs.scope_spans:
                    sample.spans.extend((res, s) for s in ss.spans)
                    count += len(ss.spans)
            sample.spans_per_request.append(count)
            assert count == export.items
        elif export.kind == "metrics":
            metrics = ExportMetricsServiceRequest.FromString(export.body)
            for rm in metrics.resource_metrics:
                res = attributes(rm.resource.attributes)
                if "service.name" not in res:
                    sample.nodes.extend((res, m, export.at_ns) for sm in rm.scope_metrics
                                        for m in sm.metrics)
                    continue
                sample.resources.append(res)
                for sm in rm.scope_metrics:
                    sample.metrics.extend((res, m) for m in sm.metrics)
        else:
            logs = ExportLogsServiceRequest.FromString(export.body)
            for rl in logs.resource_logs:
                res = attributes(rl.resource.attributes)
                sample.resources.append(res)
                for sl in rl.scope_logs:
                    sample.logs.extend((res, r) for r in sl.log_records)
    return sample


@pytest.fixture(scope="module")
def sample() -> Sample:
    return parse(list(generate(seed=7, start_ns=START_NS, duration_s=150, rate=40)))


def test_public_api() -> None:
    assert bongsu.simulate.__all__ == ["Export", "RunStats", "generate", "run"]


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    first = list(generate(seed=1, start_ns=START_NS, duration_s=12, rate=20))
    again = list(generate(seed=1, start_ns=START_NS, duration_s=12, rate=20))
    other = list(generate(seed=2, start_ns=START_NS, duration_s=12, rate=20))
    assert first == again
    assert {e.kind for e in first} == {"traces", "metrics", "logs"}
    assert [e.body for e in first] != [e.body for e in other]


def test_exports_come_in_send_order_in_sdk_sized_batches(sample: Sample) -> None:
    times = [e.at_ns for e in sample.exports]
    assert times == sorted(times)
    assert times[0] > START_NS and times[-1] < START_NS + 200 * 10**9
    assert max(sample.spans_per_request) <= 512
    kinds = collections.Counter(e.kind for e in sample.exports)
    assert kinds["traces"] > 150 and kinds["logs"] > 150
    assert sum(e.items for e in sample.exports if e.kind == "traces") == len(sample.spans)


def test_services_instances_and_kubernetes_resources(sample: Sample) -> None:
    for resource in sample.resources:
        for key in K8S_KEYS:
            assert resource.get(key), (key, resource)
        pod = str(resource["k8s.pod.name"])
        name, replica_set, suffix = pod.rsplit("-", 2)
        assert name == resource["service.name"] and len(replica_set) == 9 and len(suffix) == 5
    instances: dict[object, set[object]] = collections.defaultdict(set)
    for resource in sample.resources:
        instances[resource["service.name"]].add(resource["service.instance.id"])
    assert len(instances) >= 5
    assert all(2 <= len(ids) <= 3 for ids in instances.values()), instances
    languages = {r["telemetry.sdk.language"] for r in sample.resources}
    assert {"python", "java"} <= languages


def test_ids_are_random_sized_and_never_zero(sample: Sample) -> None:
    span_ids = [s.span_id for _, s in sample.spans]
    assert len(set(span_ids)) == len(span_ids)
    for _, span in sample.spans:
        assert len(span.trace_id) == 16 and any(span.trace_id)
        assert len(span.span_id) == 8 and any(span.span_id)
        assert span.start_time_unix_nano < span.end_time_unix_nano


def test_client_spans_are_parents_of_server_spans_with_nested_timing(sample: Sample) -> None:
    by_id = {s.span_id: (r, s) for r, s in sample.spans}
    traces: dict[bytes, list[Span]] = collections.defaultdict(list)
    calls = 0
    for resource, span in sample.spans:
        traces[span.trace_id].append(span)
        if not span.parent_span_id:
            assert span.kind == SERVER and resource["service.name"] == "frontend"
            continue
        parent_resource, parent = by_id[span.parent_span_id]
        assert parent.trace_id == span.trace_id
        assert parent.start_time_unix_nano <= span.start_time_unix_nano
        assert span.end_time_unix_nano <= parent.end_time_unix_nano
        if span.kind == SERVER:
            calls += 1
            assert parent.kind == CLIENT
            assert parent_resource["service.name"] != resource["service.name"]
            assert attributes(parent.attributes)["server.address"] == resource["service.name"]
    assert calls > 1000
    assert all(sum(not s.parent_span_id for s in spans) == 1 for spans in traces.values())


def test_database_cache_and_external_client_spans(sample: Sample) -> None:
    children = {s.parent_span_id for _, s in sample.spans}
    systems: collections.Counter[object] = collections.Counter()
    external = 0
    for _, span in sample.spans:
        attrs = attributes(span.attributes)
        if "db.system" in attrs:
            assert span.kind == CLIENT and attrs["server.address"]
            systems[attrs["db.system"]] += 1
            if attrs["db.system"] == "postgresql":
                assert attrs["db.name"] and "?" in str(attrs["db.statement"])
        elif attrs.get("server.address") == "api.stripe.example":
            external += 1
            assert span.kind == CLIENT and span.span_id not in children
            assert str(attrs["url.full"]).startswith("https://api.stripe.example/")
            assert attrs["http.request.method"] == "POST"
            assert attrs.get("http.response.status_code") == 200 or span.status.code
    assert systems["postgresql"] > 1000 and systems["redis"] > 1000 and external > 100
    servers = {attributes(s.attributes)["server.address"] for _, s in sample.spans
               if s.kind == SERVER}
    assert "api.stripe.example" not in servers


def test_server_spans_follow_http_semantic_conventions(sample: Sample) -> None:
    users = set()
    for _, span in sample.spans:
        if span.kind != SERVER:
            continue
        attrs = attributes(span.attributes)
        method, route = span.name.split(" ", 1)
        assert attrs["http.request.method"] == method and attrs["http.route"] == route
        assert str(attrs["url.path"]).startswith("/") and "{" not in str(attrs["url.path"])
        assert attrs["server.address"] and attrs["http.response.status_code"]
        if "enduser.id" in attrs:
            assert not span.parent_span_id
            users.add(attrs["enduser.id"])
    assert 100 < len(users) <= 300


def test_about_one_percent_of_requests_fail_with_exceptions(sample: Sample) -> None:
    roots = [s for _, s in sample.spans if not s.parent_span_id]
    errors = [s for s in roots if s.status.code == Status.STATUS_CODE_ERROR]
    assert 0.005 <= len(errors) / len(roots) <= 0.02, (len(errors), len(roots))
    for _, span in sample.spans:
        if span.kind == SERVER and span.status.code == Status.STATUS_CODE_ERROR:
            assert attributes(span.attributes)["http.response.status_code"] == 500
            assert span.status.message
            (event,) = [e for e in span.events if e.name == "exception"]
            event_attrs = attributes(event.attributes)
            assert {"exception.type", "exception.message", "exception.stacktrace"} <= set(
                event_attrs)
    client_errors = [s for s in roots if attributes(s.attributes)["http.response.status_code"]
                     in (400, 401, 404)]
    assert client_errors and all(s.status.code != Status.STATUS_CODE_ERROR
                                 for s in client_errors)


def test_latencies_are_log_normal_with_one_slow_endpoint(sample: Sample) -> None:
    durations: dict[str, list[float]] = collections.defaultdict(list)
    for _, span in sample.spans:
        if span.kind == SERVER:
            ms = (span.end_time_unix_nano - span.start_time_unix_nano) / 1e6
            durations[span.name].append(ms)
    medians = {name: statistics.median(ms) for name, ms in durations.items()}
    slow = medians.pop("POST /payments/authorize")
    medians.pop("POST /orders")
    medians.pop("POST /checkout")  # both wait for the payment
    assert slow > 200 and slow > 3 * max(medians.values()), (slow, medians)
    assert len({round(m) for m in medians.values()}) > 5  # endpoints differ
    products = durations["GET /products/{id}"]
    assert statistics.mean(products) > statistics.median(products)  # right-skewed
    assert max(durations["POST /payments/authorize"]) > 1500


def test_metrics_cover_runtime_http_db_and_jvm(sample: Sample) -> None:
    kinds: dict[str, set[str]] = collections.defaultdict(set)
    services: dict[str, set[object]] = collections.defaultdict(set)
    for resource, metric in sample.metrics:
        kinds[metric.name].add(str(metric.WhichOneof("data")))
        services[metric.name].add(resource["service.name"])
    assert kinds["http.server.request.duration"] == {"histogram"}
    assert kinds["db.client.operation.duration"] == {"exponential_histogram"}
    assert kinds["process.memory.usage"] == {"gauge"}
    assert kinds["process.cpu.utilization"] == {"gauge"}
    assert kinds["db.client.connections.usage"] == {"sum"}
    for name in ("jvm.memory.used", "jvm.memory.limit", "jvm.gc.duration", "jvm.thread.count",
                 "jvm.cpu.recent_utilization"):
        assert services[name] == {"payments"}, name
    assert len(services["process.memory.usage"]) >= 5
    for _, metric in sample.metrics:
        if metric.name == "jvm.memory.used":
            types = {attributes(p.attributes)["jvm.memory.type"] for p in metric.sum.data_points}
            assert types == {"heap", "non_heap"}
        if metric.name == "process.cpu.time":
            assert metric.sum.is_monotonic
        if metric.name == "http.server.request.duration":
            for point in metric.histogram.data_points:
                assert sum(point.bucket_counts) == point.count
                assert len(point.bucket_counts) == len(point.explicit_bounds) + 1


def test_one_python_instance_leaks_memory() -> None:
    rss: dict[str, list[float]] = collections.defaultdict(list)
    for export in generate(seed=3, start_ns=START_NS, duration_s=1800, rate=0.5):
        if export.kind != "metrics":
            continue
        for rm in ExportMetricsServiceRequest.FromString(export.body).resource_metrics:
            if "service.name" not in attributes(rm.resource.attributes):
                continue  # a node's host metrics (test_nodes_send_host_metrics)
            pod = str(attributes(rm.resource.attributes)["k8s.pod.name"])
            for metric in rm.scope_metrics[0].metrics:
                if metric.name == "process.memory.usage":
                    rss[pod].append(metric.gauge.data_points[0].as_int / 2**20)
    growth = {pod: statistics.mean(v[-10:]) - statistics.mean(v[:10]) for pod, v in rss.items()}
    leaking = [pod for pod, v in rss.items() if max(v) - min(v) > 20]
    assert len(leaking) == 1 and leaking[0].startswith("orders-"), growth
    assert all(abs(mib) < 5 for pod, mib in growth.items() if pod not in leaking)
    # It has been leaking a while: OOM-killed at its 256 MiB limit a few minutes in (one
    # sample every 10 s), then growing again from its base size.
    v = rss[leaking[0]]
    kills = [i for i, (a, b) in enumerate(itertools.pairwise(v)) if a - b > 20]
    assert len(kills) == 1 and 6 <= kills[0] <= 60, kills
    assert 240 < v[kills[0]] <= 256 and v[-1] - v[kills[0] + 1] > 20


def test_logs_belong_to_spans_and_carry_severity(sample: Sample) -> None:
    spans = {s.span_id: (r, s) for r, s in sample.spans}
    severities: collections.Counter[str] = collections.Counter()
    for resource, record in sample.logs:
        resource_of_span, span = spans[record.span_id]
        assert record.trace_id == span.trace_id
        assert resource == resource_of_span
        assert span.start_time_unix_nano <= record.time_unix_nano <= span.end_time_unix_nano
        assert record.body.string_value and record.severity_number
        severities[record.severity_text] += 1
        if record.severity_text == "ERROR":
            assert "exception.stacktrace" in attributes(record.attributes)
    assert severities["INFO"] > severities["WARN"] > severities["ERROR"] > 0
    traces = {s.trace_id for _, s in sample.spans}
    assert 1.5 < len(sample.logs) / len(traces) < 6


class Sink(http.server.ThreadingHTTPServer):
    """An OTLP/HTTP receiver on loopback that records what it is sent."""

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), SinkHandler)
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.replies: collections.deque[tuple[int, dict[str, str]]] = collections.deque()
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        """Stop like a dead process: keep-alive connections drop too."""
        self.shutdown()
        self.server_close()
        for connection in self.connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # connections reset by the tests themselves


class SinkHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the sender expects
    server: Sink

    def setup(self) -> None:
        super().setup()
        self.server.connections.append(self.connection)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, dict(self.headers), body))
        status, headers = self.server.replies.popleft() if self.server.replies else (200, {})
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = Sink()
    yield server
    server.stop()


def test_run_posts_protobuf_to_the_otlp_paths(sink: Sink) -> None:
    messages: list[str] = []
    stats = run(sink.url, rate=30, seed=5, duration=1.5, api_key="bsk_test",
                progress=messages.append)
    assert {path for path, _, _ in sink.received} == {"/v1/traces", "/v1/metrics", "/v1/logs"}
    parsers: dict[str, Any] = {"/v1/traces": ExportTraceServiceRequest, "/v1/metrics":
                               ExportMetricsServiceRequest, "/v1/logs": ExportLogsServiceRequest}
    spans = 0
    for path, headers, body in sink.received:
        assert headers["Content-Type"] == "application/x-protobuf"
        assert headers["Authorization"] == "Bearer bsk_test"
        message = parsers[path].FromString(body)
        if path == "/v1/traces":
            spans += sum(len(ss.spans) for rs in message.resource_spans
                         for ss in rs.scope_spans)
    assert stats.sent["traces"] == spans > 50
    assert stats.failed_requests == 0 and stats.requests == len(sink.received)
    assert "seed 5" in messages[0] and messages[-1].startswith("done: sent")


def test_run_retries_after_503_with_retry_after(sink: Sink) -> None:
    sink.replies.append((503, {"Retry-After": "1"}))
    began = time.monotonic()
    stats = run(sink.url, rate=10, seed=5, duration=0.5, progress=None)
    assert time.monotonic() - began >= 1.0
    assert stats.retries == 1 and stats.failed_requests == 0
    assert len(sink.received) == stats.requests + 1
    assert sink.received[0][2] == sink.received[1][2]  # the same body, sent again


def test_run_survives_a_server_that_is_down() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    began = time.monotonic()
    stats = run(f"http://127.0.0.1:{port}", rate=20, seed=5, duration=1.0, progress=None)
    assert time.monotonic() - began < 5
    assert stats.requests == 0 and stats.failed_requests > 0
    assert stats.failed["traces"] > 0 and stats.last_error


def test_sender_fails_fast_while_down_and_recovers(sink: Sink) -> None:
    now = [0.0]
    port = sink.server_address[1]
    sender = Sender(sink.url, clock=lambda: now[0])
    assert sender.send("/v1/logs", b"").ok
    sink.stop()
    assert not sender.send("/v1/logs", b"").ok  # refused: the endpoint is now down
    assert sender.send("/v1/logs", b"").detail.startswith("endpoint down (")
    revived = Sink(port)
    try:
        now[0] = 10.0
        assert sender.send("/v1/logs", b"x").ok
        assert revived.received[-1][2] == b"x"
    finally:
        sender.close()
        revived.stop()


def test_sender_does_not_retry_a_rejected_export(sink: Sink) -> None:
    sink.replies.append((400, {}))
    result = Sender(sink.url).send("/v1/traces", b"junk")
    assert not result.ok and result.detail == "HTTP 400" and len(sink.received) == 1


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after("3", 0.0) == 3.0
    assert retry_after(None, 0.0) is None and retry_after("soon", 0.0) is None
    assert retry_after("Thu, 01 Jan 2026 00:00:10 GMT", 1_767_225_600.0) == 10.0


def test_two_clusters_behind_a_30_70_load_balancer(sample: Sample) -> None:
    from bongsu.simulate._topology import SITES

    nodes = {site.name: set(site.nodes) for site in SITES}
    for resource in sample.resources:
        assert resource["k8s.node.name"] in nodes[str(resource["k8s.cluster.name"])]
        assert resource["k8s.deployment.name"] == resource["service.name"]
    clusters: dict[bytes, set[object]] = collections.defaultdict(set)
    roots: collections.Counter[object] = collections.Counter()
    for resource, span in sample.spans:
        clusters[span.trace_id].add(resource["k8s.cluster.name"])
        if not span.parent_span_id:
            roots[resource["k8s.cluster.name"]] += 1
    assert all(len(c) == 1 for c in clusters.values())  # a request stays where it entered
    private = roots["onprem-seoul"] / sum(roots.values())
    assert set(roots) == {"onprem-seoul", "aws-apne2"} and 0.27 < private < 0.33, roots
    services = {(r["k8s.cluster.name"], r["service.name"]) for r in sample.resources}
    assert {s for _, s in services if _ == "onprem-seoul"} == {
        s for _, s in services if _ == "aws-apne2"}  # every service runs in both


def test_hpa_pods_join_and_leave_with_the_load() -> None:
    # START_NS opens a load cycle: the campaign wave is at minutes 10-18, so the public
    # frontend runs 2 pods, then 5 (from minute 12), then 2 again (five minutes after).
    pods: dict[int, set[str]] = collections.defaultdict(set)  # minute → public frontend pods
    served: collections.Counter[str] = collections.Counter()
    for export in generate(seed=5, start_ns=START_NS, duration_s=1800, rate=2):
        minute = (export.at_ns - START_NS) // 60_000_000_000
        if export.kind == "metrics":
            for rm in ExportMetricsServiceRequest.FromString(export.body).resource_metrics:
                res = attributes(rm.resource.attributes)
                if res.get("service.name") == "frontend" and res["k8s.cluster.name"] == "aws-apne2":
                    pods[minute].add(str(res["k8s.pod.name"]))
        elif export.kind == "traces" and 13 <= minute < 16:
            for rs in ExportTraceServiceRequest.FromString(export.body).resource_spans:
                res = attributes(rs.resource.attributes)
                if res["service.name"] == "frontend" and res["k8s.cluster.name"] == "aws-apne2":
                    served[str(res["k8s.pod.name"])] += len(rs.scope_spans[0].spans)
    assert len(pods[5]) == 2 and len(pods[14]) == 5 and len(pods[28]) == 2
    assert pods[28] == pods[5]  # the HPA's pods came and went; the two base pods stayed
    added = pods[14] - pods[5]
    hashes = {p.rsplit("-", 2)[1] for p in pods[14]}
    assert len(added) == 3 and len(hashes) == 1  # new pods of the same ReplicaSet
    assert set(served) == pods[14] and min(served.values()) > 0.1 * max(served.values())


def test_failover_takes_the_private_cluster_out_for_five_minutes() -> None:
    # The failover window is minutes 40-45 of every hour; START_NS is on the hour.
    start = START_NS + 38 * 60 * 10**9
    roots: dict[int, collections.Counter[object]] = collections.defaultdict(collections.Counter)
    for export in generate(seed=6, start_ns=start, duration_s=9 * 60, rate=10, failover=True):
        if export.kind != "traces":
            continue
        for rs in ExportTraceServiceRequest.FromString(export.body).resource_spans:
            cluster = attributes(rs.resource.attributes)["k8s.cluster.name"]
            for span in rs.scope_spans[0].spans:
                if not span.parent_span_id:
                    minute = (span.start_time_unix_nano - START_NS) // 60_000_000_000
                    roots[minute][cluster] += 1
    for minute in (38, 39, 45, 46):
        assert roots[minute]["onprem-seoul"] > 0.2 * sum(roots[minute].values()), minute
    for minute in range(40, 45):
        assert roots[minute]["onprem-seoul"] == 0 and roots[minute]["aws-apne2"] > 300, minute


def test_nodes_send_host_metrics_that_follow_the_pods(sample: Sample) -> None:
    """Every node the pods run on sends the hostmetrics receiver's system.* metrics every
    interval; CPU time counters only rise, their busy share follows the pods' CPU, and
    memory used covers the pods' RSS."""
    nodes = {str(r["k8s.node.name"]) for r in sample.resources}
    sent: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    cpu: dict[tuple[str, str, str], list[float]] = collections.defaultdict(list)
    used: dict[str, list[float]] = collections.defaultdict(list)
    for res, metric, _ in sample.nodes:
        host = str(res["host.name"])
        assert res["k8s.node.name"] == host and res["os.type"] == "linux"
        sent[host][metric.name] += 1
        if metric.name == "system.cpu.time":
            assert metric.sum.is_monotonic
            for p in metric.sum.data_points:
                a = attributes(p.attributes)
                cpu[(host, str(a["cpu"]), str(a["state"]))].append(p.as_double)
        if metric.name == "system.memory.usage":
            for p in metric.sum.data_points:
                if attributes(p.attributes)["state"] == "used":
                    used[host].append(p.as_int)
    assert set(sent) == nodes and len(nodes) == 6
    intervals = 150 // 10
    for host, names in sent.items():
        for name in ("system.cpu.time", "system.memory.usage", "system.cpu.load_average.1m",
                     "system.disk.io", "system.network.io", "system.filesystem.usage"):
            assert names[name] >= intervals, (host, name, names[name])
    for values in cpu.values():
        assert values == sorted(values)
    pod_rss: dict[str, float] = collections.defaultdict(float)
    for res, metric in sample.metrics:
        if metric.name == "process.memory.usage" and res.get("k8s.node.name"):
            pod_rss[str(res["k8s.node.name"])] = max(
                pod_rss[str(res["k8s.node.name"])], metric.gauge.data_points[0].as_int)
    for host, values in used.items():
        assert min(values) > pod_rss[host]
    busy = {}
    for host in nodes:
        total = sum(v[-1] - v[0] for (h, _, _), v in cpu.items() if h == host)
        idle = sum(v[-1] - v[0] for (h, _, s), v in cpu.items() if h == host and s == "idle")
        busy[host] = 1 - idle / total
    assert all(0.04 < b < 0.9 for b in busy.values()), busy
