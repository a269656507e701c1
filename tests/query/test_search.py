"""Search through the real API over a store fed by the simulator: every name containing
the text is found, ranked exact > prefix > substring, bounded; a trace id finds its trace;
each result names the console route that opens it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)

from query.test_groups import Simulated, simulated

NODES = ("seoul-k8s-worker-01", "seoul-k8s-worker-02", "seoul-k8s-worker-03")


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulated]:
    yield from simulated(tmp_path_factory.mktemp("search"), seed=12)


def rank(label: str, q: str) -> int:
    low = label.lower()
    return 0 if low == q else 1 if low.startswith(q) else 2


def find(sim: Simulated, q: str, limit: int = 50) -> list[dict[str, object]]:
    r = sim.client.get("/api/v1/search", params={"q": q, "limit": str(limit)})
    assert r.status_code == 200, r.text
    results: list[dict[str, object]] = r.json()["results"]
    return results


def test_exact_then_prefix_then_substring(sim: Simulated) -> None:
    results = find(sim, "orders")
    assert results[0] == {"kind": "service", "label": "orders", "detail": "service",
                          "route": "dashboard", "params": {"service": "orders"}}
    ranks = [rank(str(r["label"]), "orders") for r in results]
    assert ranks == sorted(ranks)
    kinds = {r["kind"] for r in results}
    assert {"service", "pod", "endpoint", "database"} <= kinds
    for r in results:
        assert "orders" in str(r["label"]).lower()
    pods = [r for r in results if r["kind"] == "pod"]
    assert pods and all(r["route"] == "dashboard" and isinstance(r["params"], dict)
                        and r["params"]["service"] == "orders" for r in pods)


def test_every_host_and_nothing_of_the_collector_as_a_service(sim: Simulated) -> None:
    results = find(sim, "SEOUL-K8S")  # case-insensitive
    hosts = [r for r in results if r["kind"] == "host"]
    assert [r["label"] for r in hosts] == list(NODES)
    assert all(r["route"] == "hosts" and r["params"] == {"host": r["label"]} for r in hosts)
    assert not [r for r in find(sim, "unknown_service") if r["kind"] == "service"]


def test_limit_bounds_the_results(sim: Simulated) -> None:
    assert len(find(sim, "e", limit=3)) == 3
    assert len(find(sim, "e")) <= 50
    assert sim.client.get("/api/v1/search", params={"q": "e", "limit": "51"}
                          ).status_code == 400
    assert sim.client.get("/api/v1/search", params={"q": ""}).status_code == 400
    assert sim.client.get("/api/v1/search", params={"q": "a", "x": "1"}).status_code == 400
    assert find(sim, "no-such-thing-anywhere") == []


def test_a_trace_id_finds_its_trace(sim: Simulated) -> None:
    trace = next(s for e in sim.exports if e.kind == "traces"
                 for rs in ExportTraceServiceRequest.FromString(e.body).resource_spans
                 for ss in rs.scope_spans for s in ss.spans if not s.parent_span_id)
    trace_id = trace.trace_id.hex()
    results = find(sim, trace_id.upper())
    assert results[0]["kind"] == "trace" and results[0]["route"] == "trace"
    assert results[0]["params"] == {"trace_id": trace_id}
    assert trace.name in str(results[0]["detail"])
    assert not [r for r in find(sim, "0" * 31 + "1") if r["kind"] == "trace"]
