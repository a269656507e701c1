"""The metering job: it works only while its lease says so, recomputes the current hour on
its own schedule (team labels and node capacity from the live view), and an hour whose
points are gone keeps its stored rows."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from bongsu.kube.model import ClusterStatus, ContainerState, NodeState, PodState
from bongsu.kube.points import state_points
from bongsu.metering.job import MeteringJob
from bongsu.store.batch import Batch
from bongsu.store.duckdb import DuckDBStore
from bongsu.store.metering import HOUR_US, metering_of

GIB = 2.0**30


class View:
    """The live view as the job reads it: one cluster, its pods and nodes."""

    def __init__(self, pods: list[PodState], nodes: list[NodeState]) -> None:
        self._pods, self._nodes = pods, nodes

    def clusters(self, tenant: str) -> list[ClusterStatus]:
        return [ClusterStatus("lab", None, tenant, "connected", None, None, None, 0, 0, 0)]

    def pods(self, tenant: str, cluster: str | None, namespace: str | None,
             service: str | None) -> list[PodState]:
        return self._pods

    def nodes(self, tenant: str, cluster: str | None) -> list[NodeState]:
        return self._nodes


def _pod() -> PodState:
    c = ContainerState("app", "img", True, 0, "running", None, None, 0.5, None, GIB, None,
                       0.25, GIB / 2)
    return PodState("lab", "shop", "cart-1", "u1", "node-a", "Running", True, "Deployment",
                    "cart", {"team": "storefront", "squad": "red"}, [c], None)


@pytest.fixture
def store() -> Any:
    s = DuckDBStore.open(":memory:")
    yield s
    s.close()


def _wait(check: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_job_works_only_while_its_lease_is_held(store: Any) -> None:
    now = time.time_ns() // 1000
    hour = now // HOUR_US * HOUR_US
    store.load(Batch(metrics=state_points("default", "lab", now, [_pod()], [], [])), None)
    meter = metering_of(store, 10, 1000)
    view = View([_pod()], [NodeState("lab", "node-a", True, "b", 4.0, 16 * GIB)])
    held = threading.Event()
    job = MeteringJob(meter, view, "default", "squad", interval_s=0.05, active=held.is_set)
    job.start()
    try:
        time.sleep(0.5)  # ten rounds' time, none of them active
        assert job.rounds == 0
        assert meter.metering_hours("default", hour, hour + HOUR_US, None) == ([], [])
        held.set()
        _wait(lambda: job.rounds > 0)
    finally:
        job.stop()
    containers, nodes = meter.metering_hours("default", hour, hour + HOUR_US, None)
    (row,) = containers
    assert (row.team, row.minutes) == ("red", 1)  # the configured label, not "team"
    assert row.cpu_allocated == pytest.approx(0.5 / 60)
    assert row.memory_usage == pytest.approx(0.5 / 60)
    assert [(n.node, n.cpu_capacity, n.memory_capacity) for n in nodes] == [
        ("node-a", pytest.approx(4.0 / 60), pytest.approx(16 / 60))]
    assert job.failures == 0 and job.last_round_s is not None


def test_an_hour_without_points_keeps_its_rows(store: Any) -> None:
    hour = 1_796_000_400_000_000 // HOUR_US * HOUR_US
    store.load(Batch(metrics=state_points("default", "lab", hour + 1, [_pod()], [], [])), None)
    meter = metering_of(store, 10, 1000)
    job = MeteringJob(meter, View([_pod()], []), "default", "team", interval_s=3600)
    assert job.recompute([hour]) == 1
    store.delete_before(hour + HOUR_US)  # the points go (retention)
    assert job.recompute([hour]) == 0
    (row,) = meter.metering_hours("default", hour, hour + HOUR_US, None)[0]
    assert row.team == "storefront"
