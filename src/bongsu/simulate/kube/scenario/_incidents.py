"""The troubles the simulated clusters have, each on its own schedule in simulated time.

- :class:`CrashLoop`: a container exits with code 1 again and again; the kubelet's
  back-off doubles from 10 s to 5 min, BackOff is re-posted (a count bump) every 15 s.
- :class:`ImagePull`: an image tag that does not exist: Pulling, Failed (the registry's
  error), Failed "Error: ErrImagePull", then BackOff and "Error: ImagePullBackOff".
- :class:`Evictions`: every 20 minutes the node runs low on memory and evicts a pod;
  its ReplicaSet makes a new one.
- :class:`Unschedulable`: a pod the scheduler cannot place (its FailedScheduling event
  grows a ``series`` every minute): Insufficient cpu, or a hostPort already taken.
- :class:`StuckVolume`: a pod waiting for its volume: FailedMount (a missing secret) or
  FailedAttachVolume (the cloud's attach never completes).

Changes of the cluster itself (a node flapping, a rollout) are in ``_changes``.
"""

from __future__ import annotations

from typing import Any

from bongsu.simulate.kube import shapes
from bongsu.simulate.kube.scenario._extras import Running, workload
from bongsu.simulate.kube.scenario._specs import Extra
from bongsu.simulate.kube.scenario._world import World, suffix, uid
from bongsu.simulate.kube.shapes import messages as msg

Obj = dict[str, Any]
BACKOFF_S = (10, 20, 40, 80, 160, 300)  # the kubelet's restart back-off, capped at 5 min


def _path(container: str) -> str:
    return f"spec.containers{{{container}}}"


class Incident:
    """One trouble on one cluster: ``setup`` once, then ``second`` every simulated second."""

    def __init__(self, world: World) -> None:
        self.world = world

    def setup(self) -> None:
        raise NotImplementedError

    def second(self) -> None:
        raise NotImplementedError

    def _deployment(self, namespace: str, name: str, image: str, ready: int | None = 0,
                    **container: Any) -> tuple[Obj, Obj, list[Obj]]:
        """A one-pod Deployment and its ReplicaSet, not ready unless ``ready`` says so."""
        extra = Extra("Deployment", namespace, name, image)
        spec = [shapes.container(name, image, **container)]
        dep, rs = workload(self.world, extra, containers=spec, ready=ready)
        assert rs is not None
        return dep, rs, spec


class CrashLoop(Incident):
    """A Deployment whose one pod crash-loops (exit code 1, ``Error``)."""

    def __init__(self, world: World, namespace: str, name: str, image: str) -> None:
        super().__init__(world)
        self.namespace, self.name, self.image = namespace, name, image
        self.crashes = 0
        self.next_crash = 0.0
        self.next_backoff = 0.0
        self.pod = ""

    def setup(self) -> None:
        world = self.world
        _, rs, spec = self._deployment(self.namespace, self.name, self.image)
        self.pod = f"{rs['metadata']['name']}-{suffix(world.site.name + self.name)}"
        node = world.site.nodes[-1]
        pod = world.pod(self.pod, self.namespace, node, spec, rs, {"app": self.name},
                        started=world.now)
        world.start_pod(pod)
        self.next_crash = world.now + 8

    def second(self) -> None:
        world = self.world
        now = world.now
        stored = world.cluster.get("v1", "Pod", self.namespace, self.pod)
        if stored is None:
            return
        node = stored["spec"]["nodeName"]
        kubelet = world.kubelets[node]
        waiting = "waiting" in stored["status"]["containerStatuses"][0]["state"]
        if not waiting and now >= self.next_crash:
            delay = BACKOFF_S[min(self.crashes, len(BACKOFF_S) - 1)]
            self.crashes += 1
            world.restart_container(self.namespace, self.pod, "Error", 1, running=False,
                                    waiting=("CrashLoopBackOff", msg.crashloop_waiting(
                                        delay, self.name, self.pod, self.namespace,
                                        stored["metadata"]["uid"])))
            self.next_crash = now + delay  # when the kubelet starts it again
            self.next_backoff = now
        if waiting and now >= self.next_crash:  # back-off over: it runs for a few seconds
            pod = world.cluster.get("v1", "Pod", self.namespace, self.pod)
            assert pod is not None
            status = pod["status"]["containerStatuses"][0]
            pod["status"]["containerStatuses"][0] = shapes.running(
                self.name, self.image, started_at=now, restarts=status["restartCount"],
                last=status["lastState"], ready=False,
                cid=shapes.container_id(f"{self.pod}/{now}"))
            world.cluster.put(pod)
            for reason, text in (("Pulled", msg.already_present(self.image)),
                                 ("Created", msg.created(self.name)),
                                 ("Started", msg.started(self.name))):
                kubelet.record(pod, "Normal", reason, text, field_path=_path(self.name))
            self.next_crash = now + 4
            return
        if waiting and now >= self.next_backoff:
            kubelet.record(stored, "Warning", "BackOff", msg.backoff_restart(
                self.name, self.pod, self.namespace, stored["metadata"]["uid"]),
                field_path=_path(self.name))
            self.next_backoff = now + 15


