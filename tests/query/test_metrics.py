"""Metric names and series aggregations against the points sent."""

from __future__ import annotations

import httpx
import pytest

from query.dataset import MINUTE_US, SPAN_US
from query.harness import Loaded


def whole(t0: int) -> dict[str, str]:
    return {"from": str(t0 // 1000), "to": str((t0 + SPAN_US) // 1000)}


def test_names(api: httpx.Client, loaded: Loaded) -> None:
    body = api.get("/api/v1/metrics/names", params=whole(loaded.shop.t0)).json()
    assert body["names"] == [
        {"name": "http.server.duration", "kind": "histogram", "unit": "ms", "points": 60},
        {"name": "process.memory.rss", "kind": "gauge", "unit": "By", "points": 120},
    ]


@pytest.mark.parametrize("agg", ["avg", "min", "max", "sum", "last"])
@pytest.mark.parametrize("instance", [None, "fe-2"])
def test_gauge_series(api: httpx.Client, loaded: Loaded, agg: str, instance: str | None
                      ) -> None:
    t0 = loaded.shop.t0
    params = {**whole(t0), "name": "process.memory.rss", "step": "60", "agg": agg,
              "service": "frontend"}
    if instance:
        params["instance"] = instance
    body = api.get("/api/v1/metrics/series", params=params).json()
    groups: dict[int, list[tuple[int, float]]] = {}
    for p in loaded.shop.points:
        if p.name == "process.memory.rss" and instance in (None, p.instance):
            groups.setdefault(p.ts_us // MINUTE_US * MINUTE_US // 1000, []).append(
                (p.ts_us, p.value or 0.0))
    fold = {
        "avg": lambda v: sum(x for _, x in v) / len(v),
        "min": lambda v: min(x for _, x in v),
        "max": lambda v: max(x for _, x in v),
        "sum": lambda v: sum(x for _, x in v),
        "last": lambda v: max(v)[1] if instance else None,
    }[agg]
    assert body["step"] == 60 and body["agg"] == agg
    assert [p["ts"] for p in body["points"]] == sorted(groups)
    for point in body["points"]:
        want = fold(groups[point["ts"]])
        if want is not None:
            assert point["value"] == pytest.approx(want)


def test_histogram_series_is_sum_over_count(api: httpx.Client, loaded: Loaded) -> None:
    t0 = loaded.shop.t0
    hist = [p for p in loaded.shop.points if p.hist]
    for agg in ("avg", "max"):
        body = api.get("/api/v1/metrics/series", params={
            **whole(t0), "name": "http.server.duration", "step": "120", "agg": agg}).json()
        for point in body["points"]:
            mine = [p.hist for p in hist
                    if p.ts_us // 120_000_000 * 120_000 == point["ts"] and p.hist]
            if agg == "avg":
                want = sum(s for _, s in mine) / sum(c for c, _ in mine)
            else:
                want = max(s / c for c, s in mine)
            assert point["value"] == pytest.approx(want)


def test_unknown_metric_has_no_points(api: httpx.Client, loaded: Loaded) -> None:
    body = api.get("/api/v1/metrics/series",
                   params={**whole(loaded.shop.t0), "name": "nope"}).json()
    assert body["points"] == []
