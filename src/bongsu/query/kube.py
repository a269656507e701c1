"""Kubernetes queries: stored episodes, the clusters' live state, traffic per cluster.

Episodes and traffic come from the store's read side; clusters, pods, workloads and
ingress routes from a :class:`bongsu.kube.model.KubeView` (the watcher hub), joined with
stored figures where the view has none (recent warnings, ingress traffic). Every body is
JSON-ready: times epoch ms, CPU in cores, memory in bytes, rates per second.

Example::

    body = events(reads, "default", EventSearch(start_us, end_us, 500, kind="oom_killed"))
    body["events"][0]["summary"]   # "cart-7d9f8-x2kq: container cart OOM-killed …"
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bongsu.errors import NotFound, TooManyRows
from bongsu.kube import metric_names as m
from bongsu.kube.model import (
    ContainerState,
    Episode,
    HpaState,
    IngressRoute,
    KubeView,
    PodState,
    Termination,
)
from bongsu.query.names import instance_names
from bongsu.query.window import Window
from bongsu.store.reads import EventSearch, IngressFigures, Reads

_US = 1_000_000
_HOUR_US = 3600 * _US


def _ms(us: int | None) -> int | None:
    return None if us is None else us // 1000


def episode_json(e: Episode) -> dict[str, Any]:
    """One episode as ``/api/v1/events`` lists it."""
    return {
        "id": e.id, "cluster": e.cluster, "namespace": e.namespace,
        "object_kind": e.object_kind, "object_name": e.object_name, "kind": e.kind,
        "reason": e.reason, "severity": e.severity, "summary": e.summary,
        "message": e.message, "count": e.count, "first_seen": e.first_seen_us // 1000,
        "last_seen": e.last_seen_us // 1000, "component": e.component, "source": e.source,
        "service": e.service, "pod": e.pod, "container": e.container, "node": e.node,
    }


def events(reads: Reads, tenant: str, search: EventSearch) -> dict[str, Any]:
    """Episodes overlapping the window and matching every filter, newest first."""
    return {"events": [episode_json(e) for e in reads.kube_events(tenant, search)]}


def event_detail(reads: Reads, tenant: str, id: str) -> dict[str, Any]:
    """One episode with its count over time and the object behind it (NotFound if none)."""
    found = reads.kube_event(tenant, id)
    if found is None:
        raise NotFound(f"id: no event {id!r}")
    episode, counts = found
    body = episode_json(episode)
    body["counts"] = [{"ts": c.ts_us // 1000, "count": c.count} for c in counts]
    try:
        body["raw"] = json.loads(episode.raw)
    except ValueError:
        body["raw"] = episode.raw  # the contract says JSON; a writer's slip is shown as text
    return body


def clusters(view: KubeView, reads: Reads, tenant: str, now_us: int) -> dict[str, Any]:
    """Every watched cluster: connection, nodes and pods ready, the last hour's warnings."""
    recent: dict[tuple[str, str], int] = {
        (c.cluster, c.severity): c.episodes
        for c in reads.kube_severity_counts(tenant, now_us - _HOUR_US, now_us + 1)
    }
    out = []
    for c in sorted(view.clusters(tenant), key=lambda c: c.name):
        nodes = view.nodes(tenant, c.name)
        pods = view.pods(tenant, c.name, None, None)
        services = {p.service for p in pods if p.service}
        services |= {w.service for w in view.workloads(tenant, c.name, None) if w.service}
        out.append({
            "name": c.name, "label": c.label, "state": c.state, "error": c.error,
            "connected_since": _ms(c.connected_since_us), "last_frame": _ms(c.last_frame_us),
            "relists": c.relists, "episodes_opened": c.episodes_opened,
            "episodes_updated": c.episodes_updated,
            "nodes": {"ready": sum(n.ready for n in nodes), "total": len(nodes)},
            "pods": {"ready": sum(p.ready for p in pods), "total": len(pods)},
            "recent": {"critical": recent.get((c.name, "critical"), 0),
                       "warning": recent.get((c.name, "warning"), 0)},
            "services": sorted(services),
            "failing": [{"resource": name, "error": c.resource_errors.get(name),
                         "failures": c.resource_failures.get(name, 0)}
                        for name in sorted(c.resource_errors.keys()
                                           | c.resource_failures.keys())],
            "usage_error": c.usage_error,
            "ingress": [{"url": url, "error": error}
                        for url, error in sorted(c.scrape_targets.items())],
        })
    health = view.health(tenant)
    return {"clusters": out, "watcher": {
        "saved": health.saved, "pending": health.pending, "dropped": health.dropped,
        "write_failures": health.write_failures, "write_error": health.write_error,
        "explainer_failures": health.explainer_failures}}


def _capped(rows: Sequence[Any], max_rows: int, what: str) -> None:
    if len(rows) > max_rows:
        raise TooManyRows(f"more than {max_rows} {what}; narrow with cluster or namespace")


