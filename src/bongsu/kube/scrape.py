"""Ingress / router traffic from Prometheus text endpoints, as ``ingress.*`` metric points.

One :class:`Scraper` per endpoint, called on a schedule. Each scrape is an HTTP GET with
a bounded time and size, parsed with ``prometheus_client``'s parser and read by the first
registered exporter module that recognises it (``bongsu.kube.exporters``). Rates are the
increase between two scrapes over the time between them, series by series:

- the first scrape only primes the counters (there is nothing to subtract yet);
- a series that went down was reset (the exporter restarted): its increase is its new
  value, as Prometheus' ``rate()`` counts it, never a negative rate;
- a series absent from the previous scrape was created since: it counts from zero;
- a failed scrape raises :class:`~bongsu.errors.ScrapeError` and keeps the previous
  values, so the next good scrape gives the rate over the whole gap.

Latency: the mean is the increase of the histogram's sum over that of its count; p95 is
interpolated linearly inside the bucket holding the 95th percentile of the increase (as
Prometheus' ``histogram_quantile`` does), in ms.

Example::

    scraper = Scraper(ScrapeTarget("private", "http://10.0.0.7:10254/metrics"), "default")
    scraper.scrape(now_us)                    # primes: an empty table
    table = scraper.scrape(now_us + 15_000_000)
    store.load(Batch(metrics=table), None)
"""

from __future__ import annotations

import math
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
from prometheus_client.parser import text_string_to_metric_families

from bongsu.errors import ScrapeError
from bongsu.kube import metric_names as m
from bongsu.kube.exporters import ExporterRegistry, builtin_exporters
from bongsu.kube.exporters.reading import Buckets, Reading, Route
from bongsu.kube.points import Rows

# ingress-nginx with ~2,000 ingress rules exposes about 8 MB; a body past this is refused.
MAX_BODY_BYTES = 32 * 1024 * 1024
_CHUNK = 256 * 1024


@dataclass(frozen=True)
class ScrapeTarget:
    """A Prometheus text endpoint whose figures belong to ``cluster``.

    ``namespace`` and ``service`` name what a generic exporter's figures are about when
    its labels do not say (from ``BONGSU_KUBE_INGRESS``'s ``URL#NAMESPACE/SERVICE``).
    """

    cluster: str
    url: str
    namespace: str = ""
    service: str | None = None


ServiceOf = Callable[[str, str], str | None]
"""(namespace, Kubernetes Service) → the Bongsu service behind it, when known."""


class Scraper:
    """Scrapes one target; keeps the previous values to turn counters into rates."""

    def __init__(self, target: ScrapeTarget, tenant: str, timeout_s: float = 5.0, *,
                 exporters: ExporterRegistry | None = None,
                 service_of: ServiceOf | None = None) -> None:
        self.target, self.tenant, self.timeout_s = target, tenant, timeout_s
        self._exporters = exporters or builtin_exporters()
        self._service_of = service_of
        self._previous: dict[Route, Reading] | None = None
        self._previous_us = 0
        self._netloc = urllib.parse.urlsplit(target.url).netloc

    def scrape(self, now_us: int) -> pa.Table:
        """Rates since the previous good scrape, as metric points at ``now_us``."""
        text = fetch_text(self.target.url, self.timeout_s)
        try:
            families = list(text_string_to_metric_families(text))
        except (ValueError, KeyError, IndexError) as e:
            raise ScrapeError(f"{self.target.url}: not Prometheus text: {e}") from e
        controller, routes = self._exporters.read(families)
        rows = Rows(self.tenant, now_us)
        previous, elapsed_s = self._previous, (now_us - self._previous_us) / 1e6
        self._previous, self._previous_us = routes, now_us
        if previous is None or elapsed_s <= 0:
            return rows.table()
        for route, reading in routes.items():
            self._route_points(rows, controller, route, reading, previous.get(route),
                               elapsed_s)
        return rows.table()

    def _route_points(self, rows: Rows, controller: str, route: Route, now: Reading,
                      before: Reading | None, elapsed_s: float) -> None:
        namespace = route.namespace or self.target.namespace
        attrs = {m.CLUSTER: self.target.cluster, m.NAMESPACE: namespace,
                 m.INGRESS_CONTROLLER: controller}
        for key, value in ((m.INGRESS, route.name), (m.INGRESS_KIND, route.kind),
                           (m.HOST, route.host), (m.PATH, route.path),
                           (m.K8S_SERVICE, route.k8s_service)):
            if value:
                attrs[key] = value
        linked = self._service_of(namespace, route.k8s_service) if (
            self._service_of and route.k8s_service) else None
        service = (linked or self.target.service or route.k8s_service or route.name
                   or self._netloc)
        instance = f"{self.target.cluster}/{namespace}/{route.name or service}"
        if route.host or route.path:
            instance += f"/{route.host}{route.path}"

        def add(name: str, value: float) -> None:
            rows.add(name, value, service, instance, attrs)

        latency = _increase_buckets(now, before)
        if now.counters:
            total, by_class = _increase_counters(now, before)
            add(m.INGRESS_REQUESTS, total / elapsed_s)
            add(m.INGRESS_4XX, by_class.get("4xx", 0.0) / elapsed_s)
            add(m.INGRESS_5XX, by_class.get("5xx", 0.0) / elapsed_s)
        elif latency is not None:  # a histogram alone still counts the requests
            add(m.INGRESS_REQUESTS, latency.count / elapsed_s)
        if latency is not None and latency.count > 0:
            if math.isfinite(latency.sum_ms):
                add(m.INGRESS_LATENCY_AVG, latency.sum_ms / latency.count)
            p95 = quantile(0.95, latency)
            if math.isfinite(p95):
                add(m.INGRESS_LATENCY_P95, p95)
        elif now.latency_avg_ms is not None:
            add(m.INGRESS_LATENCY_AVG, now.latency_avg_ms)