class ImagePull(Incident):
    """A Deployment whose image tag does not exist in the registry."""

    def __init__(self, world: World, namespace: str, name: str, image: str) -> None:
        super().__init__(world)
        self.namespace, self.name, self.image = namespace, name, image
        self.attempts = 0
        self.next_pull = 0.0
        self.next_backoff = 0.0
        self.pod = ""

    def setup(self) -> None:
        world = self.world
        _, rs, spec = self._deployment(self.namespace, self.name, self.image)
        self.pod = f"{rs['metadata']['name']}-{suffix(world.site.name + self.name)}"
        status = shapes.waiting(self.name, self.image, "ContainerCreating")
        pod = world.pod(self.pod, self.namespace, world.site.nodes[0], spec, rs,
                        {"app": self.name}, started=world.now, statuses=[status],
                        phase="Pending")
        world.start_pod(pod)
        self.next_pull = world.now + 1

    def _waiting(self, reason: str, message: str) -> Obj | None:
        def change(pod: Obj) -> None:
            pod["status"]["containerStatuses"][0]["state"] = {
                "waiting": {"reason": reason, "message": message}}

        return self.world.cluster.update("v1", "Pod", self.namespace, self.pod, change)

    def second(self) -> None:
        world, now = self.world, self.world.now
        pod = world.cluster.get("v1", "Pod", self.namespace, self.pod)
        if pod is None:
            return
        kubelet = world.kubelets[pod["spec"]["nodeName"]]
        path = _path(self.name)
        if now >= self.next_pull:
            self.attempts += 1
            kubelet.record(pod, "Normal", "Pulling", msg.pulling(self.image), field_path=path)
            kubelet.record(pod, "Warning", "Failed", msg.pull_failed(self.image),
                           field_path=path)
            kubelet.record(pod, "Warning", "Failed", msg.ERR_IMAGE_PULL, field_path=path)
            self._waiting("ErrImagePull", msg.pull_failed(self.image))
            self.next_pull = now + BACKOFF_S[min(self.attempts - 1, len(BACKOFF_S) - 1)]
            self.next_backoff = now + 2
        elif now >= self.next_backoff:
            stored = self._waiting("ImagePullBackOff", msg.image_pull_waiting(self.image))
            kubelet.record(stored or pod, "Normal", "BackOff", msg.backoff_pull(self.image),
                           field_path=path)
            kubelet.record(stored or pod, "Warning", "Failed", msg.IMAGE_PULL_BACKOFF,
                           field_path=path)
            self.next_backoff = now + 15


class Evictions(Incident):
    """A Deployment whose pod the kubelet evicts every ``every_s`` (node low on memory)."""

    KEEP = 3  # evicted pods the garbage collector has not removed yet

    def __init__(self, world: World, namespace: str, name: str, image: str,
                 every_s: float = 1200, running: list[Running] | None = None) -> None:
        super().__init__(world)
        self.namespace, self.name, self.image, self.every_s = namespace, name, image, every_s
        self.generation = 0
        self.pod = ""
        self.evicted: list[str] = []
        self.next_eviction = 0.0
        self.running = running if running is not None else []
        self.rs: Obj = {}
        self.spec: list[Obj] = []

    def setup(self) -> None:
        _, self.rs, self.spec = self._deployment(self.namespace, self.name, self.image,
                                                 ready=None, memory_request="256Mi",
                                                 memory_limit="1Gi")
        self._new_pod(quiet=True)
        self.next_eviction = self.world.now + self.every_s / 3

    def _new_pod(self, quiet: bool = False) -> None:
        world = self.world
        self.generation += 1
        self.pod = (f"{self.rs['metadata']['name']}-"
                    f"{suffix(f'{world.site.name}/{self.name}/{self.generation}')}")
        node = world.site.nodes[self.generation % len(world.site.nodes)]
        pod = world.pod(self.pod, self.namespace, node, self.spec, self.rs,
                        {"app": self.name}, started=world.now)
        if quiet:
            world.cluster.put(pod)
        else:
            world.replicasets.record(self.rs, "Normal", "SuccessfulCreate",
                                     msg.created_pod(self.pod))
            world.start_pod(pod)
        self.running[:] = [r for r in self.running if r.container != self.name]
        self.running.append(Running(self.namespace, self.pod, self.name, 0.3, 300 * 2**20))

    def second(self) -> None:
        world, now = self.world, self.world.now
        if now < self.next_eviction:
            return
        self.next_eviction = now + self.every_s
        pod = world.cluster.get("v1", "Pod", self.namespace, self.pod)
        if pod is None:
            return
        node = pod["spec"]["nodeName"]
        message = msg.evicted("memory", "100Mi", "91Mi", self.name, "312Mi", "256Mi")
        world.kubelets[node].record(pod, "Warning", "Evicted", message)
        world.kubelets[node].record(pod, "Normal", "Killing", msg.killing(self.name),
                                    field_path=_path(self.name))
        status = pod["status"]
        began = status["containerStatuses"][0]["state"].get("running", {}).get("startedAt")
        status.update(phase="Failed", reason="Evicted", message=message)
        status["containerStatuses"][0].update(ready=False, started=False, state={
            "terminated": {"exitCode": 137, "reason": "Error",
                           "startedAt": began or shapes.iso(now - 60),
                           "finishedAt": shapes.iso(now),
                           "containerID": status["containerStatuses"][0].get("containerID",
                                                                             "")}})
        for cond in status["conditions"]:
            if cond["type"] in ("Ready", "ContainersReady"):
                cond.update(status="False", lastTransitionTime=shapes.iso(now))
        status["conditions"].append({"type": "DisruptionTarget", "status": "True",
                                     "reason": "TerminationByKubelet",
                                     "message": "The node was low on resource: memory. ",
                                     "lastProbeTime": None,
                                     "lastTransitionTime": shapes.iso(now)})
        world.cluster.put(pod)
        self.evicted.append(self.pod)
        while len(self.evicted) > self.KEEP:
            world.cluster.delete("v1", "Pod", self.namespace, self.evicted.pop(0))
        self._new_pod()


