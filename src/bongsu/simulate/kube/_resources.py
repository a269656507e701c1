"""The resource types the simulated API server serves, and how URLs name them.

Each :class:`Resource` is one (group, version, plural); ``store`` names the collection
its objects live in, so core/v1 and events.k8s.io/v1 Events can share one set of
Events shown in two shapes.

Example::

    res = RESOURCES[("apps", "v1", "deployments")]
    res.api_version  # "apps/v1"
"""

from __future__ import annotations

from dataclasses import dataclass

READ = ("get", "list", "watch")


@dataclass(frozen=True)
class Resource:
    group: str  # "" for the core group
    version: str
    plural: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    store: str = ""  # collection in FakeCluster; the plural when empty
    verbs: tuple[str, ...] = READ
    categories: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def collection(self) -> str:
        return self.store or self.plural

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def watchable(self) -> bool:
        return "watch" in self.verbs


_ALL = (
    Resource("", "v1", "pods", "Pod", True, ("po",), categories=("all",)),
    Resource("", "v1", "nodes", "Node", False, ("no",)),
    Resource("", "v1", "namespaces", "Namespace", False, ("ns",)),
    Resource("", "v1", "events", "Event", True, ("ev",)),
    Resource("apps", "v1", "deployments", "Deployment", True, ("deploy",), categories=("all",)),
    Resource("apps", "v1", "replicasets", "ReplicaSet", True, ("rs",), categories=("all",)),
    Resource("apps", "v1", "statefulsets", "StatefulSet", True, ("sts",), categories=("all",)),
    Resource("apps", "v1", "daemonsets", "DaemonSet", True, ("ds",), categories=("all",)),
    Resource("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", True,
             ("hpa",), categories=("all",)),
    Resource("networking.k8s.io", "v1", "ingresses", "Ingress", True, ("ing",)),
    Resource("events.k8s.io", "v1", "events", "Event", True, ("ev",), store="events"),
    # metrics-server serves only get and list: `kubectl top` polls.
    Resource("metrics.k8s.io", "v1beta1", "pods", "PodMetrics", True, store="podmetrics",
             verbs=("get", "list")),
    Resource("metrics.k8s.io", "v1beta1", "nodes", "NodeMetrics", False, store="nodemetrics",
             verbs=("get", "list")),
)

RESOURCES: dict[tuple[str, str, str], Resource] = {
    (r.group, r.version, r.plural): r for r in _ALL
}
BY_KIND: dict[tuple[str, str], Resource] = {(r.api_version, r.kind): r for r in _ALL}
"""(apiVersion, kind) → resource, for objects handed to ``FakeCluster.put``."""

EventsApi = str  # "core", "events.k8s.io" or "both"
EVENTS_APIS = ("core", "events.k8s.io", "both")


def served(events_api: EventsApi) -> list[Resource]:
    """The resources a cluster serving ``events_api`` Events offers, in discovery order."""
    out = []
    for r in _ALL:
        if r.plural == "events" and r.group == "" and events_api == "events.k8s.io":
            continue
        if r.group == "events.k8s.io" and events_api == "core":
            continue
        out.append(r)
    return out