def fetch_text(url: str, timeout_s: float) -> str:
    """GET ``url`` as text, or ScrapeError; at most ``MAX_BODY_BYTES``.

    Time: each socket wait is bounded by ``timeout_s`` and no read starts past the
    deadline, so a trickling endpoint is given up after at most about twice ``timeout_s``.
    """
    deadline = time.monotonic() + timeout_s
    # Version 0.0.4 asks for the classic text format (not OpenMetrics) that the parser reads.
    request = urllib.request.Request(url, headers={"Accept": "text/plain;version=0.0.4"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            if response.status != 200:
                raise ScrapeError(f"{url}: HTTP {response.status}")
            parts: list[bytes] = []
            size = 0
            while chunk := response.read1(_CHUNK):
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise ScrapeError(f"{url}: body over {MAX_BODY_BYTES} bytes")
                if time.monotonic() > deadline:
                    raise ScrapeError(f"{url}: no complete answer within {timeout_s:g} s")
                parts.append(chunk)
    except urllib.error.HTTPError as e:
        raise ScrapeError(f"{url}: HTTP {e.code} {e.reason}") from e
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise ScrapeError(f"{url}: {e}") from e
    return b"".join(parts).decode("utf-8", errors="replace")


def _increase(now: float, before: float | None) -> float:
    """A counter's increase; one that went down was reset and has counted ``now`` since."""
    return now if before is None or now < before else now - before


def _increase_counters(now: Reading, before: Reading | None) -> tuple[float, dict[str, float]]:
    total, by_class = 0.0, dict[str, float]()
    for sid, c in now.counters.items():
        old = before.counters.get(sid) if before else None
        inc = _increase(c.value, old.value if old else None)
        total += inc
        by_class[c.status] = by_class.get(c.status, 0.0) + inc
    return total, by_class


def _increase_buckets(now: Reading, before: Reading | None) -> Buckets | None:
    """The summed increase of a route's histogram series; None when it has none."""
    merged: Buckets | None = None
    for sid, h in now.histograms.items():
        old = before.histograms.get(sid) if before else None
        if old is None or old.bounds != h.bounds or h.count < old.count:
            inc = h  # new, re-bucketed, or reset since: all of it happened since
        else:
            inc = Buckets(h.bounds, tuple(a - b for a, b in zip(h.counts, old.counts,
                                                                 strict=True)),
                          h.sum_ms - old.sum_ms, h.count - old.count)
        if merged is None:
            merged = inc
        elif merged.bounds == inc.bounds:
            merged = Buckets(merged.bounds, tuple(a + b for a, b in zip(
                merged.counts, inc.counts, strict=True)), merged.sum_ms + inc.sum_ms,
                merged.count + inc.count)
        # Series of one route with other bounds cannot be summed bucket by bucket: the
        # first bucket layout seen is kept (exporters use one layout per family).
    return merged


def quantile(q: float, h: Buckets) -> float:
    """The ``q`` quantile of cumulative buckets, interpolated linearly inside its bucket.

    Example: bounds (10, 50, +Inf), counts (5, 15, 20): 95 % is rank 19, past the last
    finite bound, so 50 (the highest finite bound, as ``histogram_quantile`` answers).
    """
    total = h.counts[-1]
    if total <= 0:
        return math.nan
    rank = q * total
    below, lower, finite = 0.0, 0.0, False
    for bound, cumulative in zip(h.bounds, h.counts, strict=True):
        if cumulative >= rank:
            if math.isinf(bound):
                return lower if finite else math.nan
            inside = cumulative - below
            return bound if inside <= 0 else lower + (bound - lower) * (rank - below) / inside
        below, lower, finite = cumulative, bound, True
    return lower
