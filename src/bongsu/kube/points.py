"""Kubernetes object state as metric points: pods and containers against their limits,
workload replicas, autoscalers.

The watcher calls :func:`state_points` on a schedule with its current state and loads the
table as ``Batch(metrics=...)``; the existing metric queries and charts read the points
by name, ``service`` and ``instance``. A pod's points go to its linked service (else its
workload, else the pod) and its linked instance (else ``cluster/namespace/pod``), so a
per-instance chart of an agent's CPU can draw the container's limit beside it.

Example::

    table = state_points("default", "private", now_us, pods, workloads, hpas)
    store.load(Batch(metrics=table), None)
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
import pyarrow as pa

from bongsu.kube import metric_names as m
from bongsu.kube.model import ContainerState, HpaState, PodState, WorkloadState
from bongsu.store.batch import METRIC_SCHEMA


class Rows:
    """Growing gauge columns of ``METRIC_SCHEMA`` at one time (also the scraper's).

    Only what varies per point is kept per point; the table is filled out once. A caller
    with many points per attribute set passes the set already encoded (:func:`encode`):
    at 10,000 pods, one ``orjson.dumps`` per point was 40 % of a round's CPU.
    """

    def __init__(self, tenant: str, now_us: int) -> None:
        self.tenant, self.now_us = tenant, now_us
        self._names: list[str] = []
        self._values: list[float] = []
        self._services: list[str] = []
        self._instances: list[str] = []
        self._attributes: list[str] = []

    def add(self, name: str, value: float, service: str, instance: str,
            attributes: dict[str, str] | str) -> None:
        if name not in m.METRICS:
            raise KeyError(f"{name}: not in bongsu.kube.metric_names.METRICS")
        self._names.append(name)
        self._values.append(float(value))
        self._services.append(service)
        self._instances.append(instance)
        self._attributes.append(attributes if isinstance(attributes, str)
                                else encode(attributes))

    def __len__(self) -> int:
        return len(self._names)

    def table(self) -> pa.Table:
        n = len(self._names)
        nulls = [None] * n
        return pa.Table.from_pydict({
            "tenant": [self.tenant] * n, "ts_us": [self.now_us] * n,
            "service": self._services, "instance": self._instances, "name": self._names,
            "kind": [m.METRICS[x].kind for x in self._names],
            "unit": [m.METRICS[x].unit for x in self._names],
            "value": self._values, "count": nulls, "sum": nulls, "min": nulls, "max": nulls,
            "bounds": nulls, "bucket_counts": nulls, "attributes": self._attributes,
        }, schema=METRIC_SCHEMA)


def encode(attributes: dict[str, str]) -> str:
    """Attributes as the JSON text a metric point stores (keys sorted)."""
    return orjson.dumps(attributes, option=orjson.OPT_SORT_KEYS).decode()


def state_points(tenant: str, cluster: str, now_us: int, pods: Sequence[PodState],
                 workloads: Sequence[WorkloadState], hpas: Sequence[HpaState],
                 usage_only: bool = False) -> pa.Table:
    """Points at ``now_us`` for every pod, container, workload and autoscaler given.

    ``usage_only``: only the containers' usage and utilisation (what changes between
    two reads of metrics.k8s.io); requests, limits, restarts, phase, readiness and
    replicas change rarely, and a watcher writes them less often.
    """
    rows = Rows(tenant, now_us)
    for pod in pods:
        _pod_points(rows, cluster, pod, usage_only)
    if usage_only:
        return rows.table()
    by_name = {(w.namespace, w.kind, w.name): w for w in workloads}
    for w in workloads:
        if w.kind == "ReplicaSet" and w.owner:
            continue  # its Deployment's replicas count it; old ReplicaSets would be noise
        attrs = {m.CLUSTER: cluster, m.NAMESPACE: w.namespace, m.WORKLOAD_KIND: w.kind,
                 m.WORKLOAD: w.name}
        service, instance = w.service or w.name, f"{cluster}/{w.namespace}/{w.name}"
        rows.add(m.REPLICAS_DESIRED, w.desired, service, instance, attrs)
        rows.add(m.REPLICAS_READY, w.ready, service, instance, attrs)
        rows.add(m.REPLICAS_AVAILABLE, w.available, service, instance, attrs)
    for h in hpas:
        target = by_name.get((h.namespace, h.target_kind, h.target_name))
        attrs = {m.CLUSTER: cluster, m.NAMESPACE: h.namespace, m.HPA: h.name,
                 m.WORKLOAD_KIND: h.target_kind, m.WORKLOAD: h.target_name}
        service = (target.service if target else None) or h.target_name
        instance = f"{cluster}/{h.namespace}/{h.target_name}"
        for name, value in ((m.HPA_CURRENT, h.current), (m.HPA_DESIRED, h.desired),
                            (m.HPA_MIN, h.min_replicas), (m.HPA_MAX, h.max_replicas)):
            rows.add(name, value, service, instance, attrs)
    return rows.table()


def _pod_points(rows: Rows, cluster: str, pod: PodState, usage_only: bool) -> None:
    service = pod.service or pod.workload or pod.name
    instance = pod.instance or f"{cluster}/{pod.namespace}/{pod.name}"
    attrs = {m.CLUSTER: cluster, m.NAMESPACE: pod.namespace, m.POD: pod.name}
    if pod.node:
        attrs[m.NODE] = pod.node
    if pod.workload_kind and pod.workload:
        attrs[m.WORKLOAD_KIND], attrs[m.WORKLOAD] = pod.workload_kind, pod.workload
    if not usage_only:
        rows.add(m.POD_PHASE, m.PHASES.get(pod.phase, m.PHASES["Unknown"]), service,
                 instance, {**attrs, m.PHASE: pod.phase})
        rows.add(m.POD_READY, 1.0 if pod.ready else 0.0, service, instance, attrs)
    for c in pod.containers:
        values = _container_values(c, usage_only)
        if values:
            c_attrs = encode({**attrs, m.CONTAINER: c.name})
            for name, value in values:
                rows.add(name, value, service, instance, c_attrs)


def _container_values(c: ContainerState, usage_only: bool = False) -> list[tuple[str, float]]:
    """The container's figures that are known; a missing request or limit is no point."""
    values: list[tuple[str, float]] = [] if usage_only else [
        (m.RESTARTS, c.restarts), (m.CONTAINER_READY, 1.0 if c.ready else 0.0)]
    known = (((m.CPU_USAGE, c.cpu_usage), (m.MEMORY_USAGE, c.memory_usage)) if usage_only else
             ((m.CPU_REQUEST, c.cpu_request), (m.CPU_LIMIT, c.cpu_limit),
              (m.MEMORY_REQUEST, c.memory_request), (m.MEMORY_LIMIT, c.memory_limit),
              (m.CPU_USAGE, c.cpu_usage), (m.MEMORY_USAGE, c.memory_usage)))
    for name, value in known:
        if value is not None:
            values.append((name, value))
    if c.cpu_usage is not None and c.cpu_limit:
        values.append((m.CPU_LIMIT_UTILIZATION, c.cpu_usage / c.cpu_limit))
    if c.memory_usage is not None and c.memory_limit:
        values.append((m.MEMORY_LIMIT_UTILIZATION, c.memory_usage / c.memory_limit))
    return values
