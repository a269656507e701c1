"""The store's metering side (``bongsu.store.metering``'s contract), against every backend of
the conformance suite (DuckDB, ClickHouse on the local endpoint), with the same figures.

The points are written as the Kubernetes sampler writes them (``state_points``), at known
minutes, and the figures expected are worked out here by hand from those points.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.store.backends import BACKENDS, open_backend
from tests.store.clickhouse_endpoint import clickhouse_url  # noqa: F401 - fixture

from bongsu.kube.model import ContainerState, PodState
from bongsu.kube.points import state_points
from bongsu.store.batch import Batch
from bongsu.store.metering import HOUR_US, ContainerHour, NodeHour, metering_of

HOUR = 1_796_000_400_000_000 // HOUR_US * HOUR_US
MIN_US = 60_000_000
GIB = 2.0**30


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    with open_backend(request, request.param, tmp_path) as s:
        yield s


def _pod(name: str, node: str | None, cpu_req: float | None, mem_req: float | None,
         cpu_use: float | None, mem_use: float | None, namespace: str = "shop") -> PodState:
    c = ContainerState("app", "img", True, 0, "running", None, None, cpu_req, None, mem_req,
                       None, cpu_use, mem_use)
    return PodState("lab", namespace, name, f"uid-{name}", node, "Running", True, "Deployment",
                    name.rsplit("-", 1)[0], {}, [c], None)


def _write(store: Any, at_us: int, pods: list[PodState], usage_only: bool = False,
           tenant: str = "default", cluster: str = "lab") -> None:
    store.load(Batch(metrics=state_points(tenant, cluster, at_us, pods, [], [],
                                          usage_only=usage_only)), None)


def test_usage_of_an_hour_from_the_points(store: Any) -> None:
    """Minutes 0-9: requests every 60 s (minutes 0, 1, … but not 4), usage every 15 s; the
    request of a minute without one is the earlier minute's; max(request, usage) per
    minute; a pod without a node and another cluster, tenant or hour are left out."""
    a = _pod("cart-1", "node-a", 0.5, 512 * 2**20, 0.2, 768 * 2**20)  # memory over request
    pending = _pod("cart-2", None, 1.0, GIB, None, None)
    for minute in range(10):
        at = HOUR + minute * MIN_US
        if minute != 4:
            _write(store, at, [a, pending])
        for second in (15, 30, 45):
            _write(store, at + second * 1_000_000, [a], usage_only=True)
    _write(store, HOUR - MIN_US, [a])  # the hour before
    _write(store, HOUR + HOUR_US, [a])  # the hour after
    _write(store, HOUR, [a], cluster="other")
    _write(store, HOUR, [a], tenant="acme")
    meter = metering_of(store, timeout_s=10, max_rows=10_000)
    rows, minutes = meter.metering_usage("default", "lab", HOUR)
    assert minutes == 10
    (row,) = rows
    assert dataclasses.astuple(row)[:10] == (
        "lab", HOUR, "shop", "cart-1", "app", "node-a", "Deployment", "cart", "", 10)
    assert dataclasses.astuple(row)[10:] == pytest.approx((
        0.5 * 10 / 60, 0.2 * 10 / 60, 0.5 * 10 / 60,  # CPU: request, usage, allocated
        0.5 * 10 / 60, 0.75 * 10 / 60, 0.75 * 10 / 60))  # memory, GiB-hours
    assert meter.metering_usage("default", "lab", HOUR + 2 * HOUR_US) == ([], 0)


def test_usage_varying_within_the_hour(store: Any) -> None:
    """Usage over the request in some minutes only: allocation is max per minute, not the
    max of the hour's means."""
    for minute, use in enumerate((0.1, 0.9, 0.1, 0.9)):
        _write(store, HOUR + minute * MIN_US, [_pod("api-1", "n", 0.5, GIB, use, GIB / 2)])
    rows, _ = metering_of(store, 10, 1000).metering_usage("default", "lab", HOUR)
    (row,) = rows
    assert row.cpu_usage == pytest.approx(2.0 / 60)
    assert row.cpu_allocated == pytest.approx((0.5 + 0.9 + 0.5 + 0.9) / 60)
    assert row.memory_allocated == pytest.approx(4 / 60)


