"""What the Kubernetes watcher knows, as plain values: episodes, and compact object state.

These types are the contract between the parts of ``bongsu.kube`` (the watch loops, the
explainers, the state diffs), the store (``save_kube_episodes`` / ``kube_events``) and the
API (``bongsu.api.kube``). Timestamps are epoch microseconds.

An **episode** is one stored event: the same involved object + reason + reporting
component, however many count bumps (MODIFIED frames) or relists arrive. Its ``id`` is
stable: :func:`episode_id` of its key and the time it was first seen, so a relist or a
restart that sees the same Kubernetes Event again updates the same row.

Object state is kept *compact* (the fields the explainers and the API need, never the
whole object), so a 10,000-pod cluster stays within the watcher's memory bound.

Example::

    ep = Episode(id=episode_id("default", key, first_seen_us), tenant="default", ...)
    store.save_kube_episodes([ep])
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal, Protocol

Severity = Literal["critical", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("critical", "warning", "info")

Kind = Literal[
    "crash_loop",
    "image_pull",
    "evicted",
    "volume_mount",
    "scheduling",
    "hostport_conflict",
    "node_not_ready",
    "node_ready",
    "node_rebooted",
    "oom_killed",
    "container_restart",
    "readiness",
    "hpa_scale_out",
    "hpa_scale_in",
    "rollout",
    "pod_started",
    "other",
]
KINDS: tuple[Kind, ...] = (
    "crash_loop", "image_pull", "evicted", "volume_mount", "scheduling",
    "hostport_conflict", "node_not_ready", "node_ready", "node_rebooted", "oom_killed",
    "container_restart", "readiness", "hpa_scale_out", "hpa_scale_in", "rollout",
    "pod_started", "other",
)

Source = Literal["event", "state"]
"""``event``: from a Kubernetes Event; ``state``: derived from an object's status."""


@dataclass(frozen=True, slots=True)
class EpisodeKey:
    """What makes two Kubernetes events the same episode.

    ``discriminator`` separates episodes the key alone would merge: for state-derived
    episodes the container id and finish time of a termination, the HPA's from → to, the
    new ReplicaSet of a rollout; empty for events.
    """

    cluster: str
    namespace: str
    object_kind: str
    object_name: str
    reason: str
    component: str
    discriminator: str = ""

    def text(self) -> str:
        return "\x1f".join((self.cluster, self.namespace, self.object_kind, self.object_name,
                            self.reason, self.component, self.discriminator))


def episode_id(tenant: str, key: EpisodeKey, first_seen_us: int) -> str:
    """A stable 16-hex-digit id for the episode of ``key`` first seen at ``first_seen_us``."""
    text = f"{tenant}\x1f{key.text()}\x1f{first_seen_us}"
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


@dataclass(slots=True)
class Episode:
    """One stored event: what the API's ``/api/v1/events`` rows are made of."""

    id: str
    tenant: str
    cluster: str
    namespace: str
    object_kind: str
    object_name: str
    kind: Kind
    reason: str
    severity: Severity
    summary: str
    message: str
    count: int
    first_seen_us: int
    last_seen_us: int
    component: str
    source: Source
    service: str | None = None
    pod: str | None = None
    container: str | None = None
    node: str | None = None
    raw: str = "{}"  # JSON of the latest Kubernetes object behind it (Event, Pod, HPA …)


@dataclass(frozen=True, slots=True)
class CountPoint:
    """One step of an episode's count over time."""

    ts_us: int
    count: int


@dataclass(frozen=True, slots=True)
class NormalEvent:
    """A core/v1 or events.k8s.io/v1 Event in one shape (see ``bongsu.kube.events``)."""

    cluster: str
    uid: str
    namespace: str
    object_kind: str
    object_name: str
    object_uid: str
    field_path: str
    reason: str
    message: str
    type: str  # "Normal" or "Warning"
    component: str
    host: str
    count: int
    first_seen_us: int
    last_seen_us: int
    raw: str  # the Event as JSON


@dataclass(frozen=True, slots=True)
class Explained:
    """What an explainer makes of an event or a state change."""

    kind: Kind
    severity: Severity
    summary: str
    pod: str | None = None
    container: str | None = None
    node: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """An episode derived from object state (a termination, an HPA scale, a rollout …).

    ``at_us`` is when it happened (a termination's finish time, the HPA's last scale
    time), which is also the episode's first seen; ``raw`` is the object (or the part of
    it) that shows it, as JSON.
    """

    key: EpisodeKey
    explained: Explained
    at_us: int
    message: str
    raw: str


