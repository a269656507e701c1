"""The OpenShift router's HAProxy: responses by status class, and average latency, per Route.

``haproxy_backend_http_responses_total{backend, code="1xx".."5xx"|"other", namespace,
route}`` and the gauge ``haproxy_backend_http_average_response_latency_milliseconds``
(HAProxy's own running average over its last 1024 requests, so it is passed on as is;
there is no histogram, hence no p95). A route's backend label is its TLS termination
(``http``, ``https``, ``https-edge``); the figures are summed over it.

Example::

    registry.register(HaproxyRouter())
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client.metrics_core import Metric

from bongsu.kube.exporters.reading import (
    Reading,
    Route,
    counter_series,
    gauge_series,
    reading_of,
    series_id,
    status_class,
)

RESPONSES = "haproxy_backend_http_responses"
LATENCY = "haproxy_backend_http_average_response_latency_milliseconds"


def _route(labels: dict[str, str]) -> Route:
    return Route(labels.get("namespace", ""), name=labels.get("route", ""), kind="Route",
                 k8s_service=labels.get("service", ""))


class HaproxyRouter:
    """The OpenShift router's ``/metrics`` (its HAProxy exporter)."""

    name = "haproxy"

    def read(self, families: Sequence[Metric]) -> dict[Route, Reading]:
        routes: dict[Route, Reading] = {}
        for family in families:
            if family.name == RESPONSES and family.type == "counter":
                for labels, value in counter_series(family):
                    if not labels.get("route"):
                        continue  # the router's own stats and default backends
                    reading_of(routes, _route(labels)).add_counter(
                        series_id(family, labels), status_class(labels.get("code", "")),
                        value)
            elif family.name == LATENCY and family.type == "gauge":
                for labels, value in gauge_series(family):
                    if not labels.get("route"):
                        continue
                    reading = reading_of(routes, _route(labels))
                    # Several backends of one route: the slowest is the one to see.
                    reading.latency_avg_ms = max(value, reading.latency_avg_ms or 0.0)
        return routes
