"""The query service: one object the API, alerts and reports share.

It binds the store's read side, the settings (APDEX T, limits) and a clock; each method
returns the JSON-ready body of one v1 endpoint.

Example::

    queries = QueryService(reads_of(store, 10, 10_000), Settings())
    queries.services("default", queries.window(None, None))["services"]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from bongsu.kube.model import KubeView
from bongsu.query import dashboard, kube, logs, metrics, names, topology, traces
from bongsu.query.window import Window, parse_window
from bongsu.settings import Settings
from bongsu.store.reads import EventSearch, Level, LogSearch, MetricSearch, Reads, TraceSearch


def _now_us() -> int:
    return time.time_ns() // 1000


class QueryService:
    """Every v1 query over one store."""

    def __init__(
        self, reads: Reads, settings: Settings, clock: Callable[[], int] = _now_us
    ) -> None:
        self.reads = reads
        self.settings = settings
        self.clock = clock
        self.max_rows = settings.query_max_rows
        overrides = settings.apdex_overrides()
        self._apdex_t_for: Callable[[str], float] = (
            lambda service: overrides.get(service, settings.apdex_t_ms)
        )

    def window(self, raw_from: str | None, raw_to: str | None) -> Window:
        """Parse ``from``/``to`` against the service clock."""
        return parse_window(raw_from, raw_to, self.clock())

    def services(
        self, tenant: str, window: Window, instance: str | None = None
    ) -> dict[str, Any]:
        return dashboard.services(
            self.reads, tenant, window, self.clock(), self._apdex_t_for, instance
        )

    def service_series(
        self, tenant: str, service: str, window: Window, step_s: int,
        instance: str | None = None,
    ) -> dict[str, Any]:
        return dashboard.service_series(
            self.reads, tenant, service, window, step_s, self.max_rows, instance
        )

    def heatmap(
        self, tenant: str, service: str, window: Window, step_s: int,
        instance: str | None = None,
    ) -> dict[str, Any]:
        return dashboard.heatmap(
            self.reads, tenant, service, window, step_s, self.max_rows, instance
        )

    def transactions(
        self, tenant: str, service: str, window: Window, min_us: int, max_us: int,
        errors_only: bool, limit: int, instance: str | None = None,
    ) -> dict[str, Any]:
        return dashboard.transactions(
            self.reads, tenant, service, window, min_us, max_us, errors_only, limit, instance
        )

    def instance_names(self, tenant: str, ids: Iterable[str]) -> dict[str, str]:
        """``{id: display name}`` for instance ids (see :mod:`bongsu.query.names`)."""
        return names.instance_names(self.reads, tenant, ids)

    def instances(
        self, tenant: str, service: str | None, window: Window, rate_window_s: int
    ) -> dict[str, Any]:
        return dashboard.instances(
            self.reads, tenant, service, window, rate_window_s, self.clock()
        )

    def topology(self, tenant: str, window: Window, level: Level) -> dict[str, Any]:
        return topology.topology(self.reads, tenant, window, level, self.clock())

    def find_traces(self, tenant: str, search: TraceSearch) -> dict[str, Any]:
        return traces.find_traces(self.reads, tenant, search)

    def trace(self, tenant: str, trace_id: int) -> dict[str, Any]:
        return traces.trace_detail(self.reads, tenant, trace_id)

    def metric_names(self, tenant: str, window: Window) -> dict[str, Any]:
        return metrics.metric_names(self.reads, tenant, window)

    def metric_series(self, tenant: str, search: MetricSearch) -> dict[str, Any]:
        return metrics.metric_series(self.reads, tenant, search)

    def logs(self, tenant: str, search: LogSearch) -> dict[str, Any]:
        return logs.search_logs(self.reads, tenant, search)

    # -- Kubernetes: the live state comes from the caller's view (the watcher hub) --------

    def kube_events(self, tenant: str, search: EventSearch) -> dict[str, Any]:
        return kube.events(self.reads, tenant, search)

    def kube_event(self, tenant: str, id: str) -> dict[str, Any]:
        return kube.event_detail(self.reads, tenant, id)

    def kube_clusters(self, view: KubeView, tenant: str) -> dict[str, Any]:
        return kube.clusters(view, self.reads, tenant, self.clock())

    def kube_pods(self, view: KubeView, tenant: str, cluster: str | None,
                  namespace: str | None, service: str | None) -> dict[str, Any]:
        return kube.pods(view, self.reads, tenant, cluster, namespace, service, self.max_rows)

    def kube_workloads(self, view: KubeView, tenant: str, cluster: str | None,
                       namespace: str | None) -> dict[str, Any]:
        return kube.workloads(view, tenant, cluster, namespace, self.max_rows)

    def kube_ingresses(self, view: KubeView, tenant: str, cluster: str | None,
                       namespace: str | None, window: Window) -> dict[str, Any]:
        return kube.ingresses(view, self.reads, tenant, cluster, namespace, window,
                              self.max_rows)

    def kube_traffic(self, tenant: str, service: str | None, window: Window,
                     step_s: int) -> dict[str, Any]:
        return kube.traffic(self.reads, tenant, service, window, step_s, self.max_rows)
