"""The clusters' edge proxies as Prometheus text endpoints, counting the requests sent.

The public cluster runs ingress-nginx, whose controller exports
``nginx_ingress_controller_requests`` (a counter per ingress, namespace, service,
status, method, host and path) and the ``nginx_ingress_controller_request_duration_seconds``
histogram (its default buckets). The private one runs the OpenShift router, HAProxy,
whose exporter gives ``haproxy_backend_http_responses_total`` per backend, code class,
namespace and route, and ``haproxy_backend_http_average_response_latency_milliseconds``
(HAProxy's average over the last 1024 requests). Each is served at ``/metrics`` on
loopback, from its own registry.

Example::

    edge = NginxIngress("aws-apne2", pod="ingress-nginx-controller-7c6d9f8b5-kx2lp")
    edge.observe("GET", 200, 0.042)
    with MetricsEndpoint(edge.registry) as endpoint:
        urllib.request.urlopen(endpoint.url).read()   # the text exposition format
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from bongsu.simulate._topology import NAMESPACE

HOST = "shop.example.com"
NGINX_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


# prometheus_client's own Counter adds ``_created`` series the Go exporters do not have, so
# the proxies keep their figures and give them to the registry as metric families.
LabelKey = tuple[str, ...]


class NginxIngress:
    """ingress-nginx's request metrics for the shop's Ingress (``shop`` → ``frontend``)."""

    LABELS = ("ingress", "namespace", "service", "status", "method", "host", "path",
              "controller_class", "controller_namespace", "controller_pod")

    def __init__(self, cluster: str, pod: str) -> None:
        self.cluster = cluster
        self.pod = pod
        self._lock = threading.Lock()
        self._requests: dict[LabelKey, int] = {}
        self._buckets: dict[LabelKey, list[int]] = {}
        self._sums: dict[LabelKey, float] = {}
        self.registry = CollectorRegistry()
        self.registry.register(self)

    def observe(self, method: str, status: int, seconds: float) -> None:
        key = ("shop", NAMESPACE, "frontend", str(status), method, HOST, "/",
               "k8s.io/ingress-nginx", "ingress-nginx", self.pod)
        with self._lock:
            self._requests[key] = self._requests.get(key, 0) + 1
            counts = self._buckets.setdefault(key, [0] * len(NGINX_BUCKETS))
            for i, bound in enumerate(NGINX_BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
            self._sums[key] = self._sums.get(key, 0.0) + seconds

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily("nginx_ingress_controller_requests",
                                       "The total number of client requests",
                                       labels=self.LABELS)
        duration = HistogramMetricFamily("nginx_ingress_controller_request_duration_seconds",
                                         "The request processing time in milliseconds",
                                         labels=self.LABELS)
        with self._lock:
            for key, count in sorted(self._requests.items()):
                requests.add_metric(key, count)
                buckets = [(str(b), float(c)) for b, c in
                           zip(NGINX_BUCKETS, self._buckets[key], strict=True)]
                duration.add_metric(key, [*buckets, ("+Inf", float(count))],
                                    self._sums[key])
        yield requests
        yield duration


ROUTE = "shop"  # the Ingress of the shop (scenario._clusters), served as a Route


class HaproxyRouter:
    """The OpenShift router's HAProxy metrics for the shop's route (``shop``: the router
    serves the cluster's Ingress ``shop`` as a Route of the same name)."""

    CODES = ("1xx", "2xx", "3xx", "4xx", "5xx", "other")  # HAProxy lists every class

    def __init__(self, cluster: str) -> None:
        self.cluster = cluster
        self._lock = threading.Lock()
        self._responses = dict.fromkeys(self.CODES, 0)
        self._last: collections.deque[float] = collections.deque(maxlen=1024)
        self._backend = f"be_edge_http:{NAMESPACE}:{ROUTE}"
        self.registry = CollectorRegistry()
        self.registry.register(self)

    def observe(self, method: str, status: int, seconds: float) -> None:
        del method  # HAProxy's backend counters do not split by method
        code = f"{status // 100}xx" if 100 <= status < 600 else "other"
        with self._lock:
            self._responses[code] += 1
            self._last.append(seconds * 1000)

    def collect(self) -> Iterator[Metric]:
        responses = CounterMetricFamily("haproxy_backend_http_responses",
                                        "Total of HTTP responses.",
                                        labels=("backend", "code", "namespace", "route"))
        latency = GaugeMetricFamily(
            "haproxy_backend_http_average_response_latency_milliseconds",
            "Average response latency of the last 1024 requests in milliseconds.",
            labels=("backend", "namespace", "route"))
        with self._lock:
            for code, count in self._responses.items():
                responses.add_metric((self._backend, code, NAMESPACE, ROUTE), count)
            average = sum(self._last) / len(self._last) if self._last else 0.0
        latency.add_metric((self._backend, NAMESPACE, ROUTE), round(average))
        yield responses
        yield latency


class _Handler(BaseHTTPRequestHandler):
    registry: CollectorRegistry

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] != "/metrics":
            self.send_error(404)
            return
        body = generate_latest(self.registry)
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPE_LATEST)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class MetricsEndpoint:
    """Serve one registry at ``http://127.0.0.1:PORT/metrics`` from a thread."""

    def __init__(self, registry: CollectorRegistry, port: int = 0,
                 host: str = "127.0.0.1") -> None:
        handler = type("MetricsHandler", (_Handler,), {"registry": registry})
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self.host = host
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.1,),
                                        name="ingress-metrics", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/metrics"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def __enter__(self) -> MetricsEndpoint:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