@dataclass(frozen=True, slots=True)
class Termination:
    """A container's last termination, from ``lastState.terminated`` (or ``state``)."""

    reason: str  # "OOMKilled", "Error", "Completed" …
    exit_code: int
    signal: int | None
    finished_us: int
    container_id: str
    message: str = ""


@dataclass(slots=True)
class ContainerState:
    name: str
    image: str
    ready: bool
    restarts: int
    state: str  # "running", "waiting", "terminated"
    waiting_reason: str | None  # "CrashLoopBackOff", "ImagePullBackOff" …
    last_termination: Termination | None
    cpu_request: float | None  # cores
    cpu_limit: float | None
    memory_request: float | None  # bytes
    memory_limit: float | None
    cpu_usage: float | None = None  # cores, from metrics.k8s.io
    memory_usage: float | None = None  # bytes


@dataclass(slots=True)
class PodState:
    cluster: str
    namespace: str
    name: str
    uid: str
    node: str | None
    phase: str
    ready: bool
    workload_kind: str | None  # "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"
    workload: str | None
    labels: dict[str, str]
    containers: list[ContainerState]
    started_us: int | None
    reason: str | None = None  # "Evicted" …
    service: str | None = None  # linked from spans/metrics whose k8s.pod.name is this pod
    instance: str | None = None  # that telemetry's instance id, when linked


@dataclass(slots=True)
class NodeState:
    cluster: str
    name: str
    ready: bool
    boot_id: str
    cpu_capacity: float | None
    memory_capacity: float | None
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class WorkloadState:
    cluster: str
    namespace: str
    kind: str  # "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"
    name: str
    desired: int
    ready: int
    available: int
    images: list[str]
    owner: str | None = None  # a ReplicaSet's Deployment
    service: str | None = None
    revision: str = ""  # Deployment revision annotation / StatefulSet updateRevision


@dataclass(slots=True)
class HpaState:
    cluster: str
    namespace: str
    name: str
    target_kind: str
    target_name: str
    min_replicas: int
    max_replicas: int
    current: int
    desired: int
    metrics: list[str]  # human-readable "cpu 92% / 70%"


@dataclass(slots=True)
class IngressRoute:
    """One rule of an Ingress: host + path → backend Service."""

    cluster: str
    namespace: str
    name: str
    ingress_class: str | None
    host: str
    path: str
    backend_service: str
    backend_port: str
    service: str | None = None  # the Bongsu service (from the backend's pods)


ConnectionState = Literal["connecting", "connected", "unreachable"]


@dataclass(slots=True)
class ClusterStatus:
    name: str
    label: str | None
    tenant: str
    state: ConnectionState
    error: str | None
    connected_since_us: int | None
    last_frame_us: int | None
    relists: int
    episodes_opened: int  # new episodes since the server started (announced)
    episodes_updated: int  # count bumps and relist re-sightings merged into episodes
    # What fails, so it is shown and not only logged (defaults: nothing known to fail).
    resource_errors: dict[str, str] = field(default_factory=dict)  # failing now → error
    resource_failures: dict[str, int] = field(default_factory=dict)  # failed requests
    usage_error: str | None = None  # the last metrics.k8s.io read's error
    scrape_targets: dict[str, str | None] = field(default_factory=dict)  # URL → last error


@dataclass(frozen=True, slots=True)
class WatcherHealth:
    """The parts every cluster of a server shares, and what they failed at."""

    saved: int = 0  # episodes the writer saved since the server started
    pending: int = 0  # waiting to be written
    dropped: int = 0  # not written: the writer's queue was full
    write_failures: int = 0  # batches the store refused (each retried)
    write_error: str | None = None  # the last refusal, None once a batch is saved again
    explainer_failures: int = 0  # explainers that raised (the event got the fallback)


class KubeView(Protocol):
    """What the API reads of the clusters being watched (``bongsu.kube.hub`` implements it).

    Every method takes the caller's tenant and returns only that tenant's clusters;
    ``None`` filters mean all. Results are snapshots (copies), safe to serialise.
    """

    def clusters(self, tenant: str) -> list[ClusterStatus]: ...

    def health(self, tenant: str) -> WatcherHealth: ...

    def nodes(self, tenant: str, cluster: str | None) -> list[NodeState]: ...

    def pods(self, tenant: str, cluster: str | None, namespace: str | None,
             service: str | None) -> list[PodState]: ...

    def workloads(self, tenant: str, cluster: str | None,
                  namespace: str | None) -> list[WorkloadState]: ...

    def hpas(self, tenant: str, cluster: str | None,
             namespace: str | None) -> list[HpaState]: ...

    def ingresses(self, tenant: str, cluster: str | None,
                  namespace: str | None) -> list[IngressRoute]: ...
