"""``GET /api/v1/oom`` and ``GET /api/v1/trend`` on a real ``bongsu server`` fed known memory
series over OTLP: the verdicts and their figures, the daily figures recomputed from the
points sent, week over week, the fitted slope, and the 400s naming the parameter. The trend
is asked as of an explicit clock (``to``): 00:00:30 UTC, when today has no point yet, and
noon, so its figures do not depend on the time of day the test runs at."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from query.otlp import PointSpec, metrics_request
from server_process import ServerProcess

S = 1_000_000
DAY = 86_400 * S
MB = 1e6
DAYS = 20


def last_midnight_clock() -> int:
    """00:00:30 UTC of the latest day it has passed: an explicit clock for the trend, so the
    figures do not depend on the time of day the test runs at."""
    now_us = time.time_ns() // 1000
    clock = now_us // DAY * DAY + 30 * S
    return clock if clock <= now_us else clock - DAY


MIDNIGHT = last_midnight_clock()  # "today" has no point yet
NOON = MIDNIGHT - 12 * 3600 * S - 30 * S  # noon of the day before: today is half there
CLOCKS = {"api": MIDNIGHT, "noon": NOON}  # one service each


def trend_points(service: str, clock_us: int) -> list[PointSpec]:
    """<service>-1 grows 2 MB a day (and 0.1 MB an hour within a day), <service>-2 shrinks
    1 MB a day: a point an hour for DAYS days up to a minute before ``clock_us``."""
    today = clock_us // DAY * DAY
    points = []
    for d in range(DAYS):
        day = today - (DAYS - 1 - d) * DAY
        for h in range(24):
            ts = day + h * 3600 * S + 60 * S
            if ts >= clock_us - 60 * S:
                break
            points.append(PointSpec(service, f"{service}-1", "process.memory.usage", ts,
                                    100 * MB + 2 * MB * d + 0.1 * MB * h))
            points.append(PointSpec(service, f"{service}-2", "process.memory.usage", ts,
                                    300 * MB - 1 * MB * d))
    return points


def sent_points() -> tuple[list[PointSpec], int]:
    now_us = time.time_ns() // 1000
    points = [p for service, clock in CLOCKS.items() for p in trend_points(service, clock)]
    # oom: the last 3 hours a point a minute; shop-1 leaks 30 MB/h with a growing heap,
    # shop-2 sits at 80 MB and jumps to 400 MB 30 minutes ago
    start = (now_us // (60 * S) - 180) * 60 * S
    for k in range(180):
        ts = start + k * 60 * S
        points.append(PointSpec("shop", "shop-1", "process.memory.usage", ts,
                                100 * MB + 0.5 * MB * k))
        points.append(PointSpec("shop", "shop-1", "bongsu.python.heap.allocated_blocks", ts,
                                40_000 + 200 * k))
        points.append(PointSpec("shop", "shop-2", "process.memory.usage", ts,
                                80 * MB if k < 150 else 400 * MB))
        points.append(PointSpec("shop", "shop-2", "bongsu.python.heap.allocated_blocks", ts,
                                40_000 if k < 150 else 900_000))
    return points, start


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, int]]:
    s = ServerProcess(Path(tmp_path_factory.mktemp("diag")) / "data",
                      {"BONGSU_RETENTION_DAYS": "100",
                       "BONGSU_LOAD_BATCH_SECONDS": "0.05"}).start()
    points, start = sent_points()
    for i in range(0, len(points), 400):
        status, _, reply = s.post("/v1/metrics", metrics_request(points[i:i + 400]))
        assert status == 200, reply
    s.wait_loaded()
    yield s, start
    s.stop()


def get(server: ServerProcess, path: str) -> Any:
    status, body = server.api(path)
    assert status == 200, body
    return body


def test_a_leak_and_a_spike_with_their_figures(server: tuple[ServerProcess, int]) -> None:
    srv, start = server
    body = get(srv, f"/api/v1/oom?service=shop&from={start // 1000}")
    by = {v["subject"]["instance"]: v for v in body["verdicts"]}
    assert sorted(by) == ["shop-1", "shop-2"]
    leak = by["shop-1"]
    assert leak["verdict"] == "leak", leak["reason"]
    assert leak["subject"] == {"kind": "instance", "service": "shop", "instance": "shop-1",
                               "instance_name": "shop-1", "pod": None}
    assert leak["slope_per_hour"] == pytest.approx(30 * MB, rel=1e-6)
    assert leak["fit_fraction"] == 1.0
    assert leak["heap"]["metric"] == "bongsu.python.heap.allocated_blocks"
    assert leak["heap_growth_fraction"] > 0.5
    assert leak["usage"]["points"][0] == [start // 1000, 100 * MB]
    spike = by["shop-2"]
    assert spike["verdict"] == "spike", spike["reason"]
    assert spike["jump"] == {"start": (start + 149 * 60 * S) // 1000,
                             "end": (start + 150 * 60 * S) // 1000,
                             "from_value": 80 * MB, "to_value": 400 * MB}
    assert spike["reason"].startswith("process.memory.usage jumped by 305.2 MiB in 60 s")
    one = get(srv, "/api/v1/oom?instance=shop-2&from=" + str(start // 1000))
    assert [v["verdict"] for v in one["verdicts"]] == ["spike"]
    assert one["from"] == start // 1000


def test_nothing_to_classify_says_what_is_missing(server: tuple[ServerProcess, int]) -> None:
    srv, _ = server
    body = get(srv, "/api/v1/oom?pod=cart-1")
    assert len(body["verdicts"]) == 1
    v = body["verdicts"][0]
    assert v["verdict"] == "not_enough_data"
    assert v["missing"] == ["k8s.container.memory.usage of pod cart-1"]
    assert body["to"] - body["from"] == 86_400_000  # the default window: a day


def expected_daily(points: list[PointSpec], instance: str) -> dict[int, tuple[float, ...]]:
    days: dict[int, list[float]] = {}
    for p in points:
        if p.instance == instance and p.name == "process.memory.usage":
            days.setdefault(p.ts_us // DAY * DAY // 1000, []).append(float(p.value or 0))
    return {d: (min(v), sum(v) / len(v), max(v), len(v)) for d, v in days.items()}


def week_over_week(daily: dict[int, tuple[float, ...]], clock_us: int
                   ) -> tuple[float, float, int, int]:
    """The means of the daily means of the 7 days up to the clock's and of the 7 before."""
    today_ms = clock_us // DAY * DAY // 1000
    week_ms = 7 * DAY // 1000
    this = [v[1] for d, v in daily.items() if d > today_ms - week_ms]
    last = [v[1] for d, v in daily.items() if today_ms - 2 * week_ms < d <= today_ms - week_ms]
    return sum(this) / len(this), sum(last) / len(last), len(this), len(last)


