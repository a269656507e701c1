"""One watched cluster: its connection, its list + watch loops, compact state and episodes.

A :class:`ClusterWatch` discovers what the cluster serves (retrying with backoff while it
cannot be reached, shown as ``unreachable`` with the error), then runs one
:class:`~bongsu.kube.watch.ListWatch` per resource: events.k8s.io/v1 Events when served,
else core/v1 Events (never both: the same Events would count twice), Pods, Nodes,
HorizontalPodAutoscalers, Deployments, ReplicaSets, StatefulSets, DaemonSets, Ingresses.

Each frame updates the compact state (``bongsu.kube.status``; raw objects are never
kept) and goes through the explainers and the state diffs into the cluster's
:class:`~bongsu.kube.episodes.EpisodeBook`; every change is handed to ``emit`` (the hub:
the writer and the listeners) in the order it was made, after the cluster's lock is
released: a slow listener holds up only the thread handing changes over (the others leave
theirs to it), never the other watch threads' state updates or a reader. A relist is a
full replace: objects it did not show are dropped from the state. Everything a reader
sees is copied under the cluster's lock. Its metric points are written by a
:class:`~bongsu.kube.sampler.PointsSampler` on a thread of its own.

Example::

    watch = ClusterWatch(spec, "default", timing, emit=hub_emit, links=hub.links, ...)
    watch.start()
    watch.status()        # ClusterStatus(state="connected", ...)
    watch.close()
"""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kubernetes import client as k8s

from bongsu.kube import status as kube_status
from bongsu.kube.config import ClusterSpec
from bongsu.kube.connect import api_client, served_versions
from bongsu.kube.episodes import EpisodeBook
from bongsu.kube.events import normalise
from bongsu.kube.explain import (
    Registry,
    builtin_registry,
    episode_key,
    explain_event,
    stored_episode_key,
)
from bongsu.kube.model import (
    ClusterStatus,
    ConnectionState,
    Episode,
    Finding,
    HpaState,
    IngressRoute,
    NodeState,
    PodState,
    WorkloadState,
)
from bongsu.kube.sampler import Intervals, LoadPoints, PointsSampler, Usage
from bongsu.kube.usage import apply_usage
from bongsu.kube.watch import RESOURCES, ListWatch, Resource, Timing, describe_error

log = logging.getLogger("bongsu.kube.cluster")

Emit = Callable[[Episode, bool], None]
Links = Callable[[], Mapping[tuple[str, str, str], tuple[str, str]]]
"""(cluster, namespace, pod) → (service, instance) of the telemetry that pod sent."""

