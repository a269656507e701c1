"""Ingress traffic scraped from Prometheus text that ``prometheus_client`` itself serves.

Each test builds the exporter's own metric names and labels in a ``CollectorRegistry``,
serves ``generate_latest`` on loopback, adds known traffic between two scrapes and checks
the rates, error rates and latency figures worked out by hand from that traffic.
"""

from __future__ import annotations

import json
import math
import socket
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics_core import Metric

from bongsu.accounts.principal import header_tenants
from bongsu.api import create_api
from bongsu.errors import ScrapeError
from bongsu.kube import metric_names as m
from bongsu.kube.exporters import builtin_exporters
from bongsu.kube.exporters.reading import (
    Buckets,
    Reading,
    Route,
    counter_series,
    reading_of,
    series_id,
)
from bongsu.kube.scrape import Scraper, ScrapeTarget, quantile
from bongsu.settings import Settings
from bongsu.store.batch import METRIC_SCHEMA, Batch
from bongsu.store.duckdb import DuckDBStore
from loopback import Loopback
from query.harness import serve

T0 = 1_796_000_040_000_000  # a minute boundary
S = 1_000_000
NGINX_LABELS = ("controller_class", "controller_namespace", "controller_pod", "host",
                "ingress", "method", "namespace", "path", "service", "status")
NGINX_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)  # its defaults


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exception(), ConnectionError):
            super().handle_error(request, client_address)
        # else the slow answer's client gave up (its timeout): a broken pipe, expected


class Endpoint:
    """A loopback HTTP server answering every GET with ``body()`` (or ``status``)."""

    def __init__(self, body: Callable[[], bytes]) -> None:
        self.body, self.status, self.delay_s = body, 200, 0.0
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                time.sleep(endpoint.delay_s)
                data = endpoint.body() if endpoint.status == 200 else b"upstream error"
                self.send_response(endpoint.status)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.served = Loopback(Handler, _Server)
        self.url = f"http://127.0.0.1:{self.served.port}/metrics"

    def close(self) -> None:
        self.served.close()


class Nginx:
    """ingress-nginx's two families, in a registry of their own (a restart: a new one)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("nginx_ingress_controller_requests", "The total number of"
                                " client requests", NGINX_LABELS, registry=self.registry)
        self.duration = Histogram(
            "nginx_ingress_controller_request_duration_seconds", "The request processing"
            " time in seconds", NGINX_LABELS, buckets=NGINX_BUCKETS, registry=self.registry)

    def serve(self, n: int, status: str, seconds: float, ingress: str = "frontend",
              path: str = "/", service: str = "frontend", method: str = "GET",
              pod: str = "ingress-nginx-controller-5c8d66c76d-4xq2w") -> None:
        labels = dict(controller_class="k8s.io/ingress-nginx", controller_namespace="ingress",
                      controller_pod=pod, host="shop.example.com", ingress=ingress,
                      method=method, namespace="shop", path=path, service=service,
                      status=status)
        self.requests.labels(**labels).inc(n)
        for _ in range(n):
            self.duration.labels(**labels).observe(seconds)


@pytest.fixture
def endpoints() -> Iterator[Callable[[Callable[[], bytes]], Endpoint]]:
    started: list[Endpoint] = []

    def make(body: Callable[[], bytes]) -> Endpoint:
        started.append(Endpoint(body))
        return started[-1]

    yield make
    for e in started:
        e.close()


def _points(table: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """{(name, instance): row} of a scrape's table; each pair must be there once."""
    assert table.schema == METRIC_SCHEMA
    rows = table.to_pylist()
    out = {(r["name"], r["instance"]): r for r in rows}
    assert len(out) == len(rows)
    return out


FRONTEND = "private/shop/frontend/shop.example.com/"
API = "private/shop/api/shop.example.com/api"


