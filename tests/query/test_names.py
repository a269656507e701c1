"""Instances by the names people know them by: every row with an ``instance`` carries its
``instance_name``, and every list of instance ids a ``{id: name}`` map, recomputed here
from the resource attributes the test sent (``dataset.RESOURCES``)."""

from __future__ import annotations

import httpx

from bongsu.accounts.principal import header_tenants
from bongsu.api import create_api
from bongsu.api.agent import agent_router
from bongsu.control.registry import AgentRegistry
from query import dataset
from query.dataset import SPAN_US
from query.harness import Loaded, resolve_tenant, serve
from query.test_dashboard import window


def test_the_rule_covers_every_case() -> None:
    assert [dataset.display_name(i) for i in ("fe-1", "fe-2", "ord-1", "pay-1", "pay-2")] == [
        "frontend-6b7f9-x2kq", "frontend-6b7f9-p8zt", "orders-vm:4242", "pay-host", "pay-2"]


def test_instances_and_services(api: httpx.Client, loaded: Loaded) -> None:
    params = window(loaded.shop.t0, 0, 10)
    rows = api.get("/api/v1/instances", params=params).json()["instances"]
    assert rows and all(r["instance_name"] == dataset.display_name(r["instance"])
                        for r in rows)
    served = {svc: {s.instance for s in spans} for svc, spans in dataset.by(
        dataset.transactions(loaded.shop.spans, loaded.shop.t0, loaded.shop.t0 + SPAN_US),
        lambda s: s.service).items()}
    for row in api.get("/api/v1/services", params=params).json()["services"]:
        assert row["instance_names"] == {i: dataset.display_name(i)
                                         for i in served[row["name"]]}
        assert row["instances"] == len(row["instance_names"])


def test_traces_and_logs(api: httpx.Client, loaded: Loaded) -> None:
    t0 = loaded.shop.t0
    trace_id = next(s.trace_id for s in loaded.shop.spans if s.service == "payments")
    detail = api.get(f"/api/v1/traces/{trace_id:032x}").json()
    assert {(s["instance"], s["instance_name"]) for s in detail["spans"]} == {
        (s.instance, dataset.display_name(s.instance))
        for s in loaded.shop.spans if s.trace_id == trace_id}
    logs = api.get("/api/v1/logs", params={**window(t0, 0, 10), "limit": "1000"}).json()
    assert logs["logs"] and all(r["instance_name"] == dataset.display_name(r["instance"])
                                for r in logs["logs"])


def test_topology_nodes_and_edges(api: httpx.Client, loaded: Loaded) -> None:
    params = window(loaded.shop.t0, 0, 10)
    services = api.get("/api/v1/topology", params=params).json()
    assert all(n["name"] == n["id"] for n in services["nodes"])
    assert all("source_instance_name" not in e for e in services["edges"])
    body = api.get("/api/v1/topology", params={**params, "level": "instance"}).json()
    nodes = {n["id"]: n for n in body["nodes"]}
    for node in body["nodes"]:
        if node["kind"] == "service":
            assert node["instance"] == node["id"]
            assert node["name"] == node["instance_name"] == dataset.display_name(node["id"])
        else:
            assert node["name"] == node["id"] and "instance" not in node
    assert nodes["ord-1"]["name"] == "orders-vm:4242"
    for edge in body["edges"]:
        assert edge["source_instance_name"] == dataset.display_name(edge["source"])
        assert edge["target_instance_name"] == nodes[edge["target"]]["name"]
    assert {e["target_instance_name"] for e in body["edges"]} >= {
        "orders-vm:4242", "pay-host", "pay-2", "postgresql:orders@db-1", "api.stripe.com"}


def test_an_id_without_a_resource_name_is_its_own_name(api: httpx.Client) -> None:
    # The OpenTelemetry SDK's spans (sent just now) carry no pod or host name.
    rows = api.get("/api/v1/instances", params={"service": "sdk-app"}).json()["instances"]
    assert [(r["instance"], r["instance_name"]) for r in rows] == [("sdk-1", "sdk-1")]


def test_active_requests_and_captures(loaded: Loaded) -> None:
    agents = AgentRegistry(loaded.store)
    for instance, host in (("fe-1", "node-b"), ("agent-only", "vm-7")):
        agents.report_active("default", {
            "service": "frontend", "instance": instance, "host": host, "pid": 31,
            "requests": [{"trace_id": "ab" * 16, "span_id": "cd" * 8, "method": "GET",
                          "url": "/", "route": "/", "start_unix_nano": 1, "sampled": True}]})
    app = create_api(loaded.settings, loaded.store, header_tenants(resolve_tenant),
                     routers=[agent_router(agents)])
    for url in serve(app):
        with httpx.Client(base_url=url) as api:
            body = api.get("/api/v1/active-requests").json()
            # The store's resource first; an instance it never saw by the agent's host:pid.
            want = {"fe-1": "frontend-6b7f9-x2kq", "agent-only": "vm-7:31"}
            assert {r["instance"]: r["instance_name"] for r in body["requests"]} == want
            assert body["instances"] == ["agent-only", "fe-1"]
            assert body["instance_names"] == want
            r = api.post("/api/v1/captures", json={"service": "orders", "instance": "ord-1"})
            assert r.status_code == 202
            listed = api.get("/api/v1/captures").json()["captures"]
            assert [(c["instance"], c["instance_name"]) for c in listed] == [
                ("ord-1", "orders-vm:4242")]
            one = api.get(f"/api/v1/captures/{r.json()['id']}").json()
            assert one["instance_name"] == "orders-vm:4242" and one["status"] == "pending"
