"""Container usage from metrics.k8s.io, read through the official client from a loopback API."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, cast

import pytest
from kubernetes import client, config

from bongsu.errors import ScrapeError
from bongsu.kube import metric_names as m
from bongsu.kube.model import ContainerState, PodState
from bongsu.kube.points import state_points
from bongsu.kube.status import pod_state
from bongsu.kube.usage import apply_usage, read_pod_usage
from bongsu.simulate.kube import ApiServer, FakeCluster, shapes
from loopback import Loopback

PATH = "/apis/metrics.k8s.io/v1beta1/pods"
MI = 2.0**20

# What metrics-server answers (v0.7): a PodMetricsList, CPU in nanocores or millicores,
# memory (working set) in Ki.
POD_METRICS: dict[str, Any] = {
    "kind": "PodMetricsList", "apiVersion": "metrics.k8s.io/v1beta1",
    "metadata": {},
    "items": [
        {"metadata": {"name": "checkout-7d9f8b6c5d-x2kqp", "namespace": "shop",
                      "creationTimestamp": "2026-12-01T22:15:03Z",
                      "labels": {"app": "checkout", "pod-template-hash": "7d9f8b6c5d"}},
         "timestamp": "2026-12-01T22:14:51Z", "window": "15.011s",
         "containers": [
             {"name": "checkout", "usage": {"cpu": "153m", "memory": "123456Ki"}},
             {"name": "envoy", "usage": {"cpu": "12345678n", "memory": "41Mi"}}]},
        {"metadata": {"name": "cart-0", "namespace": "shop",
                      "creationTimestamp": "2026-12-01T22:15:03Z"},
         "timestamp": "2026-12-01T22:14:48Z", "window": "10.2s",
         "containers": [{"name": "cart", "usage": {"cpu": "0", "memory": "0"}}]},
    ],
}
NOT_FOUND = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
             "message": "the server could not find the requested resource",
             "reason": "NotFound", "details": {}, "code": 404}
UNAVAILABLE = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": "the server is currently unable to handle the request",
               "reason": "ServiceUnavailable", "details": {}, "code": 503}


class FakeApi:
    """A loopback API server answering the PodMetrics list with what ``answer`` holds."""

    def __init__(self) -> None:
        self.answer: tuple[int, Any] = (200, POD_METRICS)
        self.paths: list[str] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                api.paths.append(self.path)
                code, body = api.answer if self.path.split("?")[0] == PATH else (404, NOT_FOUND)
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.served = Loopback(Handler)
        self.url = f"http://127.0.0.1:{self.served.port}"

    def close(self) -> None:
        self.served.close()


@pytest.fixture
def fake() -> Iterator[FakeApi]:
    api = FakeApi()
    yield api
    api.close()


def _client(url: str) -> client.ApiClient:
    config = client.Configuration(host=url)
    config.retries = 0  # an unreachable API fails at once, not after urllib3's 3 retries
    return client.ApiClient(config)


def test_pod_metrics_quantities(fake: FakeApi) -> None:
    with _client(fake.url) as api:
        usage = read_pod_usage(api, timeout_s=5.0)
    assert fake.paths == [PATH]
    assert usage == {
        ("shop", "checkout-7d9f8b6c5d-x2kqp"): {
            "checkout": (pytest.approx(0.153), 123456 * 1024.0),
            "envoy": (pytest.approx(0.012345678), 41 * MI)},
        ("shop", "cart-0"): {"cart": (0.0, 0.0)},
    }


def test_no_metrics_server_is_none(fake: FakeApi) -> None:
    fake.answer = (404, NOT_FOUND)
    with _client(fake.url) as api:
        assert read_pod_usage(api, timeout_s=5.0) is None


def test_a_metrics_server_that_is_down_is_an_error(fake: FakeApi) -> None:
    fake.answer = (503, UNAVAILABLE)
    with _client(fake.url) as api, pytest.raises(ScrapeError, match="HTTP 503"):
        read_pod_usage(api, timeout_s=5.0)


def test_a_body_that_is_not_pod_metrics_is_an_error(fake: FakeApi) -> None:
    fake.answer = (200, b"<html>proxy error</html>")
    with _client(fake.url) as api, pytest.raises(ScrapeError, match="malformed"):
        read_pod_usage(api, timeout_s=5.0)


def test_an_unreachable_api_is_an_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connection refused
        with _client(f"http://127.0.0.1:{port}") as api, pytest.raises(ScrapeError):
            read_pod_usage(api, timeout_s=2.0)


def _pod(name: str, *containers: str) -> PodState:
    return PodState(
        cluster="private", namespace="shop", name=name, uid=name, node="node-a",
        phase="Running", ready=True, workload_kind=None, workload=None, labels={},
        containers=[ContainerState(c, "img", True, 0, "running", None, None, None, None, None,
                                   None, cpu_usage=9.0, memory_usage=9.0)
                    for c in containers],
        started_us=None)


def test_apply_usage_sets_and_clears(fake: FakeApi) -> None:
    with _client(fake.url) as api:
        usage = read_pod_usage(api, timeout_s=5.0)
    assert usage is not None
    checkout = _pod("checkout-7d9f8b6c5d-x2kqp", "checkout", "envoy", "init-db")
    gone = _pod("payment-0", "payment")  # metrics-server no longer reports it
    apply_usage([checkout, gone], usage)
    figures = {c.name: (c.cpu_usage, c.memory_usage) for c in checkout.containers}
    assert figures == {"checkout": (pytest.approx(0.153), 123456 * 1024.0),
                       "envoy": (pytest.approx(0.012345678), 41 * MI),
                       "init-db": (None, None)}
    assert (gone.containers[0].cpu_usage, gone.containers[0].memory_usage) == (None, None)


def test_usage_against_limits_from_the_simulated_cluster(tmp_path: Path) -> None:
    """Pods and PodMetrics from the simulated API server, through the official client,
    into compact pod state, usage, and points against the limits."""
    cluster = FakeCluster(name="private")
    owner = cluster.put(shapes.deployment("checkout", "shop", replicas=1,
                                          image="shop/checkout:1.4.2"))
    replicaset = cluster.put(shapes.replicaset(owner, "7d9f8b6c5d", replicas=1))
    start = time.time() - 600
    cluster.put(shapes.pod(
        "checkout-7d9f8b6c5d-x2kqp", "shop", node="node-a", started=start, created=start,
        owner=shapes.owner_ref(replicaset),
        labels={"app": "checkout", "pod-template-hash": "7d9f8b6c5d"},
        containers=[shapes.container("checkout", "shop/checkout:1.4.2", cpu_request="250m",
                                     cpu_limit="500m", memory_request="128Mi",
                                     memory_limit="256Mi")],
        statuses=[shapes.running("checkout", "shop/checkout:1.4.2", started_at=start)]))
    cluster.put(shapes.pod_metrics("checkout-7d9f8b6c5d-x2kqp", "shop",
                                   {"checkout": (0.153, 192 * MI)}))
    with ApiServer(cluster) as server:
        kubeconfig = str(server.kubeconfig(tmp_path / "kubeconfig"))
        api = config.new_client_from_config(kubeconfig)  # type: ignore[no-untyped-call]
        with api:
            raw = client.CoreV1Api(api).list_pod_for_all_namespaces(_preload_content=False)
            items = json.loads(cast(Any, raw).data)["items"]  # unread: raw urllib3 response
            pods = [pod_state("private", obj) for obj in items]
            usage = read_pod_usage(api, timeout_s=5.0)
    assert usage is not None
    apply_usage(pods, usage)
    rows = state_points("default", "private", 1_796_000_040_000_000, pods, [], []).to_pylist()
    figures = {r["name"]: r["value"] for r in rows}
    assert figures[m.CPU_LIMIT] == pytest.approx(0.5)
    assert figures[m.CPU_USAGE] == pytest.approx(0.153)
    assert figures[m.CPU_LIMIT_UTILIZATION] == pytest.approx(0.153 / 0.5)
    assert figures[m.MEMORY_LIMIT_UTILIZATION] == pytest.approx(192 / 256)
    assert figures[m.POD_READY] == 1
    assert {r["service"] for r in rows} == {"checkout"}  # the pod's Deployment
