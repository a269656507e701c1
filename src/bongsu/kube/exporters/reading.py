"""What an exporter module makes of one scrape: cumulative series per ingress route.

An exporter (ingress-nginx, the OpenShift router's HAProxy, any ``http_requests_total``
style exporter) reads the parsed metric families of one scrape and files each series it
knows under the :class:`Route` it measures. The values stay cumulative, as exposed: the
scraper turns the difference between two scrapes into rates, series by series, so a
counter that went down (the exporter restarted) counts as a restart, never as a negative
rate.

Example::

    routes: dict[Route, Reading] = {}
    for labels, value in counter_series(family):
        route = Route(labels.get("namespace", ""), name=labels.get("ingress", ""))
        reading_of(routes, route).add_counter(series_id(family, labels),
                                              status_class(labels.get("status", "")), value)
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from prometheus_client.metrics_core import Metric

SeriesId = tuple[str, tuple[tuple[str, str], ...]]
"""A series: its family name and its labels (without ``le``), sorted."""


@dataclass(frozen=True, slots=True)
class Route:
    """What one set of figures is about: an Ingress rule, a Route, an exporter's handler.

    Empty strings are unknown; the scraper fills an empty namespace from its target.
    """

    namespace: str
    name: str = ""  # the Ingress or Route
    kind: str = ""  # "Ingress", "Route", "" (a generic exporter)
    host: str = ""
    path: str = ""
    k8s_service: str = ""


@dataclass(frozen=True, slots=True)
class Counter:
    """One exposed counter series of requests, with its status class ("4xx", "" unknown)."""

    status: str
    value: float


@dataclass(frozen=True, slots=True)
class Buckets:
    """One exposed histogram series, cumulative: upper bounds in ms ending with +Inf."""

    bounds: tuple[float, ...]
    counts: tuple[float, ...]
    sum_ms: float
    count: float


@dataclass(slots=True)
class Reading:
    """Everything one scrape says about one route."""

    counters: dict[SeriesId, Counter] = field(default_factory=dict)
    histograms: dict[SeriesId, Buckets] = field(default_factory=dict)
    latency_avg_ms: float | None = None  # an average the exporter computes itself

    def add_counter(self, series: SeriesId, status: str, value: float) -> None:
        self.counters[series] = Counter(status, value)

    def add_histogram(self, series: SeriesId, buckets: Buckets) -> None:
        self.histograms[series] = buckets


def reading_of(routes: dict[Route, Reading], route: Route) -> Reading:
    """The reading filed under ``route``, created empty on first use."""
    found = routes.get(route)
    if found is None:
        found = routes[route] = Reading()
    return found


def series_id(family: Metric, labels: Mapping[str, str]) -> SeriesId:
    return family.name, tuple(sorted((k, v) for k, v in labels.items() if k != "le"))


def status_class(status: str) -> str:
    """ "404" or "4xx" → "4xx"; anything else (``other``, empty) → ""."""
    if len(status) == 3 and status[0] in "12345" and (
            status[1:].isdigit() or status[1:].lower() == "xx"):
        return f"{status[0]}xx"
    return ""


def counter_series(family: Metric) -> Iterator[tuple[dict[str, str], float]]:
    """A counter family's ``_total`` samples (or bare-named ones, as ingress-nginx writes)."""
    names = (family.name, family.name + "_total")
    for sample in family.samples:
        if sample.name in names:
            yield sample.labels, sample.value


def gauge_series(family: Metric) -> Iterator[tuple[dict[str, str], float]]:
    for sample in family.samples:
        if sample.name == family.name:
            yield sample.labels, sample.value


def histogram_series(family: Metric, to_ms: float
                     ) -> Iterator[tuple[dict[str, str], Buckets]]:
    """A histogram family's series, bounds and sums scaled by ``to_ms`` (1000 for seconds)."""
    buckets: dict[SeriesId, list[tuple[float, float]]] = {}
    sums: dict[SeriesId, float] = {}
    counts: dict[SeriesId, float] = {}
    labels_of: dict[SeriesId, dict[str, str]] = {}
    for sample in family.samples:
        sid = series_id(family, sample.labels)
        if sample.name == family.name + "_bucket":
            bound = float(sample.labels["le"])
            buckets.setdefault(sid, []).append(
                (bound if math.isinf(bound) else bound * to_ms, sample.value))
            labels_of[sid] = {k: v for k, v in sample.labels.items() if k != "le"}
        elif sample.name == family.name + "_sum":
            sums[sid] = sample.value * to_ms
        elif sample.name == family.name + "_count":
            counts[sid] = sample.value
    for sid, pairs in buckets.items():
        pairs.sort()
        if not pairs or not math.isinf(pairs[-1][0]):
            continue  # no +Inf bucket: not a histogram the quantile can be read from
        count = counts.get(sid, pairs[-1][1])
        yield labels_of[sid], Buckets(tuple(b for b, _ in pairs), tuple(c for _, c in pairs),
                                      sums.get(sid, math.nan), count)
