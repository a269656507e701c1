"""Service figures, series, heatmap, drag-select and instances against figures recomputed
from the data sent."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bongsu.store.rollup import (
    HEATMAP_GROUP,
    PERCENTILE_ERROR,
    bucket_low_us,
    bucket_mid_us,
    bucket_of,
)
from query import dataset
from query.dataset import MINUTE_US, SPAN_US, by, figures, t_ms
from query.harness import Loaded


def window(t0: int, start_min: float, end_min: float) -> dict[str, Any]:
    return {"from": str((t0 + int(start_min * MINUTE_US)) // 1000),
            "to": str((t0 + int(end_min * MINUTE_US)) // 1000)}


def assert_figures(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert got["transactions"] == want["transactions"]
    assert got["errors"] == want["errors"]
    assert got["tps"] == pytest.approx(want["tps"], rel=1e-12)
    assert got["error_rate"] == pytest.approx(want["error_rate"], rel=1e-12)
    assert got["avg_ms"] == pytest.approx(want["avg_ms"], rel=1e-12)
    assert got["apdex"] == want["apdex"]  # exact: counts made at ingest with the service's T
    for q in ("p50", "p95", "p99"):
        exact = want[f"{q}_us"]
        assert got[f"{q}_ms"] == pytest.approx(exact / 1000, rel=PERCENTILE_ERROR)
        assert got[f"{q}_ms"] == bucket_mid_us(bucket_of(exact)) / 1000


@pytest.mark.parametrize("span", [(0, 10), (-60, 60), (2, 7)], ids=["10min", "2h", "5min"])
def test_services_match_the_data(api: httpx.Client, loaded: Loaded, span: tuple[int, int]
                                 ) -> None:
    t0 = loaded.shop.t0
    start, end = t0 + span[0] * MINUTE_US, t0 + span[1] * MINUTE_US
    body = api.get("/api/v1/services", params=window(t0, *span)).json()
    sent = by(dataset.transactions(loaded.shop.spans, start, end), lambda s: s.service)
    assert [s["name"] for s in body["services"]] == sorted(sent)
    users = dataset.active_users(loaded.shop.spans, end)
    instances = {svc: len({s.instance for s in spans}) for svc, spans in
                 by(loaded.shop.spans, lambda s: s.service).items()}
    for got in body["services"]:
        assert_figures(got, figures(sent[got["name"]], (end - start) / 1e6))
        assert got["active_users"] == users[got["name"]]
        assert got["instances"] == instances[got["name"]]
        assert got["apdex_t_ms"] == t_ms(got["name"])


def test_apdex_uses_the_per_service_threshold(api: httpx.Client, loaded: Loaded) -> None:
    body = api.get("/api/v1/services", params=window(loaded.shop.t0, 0, 10)).json()
    payments = next(s for s in body["services"] if s["name"] == "payments")
    pays = [s for s in loaded.shop.spans if s.service == "payments"]
    # Against a 500 ms T the same spans score differently, so the override is in effect.
    at_500 = sum(1 if s.duration_us <= 500_000 else 0.5 for s in pays) / len(pays)
    assert payments["apdex"] != pytest.approx(at_500)
    assert payments["apdex_t_ms"] == 100.0


@pytest.mark.parametrize("step,span", [(60, (0, 10)), (10, (0, 3)), (300, (-60, 60)),
                                       (120, (-60, 60))])
def test_series_points(api: httpx.Client, loaded: Loaded, step: int, span: tuple[int, int]
                       ) -> None:
    t0 = loaded.shop.t0
    body = api.get("/api/v1/services/frontend/series",
                   params={**window(t0, *span), "step": step}).json()
    assert body["step"] == step
    start, end = t0 + span[0] * MINUTE_US, t0 + span[1] * MINUTE_US
    step_us = step * 1_000_000
    sent = by(dataset.transactions(loaded.shop.spans, start, end, "frontend"),
              lambda s: s.start_us // step_us * step_us)
    assert [p["ts"] for p in body["points"]] == list(range(start // 1000, end // 1000,
                                                           step * 1000))
    for point in body["points"]:
        spans = sent.get(point["ts"] * 1000)
        if spans:
            assert_figures(point, figures(spans, step))
        else:
            assert point["transactions"] == 0 and point["tps"] == 0
            assert point["avg_ms"] is None and point["apdex"] is None


def test_series_default_step_gives_about_120_points(api: httpx.Client, loaded: Loaded) -> None:
    body = api.get("/api/v1/services/frontend/series",
                   params=window(loaded.shop.t0, -60, 60)).json()
    assert body["step"] == 60 and len(body["points"]) == 120


@pytest.mark.parametrize("step", [60, 10])
def test_heatmap_cells(api: httpx.Client, loaded: Loaded, step: int) -> None:
    t0 = loaded.shop.t0
    body = api.get("/api/v1/services/orders/heatmap",
                   params={**window(t0, 0, 10), "step": step}).json()
    step_us = step * 1_000_000
    want: dict[tuple[int, int], list[int]] = {}
    for s in dataset.transactions(loaded.shop.spans, t0, t0 + SPAN_US, "orders"):
        cell = want.setdefault((s.start_us // step_us * step_us // 1000,
                                bucket_of(s.duration_us) // HEATMAP_GROUP), [0, 0])
        cell[0] += 1
        cell[1] += s.is_error
    low = min(row for _, row in want)
    bounds = body["bounds_ms"]
    got = {(c["ts"], c["bucket"] + low): [c["count"], c["errors"]] for c in body["cells"]}
    assert got == want
    assert len(bounds) == max(row for _, row in want) - low + 2
    for i, bound in enumerate(bounds):
        assert bound == bucket_low_us((low + i) * HEATMAP_GROUP) / 1000
    for s in dataset.transactions(loaded.shop.spans, t0, t0 + SPAN_US, "orders"):
        row = bucket_of(s.duration_us) // HEATMAP_GROUP - low
        assert bounds[row] <= s.duration_us / 1000 < bounds[row + 1]


def test_drag_select_lists_the_transactions_of_the_region(api: httpx.Client, loaded: Loaded
                                                          ) -> None:
    t0 = loaded.shop.t0
    params = {**window(t0, 2, 6), "min_ms": "50", "max_ms": "900.5", "limit": "1000"}
    body = api.get("/api/v1/services/frontend/transactions", params=params).json()
    want = [s for s in dataset.transactions(loaded.shop.spans, t0 + 2 * MINUTE_US,
                                            t0 + 6 * MINUTE_US, "frontend")
            if 50_000 <= s.duration_us <= 900_500]
    got = body["transactions"]
    assert {t["span_id"] for t in got} == {f"{s.span_id:016x}" for s in want}
    assert [t["ts"] for t in got] == sorted((t["ts"] for t in got), reverse=True)
    one = next(s for s in want if s.span_id == int(got[0]["span_id"], 16))
    assert got[0] == {
        "trace_id": f"{one.trace_id:032x}", "span_id": f"{one.span_id:016x}",
        "ts": one.start_us / 1000, "name": one.name, "service": "frontend",
        "duration_ms": one.duration_us / 1000,
        "status": "unset", "error": one.is_error, "instance": one.instance,
        "instance_name": dataset.display_name(one.instance), "http_status": one.http_status,
    }
    errors = api.get("/api/v1/services/frontend/transactions",
                     params={**params, "errors_only": "true"}).json()["transactions"]
    assert {t["span_id"] for t in errors} == {f"{s.span_id:016x}" for s in want if s.is_error}
    limited = api.get("/api/v1/services/frontend/transactions",
                      params={**params, "limit": "3"}).json()["transactions"]
    assert limited == got[:3]


def test_instances(api: httpx.Client, loaded: Loaded) -> None:
    t0 = loaded.shop.t0
    body = api.get("/api/v1/instances", params={**window(t0, 0, 10), "window": "120"}).json()
    end = t0 + SPAN_US
    recent = by(dataset.transactions(loaded.shop.spans, end - 120_000_000, end),
                lambda s: (s.service, s.instance))
    seen: dict[tuple[str, str], int] = {}
    for item in [*loaded.shop.spans, *loaded.shop.logs, *loaded.shop.points]:
        ts = getattr(item, "start_us", None) or item.ts_us  # type: ignore[union-attr]
        key = (item.service, item.instance)
        seen[key] = max(seen.get(key, 0), ts)
    assert [(i["service"], i["instance"]) for i in body["instances"]] == sorted(seen)
    for got in body["instances"]:
        key = (got["service"], got["instance"])
        assert got["last_seen"] == seen[key] // 1000
        spans = recent.get(key, [])
        assert got["transactions"] == len(spans)
        assert got["tps"] == pytest.approx(len(spans) / 120)
        if spans:
            assert got["avg_ms"] == pytest.approx(
                sum(s.duration_us for s in spans) / len(spans) / 1000)
            assert got["error_rate"] == pytest.approx(
                sum(s.is_error for s in spans) / len(spans))
    only = api.get("/api/v1/instances", params={**window(t0, 0, 10), "service": "payments"})
    assert {i["instance"] for i in only.json()["instances"]} == {"pay-1", "pay-2"}


def test_unknown_service_is_404(api: httpx.Client, loaded: Loaded) -> None:
    for path in ("series", "heatmap", "transactions"):
        r = api.get(f"/api/v1/services/nope/{path}")
        assert r.status_code == 404
        assert r.json() == {"detail": "service 'nope' not found"}
