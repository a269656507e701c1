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
- :class:`NodeFlap`: a node stops reporting for two minutes every 25, and every other
  time it comes back rebooted (a new boot id).
- :class:`Rollout`: every 40 minutes a Deployment gets a new image: a new ReplicaSet
  is scaled up, the old one down.
"""

from __future__ import annotations

from collections.abc import Callable
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


class NodeFlap(Incident):
    """A node that goes NotReady for ``down_s`` every ``every_s``; every other time rebooted."""

    def __init__(self, world: World, node: str, every_s: float = 1500, down_s: float = 120,
                 offset_s: float = 420) -> None:
        super().__init__(world)
        self.node, self.every_s, self.down_s, self.offset_s = node, every_s, down_s, offset_s
        self.down = False
        self.flaps = 0
        self.boot_id = uid(f"{world.site.name}/{node}/boot/0")

    def setup(self) -> None:
        pass

    def _phase(self) -> float:
        return (self.world.now - self.offset_s) % self.every_s

    def second(self) -> None:
        world = self.world
        should_be_down = self._phase() < self.down_s
        if should_be_down == self.down:
            return
        self.down = should_be_down
        node = world.cluster.get("v1", "Node", None, self.node)
        if node is None:
            return
        if self.down:
            self.flaps += 1
            world.cluster.put(self._node(node, ready=False))
            world.nodes.record(node, "Normal", "NodeNotReady",
                               msg.node_status(self.node, "NodeNotReady"))
            for pod in world.cluster.list_all("v1", "Pod"):
                if pod["spec"].get("nodeName") != self.node:
                    continue
                world.nodes.record(pod, "Warning", "NodeNotReady", msg.NODE_NOT_READY)
                self._pod_ready(pod, False)
            return
        kubelet = world.kubelets[self.node]
        ref = shapes.node_ref(self.node)
        if self.flaps % 2 == 0:
            self.boot_id = uid(f"{world.site.name}/{self.node}/boot/{self.flaps}")
            kubelet.record(node, "Warning", "Rebooted", msg.rebooted(self.node, self.boot_id),
                           ref=ref)
        world.cluster.put(self._node(node, ready=True))
        kubelet.record(node, "Normal", "NodeReady", msg.node_status(self.node, "NodeReady"),
                       ref=ref)
        for pod in world.cluster.list_all("v1", "Pod"):
            if pod["spec"].get("nodeName") == self.node and pod["status"].get("phase") == (
                    "Running"):
                self._pod_ready(pod, True)

    def _node(self, node: Obj, ready: bool) -> Obj:
        meta = node["metadata"]
        fresh = shapes.node(self.node, ready=ready, boot_id=self.boot_id,
                            cpu=node["status"]["capacity"]["cpu"],
                            memory=node["status"]["capacity"]["memory"],
                            labels=meta.get("labels"), transition=self.world.now,
                            internal_ip=node["status"]["addresses"][0]["address"])
        fresh["metadata"].update(uid=meta["uid"], creationTimestamp=meta["creationTimestamp"])
        return fresh

    def _pod_ready(self, pod: Obj, ready: bool) -> None:
        for cond in pod["status"].get("conditions", []):
            if cond["type"] == "Ready":
                cond.update(status="True" if ready else "False",
                            lastTransitionTime=shapes.iso(self.world.now))
        for c in pod["status"].get("containerStatuses", []):
            if "running" in c.get("state", {}):
                c["ready"] = ready
        self.world.cluster.put(pod)


class Rollout(Incident):
    """A Deployment whose image changes every ``every_s``: a new ReplicaSet takes over."""

    def __init__(self, world: World, namespace: str, name: str, images: tuple[str, str],
                 every_s: float = 2400, offset_s: float = 1800,
                 on_pod: Callable[[str], None] | None = None,
                 running: list[Running] | None = None) -> None:
        super().__init__(world)
        self.namespace, self.name, self.images = namespace, name, images
        self.every_s, self.offset_s = every_s, offset_s
        self.on_pod = on_pod or (lambda _: None)
        self.running = running if running is not None else []
        self.revision = 1
        self.step = 0
        self.pod = ""
        self.old: tuple[Obj, str] | None = None  # the ReplicaSet and pod being replaced
        self.retire_at = 0.0
        self.rs: Obj = {}

    def _rs_for(self, dep: Obj) -> Obj:
        image = dep["spec"]["template"]["spec"]["containers"][0]["image"]
        return shapes.replicaset(dep, suffix(f"{self.name}/{image}", 10), replicas=1,
                                 created=self.world.now)

    def setup(self) -> None:
        world = self.world
        self.step = int((world.now - self.offset_s) // self.every_s)
        image = self.images[self.step % 2]
        _, rs, spec = self._deployment(self.namespace, self.name, image, ready=None, port=80)
        self.rs = rs
        self.pod = f"{rs['metadata']['name']}-{suffix(f'{world.site.name}/{image}')}"
        world.cluster.put(world.pod(self.pod, self.namespace, world.site.nodes[0], spec, rs,
                                    {"app": self.name}, started=world.now - 86_400))
        self._track()

    def _track(self) -> None:
        self.on_pod(self.pod)
        self.running[:] = [r for r in self.running if r.container != self.name]
        self.running.append(Running(self.namespace, self.pod, self.name, 0.05, 160 * 2**20))

    def second(self) -> None:
        world = self.world
        if self.old is not None and world.now >= self.retire_at:
            old_rs, old_pod = self.old
            self.old = None
            dep = world.cluster.get("apps/v1", "Deployment", self.namespace, self.name)
            assert dep is not None
            world.deployments.record(dep, "Normal", "ScalingReplicaSet", msg.scaled_replicaset(
                old_rs["metadata"]["name"], 0, 1))

            def empty(rs: Obj) -> None:
                rs["spec"]["replicas"] = 0
                rs["status"] = {"replicas": 0, "observedGeneration": 2}

            world.cluster.update("apps/v1", "ReplicaSet", self.namespace,
                                 old_rs["metadata"]["name"], empty)
            world.stop_pod(self.namespace, old_pod)
        step = int((world.now - self.offset_s) // self.every_s)
        if step == self.step:
            return
        self.step = step
        self.revision += 1
        image = self.images[step % 2]

        def new_image(dep: Obj) -> None:
            dep["spec"]["template"]["spec"]["containers"][0]["image"] = image
            dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = str(
                self.revision)
            dep["metadata"]["generation"] = self.revision
            dep["status"]["observedGeneration"] = self.revision

        dep = world.cluster.update("apps/v1", "Deployment", self.namespace, self.name,
                                   new_image)
        rs = world.cluster.put(self._rs_for(dep))
        world.deployments.record(dep, "Normal", "ScalingReplicaSet",
                                 msg.scaled_replicaset(rs["metadata"]["name"], 1))
        self.old, self.retire_at = (self.rs, self.pod), world.now + 20
        self.rs = rs
        self.pod = f"{rs['metadata']['name']}-{suffix(f'{world.site.name}/{image}/{step}')}"
        spec = dep["spec"]["template"]["spec"]["containers"]
        world.start_pod(world.pod(self.pod, self.namespace, world.site.nodes[step % 3], spec,
                                  rs, {"app": self.name}, started=world.now), pulled=True)
        self._track()
