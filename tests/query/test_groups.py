"""The group dashboard through the real API over a store fed by the simulator: figures
recomputed from the spans sent; a label and the list of its services give the same body;
the topology stays among the group."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)

from bongsu.accounts.principal import header_tenants
from bongsu.api import create_api
from bongsu.api.groups import groups_router
from bongsu.api.hosts import hosts_router
from bongsu.api.search import search_router
from bongsu.ingest.batch_builder import BatchBuilder
from bongsu.ingest.signals import Signal
from bongsu.settings import Settings
from bongsu.simulate import Export, generate
from bongsu.store.duckdb import DuckDBStore
from query.harness import serve

MINUTE_NS = 60_000_000_000
SIGNALS = {"traces": Signal.TRACES, "metrics": Signal.METRICS, "logs": Signal.LOGS}


@dataclass
class Simulated:
    client: httpx.Client
    exports: list[Export]
    start_ms: int
    end_ms: int


def simulated(tmp: Path, seed: int) -> Iterator[Simulated]:
    """Five simulated minutes (ending a minute ago) loaded into a store, served for real."""
    end_ns = (__import__("time").time_ns() // MINUTE_NS - 1) * MINUTE_NS
    start_ns = end_ns - 5 * MINUTE_NS
    exports = list(generate(seed=seed, start_ns=start_ns, duration_s=290, rate=8))
    store = DuckDBStore.open(tmp / "sim.db")
    builder = BatchBuilder()
    for e in exports:
        builder.add(SIGNALS[e.kind], "default", e.body)
    assert store.load(builder.build(), 1)
    store.expire_edges(2**62)
    app = create_api(Settings(), store, header_tenants(lambda _h: "default"),
                     routers=[hosts_router(), groups_router(), search_router()])
    try:
        for url in serve(app):
            with httpx.Client(base_url=url, timeout=30) as client:
                yield Simulated(client, exports, start_ns // 1_000_000,
                                (end_ns + MINUTE_NS) // 1_000_000)
    finally:
        store.close()


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulated]:
    yield from simulated(tmp_path_factory.mktemp("groups"), seed=11)


def _window(sim: Simulated) -> dict[str, Any]:
    return {"from": str(sim.start_ms), "to": str(sim.end_ms)}


def _starts(sim: Simulated) -> dict[str, list[tuple[int, int, bool]]]:
    """(start µs, duration µs, error) of the SERVER / CONSUMER spans sent, per service."""
    out: dict[str, list[tuple[int, int, bool]]] = defaultdict(list)
    for e in sim.exports:
        if e.kind != "traces":
            continue
        for rs in ExportTraceServiceRequest.FromString(e.body).resource_spans:
            service = next(a.value.string_value for a in rs.resource.attributes
                           if a.key == "service.name")
            for ss in rs.scope_spans:
                for s in ss.spans:
                    start_us = s.start_time_unix_nano // 1000
                    if s.kind in (2, 5) and sim.start_ms * 1000 <= start_us < sim.end_ms * 1000:
                        http = next((a.value.int_value for a in s.attributes
                                     if a.key == "http.response.status_code"), 0)
                        out[service].append((start_us,
                                             (s.end_time_unix_nano - s.start_time_unix_nano)
                                             // 1000, s.status.code == 2 or http >= 500))
    return out


def _transactions(sim: Simulated) -> dict[str, list[int]]:
    """Durations (µs) of the SERVER / CONSUMER spans sent, per service, in the window."""
    return {s: [d for _, d, _ in spans] for s, spans in _starts(sim).items()}


def test_labels_are_the_simulated_namespace_and_clusters(sim: Simulated) -> None:
    body = sim.client.get("/api/v1/groups/labels", params=_window(sim)).json()
    assert body == {"namespace": ["shop"], "cluster": ["aws-apne2", "onprem-seoul"],
                    "team": []}


def test_tiles_and_series_match_the_spans_sent(sim: Simulated) -> None:
    sent = _transactions(sim)
    chosen = ["orders", "payments"]
    body = sim.client.get("/api/v1/groups", params={
        **_window(sim), "services": ",".join(chosen), "step": "60"}).json()
    assert [t["service"] for t in body["services"]] == chosen
    for tile, series in zip(body["services"], body["series"], strict=True):
        durations = sent[tile["service"]]
        assert tile["transactions"] == len(durations)
        assert tile["avg_ms"] == pytest.approx(sum(durations) / len(durations) / 1000,
                                               rel=1e-3)
        assert series["service"] == tile["service"]
        assert sum(p["transactions"] for p in series["points"]) == len(durations)
        for p in series["points"]:
            assert p["tps"] == pytest.approx(p["transactions"] / 60)
    dashboard = sim.client.get("/api/v1/services", params=_window(sim)).json()
    figures = {s["name"]: s for s in dashboard["services"]}
    for tile in body["services"]:
        for field in ("tps", "error_rate", "avg_ms", "p95_ms", "apdex", "active_users"):
            assert tile[field] == figures[tile["service"]][field], field


def test_topology_stays_among_the_group(sim: Simulated) -> None:
    body = sim.client.get("/api/v1/groups", params={
        **_window(sim), "services": "orders,payments"}).json()
    nodes = {n["id"]: n for n in body["topology"]["nodes"]}
    assert body["topology"]["edges"]
    for e in body["topology"]["edges"]:
        assert e["source"] in ("orders", "payments")
        assert e["target_kind"] != "service" or e["target"] in ("orders", "payments")
        assert e["source"] in nodes and e["target"] in nodes
    assert "frontend" not in nodes


def test_a_label_gives_what_the_list_of_its_services_gives(sim: Simulated) -> None:
    by_label = sim.client.get("/api/v1/groups", params={
        **_window(sim), "label": "namespace:shop"}).json()
    names = [t["service"] for t in by_label["services"]]
    assert names == sorted(_transactions(sim))
    by_list = sim.client.get("/api/v1/groups", params={
        **_window(sim), "services": ",".join(names)}).json()
    assert by_label == by_list
    cluster = sim.client.get("/api/v1/groups", params={
        **_window(sim), "label": "cluster:onprem-seoul"}).json()
    assert [t["service"] for t in cluster["services"]] == names  # every service runs there
    none = sim.client.get("/api/v1/groups", params={
        **_window(sim), "label": "namespace:nowhere"}).json()
    assert none["services"] == [] and none["topology"] == {"nodes": [], "edges": []}


@pytest.mark.parametrize(("params", "field"), [
    ({}, "services, label"),
    ({"services": "orders", "label": "namespace:shop"}, "services, label"),
    ({"label": "owner:me"}, "label"),
    ({"label": "namespace:"}, "label"),
    ({"services": " , "}, "services"),
    ({"services": "orders", "colour": "red"}, "colour"),
])
def test_bad_requests_name_the_field(sim: Simulated, params: dict[str, str], field: str
                                     ) -> None:
    r = sim.client.get("/api/v1/groups", params=params)
    assert r.status_code == 400
    assert field in r.text


def test_the_group_tmap_sums_its_services_cells_and_counts_every_span(sim: Simulated
                                                                     ) -> None:
    sent = _starts(sim)
    chosen = ["orders", "payments", "frontend"]
    params = {**_window(sim), "services": ",".join(chosen), "step": "60"}
    body = sim.client.get("/api/v1/groups/heatmap", params=params).json()
    assert body["step"] == 60
    assert body["totals"] == [{"service": s, "transactions": len(sent[s])} for s in chosen]
    assert sum(c["count"] for c in body["cells"]) == sum(len(sent[s]) for s in chosen)
    errors = sum(err for s in chosen for _, _, err in sent[s])
    assert sum(c["errors"] for c in body["cells"]) == errors
    # Per column: the spans that started in that minute, whatever their service.
    per_minute: dict[int, int] = defaultdict(int)
    for s in chosen:
        for start_us, _, _ in sent[s]:
            per_minute[start_us // 60_000_000 * 60_000] += 1
    columns: dict[int, int] = defaultdict(int)
    for c in body["cells"]:
        columns[c["ts"]] += c["count"]
    assert columns == per_minute
    # Each cell is the sum of the services' own heatmaps' cells at the same duration row.
    own: dict[tuple[int, float], int] = defaultdict(int)
    for s in chosen:
        hm = sim.client.get(f"/api/v1/services/{s}/heatmap", params={
            **_window(sim), "step": "60"}).json()
        for c in hm["cells"]:
            own[(c["ts"], hm["bounds_ms"][c["bucket"]])] += c["count"]
    assert own == {(c["ts"], body["bounds_ms"][c["bucket"]]): c["count"]
                   for c in body["cells"]}
    by_label = sim.client.get("/api/v1/groups/heatmap", params={
        **_window(sim), "label": "namespace:shop", "step": "60"}).json()
    assert sum(t["transactions"] for t in by_label["totals"]) == sum(
        len(v) for v in sent.values())


def test_a_selection_of_the_group_tmap_lists_every_services_transactions(sim: Simulated
                                                                         ) -> None:
    sent = _starts(sim)
    chosen = ["orders", "payments"]
    low_ms, high_ms = 20.0, 400.0
    expected = sorted(
        ((start_us, s) for s in chosen for start_us, d, _ in sent[s]
         if low_ms * 1000 <= d <= high_ms * 1000), reverse=True)
    assert expected, "the simulated traffic has transactions in the range"
    body = sim.client.get("/api/v1/groups/transactions", params={
        **_window(sim), "services": ",".join(chosen), "min_ms": str(low_ms),
        "max_ms": str(high_ms), "limit": "1000"}).json()
    rows = body["transactions"]
    assert sorted(((round(r["ts"] * 1000), r["service"]) for r in rows), reverse=True) == expected
    assert [r["ts"] for r in rows] == sorted((r["ts"] for r in rows), reverse=True)
    assert {r["service"] for r in rows} == set(chosen)
    limited = sim.client.get("/api/v1/groups/transactions", params={
        **_window(sim), "services": ",".join(chosen), "min_ms": str(low_ms),
        "max_ms": str(high_ms), "limit": "5"}).json()["transactions"]
    assert limited == rows[:5]
    bad = sim.client.get("/api/v1/groups/transactions", params={
        **_window(sim), "services": "orders", "min_ms": "5", "max_ms": "1"})
    assert bad.status_code == 400 and "max_ms" in bad.text
