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
from typing import Any

import orjson
import pyarrow as pa

from bongsu.kube import metric_names as m
from bongsu.kube.model import ContainerState, HpaState, PodState, WorkloadState
from bongsu.store.batch import METRIC_SCHEMA


class Rows:
    """Growing gauge columns of ``METRIC_SCHEMA`` at one time (also the scraper's)."""

    def __init__(self, tenant: str, now_us: int) -> None:
        self.tenant, self.now_us = tenant, now_us
        self.cols: dict[str, list[Any]] = {name: [] for name in METRIC_SCHEMA.names}

    def add(self, name: str, value: float, service: str, instance: str,
            attributes: dict[str, str]) -> None:
        spec = m.METRICS[name]  # a KeyError here is a name missing from the table
        for key, v in (
            ("tenant", self.tenant), ("ts_us", self.now_us), ("service", service),
            ("instance", instance), ("name", name), ("kind", spec.kind), ("unit", spec.unit),
            ("value", float(value)), ("count", None), ("sum", None), ("min", None),
            ("max", None), ("bounds", None), ("bucket_counts", None),
            ("attributes", orjson.dumps(attributes, option=orjson.OPT_SORT_KEYS).decode()),
        ):
            self.cols[key].append(v)

    def table(self) -> pa.Table:
        return pa.Table.from_pydict(self.cols, schema=METRIC_SCHEMA)


def state_points(tenant: str, cluster: str, now_us: int, pods: Sequence[PodState],
                 workloads: Sequence[WorkloadState], hpas: Sequence[HpaState]) -> pa.Table:
    """Points at ``now_us`` for every pod, container, workload and autoscaler given."""
    rows = Rows(tenant, now_us)
    for pod in pods:
        _pod_points(rows, cluster, pod)
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


def _pod_points(rows: Rows, cluster: str, pod: PodState) -> None:
    service = pod.service or pod.workload or pod.name
    instance = pod.instance or f"{cluster}/{pod.namespace}/{pod.name}"
    attrs = {m.CLUSTER: cluster, m.NAMESPACE: pod.namespace, m.POD: pod.name}
    if pod.node:
        attrs[m.NODE] = pod.node
    if pod.workload_kind and pod.workload:
        attrs[m.WORKLOAD_KIND], attrs[m.WORKLOAD] = pod.workload_kind, pod.workload
    rows.add(m.POD_PHASE, m.PHASES.get(pod.phase, m.PHASES["Unknown"]), service, instance,
             {**attrs, m.PHASE: pod.phase})
    rows.add(m.POD_READY, 1.0 if pod.ready else 0.0, service, instance, attrs)
    for c in pod.containers:
        c_attrs = {**attrs, m.CONTAINER: c.name}
        for name, value in _container_values(c):
            rows.add(name, value, service, instance, c_attrs)


def _container_values(c: ContainerState) -> list[tuple[str, float]]:
    """The container's figures that are known; a missing request or limit is no point."""
    values: list[tuple[str, float]] = [
        (m.RESTARTS, c.restarts), (m.CONTAINER_READY, 1.0 if c.ready else 0.0)]
    for name, value in ((m.CPU_REQUEST, c.cpu_request), (m.CPU_LIMIT, c.cpu_limit),
                        (m.MEMORY_REQUEST, c.memory_request), (m.MEMORY_LIMIT, c.memory_limit),
                        (m.CPU_USAGE, c.cpu_usage), (m.MEMORY_USAGE, c.memory_usage)):
        if value is not None:
            values.append((name, value))
    if c.cpu_usage is not None and c.cpu_limit:
        values.append((m.CPU_LIMIT_UTILIZATION, c.cpu_usage / c.cpu_limit))
    if c.memory_usage is not None and c.memory_limit:
        values.append((m.MEMORY_LIMIT_UTILIZATION, c.memory_usage / c.memory_limit))
    return values
