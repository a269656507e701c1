"""One instance's dashboard: ``instance=`` narrows the tiles' figures, the series, the
T-Map and its drag-select to that instance, recomputed here from the spans it sent."""

from __future__ import annotations

import httpx
import pytest

from bongsu.store.rollup import HEATMAP_GROUP, bucket_of
from query import dataset
from query.dataset import MINUTE_US, SPAN_US, by, figures
from query.harness import Loaded
from query.test_dashboard import assert_figures, window

# Services with more than one instance: the per-instance figures differ from the service's.
SHARED = [("frontend", "fe-1"), ("frontend", "fe-2"), ("payments", "pay-1"),
          ("payments", "pay-2")]


@pytest.mark.parametrize("service,instance", SHARED)
def test_service_figures_for_one_instance(api: httpx.Client, loaded: Loaded, service: str,
                                          instance: str) -> None:
    t0 = loaded.shop.t0
    start, end = t0, t0 + SPAN_US
    whole = api.get("/api/v1/services", params=window(t0, 0, 10)).json()
    body = api.get("/api/v1/services", params={**window(t0, 0, 10), "instance": instance}
                   ).json()
    spans = dataset.transactions(loaded.shop.spans, start, end, service)
    mine = [s for s in spans if s.instance == instance]
    assert [s["name"] for s in body["services"]] == [service]
    got = body["services"][0]
    assert_figures(got, figures(mine, SPAN_US / 1e6))
    assert got["instances"] == 1
    assert got["instance_names"] == {instance: dataset.display_name(instance)}
    assert got["active_users"] == dataset.active_users(loaded.shop.spans, end, instance)[service]
    full = next(s for s in whole["services"] if s["name"] == service)
    assert_figures(full, figures(spans, SPAN_US / 1e6))
    assert got["transactions"] < full["transactions"]
    assert (got["tps"], got["avg_ms"], got["apdex"]) != (full["tps"], full["avg_ms"],
                                                         full["apdex"])


@pytest.mark.parametrize("service,instance", SHARED)
def test_series_for_one_instance(api: httpx.Client, loaded: Loaded, service: str,
                                 instance: str) -> None:
    t0 = loaded.shop.t0
    params = {**window(t0, 0, 10), "step": "60"}
    whole = api.get(f"/api/v1/services/{service}/series", params=params).json()
    body = api.get(f"/api/v1/services/{service}/series",
                   params={**params, "instance": instance}).json()
    sent = by((s for s in dataset.transactions(loaded.shop.spans, t0, t0 + SPAN_US, service)
               if s.instance == instance), lambda s: s.start_us // MINUTE_US * MINUTE_US)
    assert len(body["points"]) == 10
    for point in body["points"]:
        spans = sent.get(point["ts"] * 1000)
        if spans:
            assert_figures(point, figures(spans, 60))
        else:
            assert point["transactions"] == 0
    assert sum(p["transactions"] for p in body["points"]) < sum(
        p["transactions"] for p in whole["points"])


@pytest.mark.parametrize("service,instance", SHARED)
def test_heatmap_and_drag_select_for_one_instance(api: httpx.Client, loaded: Loaded,
                                                  service: str, instance: str) -> None:
    t0 = loaded.shop.t0
    spans = [s for s in dataset.transactions(loaded.shop.spans, t0, t0 + SPAN_US, service)
             if s.instance == instance]
    body = api.get(f"/api/v1/services/{service}/heatmap",
                   params={**window(t0, 0, 10), "step": "60", "instance": instance}).json()
    want: dict[tuple[int, int], int] = {}
    for s in spans:
        key = (s.start_us // MINUTE_US * MINUTE_US // 1000,
               bucket_of(s.duration_us) // HEATMAP_GROUP)
        want[key] = want.get(key, 0) + 1
    low = min(row for _, row in want)
    assert {(c["ts"], c["bucket"] + low): c["count"] for c in body["cells"]} == want

    listed = api.get(f"/api/v1/services/{service}/transactions",
                     params={**window(t0, 0, 10), "limit": "1000", "instance": instance}
                     ).json()["transactions"]
    assert {t["span_id"] for t in listed} == {f"{s.span_id:016x}" for s in spans}
    assert {t["instance_name"] for t in listed} == {dataset.display_name(instance)}


def test_an_instance_without_transactions_gets_empty_figures(api: httpx.Client,
                                                             loaded: Loaded) -> None:
    t0 = loaded.shop.t0
    params = {**window(t0, 0, 10), "instance": "no-such-instance"}
    assert api.get("/api/v1/services", params=params).json()["services"] == []
    series = api.get("/api/v1/services/frontend/series", params=params)
    assert series.status_code == 200
    assert all(p["transactions"] == 0 for p in series.json()["points"])
    heat = api.get("/api/v1/services/frontend/heatmap", params=params).json()
    assert heat["cells"] == []


def test_metric_series_for_one_instance(api: httpx.Client, loaded: Loaded) -> None:
    t0 = loaded.shop.t0
    params = {**window(t0, 0, 10), "name": "process.memory.rss", "step": "60", "agg": "max",
              "service": "frontend"}
    for instance in ("fe-1", "fe-2"):
        got = api.get("/api/v1/metrics/series", params={**params, "instance": instance}
                      ).json()["points"]
        sent: dict[int, float] = {}
        for p in loaded.shop.points:
            if p.instance == instance and p.name == "process.memory.rss" and p.value:
                ts = p.ts_us // MINUTE_US * MINUTE_US // 1000
                sent[ts] = max(sent.get(ts, 0.0), p.value)
        assert {p["ts"]: p["value"] for p in got} == sent