class Unschedulable(Incident):
    """A pod the scheduler cannot place; ``host_port`` makes one node's port taken."""

    def __init__(self, world: World, namespace: str, name: str, image: str,
                 host_port: int | None = None) -> None:
        super().__init__(world)
        self.namespace, self.name, self.image, self.host_port = (namespace, name, image,
                                                                  host_port)
        self.pod: Obj = {}
        self.next_try = 0.0

    def setup(self) -> None:
        _, rs, _ = self._deployment(self.namespace, self.name, self.image)
        spec = [shapes.container(self.name, self.image, cpu_request="3500m",
                                 memory_request="2Gi", memory_limit="4Gi",
                                 port=self.host_port, host_port=self.host_port)]
        name = f"{rs['metadata']['name']}-{suffix(self.world.site.name + self.name)}"
        pod = self.world.pod(name, self.namespace, None, spec, rs, {"app": self.name},
                             started=self.world.now, phase="Pending")
        self.pod = self.world.cluster.put(pod)
        self.next_try = self.world.now

    def message(self) -> str:
        total = len(self.world.site.nodes)
        if self.host_port is not None:
            return msg.failed_scheduling(total, [(1, msg.HOST_PORT),
                                                 (total - 1, msg.INSUFFICIENT_CPU)],
                                         msg.no_preemption(total, total))
        return msg.failed_scheduling(total, [(total, msg.INSUFFICIENT_CPU)],
                                     msg.no_preemption(total, 0))

    def second(self) -> None:
        if self.world.now >= self.next_try:
            self.world.scheduler.record(self.pod, "Warning", "FailedScheduling", self.message())
            self.next_try = self.world.now + 60


class StuckVolume(Incident):
    """A pod stuck in ContainerCreating: a missing secret, or a volume that never attaches."""

    def __init__(self, world: World, namespace: str, name: str, image: str,
                 attach: bool = False) -> None:
        super().__init__(world)
        self.namespace, self.name, self.image, self.attach = namespace, name, image, attach
        self.pod: Obj = {}
        self.next_try = 0.0

    def setup(self) -> None:
        world = self.world
        if self.attach:
            extra = Extra("StatefulSet", self.namespace, self.name, self.image)
            owner, _ = workload(world, extra, ready=0)
            name = f"{self.name}-0"
        else:
            _, owner, _ = self._deployment(self.namespace, self.name, self.image)
            name = f"{owner['metadata']['name']}-{suffix(world.site.name + self.name)}"
        spec = [shapes.container(self.name, self.image)]
        status = shapes.waiting(self.name, self.image, "ContainerCreating")
        pod = world.pod(name, self.namespace, world.site.nodes[1], spec, owner,
                        {"app": self.name}, started=world.now, statuses=[status],
                        phase="Pending")
        self.pod = world.start_pod(pod) if not self.attach else world.cluster.put(pod)
        if self.attach:
            world.scheduler.record(self.pod, "Normal", "Scheduled", msg.scheduled(
                self.namespace, name, world.site.nodes[1]))
        self.next_try = world.now + 2

    def second(self) -> None:
        world = self.world
        if world.now < self.next_try:
            return
        self.next_try = world.now + 122  # the kubelet's volume retry back-off tops at 2m2s
        node = self.pod["spec"]["nodeName"]
        if self.attach:
            pv = f"pvc-{uid(world.site.name + self.name)}"
            world.attach.record(self.pod, "Warning", "FailedAttachVolume", msg.failed_attach(
                pv, f"vol-0{suffix(pv, 16)}", f"i-0{suffix(node, 16)}"))
        else:
            world.kubelets[node].record(self.pod, "Warning", "FailedMount", msg.failed_mount(
                "credentials", f"{self.name}-db-credentials"))
