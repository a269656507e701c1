"""``GET /api/v1/users`` on a real server fed OTLP spans with ``enduser.id``: DAU / WAU /
MAU, active users and the daily series exact on small data, recomputed here from the spans
sent; the monthly figure outlives the spans' retention; bad input is a 400 naming it."""

from __future__ import annotations

import itertools
import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from otlp_build import span, traces
from server_process import ServerProcess

DAY_MS, MINUTE_MS = 86_400_000, 60_000
NOW_MS = int(time.time() * 1000)
TO_MS = NOW_MS // MINUTE_MS * MINUTE_MS + MINUTE_MS  # a minute boundary after every span
# (service, user, ms before TO): today's, 3, 20 and 40 days back
SENT = [
    ("shop", "alice", 150_000), ("shop", "bob", 150_000), ("shop", "carol", 100_000),
    ("shop", "alice", 70_000), ("pay", "alice", 90_000), ("pay", "dave", 80_000),
    ("shop", "erin", 3 * DAY_MS), ("shop", "frank", 20 * DAY_MS), ("pay", "gina", 40 * DAY_MS),
    ("shop", "old-active", 10 * MINUTE_MS),  # today (mostly), not in the last 5 minutes
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("users") / "data"
    data.mkdir()
    s = ServerProcess(data, {"BONGSU_MAX_TIMESTAMP_SKEW_DAYS": "60",
                             "BONGSU_RETENTION_DAYS": "10",
                             "BONGSU_RETENTION_INTERVAL_SECONDS": "1"}).start()
    try:
        for service in ("shop", "pay"):
            spans = [span(start_ns=(TO_MS - before) * 1_000_000, attributes={"enduser.id": user})
                     for svc, user, before in SENT if svc == service]
            spans.append(span(start_ns=(TO_MS - 60_000) * 1_000_000))  # no user
            status, _, body = s.post("/v1/traces",
                                     traces(spans, service=service).SerializeToString())
            assert status == 200, body
        s.wait_loaded()
        yield s
    finally:
        s.stop()


def get(server: ServerProcess, path: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(server.api_url + path, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def expected(service: str | None, days: int) -> int:
    last_day = (TO_MS - 1) // DAY_MS
    return len({u for svc, u, before in SENT if service in (None, svc)
                and last_day - days < (TO_MS - before) // DAY_MS <= last_day})


def active(service: str | None) -> int:
    return len({u for svc, u, before in SENT if service in (None, svc)
                and before <= 5 * MINUTE_MS})


@pytest.mark.parametrize("service", ["shop", "pay", None])
def test_dau_wau_mau_and_active_users_are_exact(server: ServerProcess,
                                                service: str | None) -> None:
    query = f"/api/v1/users?to={TO_MS}" + (f"&service={service}" if service else "")
    status, body = get(server, query)
    assert status == 200, body
    for name, days in (("dau", 1), ("wau", 7), ("mau", 30)):
        assert body[name] == {"users": expected(service, days), "exact": True,
                              "error_bound": None}, name
    assert body["active"] == {"users": active(service), "exact": True, "error_bound": None}
    assert body["error_bound"] is None and body["precision"] == 14
    assert body["from"] == TO_MS - 30 * DAY_MS and body["to"] == TO_MS
    # the daily series: one point per UTC day of the window, users recomputed per day
    days = {p["ts"]: p["users"] for p in body["daily"]}
    assert len(days) in (30, 31)
    for day_ms, users in days.items():
        assert users == len({u for svc, u, before in SENT if service in (None, svc)
                             and (TO_MS - before) // DAY_MS * DAY_MS == day_ms}), day_ms
    series = body["active_series"]
    assert series[-1] == {"ts": TO_MS, "users": active(service), "exact": True}
    assert all(a["ts"] < b["ts"] for a, b in itertools.pairwise(series))
    assert len(series) <= 120 and body["step_s"] == 6 * 3600


def test_overall_counts_a_user_of_two_services_once(server: ServerProcess) -> None:
    _, shop = get(server, f"/api/v1/users?to={TO_MS}&service=shop")
    _, pay = get(server, f"/api/v1/users?to={TO_MS}&service=pay")
    _, both = get(server, f"/api/v1/users?to={TO_MS}")
    assert both["active"]["users"] == shop["active"]["users"] + pay["active"]["users"] - 1


def test_active_users_are_the_dashboards(server: ServerProcess) -> None:
    _, dashboard = get(server, f"/api/v1/services?from={TO_MS - 15 * MINUTE_MS}&to={TO_MS}")
    figures = {s["name"]: s["active_users"] for s in dashboard["services"]}
    for service in ("shop", "pay"):
        _, users = get(server, f"/api/v1/users?to={TO_MS}&service={service}")
        assert users["active"]["users"] == figures[service] == active(service)


def test_monthly_users_outlive_the_spans_retention(server: ServerProcess) -> None:
    # BONGSU_RETENTION_DAYS=10: frank's 20-day-old span and its rollups go; his day stays.
    window = f"from={TO_MS - 21 * DAY_MS}&to={TO_MS - 19 * DAY_MS}"
    deadline = time.monotonic() + 60
    while True:
        _, old = get(server, f"/api/v1/services?{window}")
        if not old["services"] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert old["services"] == []
    _, body = get(server, f"/api/v1/users?to={TO_MS}&service=shop")
    # alice, bob, carol, old-active, erin and frank
    assert body["mau"]["users"] == expected("shop", 30) == 6


def test_a_window_narrower_than_a_day_gives_its_steps(server: ServerProcess) -> None:
    status, body = get(server, f"/api/v1/users?from={TO_MS - 3600_000}&to={TO_MS}")
    assert status == 200
    assert body["step_s"] == 300
    assert [p["ts"] for p in body["active_series"]] == [
        TO_MS - k * 300_000 for k in range(11, -1, -1)]
    # each point: the users of the 5 minutes before it
    for p in body["active_series"]:
        assert p["users"] == len({u for _, u, before in SENT
                                  if p["ts"] - 300_000 <= TO_MS - before < p["ts"]}), p


@pytest.mark.parametrize(("path", "status", "start"), [
    ("/api/v1/users?service=nobody", 404, "service: 'nobody' never reported"),
    (f"/api/v1/users?from={TO_MS}&to={TO_MS - 1}", 400, "from: must be before to"),
    ("/api/v1/users?to=yesterday", 400, "to: expected an ISO-8601 time"),
    ("/api/v1/users?window=5", 400, "window: an unknown query parameter"),
])
def test_bad_input_is_refused_naming_the_field(server: ServerProcess, path: str, status: int,
                                               start: str) -> None:
    code, body = get(server, path)
    assert code == status and body["detail"].startswith(start), body
