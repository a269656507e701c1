"""Kubernetes-only workloads: pods no agent runs in (DNS, node exporters, Redis, the edge).

They appear in the cluster as real clusters have them, with PodMetrics, so a view of the
cluster shows pods Bongsu has no telemetry for.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from bongsu.simulate.kube import shapes
from bongsu.simulate.kube.scenario._specs import Extra
from bongsu.simulate.kube.scenario._world import World, suffix

Obj = dict[str, Any]
DAY = 86_400.0


@dataclass
class Running:
    """One Kubernetes-only pod and what it uses."""

    namespace: str
    name: str
    container: str
    cpu: float
    memory: float


def workload(world: World, extra: Extra, *, containers: list[Obj] | None = None,
             revision: int = 1, ready: int | None = None) -> tuple[Obj, Obj | None]:
    """Store ``extra``'s workload object (and a Deployment's ReplicaSet); returns both."""
    created = world.start - 30 * DAY
    containers = containers or [shapes.container(extra.name, extra.image, cpu_request="50m",
                                                 memory_request="64Mi", memory_limit="256Mi",
                                                 port=None)]
    cluster = world.cluster
    if extra.kind == "Deployment":
        dep = cluster.put(shapes.deployment(extra.name, extra.namespace, replicas=extra.replicas,
                                            image=extra.image, containers=containers,
                                            revision=revision, created=created, ready=ready))
        rs = cluster.put(shapes.replicaset(dep, suffix(f"{extra.name}/{extra.image}", 10),
                                           replicas=extra.replicas, created=created,
                                           ready=ready))
        return dep, rs
    if extra.kind == "StatefulSet":
        return cluster.put(shapes.statefulset(extra.name, extra.namespace,
                                              replicas=extra.replicas, image=extra.image,
                                              containers=containers, created=created,
                                              ready=ready)), None
    return cluster.put(shapes.daemonset(extra.name, extra.namespace, nodes=len(world.site.nodes),
                                        image=extra.image, containers=containers,
                                        created=created)), None


def pod_names(world: World, extra: Extra, owner: Obj) -> list[tuple[str, str]]:
    """(pod name, node) of each of ``extra``'s pods."""
    nodes = world.site.nodes
    if extra.kind == "DaemonSet":
        return [(f"{extra.name}-{suffix(f'{world.site.name}/{extra.name}/{n}')}", n)
                for n in nodes]
    if extra.kind == "StatefulSet":
        return [(f"{extra.name}-{i}", nodes[(i + 1) % len(nodes)]) for i in range(extra.replicas)]
    base = owner["metadata"]["name"]
    return [(f"{base}-{suffix(f'{world.site.name}/{base}/{i}')}", nodes[i % len(nodes)])
            for i in range(extra.replicas)]


class Extras:
    """The Kubernetes-only workloads of one cluster, and their PodMetrics."""

    def __init__(self, world: World, extras: tuple[Extra, ...], seed: int) -> None:
        self.world = world
        self.extras = extras
        self.running: list[Running] = []
        self._rng = random.Random(seed)

    def setup(self) -> None:
        world = self.world
        for extra in self.extras:
            obj, rs = workload(world, extra)
            owner = rs or obj
            for name, node in pod_names(world, extra, owner):
                labels = {"app": extra.name}
                container = obj["spec"]["template"]["spec"]["containers"]
                if extra.name == "node-exporter":
                    container = [{**container[0], "ports": [
                        {"containerPort": 9100, "hostPort": 9100, "name": "metrics",
                         "protocol": "TCP"}]}]
                pod = world.pod(name, extra.namespace, node, container, owner, labels,
                                started=world.now - 9 * DAY, created=world.now - 9 * DAY)
                world.cluster.put(pod)
                self.running.append(Running(extra.namespace, name, extra.name, extra.cpu,
                                            extra.memory))

    def metrics(self) -> None:
        """PodMetrics for every Kubernetes-only pod (metrics-server's 15 s resolution)."""
        wave = 1 + 0.2 * math.sin(self.world.now / 600)
        for pod in self.running:
            cpu = pod.cpu * wave * self._rng.uniform(0.8, 1.2)
            mem = pod.memory * self._rng.uniform(0.97, 1.03)
            self.world.cluster.put(shapes.pod_metrics(pod.name, pod.namespace,
                                                      {pod.container: (round(cpu, 6), mem)},
                                                      at=self.world.now))