def test_ingress_nginx_rates_errors_and_latency(endpoints: Any) -> None:
    nginx = Nginx()
    nginx.serve(50, "200", 0.02)  # traffic before the first scrape: not counted
    nginx.serve(5, "200", 0.07, ingress="api", path="/api", service="api")
    endpoint = endpoints(lambda: generate_latest(nginx.registry))
    scraper = Scraper(ScrapeTarget("private", endpoint.url), "default", timeout_s=5.0)
    assert scraper.scrape(T0).num_rows == 0  # the first scrape primes the counters

    nginx.serve(60, "200", 0.03)
    nginx.serve(30, "200", 0.03, method="POST")
    nginx.serve(6, "404", 0.004)
    nginx.serve(4, "503", 0.8)
    # The same rule through a second controller pod sums in.
    nginx.serve(0, "200", 0.03, pod="ingress-nginx-controller-5c8d66c76d-9zk7b")
    points = _points(scraper.scrape(T0 + 10 * S))

    assert points[(m.INGRESS_REQUESTS, FRONTEND)]["value"] == pytest.approx(100 / 10)
    assert points[(m.INGRESS_4XX, FRONTEND)]["value"] == pytest.approx(6 / 10)
    assert points[(m.INGRESS_5XX, FRONTEND)]["value"] == pytest.approx(4 / 10)
    assert points[(m.INGRESS_LATENCY_AVG, FRONTEND)]["value"] == pytest.approx(
        (90 * 30 + 6 * 4 + 4 * 800) / 100)
    # Rank 95 of 100: 6 requests up to 5 ms, 90 in (25, 50] ms, so 25 + 25 * 89/90.
    assert points[(m.INGRESS_LATENCY_P95, FRONTEND)]["value"] == pytest.approx(
        25 + 25 * 89 / 90)
    row = points[(m.INGRESS_LATENCY_P95, FRONTEND)]
    assert (row["service"], row["unit"], row["kind"], row["ts_us"]) == (
        "frontend", "ms", "gauge", T0 + 10 * S)
    assert json.loads(row["attributes"]) == {
        m.CLUSTER: "private", m.NAMESPACE: "shop", m.INGRESS: "frontend",
        m.INGRESS_KIND: "Ingress", m.INGRESS_CONTROLLER: "ingress-nginx",
        m.HOST: "shop.example.com", m.PATH: "/", m.K8S_SERVICE: "frontend"}
    # No traffic on the api rule since: zero rates, and no latency to speak of.
    assert points[(m.INGRESS_REQUESTS, API)]["value"] == 0
    assert points[(m.INGRESS_5XX, API)]["value"] == 0
    assert (m.INGRESS_LATENCY_AVG, API) not in points
    assert (m.INGRESS_LATENCY_P95, API) not in points
    assert {name for name, _ in points} == {
        m.INGRESS_REQUESTS, m.INGRESS_4XX, m.INGRESS_5XX, m.INGRESS_LATENCY_AVG,
        m.INGRESS_LATENCY_P95}


def test_a_counter_reset_is_a_restart_not_a_negative_rate(endpoints: Any) -> None:
    state = {"nginx": Nginx()}
    state["nginx"].serve(500, "200", 0.03)
    state["nginx"].serve(20, "503", 0.03)
    endpoint = endpoints(lambda: generate_latest(state["nginx"].registry))
    scraper = Scraper(ScrapeTarget("private", endpoint.url), "default")
    scraper.scrape(T0)
    state["nginx"] = restarted = Nginx()  # the controller restarted: every series from 0
    restarted.serve(18, "200", 0.2)
    restarted.serve(2, "503", 0.2)
    points = _points(scraper.scrape(T0 + 10 * S))
    assert points[(m.INGRESS_REQUESTS, FRONTEND)]["value"] == pytest.approx(20 / 10)
    assert points[(m.INGRESS_5XX, FRONTEND)]["value"] == pytest.approx(2 / 10)
    assert points[(m.INGRESS_LATENCY_AVG, FRONTEND)]["value"] == pytest.approx(200)
    # All 20 in (100, 250] ms: rank 19 → 100 + 150 * 19/20.
    assert points[(m.INGRESS_LATENCY_P95, FRONTEND)]["value"] == pytest.approx(
        100 + 150 * 19 / 20)
    # A status series that first appears after a scrape counts from zero.
    restarted.serve(10, "429", 0.01)
    points = _points(scraper.scrape(T0 + 20 * S))
    assert points[(m.INGRESS_REQUESTS, FRONTEND)]["value"] == pytest.approx(1.0)
    assert points[(m.INGRESS_4XX, FRONTEND)]["value"] == pytest.approx(1.0)


