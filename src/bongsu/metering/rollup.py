"""Hourly rows rolled up per cluster / namespace / workload / team, beside the nodes'
capacity and idle, so the totals visibly add up: per node and hour
``idle = max(capacity - allocated, 0)`` and ``allocated + idle = capacity`` (a node whose
containers were allocated more than its capacity, a usage burst, counts its allocation as
its capacity; a container on a node the watcher no longer lists has no idle beside it).

Example::

    containers, nodes = meter.metering_hours("default", start_us, end_us, None)
    report = roll_up(containers, nodes, "namespace")
    report.totals.cpu_allocated + report.idle.cpu_allocated == report.capacity.cpu_allocated
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from bongsu.store.metering import ContainerHour, NodeHour

GroupBy = Literal["namespace", "workload", "team", "cluster"]
GROUP_BYS: tuple[GroupBy, ...] = ("namespace", "workload", "team", "cluster")


@dataclass(slots=True)
class Figures:
    """Core-hours and GiB-hours requested, used and allocated."""

    cpu_request: float = 0.0
    cpu_usage: float = 0.0
    cpu_allocated: float = 0.0
    memory_request: float = 0.0
    memory_usage: float = 0.0
    memory_allocated: float = 0.0

    def add(self, c: ContainerHour | Figures) -> None:
        self.cpu_request += c.cpu_request
        self.cpu_usage += c.cpu_usage
        self.cpu_allocated += c.cpu_allocated
        self.memory_request += c.memory_request
        self.memory_usage += c.memory_usage
        self.memory_allocated += c.memory_allocated


@dataclass(slots=True)
class Group:
    cluster: str  # "" when grouped by team across clusters
    key: str  # the namespace, "namespace/workload", the team label's value, the cluster
    figures: Figures = field(default_factory=Figures)
    containers: set[tuple[str, str, str, str]] = field(default_factory=set)


@dataclass(slots=True)
class NodeFigures:
    cluster: str
    node: str
    cpu_capacity: float = 0.0  # as counted: max(capacity, allocated) per hour
    memory_capacity: float = 0.0
    cpu_allocated: float = 0.0
    memory_allocated: float = 0.0
    cpu_idle: float = 0.0
    memory_idle: float = 0.0


@dataclass(slots=True)
class Rollup:
    groups: list[Group]
    nodes: list[NodeFigures]
    totals: Figures  # every container
    cpu_idle: float
    memory_idle: float
    hours: int  # distinct hours with rows

    @property
    def cpu_capacity(self) -> float:
        return self.totals.cpu_allocated + self.cpu_idle

    @property
    def memory_capacity(self) -> float:
        return self.totals.memory_allocated + self.memory_idle


def group_key(group_by: GroupBy) -> Callable[[ContainerHour], tuple[str, str]]:
    """(cluster, key) of a container row for ``group_by``."""
    if group_by == "namespace":
        return lambda c: (c.cluster, c.namespace)
    if group_by == "workload":
        return lambda c: (c.cluster, f"{c.namespace}/{c.workload or c.pod}")
    if group_by == "team":
        return lambda c: ("", c.team)
    return lambda c: (c.cluster, c.cluster)


def roll_up(containers: Sequence[ContainerHour], nodes: Sequence[NodeHour],
            group_by: GroupBy) -> Rollup:
    """The rows' figures per group, per node, and in total (see the module docstring)."""
    key = group_key(group_by)
    groups: dict[tuple[str, str], Group] = {}
    totals = Figures()
    on_node: dict[tuple[str, int, str], Figures] = defaultdict(Figures)
    for c in containers:
        k = key(c)
        g = groups.get(k)
        if g is None:
            g = groups[k] = Group(*k)
        g.figures.add(c)
        g.containers.add((c.cluster, c.namespace, c.pod, c.container))
        totals.add(c)
        on_node[(c.cluster, c.hour_us, c.node)].add(c)
    per_node: dict[tuple[str, str], NodeFigures] = {}
    for n in nodes:
        f = per_node.setdefault((n.cluster, n.node), NodeFigures(n.cluster, n.node))
        used = on_node.get((n.cluster, n.hour_us, n.node), Figures())
        f.cpu_allocated += used.cpu_allocated
        f.memory_allocated += used.memory_allocated
        f.cpu_idle += max(n.cpu_capacity - used.cpu_allocated, 0.0)
        f.memory_idle += max(n.memory_capacity - used.memory_allocated, 0.0)
        f.cpu_capacity += max(n.cpu_capacity, used.cpu_allocated)
        f.memory_capacity += max(n.memory_capacity, used.memory_allocated)
    ordered = sorted(groups.values(), key=lambda g: (-g.figures.cpu_allocated, g.cluster, g.key))
    return Rollup(ordered, sorted(per_node.values(), key=lambda n: (n.cluster, n.node)), totals,
                  sum(n.cpu_idle for n in per_node.values()),
                  sum(n.memory_idle for n in per_node.values()),
                  len({c.hour_us for c in containers} | {n.hour_us for n in nodes}))
