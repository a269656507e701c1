"""The helpers every part of a simulated cluster uses: time, names, recorders, pods.

A :class:`World` wraps one FakeCluster with the simulated clock (the generator's
time, not the wall clock, so tests can run an hour in seconds), one EventRecorder per
component and node, and builders for pods that start the way pods start (Scheduled,
Pulled, Created, Started).
"""

from __future__ import annotations

import hashlib
from typing import Any

from bongsu.simulate._topology import Site
from bongsu.simulate.kube import shapes
from bongsu.simulate.kube._cluster import FakeCluster
from bongsu.simulate.kube._recorder import EventRecorder
from bongsu.simulate.kube.shapes import messages as msg

Obj = dict[str, Any]
ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # Kubernetes' generated-name alphabet


def suffix(seed: str, length: int = 5) -> str:
    """A generated-name suffix, stable for ``seed``."""
    digest = hashlib.blake2b(seed.encode(), digest_size=16).digest()
    return "".join(ALPHABET[b % len(ALPHABET)] for b in digest[:length])


def uid(seed: str) -> str:
    h = hashlib.blake2b(seed.encode(), digest_size=16).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


class World:
    """One simulated cluster's objects, clock and event recorders."""

    def __init__(self, site: Site, cluster: FakeCluster, start_ns: int) -> None:
        self.site = site
        self.cluster = cluster
        self.now = start_ns / 1e9  # seconds, simulated
        self.start = self.now
        clock = self.clock
        self.kubelets = {n: EventRecorder(cluster, shapes.KUBELET, host=n, clock=clock)
                         for n in site.nodes}
        self.scheduler = EventRecorder(cluster, shapes.SCHEDULER, series=True, clock=clock)
        self.deployments = EventRecorder(cluster, shapes.DEPLOYMENTS, clock=clock)
        self.replicasets = EventRecorder(cluster, shapes.REPLICASETS, clock=clock)
        self.statefulsets = EventRecorder(cluster, "statefulset-controller", clock=clock)
        self.hpa = EventRecorder(cluster, shapes.HPA, clock=clock)
        self.nodes = EventRecorder(cluster, shapes.NODES, clock=clock)
        self.attach = EventRecorder(cluster, "attachdetach-controller", clock=clock)
        self._ips = 10

    def clock(self) -> float:
        return self.now

    def recorders(self) -> list[EventRecorder]:
        return [*self.kubelets.values(), self.scheduler, self.deployments, self.replicasets,
                self.statefulsets, self.hpa, self.nodes, self.attach]

    def pod_ip(self) -> str:
        self._ips += 1
        base = "10.128" if self.site.label == "private" else "10.0"
        return f"{base}.{(self._ips // 250) % 250 + 4}.{self._ips % 250 + 2}"

    def host_ip(self, node: str) -> str:
        index = self.site.nodes.index(node) if node in self.site.nodes else 0
        return f"10.{128 if self.site.label == 'private' else 0}.{index + 1}.{20 + index}"

    def pod(self, name: str, namespace: str, node: str | None, containers: list[Obj],
            owner: Obj | None, labels: dict[str, str], *, started: float,
            statuses: list[Obj] | None = None, phase: str = "Running",
            created: float | None = None) -> Obj:
        """A pod's object (not stored), its container statuses running since ``started``."""
        if statuses is None:
            statuses = [shapes.running(c["name"], c["image"], started_at=started,
                                       cid=shapes.container_id(f"{name}/{c['name']}/{started}"))
                        for c in containers]
        return shapes.pod(name, namespace, node=node, containers=containers, statuses=statuses,
                          owner=shapes.owner_ref(owner) if owner else None, labels=labels,
                          phase=phase, pod_ip=self.pod_ip() if node else None,
                          host_ip=self.host_ip(node) if node else None,
                          created=created if created is not None else started, started=started,
                          uid=uid(f"{self.site.name}/{namespace}/{name}"))

    def start_pod(self, pod: Obj, pulled: bool = False) -> Obj:
        """Store a new pod with the events of its start: Scheduled, Pulled, Created, Started."""
        stored = self.cluster.put(pod)
        node = pod["spec"].get("nodeName")
        if node is None:
            return stored
        meta = stored["metadata"]
        self.scheduler.record(stored, "Normal", "Scheduled",
                              msg.scheduled(meta["namespace"], meta["name"], node))
        kubelet = self.kubelets[node]
        for c in pod["spec"]["containers"]:
            path = f"spec.containers{{{c['name']}}}"
            if pulled:
                kubelet.record(stored, "Normal", "Pulling", msg.pulling(c["image"]),
                               field_path=path)
                kubelet.record(stored, "Normal", "Pulled",
                               msg.pulled(c["image"], 2.317, 48_213_771), field_path=path)
            else:
                kubelet.record(stored, "Normal", "Pulled", msg.already_present(c["image"]),
                               field_path=path)
            kubelet.record(stored, "Normal", "Created", msg.created(c["name"]), field_path=path)
            kubelet.record(stored, "Normal", "Started", msg.started(c["name"]), field_path=path)
        return stored

    def stop_pod(self, namespace: str, name: str) -> None:
        """Delete a pod after the kubelet's Killing events."""
        pod = self.cluster.get("v1", "Pod", namespace, name)
        if pod is None:
            return
        node = pod["spec"].get("nodeName")
        if node in self.kubelets:
            for c in pod["spec"]["containers"]:
                self.kubelets[node].record(pod, "Normal", "Killing", msg.killing(c["name"]),
                                           field_path=f"spec.containers{{{c['name']}}}")
        self.cluster.delete("v1", "Pod", namespace, name)

    def restart_container(self, namespace: str, name: str, reason: str, exit_code: int,
                          signal: int | None = None, *, running: bool = True,
                          waiting: tuple[str, str] | None = None) -> Obj | None:
        """A container ended (``reason``, ``exit_code``): restartCount + 1, lastState set."""
        pod = self.cluster.get("v1", "Pod", namespace, name)
        if pod is None:
            return None
        status = pod["status"]["containerStatuses"][0]
        state = status["state"]
        began = state.get("running", {}).get("startedAt") or shapes.iso(self.now - 30)
        cid = status.get("containerID") or shapes.container_id(f"{name}/{self.now}")
        ended = shapes.terminated(reason, exit_code, started_at=_epoch(began),
                                  finished_at=self.now, container_id=cid, signal=signal)
        restarts = int(status.get("restartCount", 0)) + 1
        image = status["image"]
        if running:
            new = shapes.running(status["name"], image, started_at=self.now, restarts=restarts,
                                 last=ended, cid=shapes.container_id(f"{name}/{self.now}"))
        else:
            reason_w, message = waiting or ("CrashLoopBackOff", "")
            new = shapes.waiting(status["name"], image, reason_w, message, restarts=restarts,
                                 last=ended, cid=cid)
        pod["status"]["containerStatuses"][0] = new
        ready = running
        for cond in pod["status"]["conditions"]:
            if cond["type"] in ("Ready", "ContainersReady"):
                cond["status"] = "True" if ready else "False"
                cond["lastTransitionTime"] = shapes.iso(self.now)
        return self.cluster.put(pod)


def _epoch(ts: str) -> float:
    from datetime import UTC, datetime

    return datetime.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC).timestamp()