def test_openshift_router_haproxy(endpoints: Any) -> None:
    registry = CollectorRegistry()
    responses = Counter("haproxy_backend_http_responses_total", "Total of HTTP responses.",
                        ["backend", "code", "namespace", "route"], registry=registry)
    latency = Gauge("haproxy_backend_http_average_response_latency_milliseconds",
                    "Average response latency of the last 1024 requests in milliseconds.",
                    ["backend", "namespace", "route"], registry=registry)
    for code in ("1xx", "2xx", "3xx", "4xx", "5xx", "other"):
        responses.labels("http", code, "shop", "frontend").inc(1000)
    responses.labels("openshift_default", "5xx", "", "").inc(7)  # no route: left out
    latency.labels("http", "shop", "frontend").set(35)
    endpoint = endpoints(lambda: generate_latest(registry))
    scraper = Scraper(ScrapeTarget("public", endpoint.url), "default")
    scraper.scrape(T0)
    for code, n in (("2xx", 150), ("3xx", 5), ("4xx", 30), ("5xx", 20), ("other", 1)):
        responses.labels("http", code, "shop", "frontend").inc(n)
    responses.labels("openshift_default", "5xx", "", "").inc(70)
    latency.labels("http", "shop", "frontend").set(42)
    points = _points(scraper.scrape(T0 + 5 * S))
    route = "public/shop/frontend"
    assert {k: r["value"] for k, r in points.items()} == {
        (m.INGRESS_REQUESTS, route): pytest.approx(206 / 5),
        (m.INGRESS_4XX, route): pytest.approx(30 / 5),
        (m.INGRESS_5XX, route): pytest.approx(20 / 5),
        (m.INGRESS_LATENCY_AVG, route): 42,  # HAProxy's own average, passed on
    }
    assert json.loads(points[(m.INGRESS_5XX, route)]["attributes"]) == {
        m.CLUSTER: "public", m.NAMESPACE: "shop", m.INGRESS: "frontend",
        m.INGRESS_KIND: "Route", m.INGRESS_CONTROLLER: "haproxy"}


def test_any_exporter_gives_request_and_error_rates(endpoints: Any) -> None:
    registry = CollectorRegistry()
    requests = Counter("http_requests_total", "Requests.", ["code", "handler", "method"],
                       registry=registry)
    duration = Histogram("http_request_duration_seconds", "Latency.", ["handler"],
                         buckets=(0.01, 0.1, 1.0), registry=registry)
    own = Counter("promhttp_metric_handler_requests_total", "Scrapes of /metrics.", ["code"],
                  registry=registry)
    requests.labels("200", "/checkout", "POST").inc(3)
    endpoint = endpoints(lambda: generate_latest(registry))
    scraper = Scraper(ScrapeTarget("private", endpoint.url, namespace="shop",
                                   service="checkout"), "default")
    scraper.scrape(T0)
    requests.labels("200", "/checkout", "POST").inc(36)
    requests.labels("500", "/checkout", "POST").inc(4)
    for _ in range(40):
        duration.labels("/checkout").observe(0.05)
    own.labels("200").inc(1000)  # the exporter's own scrapes are not traffic
    points = _points(scraper.scrape(T0 + 20 * S))
    instance = "private/shop/checkout//checkout"
    assert points[(m.INGRESS_REQUESTS, instance)]["value"] == pytest.approx(40 / 20)
    assert points[(m.INGRESS_5XX, instance)]["value"] == pytest.approx(4 / 20)
    assert points[(m.INGRESS_4XX, instance)]["value"] == 0
    assert points[(m.INGRESS_LATENCY_AVG, instance)]["value"] == pytest.approx(50)
    assert points[(m.INGRESS_LATENCY_P95, instance)]["value"] == pytest.approx(
        10 + 90 * 38 / 40)
    assert len(points) == 5
    row = points[(m.INGRESS_REQUESTS, instance)]
    assert row["service"] == "checkout"
    assert json.loads(row["attributes"]) == {
        m.CLUSTER: "private", m.NAMESPACE: "shop", m.INGRESS_CONTROLLER: "generic",
        m.PATH: "/checkout"}


class Myproxy:
    """A third party's exporter module, registered the way the built-ins are."""

    name = "myproxy"

    def read(self, families: Sequence[Metric]) -> dict[Route, Reading]:
        routes: dict[Route, Reading] = {}
        for family in families:
            if family.name == "myproxy_hits":
                for labels, value in counter_series(family):
                    reading_of(routes, Route("edge", name=labels["site"])).add_counter(
                        series_id(family, labels), "", value)
        return routes


def test_a_registered_exporter_module_is_asked_first(endpoints: Any) -> None:
    registry = CollectorRegistry()
    hits = Counter("myproxy_hits_total", "Hits.", ["site"], registry=registry)
    generic = Counter("http_requests_total", "Requests.", ["code"], registry=registry)
    hits.labels("www").inc(1)
    generic.labels("200").inc(1)
    exporters = builtin_exporters()
    exporters.register(Myproxy())
    endpoint = endpoints(lambda: generate_latest(registry))
    scraper = Scraper(ScrapeTarget("private", endpoint.url), "default", exporters=exporters)
    scraper.scrape(T0)
    hits.labels("www").inc(30)
    generic.labels("200").inc(5)
    points = _points(scraper.scrape(T0 + 10 * S))
    assert {k: r["value"] for k, r in points.items()} == {
        (m.INGRESS_REQUESTS, "private/edge/www"): pytest.approx(3.0),
        (m.INGRESS_4XX, "private/edge/www"): 0, (m.INGRESS_5XX, "private/edge/www"): 0}
    assert json.loads(points[(m.INGRESS_REQUESTS, "private/edge/www")]["attributes"])[
        m.INGRESS_CONTROLLER] == "myproxy"


