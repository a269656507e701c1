"""Kubernetes routes: stored events, and the watched clusters' pods, workloads, ingress
routes and traffic per cluster.

The server passes the live watcher hub as the view; without ``--kube`` clusters it is
:data:`NO_CLUSTERS`, and the routes answer with empty lists.

Example::

    app = create_api(settings, store, authenticator.principal, routers=[kube_router(hub)])
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import Field

from bongsu.api import kube_models, models
from bongsu.api.context import Queries, Tenant
from bongsu.api.params import MAX_LIMIT, From, Service, Step, To
from bongsu.api.responses import JSON
from bongsu.kube.model import (
    ClusterStatus,
    HpaState,
    IngressRoute,
    Kind,
    KubeView,
    NodeState,
    PodState,
    Severity,
    WatcherHealth,
    WorkloadState,
)
from bongsu.query.params import parse_limit_value
from bongsu.query.window import default_step
from bongsu.store.reads import EventSearch

EVENT_LIMIT = 500
EVENT_ID_PATTERN = "^[0-9a-f]{16}$"

Cluster = Annotated[str | None, Query(description="Only this cluster (its --kube NAME)")]
Namespace = Annotated[str | None, Query(
    description="Only this namespace (empty string: cluster-scoped objects such as nodes)")]
EventKind = Annotated[Kind | None, Query(description="Only episodes of this Bongsu kind")]
EventSeverity = Annotated[Severity | None, Query(description="Only this severity")]
Reason = Annotated[str | None, Query(description="Only this Kubernetes reason (BackOff ...)")]
ObjectName = Annotated[str | None, Query(
    alias="object", description="Involved object name starting with this (a Deployment's "
                                "pod prefix matches all its pods)")]
Pod = Annotated[str | None, Query(description="Only episodes about this pod")]
Text = Annotated[str | None, Query(
    description="Text in the summary, message or object name (any case)")]
EventLimit = Annotated[Annotated[int, Field(ge=1, le=MAX_LIMIT)] | None, Query(
    description=f"Most events to return: 1 to min({MAX_LIMIT}, the row cap). "
                f"Default {EVENT_LIMIT}.")]
EventId = Annotated[str, Field(pattern=EVENT_ID_PATTERN), Path(
    description="Episode id, 16 lowercase hex digits")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": models.ErrorBody, "description": "No such event in the tenant"}}


class _NoClusters:
    """The view when no cluster is configured: every list empty."""

    def clusters(self, tenant: str) -> list[ClusterStatus]:
        return []

    def health(self, tenant: str) -> WatcherHealth:
        return WatcherHealth()

    def nodes(self, tenant: str, cluster: str | None) -> list[NodeState]:
        return []

    def pods(self, tenant: str, cluster: str | None, namespace: str | None,
             service: str | None) -> list[PodState]:
        return []

    def workloads(self, tenant: str, cluster: str | None,
                  namespace: str | None) -> list[WorkloadState]:
        return []

    def hpas(self, tenant: str, cluster: str | None, namespace: str | None) -> list[HpaState]:
        return []

    def ingresses(self, tenant: str, cluster: str | None,
                  namespace: str | None) -> list[IngressRoute]:
        return []


NO_CLUSTERS: KubeView = _NoClusters()


def kube_router(view: KubeView = NO_CLUSTERS) -> APIRouter:
    """The Kubernetes routes over ``view`` (live state) and the store (episodes, figures)."""
    router = APIRouter(prefix="/api/v1", tags=["kubernetes"])

    @router.get("/events", summary="Kubernetes episodes overlapping the window, newest first",
                response_model=kube_models.Events)
    def events(
        tenant: Tenant, queries: Queries, from_: From = None, to: To = None,
        cluster: Cluster = None, namespace: Namespace = None, kind: EventKind = None,
        reason: Reason = None, severity: EventSeverity = None, object_: ObjectName = None,
        service: Service = None, pod: Pod = None, q: Text = None, limit: EventLimit = None,
    ) -> JSON:
        window = queries.window(from_, to)
        search = EventSearch(
            start_us=window.start_us, end_us=window.end_us,
            limit=parse_limit_value(limit, EVENT_LIMIT, queries.max_rows), cluster=cluster,
            namespace=namespace, kind=kind, reason=reason, severity=severity,
            object=object_ or None, service=service, pod=pod, q=q or None,
        )
        return JSON(queries.kube_events(tenant, search))

    @router.get("/events/{id}", summary="One episode: its count over time and raw object",
                response_model=kube_models.EventDetail, responses=NOT_FOUND)
    def event(id: EventId, tenant: Tenant, queries: Queries) -> JSON:
        return JSON(queries.kube_event(tenant, id))

    @router.get("/kube/clusters", summary="Watched clusters: connection, nodes, pods, "
                "recent warnings, services", response_model=kube_models.Clusters)
    def clusters(tenant: Tenant, queries: Queries) -> JSON:
        return JSON(queries.kube_clusters(view, tenant))

    @router.get("/kube/pods", summary="Pods and containers against their requests and limits",
                response_model=kube_models.Pods)
    def pods(tenant: Tenant, queries: Queries, cluster: Cluster = None,
             namespace: Namespace = None, service: Service = None) -> JSON:
        return JSON(queries.kube_pods(view, tenant, cluster, namespace, service))

    @router.get("/kube/workloads", summary="Workloads: replicas, images, autoscaler",
                response_model=kube_models.Workloads)
    def workloads(tenant: Tenant, queries: Queries, cluster: Cluster = None,
                  namespace: Namespace = None) -> JSON:
        return JSON(queries.kube_workloads(view, tenant, cluster, namespace))

    @router.get("/kube/ingresses", summary="Ingress routes with their traffic over the window",
                response_model=kube_models.Ingresses)
    def ingresses(tenant: Tenant, queries: Queries, cluster: Cluster = None,
                  namespace: Namespace = None, from_: From = None, to: To = None) -> JSON:
        window = queries.window(from_, to)
        return JSON(queries.kube_ingresses(view, tenant, cluster, namespace, window))

    @router.get("/kube/traffic", summary="A service's traffic share and replicas per cluster",
                response_model=kube_models.Traffic)
    def traffic(tenant: Tenant, queries: Queries, service: Service = None,
                from_: From = None, to: To = None, step: Step = None) -> JSON:
        window = queries.window(from_, to)
        step_s = default_step(window) if step is None else step
        return JSON(queries.kube_traffic(tenant, service, window, step_s))

    return router
