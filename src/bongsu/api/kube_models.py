"""The Kubernetes response bodies (``bongsu.api.kube``), as :mod:`bongsu.api.models` does
for the rest: the OpenAPI document's source of truth, undeclared fields forbidden.

Units: times epoch milliseconds; CPU in cores; memory in bytes; rates per second;
fractions 0-1 (usage over request or limit can pass 1 for a request).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from bongsu.api.models import Model
from bongsu.kube.model import ConnectionState, Kind, Severity, Source


def _f(description: str, **kw: Any) -> Any:
    return Field(description=description, **kw)


class Event(Model):
    id: str = _f("Episode id, 16 hex digits (stable across relists and restarts)")
    cluster: str = _f("Cluster name as configured (--kube NAME=...)")
    namespace: str = _f("Namespace of the involved object; empty for nodes")
    object_kind: str = _f("Kind of the involved object: Pod, Node, Deployment, ...")
    object_name: str = _f("Name of the involved object")
    kind: Kind = _f("What happened, as Bongsu explains it")
    reason: str = _f("Kubernetes reason (BackOff, FailedScheduling, ...) or the state "
                     "change's (OOMKilled, ScaledOut, ...)")
    severity: Severity = _f("critical, warning or info")
    summary: str = _f("One line a person can act on, naming the object and the cause")
    message: str = _f("The latest Kubernetes message")
    count: int = _f("Occurrences so far (Kubernetes' count, summed over relists), count")
    first_seen: int = _f("First occurrence, epoch ms")
    last_seen: int = _f("Latest occurrence, epoch ms")
    component: str = _f("Reporting component (kubelet, default-scheduler, bongsu for "
                        "state-derived episodes ...)")
    source: Source = _f("event: from a Kubernetes Event; state: derived from object status")
    service: str | None = _f("Bongsu service of the pod (service.name of its telemetry)")
    pod: str | None = _f("Pod concerned, if any")
    container: str | None = _f("Container concerned, if any")
    node: str | None = _f("Node concerned, if any")


class Events(Model):
    events: list[Event] = _f("Episodes overlapping the window, newest last_seen first")


class CountPoint(Model):
    ts: int = _f("When the count was seen, epoch ms (the episode's last_seen then)")
    count: int = _f("Occurrences up to then, count")


class EventDetail(Event):
    counts: list[CountPoint] = _f("The count over time, oldest first")
    raw: Any = _f("The latest Kubernetes object behind the episode (Event, Pod, HPA ...)")


class ReadyTotal(Model):
    ready: int = _f("Ready, count")
    total: int = _f("All, count")


class RecentEpisodes(Model):
    critical: int = _f("Critical episodes seen in the last hour, count")
    warning: int = _f("Warning episodes seen in the last hour, count")


class FailingResource(Model):
    resource: str = _f("Watched resource (pods, events.k8s.io, hpas ...)")
    error: str | None = _f("Its latest error while it fails now (RBAC, a 5xx ...); null "
                           "once it answers again")
    failures: int = _f("Failed requests of it since the server started, count")


class ScrapeTargetStatus(Model):
    url: str = _f("Ingress controller / router endpoint scraped for this cluster")
    error: str | None = _f("The last scrape's error; null when it succeeded")


class Cluster(Model):
    name: str = _f("Cluster name as configured")
    label: str | None = _f("Its label (private, public, a provider), if configured")
    state: ConnectionState = _f("connecting, connected or unreachable")
    error: str | None = _f("Why it is unreachable (or the last error while connecting)")
    connected_since: int | None = _f("When the current connection was made, epoch ms")
    last_frame: int | None = _f("Latest watch frame or list received, epoch ms")
    relists: int = _f("Full relists since the server started (410 Gone, silent watches)")
    episodes_opened: int = _f("New episodes since the server started, count")
    episodes_updated: int = _f("Count bumps and re-sightings merged into episodes, count")
    nodes: ReadyTotal = _f("Nodes ready / total")
    pods: ReadyTotal = _f("Pods ready / total")
    recent: RecentEpisodes = _f("Warning and critical episodes of the last hour (stored)")
    services: list[str] = _f("Bongsu services running in the cluster, by name")
    failing: list[FailingResource] = _f("Resources failing now or that failed since the "
                                        "server started, by resource")
    usage_error: str | None = _f("The last metrics.k8s.io read's error (usage is null "
                                 "meanwhile); null when it succeeded or is not served")
    ingress: list[ScrapeTargetStatus] = _f("Its ingress scrape targets, by URL")


class WatcherHealth(Model):
    saved: int = _f("Episodes written to the store since the server started, count")
    pending: int = _f("Episodes waiting to be written, count")
    dropped: int = _f("Episodes not written because the writer's queue was full, count")
    write_failures: int = _f("Batches the store refused (each retried), count")
    write_error: str | None = _f("The store's last refusal; null once a batch is saved again")
    explainer_failures: int = _f("Events an explainer raised on (they got the fallback "
                                 "reading), count")


class Clusters(Model):
    clusters: list[Cluster] = _f("Every watched cluster of the tenant, by name")
    watcher: WatcherHealth = _f("What the clusters share (the episode writer, the "
                                "explainers) and what it failed at")


class Termination(Model):
    reason: str = _f("OOMKilled, Error, Completed ...")
    exit_code: int = _f("Exit code (137 is SIGKILL, not always an OOM kill)")
    signal: int | None = _f("Signal that ended it, if Kubernetes reports one")
    finished_at: int = _f("When it ended, epoch ms")
    message: str = _f("Kubernetes' termination message, often empty")


class PodTermination(Termination):
    container: str = _f("Container that ended")


class Resource(Model):
    usage: float | None = _f("Current use (CPU cores / memory bytes) from metrics.k8s.io")
    request: float | None = _f("Request in the pod spec (cores / bytes); null when none")
    limit: float | None = _f("Limit in the pod spec (cores / bytes); null when none")
    request_fraction: float | None = _f("usage / request, fraction (may pass 1)")
    limit_fraction: float | None = _f("usage / limit, fraction 0-1 (memory past 1 is an "
                                      "OOM kill)")


class Container(Model):
    name: str = _f("Container name")
    image: str = _f("Image")
    ready: bool = _f("Whether the container is ready")
    restarts: int = _f("Restarts since the pod was created, count")
    state: str = _f("running, waiting or terminated")
    waiting_reason: str | None = _f("Why it waits: CrashLoopBackOff, ImagePullBackOff ...")
    last_termination: Termination | None = _f("How it last ended, if it has")
    cpu: Resource = _f("CPU, cores")
    memory: Resource = _f("Memory, bytes")


class Pod(Model):
    cluster: str = _f("Cluster name")
    namespace: str = _f("Namespace")
    name: str = _f("Pod name")
    node: str | None = _f("Node it is scheduled on")
    phase: str = _f("Pending, Running, Succeeded, Failed or Unknown")
    ready: bool = _f("Whether the pod is Ready")
    reason: str | None = _f("Why it is in this phase (Evicted ...), if Kubernetes says")
    restarts: int = _f("Restarts of all its containers, count")
    workload_kind: str | None = _f("Owner workload kind: Deployment, StatefulSet, ...")
    workload: str | None = _f("Owner workload name")
    service: str | None = _f("Bongsu service of its telemetry (k8s.pod.name), if linked")
    instance: str | None = _f("Instance id of its telemetry (service.instance.id), if linked")
    instance_name: str | None = _f("That instance's display name (k8s.pod.name, else "
                                   "host.name:process.pid, else the id); null if unlinked")
    started_at: int | None = _f("When the pod started, epoch ms")
    last_termination: PodTermination | None = _f("The latest container termination")
    containers: list[Container] = _f("Its containers, in spec order")


class Pods(Model):
    pods: list[Pod] = _f("Pods by cluster, namespace, name")


class Hpa(Model):
    name: str = _f("HorizontalPodAutoscaler name")
    min_replicas: int = _f("Lower bound, replicas")
    max_replicas: int = _f("Upper bound, replicas")
    current: int = _f("Replicas now")
    desired: int = _f("Replicas it wants")
    metrics: list[str] = _f("Each metric against its target, e.g. 'cpu 92% / 70%'")


class Workload(Model):
    cluster: str = _f("Cluster name")
    namespace: str = _f("Namespace")
    kind: str = _f("Deployment, StatefulSet, DaemonSet, or a ReplicaSet without one")
    name: str = _f("Workload name")
    desired: int = _f("Replicas asked for")
    ready: int = _f("Replicas ready")
    available: int = _f("Replicas available")
    images: list[str] = _f("Container images of its pod template")
    revision: str | None = _f("Deployment revision / StatefulSet update revision")
    service: str | None = _f("Bongsu service of its pods, if linked")
    hpa: Hpa | None = _f("The autoscaler targeting it, if any")


class Workloads(Model):
    workloads: list[Workload] = _f("Workloads by cluster, namespace, kind, name")


class IngressRoute(Model):
    cluster: str | None = _f("Cluster name")
    namespace: str | None = _f("Namespace")
    name: str | None = _f("Ingress or Route name; null for an exporter that names none")
    ingress_class: str | None = _f("Ingress class, if set")
    host: str = _f("Host the rule matches; empty for any")
    path: str = _f("Path the rule matches; empty for any")
    backend_service: str | None = _f("Kubernetes Service routed to")
    backend_port: str | None = _f("Its port (number or name)")
    service: str | None = _f("Bongsu service behind it, if linked")
    declared: bool = _f("true: an Ingress/Route object declares it; false: only an "
                        "exporter reports it")
    requests_per_s: float | None = _f("Requests per second, mean over the window")
    errors_4xx_per_s: float | None = _f("4xx responses per second, mean over the window")
    errors_5xx_per_s: float | None = _f("5xx responses per second, mean over the window")
    error_rate_4xx: float | None = _f("4xx / requests, fraction 0-1")
    error_rate_5xx: float | None = _f("5xx / requests, fraction 0-1")
    latency_avg_ms: float | None = _f("Mean response time, ms (mean of the scrapes)")
    latency_p95_ms: float | None = _f("95th percentile response time, ms (mean of each "
                                      "scrape interval's p95)")


class Ingresses(Model):
    from_: int = _f("Window start, epoch ms", alias="from")
    to: int = _f("Window end, epoch ms")
    routes: list[IngressRoute] = _f("Declared routes by cluster, namespace, name, host, "
                                    "path; then routes only an exporter reports")


class TrafficPoint(Model):
    ts: int = _f("Step start, epoch ms")
    transactions: int = _f("Transactions served in the cluster in the step, count")
    errors: int = _f("Failed transactions in the step, count")
    share: float | None = _f("Its share of the step's transactions, fraction 0-1; null "
                             "when no cluster served any")
    replicas: float | None = _f("Ready replicas of the service's workloads in the cluster "
                                "(latest in the step); null without a point")


class ClusterTraffic(Model):
    cluster: str | None = _f("Cluster (k8s.cluster.name); null for instances sending none")
    transactions: int = _f("Transactions over the window, count")
    errors: int = _f("Failed transactions over the window, count")
    share: float | None = _f("Share of the window's transactions, fraction 0-1")
    points: list[TrafficPoint] = _f("One point per step from the aligned window start")


class Traffic(Model):
    service: str | None = _f("The service; null for all of them")
    step: int = _f("Seconds per point")
    from_: int = _f("Window start after alignment, epoch ms", alias="from")
    to: int = _f("Window end after alignment, epoch ms")
    clusters: list[ClusterTraffic] = _f("Per cluster, by name (null last)")