def test_a_failed_scrape_is_an_error_and_keeps_the_previous_values(endpoints: Any) -> None:
    nginx = Nginx()
    endpoint = endpoints(lambda: generate_latest(nginx.registry))
    nginx.serve(1, "200", 0.03)
    scraper = Scraper(ScrapeTarget("private", endpoint.url), "default", timeout_s=0.3)
    scraper.scrape(T0)
    nginx.serve(100, "200", 0.03)
    endpoint.status = 500
    with pytest.raises(ScrapeError, match="HTTP 500"):
        scraper.scrape(T0 + 10 * S)
    endpoint.status, endpoint.delay_s = 200, 1.0
    started = time.monotonic()
    with pytest.raises(ScrapeError):
        scraper.scrape(T0 + 15 * S)
    assert time.monotonic() - started < 0.9  # bounded by the 0.3 s timeout
    endpoint.delay_s = 0.0
    nginx.serve(100, "200", 0.03)
    points = _points(scraper.scrape(T0 + 20 * S))  # the rate over the whole 20 s gap
    assert points[(m.INGRESS_REQUESTS, FRONTEND)]["value"] == pytest.approx(200 / 20)


def test_unreachable_and_garbage_are_errors(endpoints: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, not listening: connection refused
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/metrics"
        with pytest.raises(ScrapeError, match=r"127\.0\.0\.1"):
            Scraper(ScrapeTarget("private", url), "default", timeout_s=1.0).scrape(T0)
    endpoint = endpoints(lambda: b"<html><body>502 Bad Gateway</body></html>\n")
    with pytest.raises(ScrapeError, match="not Prometheus text"):
        Scraper(ScrapeTarget("private", endpoint.url), "default").scrape(T0)


def test_quantile_by_bucket_interpolation() -> None:
    inf = float("inf")
    assert quantile(0.5, Buckets((10, 50, inf), (4, 12, 12), 0, 12)) == pytest.approx(
        10 + 40 * 2 / 8)
    # Past the last finite bound: that bound (as histogram_quantile answers).
    assert quantile(0.95, Buckets((10, 50, inf), (5, 15, 20), 0, 20)) == 50
    assert math.isnan(quantile(0.95, Buckets((10, inf), (0, 0), 0, 0)))  # no requests
    assert math.isnan(quantile(0.95, Buckets((inf,), (3,), 0, 3)))  # no finite bound


@pytest.fixture
def api() -> Iterator[tuple[httpx.Client, DuckDBStore]]:
    store = DuckDBStore.open(":memory:")
    app = create_api(Settings(), store, header_tenants(lambda _a: "default"), console=False)
    try:
        for url in serve(app):
            with httpx.Client(base_url=url, timeout=30) as client:
                yield client, store
    finally:
        store.close()


def test_scraped_points_read_through_the_metric_queries(
        endpoints: Any, api: tuple[httpx.Client, DuckDBStore]) -> None:
    client, store = api
    nginx = Nginx()
    endpoint = endpoints(lambda: generate_latest(nginx.registry))
    # The watcher links the backend Service to the Bongsu service behind it.
    linked = {("shop", "frontend"): "web-frontend"}
    scraper = Scraper(ScrapeTarget("private", endpoint.url), "default",
                      service_of=lambda ns, svc: linked.get((ns, svc)))
    nginx.serve(1, "200", 0.03)
    scraper.scrape(T0)
    for k in range(1, 5):  # four 15 s scrapes: 30, 60, 90, 120 requests
        nginx.serve(30 * k, "200", 0.03)
        assert store.load(Batch(metrics=scraper.scrape(T0 + 15 * k * S)), None)
    window = {"from": str(T0 // 1000), "to": str((T0 + 120 * S) // 1000)}
    body = client.get("/api/v1/metrics/series", params={
        **window, "name": m.INGRESS_REQUESTS, "service": "web-frontend", "step": "30",
        "agg": "avg"}).json()
    # Steps of 30 s: [15 s: 2/s], [30 s: 4/s, 45 s: 6/s], [60 s: 8/s].
    assert [(p["ts"] - T0 // 1000, p["value"]) for p in body["points"]] == [
        (0, pytest.approx(2.0)), (30_000, pytest.approx(5.0)), (60_000, pytest.approx(8.0))]
    names = {n["name"]: n for n in client.get("/api/v1/metrics/names", params=window).json()[
        "names"]}
    assert names[m.INGRESS_LATENCY_P95]["unit"] == "ms"
    assert names[m.INGRESS_REQUESTS]["points"] == 4
