"""Two tenants never see each other's data."""

from __future__ import annotations

import httpx

from query import dataset
from query.dataset import SPAN_US
from query.harness import Loaded

ACME = {"Authorization": "Bearer acme-key"}


def test_each_tenant_sees_only_its_figures(api: httpx.Client, loaded: Loaded) -> None:
    t0 = loaded.shop.t0
    window = {"from": str(t0 // 1000), "to": str((t0 + SPAN_US) // 1000)}
    for headers, shop in (({}, loaded.shop), (ACME, loaded.acme)):
        body = api.get("/api/v1/services", params=window, headers=headers).json()
        sent = dataset.by(dataset.transactions(shop.spans, t0, t0 + SPAN_US),
                          lambda s: s.service)
        assert {s["name"]: s["transactions"] for s in body["services"]} == {
            k: len(v) for k, v in sent.items()}
        topo = api.get("/api/v1/topology", params=window, headers=headers).json()
        want = dataset.edges(shop.spans, t0, t0 + SPAN_US, "service")
        assert {(e["source"], e["target"]): e["calls"] for e in topo["edges"]} == {
            (k[0], k[1]): v[0] for k, v in want.items()}
        traces = api.get("/api/v1/traces", params={**window, "limit": "1000"},
                         headers=headers).json()["traces"]
        assert {int(t["trace_id"], 16) for t in traces} == {s.trace_id for s in shop.spans}
        logs = api.get("/api/v1/logs", params={**window, "limit": "1000"},
                       headers=headers).json()["logs"]
        assert len(logs) == len(shop.logs)


def test_a_trace_of_another_tenant_is_not_found(api: httpx.Client, loaded: Loaded) -> None:
    theirs = loaded.shop.spans[0].trace_id
    assert api.get(f"/api/v1/traces/{theirs:032x}").status_code == 200
    r = api.get(f"/api/v1/traces/{theirs:032x}", headers=ACME)
    assert r.status_code == 404


def test_an_unknown_key_is_401(api: httpx.Client) -> None:
    r = api.get("/api/v1/services", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401
    assert r.json() == {"detail": "unknown ingest key"}
    assert r.headers["www-authenticate"] == "Bearer"
