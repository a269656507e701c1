"""Data trend over a real DuckDB store holding 30 days of known gauge points: daily min /
avg / max recomputed from the points, week over week, the fitted slope per day, grouping
by instance and by attribute, the bounds checked before any read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from alerts.telemetry import gauges, load_points, open_store
from bongsu.diagnostics.trend import DAY_US, MAX_SERIES, trend
from bongsu.errors import InvalidQuery
from bongsu.store.reads import reads_of

S = 1_000_000
MB = 1e6
TODAY = 1_780_000_000 * S // DAY_US * DAY_US
NOW = TODAY + 12 * 3600 * S  # noon of the 30th day
DAYS = 30


def points() -> list[tuple[str, str, str, int, float, dict[str, str]]]:
    rows = []
    for d in range(DAYS):
        day = TODAY - (DAYS - 1 - d) * DAY_US
        for slot in range(0, 24 * 12, 6):  # every 30 minutes
            ts = day + slot * 300 * S
            if ts > NOW:
                break
            # web-1: 200 MB + 3 MB a day, +0..2.35 MB across the day; web-2: flat 150 MB
            rows.append(("process.memory.usage", "web", "web-1", ts,
                         200 * MB + 3 * MB * d + 0.05 * MB * (slot // 6), {}))
            rows.append(("process.memory.usage", "web", "web-2", ts, 150 * MB, {}))
            # two pools of one heap, per instance of the pool attribute
            for pool, base in (("old", 50 * MB), ("eden", 10 * MB)):
                rows.append(("jvm.memory.used", "inv", "inv-1", ts, base + MB * d,
                             {"jvm.memory.pool.name": pool, "jvm.memory.type": "heap"}))
    return rows


@pytest.fixture(scope="module")
def reads(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    store = open_store(tmp_path_factory.mktemp("trend") / "t.db")
    load_points(store, gauges(points()))
    yield reads_of(store, timeout_s=10, max_rows=10_000)
    store.close()


def test_daily_figures_recomputed_from_the_points(reads: Any) -> None:
    got = trend(reads, "default", "process.memory.usage", NOW, days=DAYS, group_by="instance")
    assert [s["group"] for s in got["series"]] == ["web-1", "web-2"]
    want: dict[int, list[float]] = {}
    for name, _, inst, ts, value, _ in points():
        if name == "process.memory.usage" and inst == "web-1":
            want.setdefault(ts // DAY_US * DAY_US // 1000, []).append(value)
    web1 = got["series"][0]
    assert [d["day"] for d in web1["daily"]] == sorted(want)
    for row in web1["daily"]:
        values = want[row["day"]]
        assert (row["min"], row["avg"], row["max"], row["steps"]) == pytest.approx(
            (min(values), sum(values) / len(values), max(values), len(values)))
    assert web1["fit"]["slope_per_day"] == pytest.approx(3 * MB, rel=1e-6)
    assert web1["fit"]["days"] == DAYS
    # the last 7 days' means against the 7 before: 3 MB a day x 7 days apart, except today
    # (noon) whose mean is lower: its 25 half-hours against a whole day's 48
    wow = web1["week_over_week"]
    full = [200 * MB + 3 * MB * d + 0.05 * MB * 23.5 for d in range(DAYS)]
    today = 200 * MB + 3 * MB * 29 + 0.05 * MB * 12
    assert wow["this_week_avg"] == pytest.approx((sum(full[23:29]) + today) / 7)
    assert wow["last_week_avg"] == pytest.approx(sum(full[16:23]) / 7)
    web2 = got["series"][1]
    assert web2["fit"]["slope_per_day"] == 0 and web2["fit"]["fit_fraction"] == 1.0
    assert web2["week_over_week"]["change"] == 0


def test_as_of_just_after_midnight_today_counts_what_it_has(reads: Any) -> None:
    """As of 00:00:30 UTC (the store holds today's later points too): today is the one
    point of 00:00, this week's mean counts it as a day, the points after the clock are
    not read."""
    got = trend(reads, "default", "process.memory.usage", TODAY + 30 * S, days=DAYS,
                group_by="instance")
    assert got["to"] == (TODAY + 300 * S) // 1000
    web1 = got["series"][0]
    assert web1["group"] == "web-1" and len(web1["daily"]) == DAYS
    last = web1["daily"][-1]
    today = 200 * MB + 3 * MB * 29  # the 00:00 point alone
    assert (last["day"], last["min"], last["avg"], last["max"], last["steps"]) == pytest.approx(
        (TODAY // 1000, today, today, today, 1))
    full = [200 * MB + 3 * MB * d + 0.05 * MB * 23.5 for d in range(DAYS)]
    wow = web1["week_over_week"]
    assert (wow["this_week_days"], wow["last_week_days"]) == (7, 7)
    assert wow["this_week_avg"] == pytest.approx((sum(full[23:29]) + today) / 7)
    # a day earlier, 00:00:30 of the 29th day: the 30th is not there at all
    before = trend(reads, "default", "process.memory.usage", TODAY - DAY_US + 30 * S, days=DAYS,
                   group_by="instance")["series"][0]
    assert [d["day"] for d in before["daily"]][-2:] == [(TODAY - 2 * DAY_US) // 1000,
                                                         (TODAY - DAY_US) // 1000]
    assert before["daily"][-1]["steps"] == 1


def test_an_attribute_group_and_agg_sum_of_its_series(reads: Any) -> None:
    by_pool = trend(reads, "default", "jvm.memory.used", NOW, days=7,
                    group_by="jvm.memory.pool.name")
    assert [s["group"] for s in by_pool["series"]] == ["eden", "old"]
    assert by_pool["series"][1]["daily"][0]["avg"] == pytest.approx(50 * MB + 23 * MB)
    heap = trend(reads, "default", "jvm.memory.used", NOW, days=7, agg="sum")
    assert [s["group"] for s in heap["series"]] == [None]
    assert [d["max"] for d in heap["series"][0]["daily"]] == pytest.approx(
        [60 * MB + 2 * MB * d for d in range(23, 30)])
    assert heap["series"][0]["fit"]["slope_per_day"] == pytest.approx(2 * MB)
    by_service = trend(reads, "default", "process.memory.usage", NOW, days=1,
                       group_by="service")
    assert [s["group"] for s in by_service["series"]] == ["web"]


def test_bounds_are_checked_before_any_read() -> None:
    class NoReads:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"read {name} before checking the bounds")

    for days in (0, 91):
        with pytest.raises(InvalidQuery, match=f"^days: must be 1 to 90, got {days}$"):
            trend(NoReads(), "default", "m", NOW, days=days)  # type: ignore[arg-type]
    with pytest.raises(InvalidQuery, match=r"^metric: required$"):
        trend(NoReads(), "default", "", NOW)  # type: ignore[arg-type]


def test_more_groups_than_the_cap_are_cut_and_said(tmp_path: Any) -> None:
    store = open_store(tmp_path / "many.db")
    try:
        load_points(store, gauges([("m", "s", f"i-{k:03d}", NOW - 3600 * S, float(k), {})
                                   for k in range(MAX_SERIES + 5)]))
        got = trend(reads_of(store, timeout_s=10, max_rows=10_000), "default", "m", NOW,
                    days=1, group_by="instance")
        assert got["truncated"] is True
        assert [s["group"] for s in got["series"]] == [f"i-{k:03d}" for k in range(MAX_SERIES)]
    finally:
        store.close()


def test_tps_per_instance_counts_idle_steps_as_zero(tmp_path: Any) -> None:
    from alerts.telemetry import load_spans
    from bongsu.diagnostics.trend import TPS
    from query.otlp import SERVER, SpanSpec

    store = open_store(tmp_path / "tps.db")
    try:
        spans, sid = [], 0
        yesterday = TODAY - DAY_US
        for step in range(288):  # yesterday: 3 requests in every 5 minutes on api-1 ...
            for i in range(3):
                sid += 1
                spans.append(SpanSpec("shop", "api-1", sid, sid, 0, "GET /", SERVER,
                                      yesterday + step * 300 * S + i * S, 1000))
        for step in range(0, 144, 2):  # ... today until noon: 6 in every other 5 minutes
            for i in range(6):
                sid += 1
                spans.append(SpanSpec("shop", "api-1", sid, sid, 0, "GET /", SERVER,
                                      TODAY + step * 300 * S + i * S, 1000))
        load_spans(store, spans)
        got = trend(reads_of(store, timeout_s=10, max_rows=10_000), "default", TPS, NOW,
                    days=2, group_by="instance")
        assert got["agg"] == "sum"
        [series] = got["series"]
        assert series["group"] == "api-1"
        before, today = series["daily"]
        assert (before["min"], before["avg"], before["max"], before["steps"]) == pytest.approx(
            (3 / 300, 3 / 300, 3 / 300, 288))
        # 145 steps up to the end of the 5 minutes holding noon: 72 with 6 requests, 73 idle
        assert today["steps"] == 145
        assert (today["min"], today["max"]) == pytest.approx((0, 6 / 300))
        assert today["avg"] == pytest.approx(72 * 6 / 300 / 145)
        with pytest.raises(InvalidQuery, match=r"^group_by: bongsu\.tps is per service or"):
            trend(reads_of(store, timeout_s=10, max_rows=10_000), "default", TPS, NOW,
                  group_by="k8s.pod.name")
    finally:
        store.close()