def _row(hour: int, pod: str, cpu: float, cluster: str = "lab") -> ContainerHour:
    return ContainerHour(cluster, hour, "shop", pod, "app", "n", "Deployment", "w", "t", 60,
                         cpu, cpu, cpu, 1.0, 1.0, 1.0)


def test_an_hour_saved_twice_is_one_row(store: Any) -> None:
    meter = metering_of(store, 10, 1000)
    node = NodeHour("lab", HOUR, "n", 60, 4.0, 16.0)
    meter.save_metering_hour("default", "lab", HOUR, [_row(HOUR, "a", 1.0)], [node])
    meter.save_metering_hour("default", "lab", HOUR, [_row(HOUR, "a", 2.0)], [node])
    meter.save_metering_hour("default", "lab", HOUR + HOUR_US, [_row(HOUR + HOUR_US, "a", 3.0)],
                             [])
    meter.save_metering_hour("default", "other", HOUR, [_row(HOUR, "a", 5.0, "other")], [])
    meter.save_metering_hour("acme", "lab", HOUR, [_row(HOUR, "a", 7.0)], [])
    containers, nodes = meter.metering_hours("default", HOUR, HOUR + HOUR_US, "lab")
    assert containers == [_row(HOUR, "a", 2.0)]
    assert nodes == [node]
    both, _ = meter.metering_hours("default", HOUR, HOUR + 2 * HOUR_US, None)
    assert sorted((c.cluster, c.hour_us, c.cpu_usage) for c in both) == [
        ("lab", HOUR, 2.0), ("lab", HOUR + HOUR_US, 3.0), ("other", HOUR, 5.0)]
    # a recompute with fewer containers drops the gone ones
    meter.save_metering_hour("default", "lab", HOUR, [_row(HOUR, "b", 1.0)], [])
    assert [c.pod for c in meter.metering_hours("default", HOUR, HOUR + 1, "lab")[0]] == ["b"]
    assert meter.metering_hours("default", HOUR, HOUR + 1, "lab")[1] == []


def test_rows_outlive_telemetry_retention(store: Any) -> None:
    meter = metering_of(store, 10, 1000)
    meter.save_metering_hour("default", "lab", HOUR, [_row(HOUR, "a", 1.0)], [])
    store.delete_before(HOUR + 10 * HOUR_US)
    assert len(meter.metering_hours("default", HOUR, HOUR + 1, None)[0]) == 1


def test_an_hour_must_start_on_the_hour_and_hold_its_own_rows(store: Any) -> None:
    meter = metering_of(store, 10, 1000)
    with pytest.raises(ValueError, match="hour_us"):
        meter.save_metering_hour("default", "lab", HOUR + 1, [], [])
    with pytest.raises(ValueError, match="saved as other"):
        meter.save_metering_hour("default", "other", HOUR, [_row(HOUR, "a", 1.0)], [])
    assert meter.metering_hours("default", HOUR, HOUR + 1, None) == ([], [])


def _reference(containers: list[ContainerHour], nodes: list[NodeHour], group_by: str
               ) -> tuple[dict[tuple[str, str], tuple[Any, ...]], dict[tuple[str, str], Any]]:
    """The totals worked out here from the stored rows, one at a time."""
    key = {"namespace": lambda c: c.namespace, "team": lambda c: c.team,
           "cluster": lambda c: c.cluster,
           "workload": lambda c: f"{c.namespace}/{c.workload or c.pod}"}[group_by]
    groups: dict[tuple[str, str], list[ContainerHour]] = {}
    for c in containers:
        groups.setdefault((c.cluster, key(c)), []).append(c)
    out = {k: (len({(c.namespace, c.pod, c.container) for c in rows}),
               *[sum(getattr(c, f) for c in rows) for f in _FIGURES]) for k, rows in groups.items()}
    per_node: dict[tuple[str, str], list[float]] = {}
    for n in nodes:
        on = [c for c in containers
              if (c.cluster, c.hour_us, c.node) == (n.cluster, n.hour_us, n.node)]
        cpu, mem = sum(c.cpu_allocated for c in on), sum(c.memory_allocated for c in on)
        t = per_node.setdefault((n.cluster, n.node), [0.0] * 6)
        for i, v in enumerate((max(n.cpu_capacity, cpu), max(n.memory_capacity, mem), cpu, mem,
                               max(n.cpu_capacity - cpu, 0), max(n.memory_capacity - mem, 0))):
            t[i] += v
    return out, per_node


