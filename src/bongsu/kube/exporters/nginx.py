"""ingress-nginx: requests by status, and request duration buckets, per Ingress rule.

``nginx_ingress_controller_requests`` (a counter; ingress-nginx writes it without the
``_total`` suffix) and ``nginx_ingress_controller_request_duration_seconds`` (a histogram)
carry ``ingress, namespace, service, status, method, host, path`` plus the controller's
own ``controller_class/namespace/pod``; a route is ingress + host + path + service, summed
over status and method (and over controller pods, when one endpoint fronts several).

Example::

    registry.register(NginxIngress())
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client.metrics_core import Metric

from bongsu.kube.exporters.reading import (
    Reading,
    Route,
    counter_series,
    histogram_series,
    reading_of,
    series_id,
    status_class,
)

REQUESTS = "nginx_ingress_controller_requests"
DURATION = "nginx_ingress_controller_request_duration_seconds"


def _route(labels: dict[str, str]) -> Route:
    return Route(labels.get("namespace", ""), name=labels.get("ingress", ""), kind="Ingress",
                 host=labels.get("host", ""), path=labels.get("path", ""),
                 k8s_service=labels.get("service", ""))


class NginxIngress:
    """The ingress-nginx controller's ``/metrics``."""

    name = "ingress-nginx"

    def read(self, families: Sequence[Metric]) -> dict[Route, Reading]:
        routes: dict[Route, Reading] = {}
        for family in families:
            if family.name == REQUESTS and family.type == "counter":
                for labels, value in counter_series(family):
                    reading_of(routes, _route(labels)).add_counter(
                        series_id(family, labels), status_class(labels.get("status", "")),
                        value)
            elif family.name == DURATION and family.type == "histogram":
                for labels, buckets in histogram_series(family, to_ms=1000.0):
                    reading_of(routes, _route(labels)).add_histogram(
                        series_id(family, labels), buckets)
        return routes
