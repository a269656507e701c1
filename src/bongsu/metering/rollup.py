"""Stored totals rolled up per cluster / namespace / workload / team, beside the nodes'
capacity and idle, so the totals visibly add up: per node and hour
``idle = max(capacity - allocated, 0)`` and ``allocated + idle = capacity`` (a node whose
containers were allocated more than its capacity, a usage burst, counts its allocation as
its capacity; a container on a node the watcher no longer lists has no idle beside it).
Grouped by team, a team's lines of several clusters are one line (cluster ``""``).

Example::

    groups, nodes, hours = meter.metering_totals("default", start_us, end_us, None, "team")
    report = roll_up(groups, nodes, hours, "team")
    report.totals.cpu_allocated + report.cpu_idle == report.cpu_capacity
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bongsu.store.metering import GROUP_BYS, GroupBy, GroupTotal, NodeTotal

__all__ = ["GROUP_BYS", "Figures", "Group", "GroupBy", "Rollup", "line_key", "roll_up"]


@dataclass(slots=True)
class Figures:
    """Core-hours and GiB-hours requested, used and allocated."""

    cpu_request: float = 0.0
    cpu_usage: float = 0.0
    cpu_allocated: float = 0.0
    memory_request: float = 0.0
    memory_usage: float = 0.0
    memory_allocated: float = 0.0

    def add(self, c: GroupTotal | Figures) -> None:
        self.cpu_request += c.cpu_request
        self.cpu_usage += c.cpu_usage
        self.cpu_allocated += c.cpu_allocated
        self.memory_request += c.memory_request
        self.memory_usage += c.memory_usage
        self.memory_allocated += c.memory_allocated


@dataclass(slots=True)
class Group:
    cluster: str  # "" when grouped by team (a team spans clusters)
    key: str
    figures: Figures = field(default_factory=Figures)
    containers: int = 0


@dataclass(slots=True)
class Rollup:
    groups: list[Group]  # largest allocation first
    nodes: list[NodeTotal]
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


def line_key(group_by: GroupBy, g: GroupTotal) -> tuple[str, str]:
    """The (cluster, key) of the line a group total belongs to."""
    return ("" if group_by == "team" else g.cluster, g.key)


def roll_up(groups: Sequence[GroupTotal], nodes: Sequence[NodeTotal], hours: int,
            group_by: GroupBy) -> Rollup:
    """The totals per line, the nodes, and in total (see the module docstring)."""
    lines: dict[tuple[str, str], Group] = {}
    totals = Figures()
    for g in groups:
        k = line_key(group_by, g)
        line = lines.get(k)
        if line is None:
            line = lines[k] = Group(*k)
        line.figures.add(g)
        line.containers += g.containers
        totals.add(g)
    ordered = sorted(lines.values(), key=lambda g: (-g.figures.cpu_allocated, g.cluster, g.key))
    return Rollup(ordered, list(nodes), totals, sum(n.cpu_idle for n in nodes),
                  sum(n.memory_idle for n in nodes), hours)
