"""A month's statement per namespace / workload / team / cluster: core-hours, GiB-hours and
their cost by request, by usage and by allocation, each group's share of its cluster's idle
cost, and totals that add up to the clusters' capacity cost.

Every group total (within one cluster) is priced at its cluster's rate. A cluster's idle
cost is shared among the groups in proportion to their allocation cost in that cluster (a
cluster with idle capacity and no allocation at all leaves it in ``unassigned_idle_cost``),
so::

    sum(line.total_cost) + unassigned_idle_cost == allocation_cost + idle_cost == capacity_cost

Example::

    start_us, end_us = month_window("2026-11")
    s = statement(*meter.metering_totals("default", start_us, end_us, None, "team"), card,
                  "team")
    s.capacity_cost
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bongsu.errors import InvalidQuery
from bongsu.metering.rates import Rate, RateCard
from bongsu.metering.rollup import Figures, GroupBy, line_key, roll_up
from bongsu.store.metering import GroupTotal, NodeTotal

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_window(month: str) -> tuple[int, int]:
    """``YYYY-MM`` as the half-open window of its hours, epoch microseconds (UTC)."""
    match = _MONTH.match(month)
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1970:
        raise InvalidQuery(f"month: must be YYYY-MM (1970-01 or later), got {month!r}")
    year, mon = int(match[1]), int(match[2])
    start = datetime(year, mon, 1, tzinfo=UTC)
    days = calendar.monthrange(year, mon)[1]
    return int(start.timestamp()) * 1_000_000, (int(start.timestamp()) + days * 86_400) * 1_000_000


@dataclass(slots=True)
class Line:
    cluster: str
    key: str
    containers: int
    figures: Figures
    request_cost: float = 0.0
    usage_cost: float = 0.0
    allocation_cost: float = 0.0
    idle_cost: float = 0.0  # its share of its clusters' idle

    @property
    def total_cost(self) -> float:
        return self.allocation_cost + self.idle_cost


@dataclass(slots=True)
class Statement:
    currency: str
    lines: list[Line]
    totals: Figures
    cpu_idle: float
    memory_idle: float
    request_cost: float
    usage_cost: float
    allocation_cost: float
    idle_cost: float
    unassigned_idle_cost: float
    hours: int
    rates: dict[str, Rate] = field(default_factory=dict)  # cluster → rate used

    @property
    def capacity_cost(self) -> float:
        return self.allocation_cost + self.idle_cost


def _cost(rate: Rate, cpu: float, memory: float) -> float:
    return cpu * rate.cpu_core_hour + memory * rate.memory_gib_hour


def statement(groups: Sequence[GroupTotal], nodes: Sequence[NodeTotal], hours: int,
              card: RateCard, group_by: GroupBy) -> Statement:
    """The statement of these totals priced by ``card`` (see the module docstring)."""
    clusters = sorted({g.cluster for g in groups} | {n.cluster for n in nodes})
    rates = {name: card.for_cluster(name) for name in clusters}
    currencies = sorted({r.currency for r in rates.values()}) or [card.default.currency]
    if len(currencies) > 1:
        raise InvalidQuery(f"cluster: the clusters' rates are in different currencies "
                           f"({', '.join(currencies)}); ask for one cluster with cluster=")
    rollup = roll_up(groups, nodes, hours, group_by)
    lines = {(g.cluster, g.key): Line(g.cluster, g.key, g.containers, g.figures)
             for g in rollup.groups}
    alloc_in: dict[str, dict[tuple[str, str], float]] = defaultdict(lambda: defaultdict(float))
    for g in groups:  # each within one cluster: priced at its rate
        rate, k = rates[g.cluster], line_key(group_by, g)
        line = lines[k]
        line.request_cost += _cost(rate, g.cpu_request, g.memory_request)
        line.usage_cost += _cost(rate, g.cpu_usage, g.memory_usage)
        allocation = _cost(rate, g.cpu_allocated, g.memory_allocated)
        line.allocation_cost += allocation
        alloc_in[g.cluster][k] += allocation
    idle_cost = unassigned = 0.0
    for name in clusters:
        idle = sum(_cost(rates[name], n.cpu_idle, n.memory_idle)
                   for n in nodes if n.cluster == name)
        idle_cost += idle
        shares = alloc_in.get(name, {})
        total = sum(shares.values())
        if total <= 0:
            unassigned += idle
            continue
        for k, allocation in shares.items():
            lines[k].idle_cost += idle * allocation / total
    ordered = sorted(lines.values(), key=lambda line: (-line.total_cost, line.cluster, line.key))
    return Statement(
        currencies[0], ordered, rollup.totals, rollup.cpu_idle, rollup.memory_idle,
        sum(line.request_cost for line in ordered), sum(line.usage_cost for line in ordered),
        sum(line.allocation_cost for line in ordered), idle_cost, unassigned, rollup.hours,
        rates)
