"""Every metric point name and attribute key Bongsu writes for Kubernetes: one table.

Names follow OpenTelemetry's k8s semantic conventions where they exist
(``k8s.container.cpu.limit``, ``k8s.container.restarts``, ``k8s.pod.phase`` …) and add
what they lack (usage in cores and bytes, utilisation against the limit, readiness as
0/1, workload replicas, ingress rates and latency). Every point is a ``gauge`` row of
``METRIC_SCHEMA``; the API and the console read names, units and help from here.

Example::

    from bongsu.kube.metric_names import METRICS, CPU_LIMIT
    METRICS[CPU_LIMIT].unit   # "{cpu}" (cores)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Scope = Literal["container", "pod", "workload", "hpa", "ingress"]


@dataclass(frozen=True, slots=True)
class MetricName:
    """One metric: its name, UCUM-style unit (as OTel writes them), what it is per, help."""

    name: str
    unit: str
    scope: Scope
    help: str
    kind: str = "gauge"


# Containers: requests and limits from the pod spec, usage from metrics.k8s.io.
CPU_REQUEST = "k8s.container.cpu.request"
CPU_LIMIT = "k8s.container.cpu.limit"
CPU_USAGE = "k8s.container.cpu.usage"
CPU_LIMIT_UTILIZATION = "k8s.container.cpu.limit_utilization"
MEMORY_REQUEST = "k8s.container.memory.request"
MEMORY_LIMIT = "k8s.container.memory.limit"
MEMORY_USAGE = "k8s.container.memory.usage"
MEMORY_LIMIT_UTILIZATION = "k8s.container.memory.limit_utilization"
RESTARTS = "k8s.container.restarts"
CONTAINER_READY = "k8s.container.ready"
# Pods.
POD_PHASE = "k8s.pod.phase"
POD_READY = "k8s.pod.ready"
# Workloads (Deployment, StatefulSet, DaemonSet, a ReplicaSet without a Deployment).
REPLICAS_DESIRED = "k8s.workload.replicas.desired"
REPLICAS_READY = "k8s.workload.replicas.ready"
REPLICAS_AVAILABLE = "k8s.workload.replicas.available"
# HorizontalPodAutoscalers.
HPA_CURRENT = "k8s.hpa.replicas.current"
HPA_DESIRED = "k8s.hpa.replicas.desired"
HPA_MIN = "k8s.hpa.replicas.min"
HPA_MAX = "k8s.hpa.replicas.max"
# Ingress / router traffic, scraped from Prometheus text endpoints.
INGRESS_REQUESTS = "ingress.requests.rate"
INGRESS_4XX = "ingress.errors.4xx.rate"
INGRESS_5XX = "ingress.errors.5xx.rate"
INGRESS_LATENCY_AVG = "ingress.latency.avg"
INGRESS_LATENCY_P95 = "ingress.latency.p95"

_TABLE = (
    MetricName(CPU_REQUEST, "{cpu}", "container", "CPU the container requests, in cores"),
    MetricName(CPU_LIMIT, "{cpu}", "container", "CPU limit of the container, in cores"),
    MetricName(CPU_USAGE, "{cpu}", "container",
               "CPU the container uses, in cores (metrics.k8s.io)"),
    MetricName(CPU_LIMIT_UTILIZATION, "1", "container",
               "CPU usage over the CPU limit, 0-1 (above 1 is not possible: throttled)"),
    MetricName(MEMORY_REQUEST, "By", "container", "Memory the container requests, bytes"),
    MetricName(MEMORY_LIMIT, "By", "container",
               "Memory limit of the container, bytes (over it the kernel OOM-kills)"),
    MetricName(MEMORY_USAGE, "By", "container",
               "Working-set memory of the container, bytes (metrics.k8s.io)"),
    MetricName(MEMORY_LIMIT_UTILIZATION, "1", "container",
               "Memory usage over the memory limit, 0-1"),
    MetricName(RESTARTS, "{restart}", "container",
               "Restarts of the container since its pod was created (a running count)"),
    MetricName(CONTAINER_READY, "1", "container", "1 when the container is ready, else 0"),
    MetricName(POD_PHASE, "1", "pod",
               "Pod phase: 1 Pending, 2 Running, 3 Succeeded, 4 Failed, 5 Unknown"),
    MetricName(POD_READY, "1", "pod", "1 when the pod is Ready, else 0"),
    MetricName(REPLICAS_DESIRED, "{pod}", "workload", "Replicas the workload asks for"),
    MetricName(REPLICAS_READY, "{pod}", "workload", "Replicas of the workload that are ready"),
    MetricName(REPLICAS_AVAILABLE, "{pod}", "workload",
               "Replicas of the workload that are available"),
    MetricName(HPA_CURRENT, "{pod}", "hpa", "Replicas the autoscaler's target runs now"),
    MetricName(HPA_DESIRED, "{pod}", "hpa", "Replicas the autoscaler wants"),
    MetricName(HPA_MIN, "{pod}", "hpa", "The autoscaler's lower bound"),
    MetricName(HPA_MAX, "{pod}", "hpa", "The autoscaler's upper bound"),
    MetricName(INGRESS_REQUESTS, "{request}/s", "ingress",
               "Requests per second through the ingress or route, between two scrapes"),
    MetricName(INGRESS_4XX, "{request}/s", "ingress", "Responses per second with a 4xx status"),
    MetricName(INGRESS_5XX, "{request}/s", "ingress", "Responses per second with a 5xx status"),
    MetricName(INGRESS_LATENCY_AVG, "ms", "ingress",
               "Mean response time between two scrapes (HAProxy: its own running average)"),
    MetricName(INGRESS_LATENCY_P95, "ms", "ingress",
               "95th percentile response time between two scrapes, interpolated in the"
               " exporter's histogram buckets"),
)

METRICS: dict[str, MetricName] = {m.name: m for m in _TABLE}
"""Every Kubernetes metric Bongsu writes, by name."""

# Attribute keys (JSON ``attributes`` of each point). Every point has the first two.
CLUSTER = "k8s.cluster.name"
NAMESPACE = "k8s.namespace.name"
POD = "k8s.pod.name"
CONTAINER = "k8s.container.name"
NODE = "k8s.node.name"
WORKLOAD_KIND = "k8s.workload.kind"
WORKLOAD = "k8s.workload.name"
PHASE = "k8s.pod.status.phase"  # on k8s.pod.phase points: "Running", "Pending" …
HPA = "k8s.hpa.name"
K8S_SERVICE = "k8s.service.name"
INGRESS = "ingress.name"  # an Ingress, or an OpenShift Route
INGRESS_KIND = "ingress.kind"  # "Ingress", "Route", or absent for a generic exporter
INGRESS_CONTROLLER = "ingress.controller"  # the exporter family: "ingress-nginx", "haproxy" …
HOST = "http.host"
PATH = "url.path"

ATTRIBUTES: dict[str, str] = {
    CLUSTER: "Cluster name as configured with --kube NAME=…",
    NAMESPACE: "Namespace of the object (empty for a generic exporter that names none)",
    POD: "Pod name",
    CONTAINER: "Container name",
    NODE: "Node the pod runs on",
    WORKLOAD_KIND: "Owner workload kind: Deployment, StatefulSet, DaemonSet, ReplicaSet, Job",
    WORKLOAD: "Owner workload name",
    PHASE: "The pod's phase as Kubernetes writes it",
    HPA: "HorizontalPodAutoscaler name",
    K8S_SERVICE: "Kubernetes Service the traffic is routed to",
    INGRESS: "Ingress (ingress-nginx) or Route (OpenShift router) name",
    INGRESS_KIND: "Ingress or Route",
    INGRESS_CONTROLLER: "Which exporter the figures come from",
    HOST: "Host the ingress rule matches",
    PATH: "Path the ingress rule matches",
}
"""Every attribute key on Kubernetes metric points, with what it holds."""

PHASES: dict[str, int] = {"Pending": 1, "Running": 2, "Succeeded": 3, "Failed": 4, "Unknown": 5}
"""``k8s.pod.phase`` values (the OpenTelemetry Collector's k8scluster receiver's encoding)."""
