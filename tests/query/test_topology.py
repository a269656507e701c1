"""Topology edges (service, instance, database, external) against the spans sent."""

from __future__ import annotations

import httpx
import pytest

from query import dataset
from query.dataset import MINUTE_US
from query.harness import Loaded


@pytest.mark.parametrize("level", ["service", "instance"])
@pytest.mark.parametrize("span", [(0, 10), (3, 5)])
def test_edges_match_the_calls_sent(api: httpx.Client, loaded: Loaded, level: str,
                                    span: tuple[int, int]) -> None:
    t0 = loaded.shop.t0
    start, end = t0 + span[0] * MINUTE_US, t0 + span[1] * MINUTE_US
    body = api.get("/api/v1/topology", params={
        "from": str(start // 1000), "to": str(end // 1000), "level": level}).json()
    want = dataset.edges(loaded.shop.spans, start, end, level)
    got = {(e["source"], e["target"], e["target_kind"]): e for e in body["edges"]}
    assert set(got) == set(want)
    seconds = (end - start) / 1e6
    for key, (calls, errors, sum_us) in want.items():
        e = got[key]
        assert (e["calls"], e["errors"]) == (calls, errors)
        assert e["tps"] == pytest.approx(calls / seconds)
        assert e["avg_ms"] == pytest.approx(sum_us / calls / 1000)
        assert e["error_rate"] == pytest.approx(errors / calls)
    kinds = {n["id"]: n["kind"] for n in body["nodes"]}
    for source, target, kind in want:
        assert kinds[source] == "service"
        assert kinds[target] == kind


def test_service_map_has_databases_and_external_hosts(api: httpx.Client, loaded: Loaded
                                                      ) -> None:
    t0 = loaded.shop.t0
    body = api.get("/api/v1/topology", params={
        "from": str(t0 // 1000), "to": str((t0 + 10 * MINUTE_US) // 1000)}).json()
    nodes = {n["id"]: n["kind"] for n in body["nodes"]}
    assert nodes == {"frontend": "service", "orders": "service", "payments": "service",
                     "postgresql:orders": "database", "api.stripe.com": "external"}
    instance = api.get("/api/v1/topology", params={
        "from": str(t0 // 1000), "to": str((t0 + 10 * MINUTE_US) // 1000),
        "level": "instance"}).json()
    by_id = {n["id"]: n for n in instance["nodes"]}
    assert by_id["postgresql:orders@db-1"] == {
        "id": "postgresql:orders@db-1", "kind": "database", "service": "postgresql:orders",
        "name": "postgresql:orders@db-1"}
    assert by_id["pay-2"]["service"] == "payments"
    assert by_id["fe-1"] == {"id": "fe-1", "kind": "service", "service": "frontend",
                             "name": "frontend-6b7f9-x2kq", "instance": "fe-1",
                             "instance_name": "frontend-6b7f9-x2kq"}
