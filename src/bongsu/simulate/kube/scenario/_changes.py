"""Changes of the cluster itself, on their own schedules in simulated time.

- :class:`NodeFlap`: a node stops reporting for two minutes every 25, and every other
  time it comes back rebooted (a new boot id).
- :class:`Rollout`: every 40 minutes a Deployment gets a new image: a new ReplicaSet
  is scaled up, the old one down.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bongsu.simulate.kube import shapes
from bongsu.simulate.kube.scenario._extras import Running
from bongsu.simulate.kube.scenario._incidents import Incident
from bongsu.simulate.kube.scenario._world import World, suffix, uid
from bongsu.simulate.kube.shapes import messages as msg

Obj = dict[str, Any]


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
