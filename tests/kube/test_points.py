"""Pods, containers, workloads and autoscalers as metric points, read back through the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bongsu.accounts.principal import header_tenants
from bongsu.api import create_api
from bongsu.kube import metric_names as m
from bongsu.kube.model import ContainerState, HpaState, PodState, Termination, WorkloadState
from bongsu.kube.points import state_points
from bongsu.settings import Settings
from bongsu.store.batch import METRIC_SCHEMA, Batch
from bongsu.store.duckdb import DuckDBStore
from query.harness import serve

NOW_US = 1_796_000_040_000_000  # a minute boundary (divisible by 60 s)
MI = 2.0**20


def _container(name: str, **kw: Any) -> ContainerState:
    base: dict[str, Any] = dict(
        image=f"registry.local/shop/{name}:1.4.2", ready=True, restarts=0, state="running",
        waiting_reason=None, last_termination=None, cpu_request=None, cpu_limit=None,
        memory_request=None, memory_limit=None)
    return ContainerState(name=name, **{**base, **kw})


def _pods() -> list[PodState]:
    # checkout: linked to its agent (service and instance from its spans); an OOM-killed
    # sidecar-less container at 97 % of its memory limit.
    checkout = PodState(
        cluster="private", namespace="shop", name="checkout-7d9f8b6c5d-x2kqp", uid="u-1",
        node="node-a", phase="Running", ready=False, workload_kind="Deployment",
        workload="checkout", labels={"app": "checkout"},
        containers=[
            _container("checkout", ready=False, restarts=3, cpu_request=0.25, cpu_limit=0.5,
                       memory_request=128 * MI, memory_limit=256 * MI, cpu_usage=0.153,
                       memory_usage=248 * MI,
                       last_termination=Termination("OOMKilled", 137, None, NOW_US - 60_000_000,
                                                    "containerd://a1")),
            _container("envoy", cpu_usage=0.012, memory_usage=40 * MI),  # no limits set
        ],
        started_us=NOW_US - 3_600_000_000, service="checkout-svc", instance="checkout-a1b2")
    # cart: no agent (Kubernetes-only pod): service is the workload, instance the pod path.
    cart = PodState(
        cluster="private", namespace="shop", name="cart-0", uid="u-2", node="node-b",
        phase="Pending", ready=False, workload_kind="StatefulSet", workload="cart",
        labels={}, containers=[_container("cart", ready=False, state="waiting",
                                          waiting_reason="ImagePullBackOff",
                                          cpu_limit=1.0, memory_limit=512 * MI)],
        started_us=None)
    # A bare pod, not scheduled: no node, no workload.
    bare = PodState(cluster="private", namespace="default", name="debug", uid="u-3",
                    node=None, phase="Weird", ready=False, workload_kind=None, workload=None,
                    labels={}, containers=[], started_us=None)
    return [checkout, cart, bare]


def _workloads() -> list[WorkloadState]:
    return [
        WorkloadState("private", "shop", "Deployment", "checkout", desired=3, ready=2,
                      available=2, images=[], service="checkout-svc"),
        WorkloadState("private", "shop", "ReplicaSet", "checkout-7d9f8b6c5d", desired=3,
                      ready=2, available=2, images=[], owner="checkout"),
        WorkloadState("private", "shop", "StatefulSet", "cart", desired=1, ready=0,
                      available=0, images=[]),
    ]


def _hpas() -> list[HpaState]:
    return [HpaState("private", "shop", "checkout", "Deployment", "checkout", 2, 10, current=3,
                     desired=5, metrics=["cpu 92% / 70%"])]


def _rows() -> list[dict[str, Any]]:
    table = state_points("default", "private", NOW_US, _pods(), _workloads(), _hpas())
    assert table.schema == METRIC_SCHEMA
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


def _one(rows: list[dict[str, Any]], name: str, **attrs: str) -> dict[str, Any]:
    found = [r for r in rows if r["name"] == name and all(
        json.loads(r["attributes"]).get(k) == v for k, v in attrs.items())]
    assert len(found) == 1, (name, attrs, found)
    return found[0]


def test_every_point_is_a_gauge_named_in_the_table_with_its_unit() -> None:
    rows = _rows()
    for r in rows:
        spec = m.METRICS[r["name"]]
        assert (r["kind"], r["unit"], r["tenant"], r["ts_us"]) == (
            "gauge", spec.unit, "default", NOW_US)
        attrs = json.loads(r["attributes"])
        assert attrs[m.CLUSTER] == "private" and m.NAMESPACE in attrs
        assert set(attrs) <= set(m.ATTRIBUTES)
        assert r["count"] is None and r["bounds"] is None


def test_containers_against_their_limits() -> None:
    rows = _rows()
    pod = "checkout-7d9f8b6c5d-x2kqp"
    want = {
        m.CPU_REQUEST: 0.25, m.CPU_LIMIT: 0.5, m.CPU_USAGE: 0.153,
        m.CPU_LIMIT_UTILIZATION: 0.153 / 0.5, m.MEMORY_REQUEST: 128 * MI,
        m.MEMORY_LIMIT: 256 * MI, m.MEMORY_USAGE: 248 * MI,
        m.MEMORY_LIMIT_UTILIZATION: 248 / 256, m.RESTARTS: 3, m.CONTAINER_READY: 0,
    }
    for name, value in want.items():
        row = _one(rows, name, **{m.POD: pod, m.CONTAINER: "checkout"})
        assert row["value"] == pytest.approx(value), name
        assert (row["service"], row["instance"]) == ("checkout-svc", "checkout-a1b2")
        assert json.loads(row["attributes"]) == {
            m.CLUSTER: "private", m.NAMESPACE: "shop", m.POD: pod, m.CONTAINER: "checkout",
            m.NODE: "node-a", m.WORKLOAD_KIND: "Deployment", m.WORKLOAD: "checkout"}
    # No limit or request set: no point for them, and no utilisation, but usage is there.
    envoy = {r["name"] for r in rows
             if json.loads(r["attributes"]).get(m.CONTAINER) == "envoy"}
    assert envoy == {m.CPU_USAGE, m.MEMORY_USAGE, m.RESTARTS, m.CONTAINER_READY}
    # Limits but no usage reported yet: the limits, no usage and no utilisation.
    cart = {r["name"]: r["value"] for r in rows
            if json.loads(r["attributes"]).get(m.CONTAINER) == "cart"}
    assert cart == {m.CPU_LIMIT: 1.0, m.MEMORY_LIMIT: 512 * MI, m.RESTARTS: 0,
                    m.CONTAINER_READY: 0}


def test_a_usage_round_writes_only_what_metrics_k8s_io_changes() -> None:
    full = _rows()
    table = state_points("default", "private", NOW_US, _pods(), _workloads(), _hpas(),
                         usage_only=True)
    assert table.schema == METRIC_SCHEMA
    usage = table.to_pylist()
    fast = {m.CPU_USAGE, m.MEMORY_USAGE, m.CPU_LIMIT_UTILIZATION, m.MEMORY_LIMIT_UTILIZATION}
    assert usage and {r["name"] for r in usage} <= fast
    # The same points, value for value, as the full round's usage points.
    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        return (r["name"], r["service"], r["instance"], r["attributes"], r["value"])
    assert sorted(map(key, usage)) == sorted(key(r) for r in full if r["name"] in fast)


def test_pods_phase_ready_and_where_they_are_filed() -> None:
    rows = _rows()
    checkout = _one(rows, m.POD_PHASE, **{m.POD: "checkout-7d9f8b6c5d-x2kqp"})
    assert checkout["value"] == 2 and json.loads(checkout["attributes"])[m.PHASE] == "Running"
    cart = _one(rows, m.POD_PHASE, **{m.POD: "cart-0"})
    assert cart["value"] == 1
    assert (cart["service"], cart["instance"]) == ("cart", "private/shop/cart-0")
    bare = _one(rows, m.POD_PHASE, **{m.POD: "debug"})
    assert bare["value"] == 5  # a phase Kubernetes does not define counts as Unknown
    assert (bare["service"], bare["instance"]) == ("debug", "private/default/debug")
    assert json.loads(bare["attributes"]) == {
        m.CLUSTER: "private", m.NAMESPACE: "default", m.POD: "debug", m.PHASE: "Weird"}
    assert _one(rows, m.POD_READY, **{m.POD: "cart-0"})["value"] == 0


def test_workload_replicas_and_autoscalers() -> None:
    rows = _rows()
    desired = [r for r in rows if r["name"] == m.REPLICAS_DESIRED]
    # The Deployment's ReplicaSet is left out: the Deployment already counts its pods.
    assert sorted((r["service"], r["instance"], r["value"]) for r in desired) == [
        ("cart", "private/shop/cart", 1), ("checkout-svc", "private/shop/checkout", 3)]
    ready = _one(rows, m.REPLICAS_READY, **{m.WORKLOAD: "checkout"})
    assert ready["value"] == 2
    assert json.loads(ready["attributes"]) == {
        m.CLUSTER: "private", m.NAMESPACE: "shop", m.WORKLOAD_KIND: "Deployment",
        m.WORKLOAD: "checkout"}
    hpa = {r["name"]: r for r in rows if r["name"].startswith("k8s.hpa.")}
    assert {k: v["value"] for k, v in hpa.items()} == {
        m.HPA_CURRENT: 3, m.HPA_DESIRED: 5, m.HPA_MIN: 2, m.HPA_MAX: 10}
    assert hpa[m.HPA_DESIRED]["service"] == "checkout-svc"  # the target's linked service
    assert json.loads(hpa[m.HPA_DESIRED]["attributes"])[m.HPA] == "checkout"


def test_nothing_watched_gives_an_empty_table() -> None:
    table = state_points("default", "private", NOW_US, [], [], [])
    assert table.num_rows == 0 and table.schema == METRIC_SCHEMA


@pytest.fixture
def api() -> Iterator[httpx.Client]:
    """The real API over an in-memory DuckDB store holding two rounds of state points."""
    store = DuckDBStore.open(":memory:")
    pods = _pods()
    assert store.load(Batch(metrics=state_points(
        "default", "private", NOW_US, pods, _workloads(), _hpas())), None)
    pods[0].containers[0].memory_usage = 200 * MI  # a minute later, less memory in use
    assert store.load(Batch(metrics=state_points(
        "default", "private", NOW_US + 60_000_000, pods, _workloads(), _hpas())), None)
    app = create_api(Settings(), store, header_tenants(lambda _a: "default"), console=False)
    try:
        for url in serve(app):
            with httpx.Client(base_url=url, timeout=30) as client:
                yield client
    finally:
        store.close()


def test_the_existing_metric_queries_read_them(api: httpx.Client) -> None:
    window = {"from": str(NOW_US // 1000), "to": str(NOW_US // 1000 + 120_000)}
    names = api.get("/api/v1/metrics/names", params=window).json()["names"]
    by_name = {n["name"]: n for n in names}
    assert by_name[m.MEMORY_LIMIT] == {"name": m.MEMORY_LIMIT, "kind": "gauge", "unit": "By",
                                       "points": 4}  # checkout and cart, twice
    # The dashboard's per-instance chart: the agent's instance shows usage against limit.
    for name, values in ((m.MEMORY_USAGE, [248 * MI, 200 * MI]),
                         (m.MEMORY_LIMIT, [256 * MI, 256 * MI]),
                         (m.MEMORY_LIMIT_UTILIZATION, [248 / 256, 200 / 256])):
        body = api.get("/api/v1/metrics/series", params={
            **window, "name": name, "service": "checkout-svc", "instance": "checkout-a1b2",
            "step": "60", "agg": "max"}).json()
        assert [p["ts"] for p in body["points"]] == [NOW_US // 1000, NOW_US // 1000 + 60_000]
        assert [p["value"] for p in body["points"]] == pytest.approx(values), name
    # Replicas per service, and a Kubernetes-only pod's service.
    body = api.get("/api/v1/metrics/series", params={
        **window, "name": m.REPLICAS_DESIRED, "service": "checkout-svc", "step": "60",
        "agg": "last"}).json()
    assert [p["value"] for p in body["points"]] == [3, 3]
    body = api.get("/api/v1/metrics/series", params={
        **window, "name": m.CPU_LIMIT, "service": "cart", "step": "60", "agg": "max"}).json()
    assert [p["value"] for p in body["points"]] == [1.0, 1.0]