@pytest.mark.parametrize(("service", "days_seen"), [("api", DAYS - 1), ("noon", DAYS)])
def test_trend_daily_figures_week_over_week_and_slope(server: tuple[ServerProcess, int],
                                                      service: str, days_seen: int) -> None:
    """As of 00:00:30 UTC (today has no point yet: DAYS - 1 days) and as of noon (today's
    first 12 hours), with the clock passed as ``to``."""
    srv, _ = server
    clock_ms = CLOCKS[service] // 1000
    body = get(srv, f"/api/v1/trend?metric=process.memory.usage&service={service}"
                    f"&group_by=instance&days={DAYS}&to={clock_ms}")
    assert body["days"] == DAYS and body["truncated"] is False and body["step_s"] == 300
    assert body["to"] == (clock_ms // 300_000 + 1) * 300_000
    assert [s["group"] for s in body["series"]] == [f"{service}-1", f"{service}-2"]
    points = trend_points(service, CLOCKS[service])
    for series in body["series"]:
        want = expected_daily(points, series["group"])
        got = {d["day"]: (d["min"], d["avg"], d["max"], d["steps"]) for d in series["daily"]}
        assert len(got) == days_seen
        assert sorted(got) == sorted(want)
        for day in sorted(want):
            assert got[day] == pytest.approx(want[day]), (series["group"], day)
    one, two = body["series"]
    assert one["fit"]["slope_per_day"] == pytest.approx(2 * MB, rel=1e-3)
    assert two["fit"]["slope_per_day"] == pytest.approx(-1 * MB, rel=1e-9)
    assert two["fit"]["fit_fraction"] == 1.0
    # <service>-2 is 300 - d MB: as of noon the last 7 days average d = 16, the 7 before
    # d = 9; as of 00:00:30 today (d = 19) has no point: 6 days averaging d = 15.5
    this_avg, last_avg, this_days, last_days = week_over_week(
        expected_daily(points, f"{service}-2"), CLOCKS[service])
    wow = two["week_over_week"]
    assert this_avg == pytest.approx((300 - (16 if days_seen == DAYS else 15.5)) * MB)
    assert last_avg == pytest.approx((300 - 9) * MB)
    assert wow["this_week_avg"] == pytest.approx(this_avg)
    assert wow["last_week_avg"] == pytest.approx(last_avg)
    assert wow["change"] == pytest.approx((this_avg - last_avg) / last_avg)
    assert (wow["this_week_days"], wow["last_week_days"]) == (this_days, last_days)
    assert this_days == 7 - (DAYS - days_seen) and last_days == 7
    alone = get(srv, f"/api/v1/trend?metric=process.memory.usage&instance={service}-2"
                     f"&days=3&to={clock_ms}")
    assert [s["group"] for s in alone["series"]] == [None]
    assert [d["avg"] for d in alone["series"][0]["daily"]] == pytest.approx(
        [(300 - d) * MB for d in range(17, 17 + days_seen - (DAYS - 3))])
    assert alone["series"][0]["week_over_week"]["last_week_avg"] is None
    summed = get(srv, f"/api/v1/trend?metric=process.memory.usage&service={service}&agg=sum"
                      f"&days=2&to={clock_ms}")
    first = summed["series"][0]["daily"][0]
    assert first["min"] == pytest.approx((100 + 36 + 300 - 18) * MB)


@pytest.mark.parametrize(("query", "message"), [
    ("/api/v1/trend?metric=m&days=91", "days: must be between 1 and 90, got 91"),
    ("/api/v1/trend?metric=m&days=0", "days: must be between 1 and 90, got 0"),
    ("/api/v1/trend?metric=m&group_by=", "group_by: empty; leave it out for one series"),
    ("/api/v1/trend?metric=", "metric: required"),
    ("/api/v1/trend?metric=m&agg=p99", "agg: "),
    ("/api/v1/trend?metric=m&window=5", "window: an unknown query parameter"),
    ("/api/v1/trend?metric=m&to=tomorrow", "to: "),
    ("/api/v1/oom?service=shop&limit=3", "limit: an unknown query parameter"),
    ("/api/v1/oom?from=yesterday", "from: "),
])
def test_bad_parameters_are_400s_naming_them(server: tuple[ServerProcess, int], query: str,
                                             message: str) -> None:
    status, body = server[0].api(query)
    assert status == 400, body
    assert body["detail"].startswith(message), body