_FIGURES = ("cpu_request", "cpu_usage", "cpu_allocated", "memory_request", "memory_usage",
            "memory_allocated")


@pytest.mark.parametrize("group_by", ["namespace", "workload", "team", "cluster"])
def test_totals_are_the_sums_of_the_stored_rows(store: Any, group_by: Any) -> None:
    """Two hours, two clusters: a team in both, a pod without a workload, a node whose
    containers were allocated more than its capacity in one hour, a container on a node
    with no capacity row; node figures joined hour by hour."""
    meter = metering_of(store, 10, 1000)

    def row(cluster: str, hour: int, ns: str, pod: str, node: str, workload: str, team: str,
            cpu: float, mem: float) -> ContainerHour:
        return ContainerHour(cluster, hour, ns, pod, "app", node, "Deployment" if workload else "",
                             workload, team, 60, cpu / 2, cpu / 3, cpu, mem / 2, mem / 4, mem)

    for hour, burst in ((HOUR, 1.0), (HOUR + HOUR_US, 5.0)):
        meter.save_metering_hour("default", "lab", hour, [
            row("lab", hour, "shop", "cart-1", "n1", "cart", "web", burst, 2.0),
            row("lab", hour, "shop", "cart-2", "n1", "cart", "web", 1.0, 1.0),
            row("lab", hour, "pay", "job-x", "n2", "", "", 0.5, 0.5),
            row("lab", hour, "pay", "ledger-1", "gone", "ledger", "web", 0.25, 0.25),
        ], [NodeHour("lab", hour, "n1", 60, 4.0, 8.0), NodeHour("lab", hour, "n2", 60, 2.0, 4.0)])
        meter.save_metering_hour("default", "edge", hour, [
            row("edge", hour, "shop", "cart-9", "e1", "cart", "web", 1.5, 3.0)],
            [NodeHour("edge", hour, "e1", 60, 2.0, 2.0),
             NodeHour("edge", hour, "idle", 60, 1.0, 1.0)])
    meter.save_metering_hour("acme", "lab", HOUR,
                             [row("lab", HOUR, "x", "y", "n1", "w", "t", 9, 9)],
                             [NodeHour("lab", HOUR, "n1", 60, 99.0, 99.0)])
    for cluster in (None, "lab"):
        containers, nodes = meter.metering_hours("default", HOUR, HOUR + 2 * HOUR_US, cluster)
        groups_want, nodes_want = _reference(containers, nodes, group_by)
        groups, node_totals, hours = meter.metering_totals(
            "default", HOUR, HOUR + 2 * HOUR_US, cluster, group_by)
        assert hours == 2
        assert {(g.cluster, g.key): dataclasses.astuple(g)[2:] for g in groups} == {
            k: pytest.approx(v) for k, v in groups_want.items()}
        assert {(n.cluster, n.node): list(dataclasses.astuple(n)[2:]) for n in node_totals} == {
            k: pytest.approx(v) for k, v in nodes_want.items()}
    lab = {n.node: n for n in meter.metering_totals("default", HOUR, HOUR + 2 * HOUR_US, "lab",
                                                      group_by)[1]}
    # n1: 2 allocated of 4 in the first hour (2 idle), 6 of 4 in the second (none idle, 6 counted)
    assert (lab["n1"].cpu_capacity, lab["n1"].cpu_allocated, lab["n1"].cpu_idle) == (
        pytest.approx(4 + 6), pytest.approx(2 + 6), pytest.approx(2))
    assert "gone" not in lab  # no capacity row: its allocation has no idle beside it
    assert meter.metering_totals("default", HOUR + 5 * HOUR_US, HOUR + 6 * HOUR_US, None,
                                 group_by) == ([], [], 0)