def _termination(t: Termination | None, container: str | None = None) -> dict[str, Any] | None:
    if t is None:
        return None
    body: dict[str, Any] = {"reason": t.reason, "exit_code": t.exit_code, "signal": t.signal,
                            "finished_at": t.finished_us // 1000, "message": t.message}
    if container is not None:
        body["container"] = container
    return body


def _resource(usage: float | None, request: float | None, limit: float | None
              ) -> dict[str, float | None]:
    def fraction(of: float | None) -> float | None:
        return usage / of if usage is not None and of else None

    return {"usage": usage, "request": request, "limit": limit,
            "request_fraction": fraction(request), "limit_fraction": fraction(limit)}


def _container_json(c: ContainerState) -> dict[str, Any]:
    return {
        "name": c.name, "image": c.image, "ready": c.ready, "restarts": c.restarts,
        "state": c.state, "waiting_reason": c.waiting_reason,
        "last_termination": _termination(c.last_termination),
        "cpu": _resource(c.cpu_usage, c.cpu_request, c.cpu_limit),
        "memory": _resource(c.memory_usage, c.memory_request, c.memory_limit),
    }


def pod_json(p: PodState, names: dict[str, str]) -> dict[str, Any]:
    """One pod with its containers against their requests and limits; ``names`` maps
    instance ids to display names."""
    ended = [(c.last_termination, c.name) for c in p.containers if c.last_termination]
    latest = max(ended, key=lambda t: t[0].finished_us, default=None)
    return {
        "cluster": p.cluster, "namespace": p.namespace, "name": p.name, "node": p.node,
        "phase": p.phase, "ready": p.ready, "reason": p.reason,
        "restarts": sum(c.restarts for c in p.containers),
        "workload_kind": p.workload_kind, "workload": p.workload, "service": p.service,
        "instance": p.instance,
        "instance_name": names.get(p.instance, p.instance) if p.instance else None,
        "started_at": _ms(p.started_us),
        "last_termination": _termination(*latest) if latest else None,
        "containers": [_container_json(c) for c in p.containers],
    }


def pods(view: KubeView, reads: Reads, tenant: str, cluster: str | None,
         namespace: str | None, service: str | None, max_rows: int) -> dict[str, Any]:
    """Pods of the watched clusters, by cluster, namespace, name."""
    found = view.pods(tenant, cluster, namespace, service)
    _capped(found, max_rows, "pods")
    names = instance_names(reads, tenant, (p.instance for p in found if p.instance))
    ordered = sorted(found, key=lambda p: (p.cluster, p.namespace, p.name))
    return {"pods": [pod_json(p, names) for p in ordered]}


def _hpa_json(h: HpaState) -> dict[str, Any]:
    return {"name": h.name, "min_replicas": h.min_replicas, "max_replicas": h.max_replicas,
            "current": h.current, "desired": h.desired, "metrics": list(h.metrics)}


def workloads(view: KubeView, tenant: str, cluster: str | None, namespace: str | None,
              max_rows: int) -> dict[str, Any]:
    """Workloads with their replicas, images and autoscaler. A Deployment's ReplicaSets
    are counted in it and not listed."""
    found = [w for w in view.workloads(tenant, cluster, namespace)
             if not (w.kind == "ReplicaSet" and w.owner)]
    _capped(found, max_rows, "workloads")
    hpas = {(h.cluster, h.namespace, h.target_kind, h.target_name): h
            for h in view.hpas(tenant, cluster, namespace)}
    out = []
    for w in sorted(found, key=lambda w: (w.cluster, w.namespace, w.kind, w.name)):
        hpa = hpas.get((w.cluster, w.namespace, w.kind, w.name))
        out.append({
            "cluster": w.cluster, "namespace": w.namespace, "kind": w.kind, "name": w.name,
            "desired": w.desired, "ready": w.ready, "available": w.available,
            "images": list(w.images), "revision": w.revision or None, "service": w.service,
            "hpa": _hpa_json(hpa) if hpa else None,
        })
    return {"workloads": out}


_FigKey = tuple[str | None, str | None, str | None, str | None, str | None]


def _figures_json(f: IngressFigures | None) -> dict[str, float | None]:
    if f is None:
        return {"requests_per_s": None, "errors_4xx_per_s": None, "errors_5xx_per_s": None,
                "error_rate_4xx": None, "error_rate_5xx": None, "latency_avg_ms": None,
                "latency_p95_ms": None}

    def rate(errors: float | None) -> float | None:
        return errors / f.requests_per_s if errors is not None and f.requests_per_s else None

    return {"requests_per_s": f.requests_per_s, "errors_4xx_per_s": f.errors_4xx_per_s,
            "errors_5xx_per_s": f.errors_5xx_per_s, "error_rate_4xx": rate(f.errors_4xx_per_s),
            "error_rate_5xx": rate(f.errors_5xx_per_s), "latency_avg_ms": f.latency_avg_ms,
            "latency_p95_ms": f.latency_p95_ms}


def ingresses(view: KubeView, reads: Reads, tenant: str, cluster: str | None,
              namespace: str | None, window: Window, max_rows: int) -> dict[str, Any]:
    """Ingress routes with their traffic over the window. A route matches the figures of
    its (cluster, namespace, ingress, host, path), or, as its ingress's only rule, the
    ingress's figures without host and path (an exporter without per-path labels);
    figures no route takes (a generic exporter, an OpenShift router) are routes of their
    own with ``declared`` false.
    """
    routes = view.ingresses(tenant, cluster, namespace)
    _capped(routes, max_rows, "ingress routes")
    figures = reads.ingress_traffic(tenant, window.start_us, window.end_us, cluster, namespace)
    exact: dict[_FigKey, IngressFigures] = {
        (f.cluster, f.namespace, f.ingress, f.host or "", f.path or ""): f for f in figures}
    rules: dict[tuple[str, str, str], int] = {}
    for r in routes:
        rules[(r.cluster, r.namespace, r.name)] = rules.get((r.cluster, r.namespace, r.name),
                                                             0) + 1
    used: set[int] = set()
    out = []
    for r in sorted(routes, key=lambda r: (r.cluster, r.namespace, r.name, r.host, r.path)):
        match = exact.get((r.cluster, r.namespace, r.name, r.host, r.path))
        if match is None and rules[(r.cluster, r.namespace, r.name)] == 1:
            match = exact.get((r.cluster, r.namespace, r.name, "", ""))
        if match is not None:
            used.add(id(match))
        out.append(_route_json(r, match))
    out += [_undeclared_json(f) for f in figures if id(f) not in used]
    _capped(out, max_rows, "ingress routes")
    return {"from": window.start_us // 1000, "to": window.end_us // 1000, "routes": out}


def _route_json(r: IngressRoute, f: IngressFigures | None) -> dict[str, Any]:
    return {"cluster": r.cluster, "namespace": r.namespace, "name": r.name,
            "ingress_class": r.ingress_class, "host": r.host, "path": r.path,
            "backend_service": r.backend_service, "backend_port": r.backend_port,
            "service": r.service or (f.service if f else None), "declared": True,
            **_figures_json(f)}


def _undeclared_json(f: IngressFigures) -> dict[str, Any]:
    return {"cluster": f.cluster, "namespace": f.namespace, "name": f.ingress,
            "ingress_class": None, "host": f.host or "", "path": f.path or "",
            "backend_service": f.k8s_service, "backend_port": None, "service": f.service,
            "declared": False, **_figures_json(f)}


def traffic(reads: Reads, tenant: str, service: str | None, window: Window, step_s: int,
            max_rows: int) -> dict[str, Any]:
    """Per cluster: its share of the service's transactions per step and in total, and
    the service's ready replicas there per step (a 30/70 split, an autoscale, a failover).
    """
    w = window.aligned(60 if step_s % 60 == 0 else 10).aligned(step_s)
    step_us = step_s * _US
    steps = range(w.start_us, w.end_us, step_us)
    if len(steps) > max_rows:
        raise TooManyRows(f"step: {len(steps)} points is over the {max_rows}-row limit; "
                          "use a larger step")
    tx = reads.cluster_traffic(tenant, service, w.start_us, w.end_us, step_us)
    replicas = reads.metric_by_attribute(tenant, m.REPLICAS_READY, m.CLUSTER, w.start_us,
                                         w.end_us, step_us, "sum", service=service)
    per_step: dict[int, int] = {}
    for p in tx:
        per_step[p.ts_us] = per_step.get(p.ts_us, 0) + p.transactions
    names = sorted({p.cluster for p in tx} | {r.group for r in replicas},
                   key=lambda c: (c is None, c or ""))
    total = sum(per_step.values())
    out = []
    for name in names:
        mine = {p.ts_us: p for p in tx if p.cluster == name}
        ready = {r.ts_us: r.value for r in replicas if r.group == name}
        transactions = sum(p.transactions for p in mine.values())
        points = []
        for ts in steps:
            at = mine.get(ts)
            n = at.transactions if at else 0
            points.append({"ts": ts // 1000, "transactions": n, "errors": at.errors if at else 0,
                           "share": n / per_step[ts] if per_step.get(ts) else None,
                           "replicas": ready.get(ts)})
        out.append({"cluster": name, "transactions": transactions,
                    "errors": sum(p.errors for p in mine.values()),
                    "share": transactions / total if total else None, "points": points})
    return {"service": service, "step": step_s, "from": w.start_us // 1000,
            "to": w.end_us // 1000, "clusters": out}