_WORKLOADS = {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"}
_STATE_FIRST_S = 30.0


def _now_us() -> int:
    return time.time_ns() // 1000


class ClusterWatch:
    """Watches one cluster (see the module docstring); implements the loops' ``Sink``."""

    def __init__(self, spec: ClusterSpec, tenant: str, timing: Timing, intervals: Intervals,
                 emit: Emit, links: Links, load_points: LoadPoints,
                 api: k8s.ApiClient | None = None, registry: Registry | None = None) -> None:
        self.spec = spec
        self.name = spec.name
        self.tenant = tenant
        self._timing = timing
        self._emit = emit
        self._links = links
        self._api = api
        self._registry = registry if registry is not None else builtin_registry()
        self._lock = threading.RLock()
        self._listed_changed = threading.Condition(self._lock)
        self._stop = threading.Event()
        self.book = EpisodeBook(tenant, stored_key=stored_episode_key)
        self._outbox: list[tuple[Episode, bool]] = []  # changes made, not yet emitted
        self._emitting = threading.Lock()  # held by the one thread handing them over
        self.loops: list[ListWatch] = []
        self.metrics_served = False
        # Compact state, by key; replaced per frame, never the raw objects.
        self.pods: dict[tuple[str, str], PodState] = {}
        self.nodes: dict[str, NodeState] = {}
        self.workloads: dict[tuple[str, str, str], WorkloadState] = {}  # kind, ns, name
        self.hpas: dict[tuple[str, str], HpaState] = {}
        self.ingresses: dict[tuple[str, str], list[IngressRoute]] = {}
        self._listing: dict[str, set[Any]] = {}  # resource → keys seen by the list under way
        # Connection state.
        self._listed: set[str] = set()
        self._failing: dict[str, str] = {}
        self._discovery_error: str | None = None
        self.connected_since_us: int | None = None
        self.last_frame_us: int | None = None
        self.episodes_opened = 0
        self.episodes_updated = 0
        self.usage_error: str | None = None
        self._threads = [
            threading.Thread(target=self._connect, name=f"bongsu-kube-{self.name}-connect",
                             daemon=True),
            threading.Thread(target=PointsSampler(self, intervals, load_points).run,
                             args=(self._stop,), name=f"bongsu-kube-{self.name}-points",
                             daemon=True),
        ]

    # -- lifecycle ---------------------------------------------------------------------

    def load(self, stored: Iterable[Episode], since_us: int) -> None:
        """Take the store's recent episodes as already announced (before :meth:`start`)."""
        with self._lock:
            self.book.load(stored, since_us)

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def signal_stop(self) -> None:
        """Ask every thread to stop (``close`` also joins them)."""
        self._stop.set()
        with self._listed_changed:
            self._listed_changed.notify_all()
        with self._lock:
            loops = list(self.loops)
        for loop in loops:
            loop.signal_stop()  # all at once, then join each: closing takes one read, not ten

    def close(self) -> None:
        self.signal_stop()
        for t in self._threads:
            if t.is_alive():
                t.join(10)
        with self._lock:
            loops = list(self.loops)
        for loop in loops:
            loop.close()
        if self._api is not None:
            self._api.close()  # type: ignore[no-untyped-call]

    def _connect(self) -> None:
        """Discover what the cluster serves, then start a loop per resource."""
        delay = 0.2
        while not self._stop.is_set():
            try:
                if self._api is None:
                    self._api = api_client(self.spec)
                versions = served_versions(self._api)
                break
            except Exception as exc:
                error = f"discovery: {describe_error(exc)}"
                with self._lock:
                    self._discovery_error = error
                log.warning("cluster %s: %s; retrying", self.name, error)
                self._stop.wait(random.uniform(delay / 2, delay))
                delay = min(2 * delay, self._timing.backoff_max_s)
        else:
            return
        with self._lock:
            if self._stop.is_set():
                return  # closed while discovering: close() would not see new loops
            self._discovery_error = None
            self.metrics_served = "metrics.k8s.io/v1beta1" in versions
            loops = [ListWatch(self._api, r, self, self._timing, self.name)
                     for r in _resources(versions)]
            self.loops.extend(loops)
        # Events last: an Event is explained from the state of its pod and node (which
        # node a pod ran on, its last termination), so those are listed first; a slow
        # list holds the events back at most _STATE_FIRST_S.
        later = [loop for loop in loops if loop.resource.kind == "Event"]
        for loop in loops:
            if loop not in later:
                loop.start()
        with self._listed_changed:
            self._listed_changed.wait_for(
                lambda: self._stop.is_set() or {"pods", "nodes"} <= self._listed,
                timeout=_STATE_FIRST_S)
        for loop in later:
            if not self._stop.is_set():
                loop.start()
        log.info("cluster %s: watching %s", self.name,
                 ", ".join(r.resource.name for r in self.loops))

    # -- the loops' sink ---------------------------------------------------------------

    def begin(self, resource: Resource) -> None:
        with self._lock:
            self._listing[resource.name] = set()

    def end(self, resource: Resource) -> None:
        with self._lock:
            seen = self._listing.pop(resource.name, set())
            self._listed.add(resource.name)
            self._listed_changed.notify_all()
            table = self._table(resource)
            if table is None:
                return
            if resource.kind in _WORKLOADS:
                gone = [k for k in table if k[0] == resource.kind and k not in seen]
            else:
                gone = [k for k in table if k not in seen]
            for key in gone:
                del table[key]
            if gone:
                log.info("cluster %s: %d %s gone since the last list", self.name, len(gone),
                         resource.name)

    def frame(self, resource: Resource) -> None:
        now = _now_us()
        with self._lock:
            self.last_frame_us = now
            self._failing.pop(resource.name, None)
            if self.connected_since_us is None:
                self.connected_since_us = now

    def failed(self, resource: Resource, error: str) -> None:
        with self._lock:
            self._failing[resource.name] = error
            if len(self._failing) >= len(self.loops):  # nothing answers: the link is down
                self.connected_since_us = None

    def upsert(self, resource: Resource, obj: dict[str, Any], listing: bool) -> None:
        meta = obj.get("metadata") or {}
        namespace, name = meta.get("namespace") or "", meta.get("name") or ""
        try:
            with self._lock:
                self._upsert(resource, obj, listing, namespace, name)
        finally:
            self._hand_over()

    def _upsert(self, resource: Resource, obj: dict[str, Any], listing: bool,
                namespace: str, name: str) -> None:
        seen = self._listing.get(resource.name) if listing else None
        if resource.kind == "Event":
            self._event(obj)
            return
        if resource.kind == "Pod":
            self._pod(obj, (namespace, name))
            key: Any = (namespace, name)
        elif resource.kind == "Node":
            self._node(obj, name)
            key = name
        elif resource.kind in _WORKLOADS:
            key = (resource.kind, namespace, name)
            self._workload(obj, key)
        elif resource.kind == "HorizontalPodAutoscaler":
            key = (namespace, name)
            self._hpa(obj, key)
        else:
            key = (namespace, name)
            self.ingresses[key] = kube_status.ingress_routes(self.name, obj)
        if seen is not None:
            seen.add(key)

    def delete(self, resource: Resource, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        namespace, name = meta.get("namespace") or "", meta.get("name") or ""
        with self._lock:
            if resource.kind == "Pod":
                self.pods.pop((namespace, name), None)
            elif resource.kind == "Node":
                self.nodes.pop(name, None)
            elif resource.kind in _WORKLOADS:
                self.workloads.pop((resource.kind, namespace, name), None)
            elif resource.kind == "HorizontalPodAutoscaler":
                self.hpas.pop((namespace, name), None)
            elif resource.kind == "Ingress":
                self.ingresses.pop((namespace, name), None)

    def _table(self, resource: Resource) -> dict[Any, Any] | None:
        if resource.kind == "Pod":
            return self.pods
        if resource.kind == "Node":
            return self.nodes
        if resource.kind == "HorizontalPodAutoscaler":
            return self.hpas
        if resource.kind == "Ingress":
            return self.ingresses
        return self.workloads if resource.kind in _WORKLOADS else None  # Events: no state

    # -- per kind ----------------------------------------------------------------------

    def _event(self, obj: dict[str, Any]) -> None:
        event = normalise(self.name, obj)
        if event is None:
            return
        explained = explain_event(event, self._pod_lookup, self._registry)
        service = self._service(event.namespace, explained.pod)
        self._record(self.book.event(episode_key(event), event, explained, service))

    def _pod(self, obj: dict[str, Any], key: tuple[str, str]) -> None:
        new = kube_status.pod_state(self.name, obj)
        old = self.pods.get(key)
        if old is not None:
            new.service, new.instance = old.service, old.instance
            _carry_usage(old, new)
        else:
            link = self._links().get((self.name, key[0], key[1]))
            if link is not None:
                new.service, new.instance = link
        findings = kube_status.pod_findings(old, new, obj)
        self.pods[key] = new
        self._findings(findings, new.service)

    def _node(self, obj: dict[str, Any], name: str) -> None:
        new = kube_status.node_state(self.name, obj)
        old = self.nodes.get(name)
        self.nodes[name] = new
        self._findings(kube_status.node_findings(old, new, obj), None)

    def _workload(self, obj: dict[str, Any], key: tuple[str, str, str]) -> None:
        new = kube_status.workload_state(self.name, obj)
        old = self.workloads.get(key)
        if old is not None:
            new.service = old.service
        self.workloads[key] = new
        self._findings(kube_status.workload_findings(old, new, obj), new.service)

    def _hpa(self, obj: dict[str, Any], key: tuple[str, str]) -> None:
        new = kube_status.hpa_state(self.name, obj)
        old = self.hpas.get(key)
        self.hpas[key] = new
        target = self.workloads.get((new.target_kind, new.namespace, new.target_name))
        self._findings(kube_status.hpa_findings(old, new, obj),
                       target.service if target else None)

    def _findings(self, findings: Iterable[Finding], service: str | None) -> None:
        for finding in findings:
            self._record(self.book.finding(finding, service or self._service(
                finding.key.namespace, finding.explained.pod)))

    def _record(self, change: tuple[Episode, bool] | None) -> None:
        if change is None:
            return
        episode, opened = change
        if opened:
            self.episodes_opened += 1
        else:
            self.episodes_updated += 1
        self._outbox.append((episode, opened))  # emitted by _hand_over, outside the lock

    def _hand_over(self) -> None:
        """Emit the changes made so far, in order, without the cluster's lock.

        One thread at a time emits; one that finds another at it leaves its changes to
        that one (which looks again before it lets go), so no watch thread waits on a
        slow listener but the one emitting.
        """
        while self._emitting.acquire(blocking=False):
            try:
                while True:
                    with self._lock:
                        changes, self._outbox = self._outbox, []
                    if not changes:
                        break
                    for episode, opened in changes:
                        self._emit(episode, opened)
            finally:
                self._emitting.release()
            with self._lock:
                if not self._outbox:
                    return

    def forget(self, episode: Episode) -> None:
        """The writer dropped ``episode``: write its next sighting (see EpisodeBook.forget)."""
        with self._lock:
            self.book.forget(episode)

    def _pod_lookup(self, namespace: str, name: str) -> PodState | None:
        return self.pods.get((namespace, name))

    def _service(self, namespace: str, pod: str | None) -> str | None:
        if not pod:
            return None
        state = self.pods.get((namespace, pod))
        if state is not None and state.service:
            return state.service
        link = self._links().get((self.name, namespace, pod))
        return link[0] if link else None

    # -- linking and points ------------------------------------------------------------

    def link(self, links: Mapping[tuple[str, str, str], tuple[str, str]]) -> None:
        """Set each pod's service and instance from the telemetry it sent, and each
        workload's from its pods."""
        with self._lock:
            for (namespace, name), pod in self.pods.items():
                found = links.get((self.name, namespace, name))
                if found is not None:
                    pod.service, pod.instance = found
                if pod.service and pod.workload_kind and pod.workload:
                    workload = self.workloads.get((pod.workload_kind, namespace, pod.workload))
                    if workload is not None:
                        workload.service = pod.service
                        if workload.owner:  # a ReplicaSet's Deployment
                            owner = self.workloads.get(("Deployment", namespace, workload.owner))
                            if owner is not None:
                                owner.service = pod.service
            by_workload = {(w.namespace, w.name): w.service for w in self.workloads.values()
                           if w.service}
            for routes in self.ingresses.values():
                for route in routes:
                    route.service = by_workload.get((route.namespace, route.backend_service))

    # -- what the points sampler reads (bongsu.kube.sampler) ------------------------------

    def points_ready(self) -> bool:
        return bool(self._listed) and self.status().state == "connected"

    def usage_api(self) -> k8s.ApiClient | None:
        return self._api if self.metrics_served else None

    def state_for_points(self, usage: Usage | None) -> tuple[
            list[PodState], list[WorkloadState], list[HpaState]]:
        with self._lock:
            if usage is not None:
                apply_usage(self.pods.values(), usage)
            return (list(self.pods.values()), list(self.workloads.values()),
                    list(self.hpas.values()))

    # -- what readers see --------------------------------------------------------------

    def status(self) -> ClusterStatus:
        with self._lock:
            state: ConnectionState
            error = self._discovery_error or next(
                (f"{name}: {e}" for name, e in sorted(self._failing.items())), None)
            if self._discovery_error or (self.loops and len(self._failing) >= len(self.loops)):
                state = "unreachable"
            elif self.loops and all(r.resource.name in self._listed | self._failing.keys()
                                    for r in self.loops):
                state = "connected"  # one resource refused (RBAC, say) shows in ``error``
            else:
                state = "connecting"
            return ClusterStatus(
                name=self.name, label=self.spec.label, tenant=self.tenant, state=state,
                error=error, connected_since_us=self.connected_since_us if state == "connected"
                else None, last_frame_us=self.last_frame_us,
                relists=sum(max(0, r.lists - 1) for r in self.loops),
                episodes_opened=self.episodes_opened, episodes_updated=self.episodes_updated,
                resource_errors=dict(self._failing),
                resource_failures={r.resource.name: r.failures for r in self.loops
                                   if r.failures},
                usage_error=self.usage_error,
            )

    # Copies: linking and usage change pods, workloads and routes in place, so a reader
    # serialising them gets its own (10,000 pods of two containers: ~65 ms on this
    # machine, so each view copies only the kind it is asked for). Nodes and HPAs are
    # replaced on change, never changed, so they are shared.

    def nodes_now(self) -> list[NodeState]:
        with self._lock:
            return list(self.nodes.values())

    def pods_now(self) -> list[PodState]:
        replace = dataclasses.replace
        with self._lock:
            return [replace(p, containers=[replace(c) for c in p.containers])
                    for p in self.pods.values()]

    def workloads_now(self) -> list[WorkloadState]:
        with self._lock:
            return [dataclasses.replace(w) for w in self.workloads.values()]

    def hpas_now(self) -> list[HpaState]:
        with self._lock:
            return list(self.hpas.values())

    def routes_now(self) -> list[IngressRoute]:
        with self._lock:
            return [dataclasses.replace(r) for routes in self.ingresses.values()
                    for r in routes]

    def snapshot(self) -> tuple[list[NodeState], list[PodState], list[WorkloadState],
                                list[HpaState], list[IngressRoute]]:
        """Copies of all the state (each kind read on its own)."""
        return (self.nodes_now(), self.pods_now(), self.workloads_now(), self.hpas_now(),
                self.routes_now())

    def prune(self, before_us: int) -> None:
        with self._lock:
            self.book.prune(before_us)


def _resources(versions: set[str]) -> list[Resource]:
    events = "events.k8s.io" if "events.k8s.io/v1" in versions else "events"
    names = [events, "pods", "nodes", "hpas", "deployments", "replicasets", "statefulsets",
             "daemonsets", "ingresses"]
    served = [RESOURCES[n] for n in names if RESOURCES[n].api_version in versions]
    missing = [n for n in names if RESOURCES[n].api_version not in versions]
    if missing:
        log.info("not served, not watched: %s", ", ".join(missing))
    return served


def _carry_usage(old: PodState, new: PodState) -> None:
    # Usage comes from the poller every interval; a pod frame in between keeps the figures.
    before = {c.name: c for c in old.containers}
    for c in new.containers:
        was = before.get(c.name)
        if was is not None:
            c.cpu_usage, c.memory_usage = was.cpu_usage, was.memory_usage

