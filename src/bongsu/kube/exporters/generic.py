"""Any exporter: ``*requests_total`` counters with a status label, ``*_duration_seconds``
histograms, so an endpoint no other module claims still gives request and error rates.

A counter family counts when its name holds ``request`` and its series carry a status
label (``status``, ``code``, ``status_code``, ``http_status``); a histogram when its name
ends in ``duration_seconds`` or ``latency_seconds`` and holds ``request`` or ``http``.
The route is read from the usual labels (``namespace``, ``service``, ``host``, a path in
``path``/``route``/``handler``/``http_route``). ``promhttp_*`` families (the exporter
counting its own ``/metrics`` requests) are left out. Registered as a fallback: it reads
only an endpoint no other exporter module recognised.

Example::

    registry.register(GenericHttp(), fallback=True)
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

_STATUS = ("status", "code", "status_code", "http_status")
_PATH = ("path", "route", "http_route", "handler", "url")
_HOST = ("host", "http_host", "server_name")


def _first(labels: dict[str, str], keys: tuple[str, ...]) -> str:
    return next((labels[k] for k in keys if labels.get(k)), "")


def _route(labels: dict[str, str]) -> Route:
    return Route(labels.get("namespace", ""), host=_first(labels, _HOST),
                 path=_first(labels, _PATH), k8s_service=labels.get("service", ""))


def _is_latency(name: str) -> bool:
    return name.endswith(("duration_seconds", "latency_seconds")) and (
        "request" in name or "http" in name)


class GenericHttp:
    """Request counters and duration histograms of any Prometheus exporter."""

    name = "generic"

    def read(self, families: Sequence[Metric]) -> dict[Route, Reading]:
        routes: dict[Route, Reading] = {}
        for family in families:
            if family.name.startswith("promhttp_"):
                continue
            if family.type == "counter" and "request" in family.name:
                for labels, value in counter_series(family):
                    if any(k in labels for k in _STATUS):
                        reading_of(routes, _route(labels)).add_counter(
                            series_id(family, labels),
                            status_class(_first(labels, _STATUS)), value)
            elif family.type == "histogram" and _is_latency(family.name):
                for labels, buckets in histogram_series(family, to_ms=1000.0):
                    reading_of(routes, _route(labels)).add_histogram(
                        series_id(family, labels), buckets)
        return routes
