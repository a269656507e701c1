"""SLA figures through a real server over constructed check results: uptime per UTC day
and over the window, checked against the timeline walked second by second (tests/sla/
oracle.py), with a recurring maintenance window, a one-off maintenance silence, a plain
silence that must not hide down time, and a Bongsu outage (unknown)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bongsu.alerts.model import Matcher, Silence
from bongsu.settings import Settings
from bongsu.store.duckdb import DuckDBStore
from bongsu.synthetics.model import CheckResult
from server_process import ServerProcess, survivors
from sla.client import call
from sla.oracle import walk

US = 1_000_000
DAY = 86_400 * US
START = int(datetime(2026, 11, 23, tzinfo=UTC).timestamp()) * US  # a Monday
END = START + 3 * DAY


def at(day: int, hh: int, mm: int = 0) -> int:
    return START + day * DAY + (hh * 3600 + mm * 60) * US


# Down spans per check (whole minutes), and the Bongsu outage (no probes: one unknown row).
DOWN = {
    "c_web": [(at(0, 2, 10), at(0, 2, 50)),    # inside the daily 02:00-03:00 window
              (at(0, 10), at(0, 10, 30)),
              (at(1, 20), at(1, 20, 5)),
              (at(2, 8), at(2, 9)),             # the one-off maintenance silence
              (at(2, 15), at(2, 15, 20))],      # a plain silence: still down
    "c_api": [(at(0, 10, 15), at(0, 10, 45)), (at(1, 21), at(1, 21, 10))],
}
OUTAGE = (at(1, 12), at(1, 14))


def results(check: str) -> list[CheckResult]:
    rows = [CheckResult("default", check, START - 60 * US, "up", "up", name=check)]
    for t in range(START, END, 60 * US):
        if OUTAGE[0] < t < OUTAGE[1]:
            continue
        if t == OUTAGE[0]:
            rows.append(CheckResult("default", check, t, "unknown", "unknown", name=check))
            continue
        down = any(lo <= t < hi for lo, hi in DOWN[check])
        status = "down" if down else "up"
        rows.append(CheckResult("default", check, t, status, status, name=check))
    return rows


SILENCES: list[dict[str, Any]] = [
    {"matchers": [{"name": "service", "op": "=", "value": "shop"}], "starts_ms": 0,
     "ends_ms": END // 1000 + 10 * 86_400_000, "author": "ops", "comment": "nightly backup",
     "recurrence": "daily 02:00-03:00"},
    {"matchers": [{"name": "check", "op": "=", "value": "c_web"}],
     "starts_ms": at(2, 8) // 1000, "ends_ms": at(2, 9) // 1000, "author": "ops",
     "comment": "maintenance: database upgrade"},
    {"matchers": [{"name": "check", "op": "=", "value": "c_web"}],
     "starts_ms": at(2, 15) // 1000, "ends_ms": at(2, 15, 20) // 1000, "author": "ops",
     "comment": "paging noise"},
]
TARGETS = [
    {"kind": "check", "subject": "c_web", "target_percent": 99.5, "service": "shop"},
    {"kind": "check", "subject": "c_api", "target_percent": 99.9, "service": "shop"},
    {"kind": "service", "subject": "shop", "target_percent": 99.0, "period": "week"},
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("sla") / "data"
    data.mkdir()
    settings = Settings(data_dir=data)
    store = DuckDBStore.open(settings.store_path, settings.apdex_t_ms,
                             settings.apdex_overrides())
    store.save_check_results(results("c_web") + results("c_api"))
    store.close()
    server = ServerProcess(data, {"BONGSU_FSYNC": "off", "BONGSU_CHECKS": "off"}).start()
    for body in SILENCES:
        call(server, "POST", "/api/v1/silences", body, status=201)
    call(server, "PUT", "/api/v1/sla/targets", {"targets": TARGETS})
    try:
        yield server
    finally:
        server.stop()
    assert survivors(server.left_behind) == []


_WALKS: dict[tuple[int, int], Any] = {}


def expected(server: ServerProcess, start_us: int, end_us: int) -> Any:
    if (start_us, end_us) in _WALKS:
        return _WALKS[start_us, end_us]
    silences = [Silence(s["id"], "default", [Matcher(m["name"], m["op"], m["value"])
                                             for m in s["matchers"]],
                        s["starts_ms"] * 1000, s["ends_ms"] * 1000, s["author"], s["comment"],
                        s["recurrence"])
                for s in call(server, "GET", "/api/v1/silences")["silences"]]
    checks = {}
    for c in ("c_web", "c_api"):
        rows = results(c)
        checks[c] = ([r.ts_us for r in rows], [r.state for r in rows],
                     {"check": c, "check_id": c, "check_name": c, "service": "shop"})
    _WALKS[start_us, end_us] = walk(checks, silences, start_us, end_us, US)
    return _WALKS[start_us, end_us]


def test_check_uptime_per_day_matches_the_timeline_walked_second_by_second(
        server: ServerProcess) -> None:
    report = call(server, "GET", f"/api/v1/sla?check_id=c_web&period=day&from={START // 1000}"
                                 f"&to={END // 1000}")
    assert [p["start_ms"] for p in report["periods"]] == [
        (START + d * DAY) // 1000 for d in range(3)]
    assert report["target"]["target_percent"] == 99.5 and report["target_set"] is True
    for day, p in enumerate(report["periods"]):
        per, _ = expected(server, START + day * DAY, START + (day + 1) * DAY)
        want = per["c_web"]
        assert (p["up_s"], p["down_s"], p["unknown_s"], p["maintenance_s"]) == (
            want.up, want.down, want.unknown, want.maintenance), day
        assert p["sla_percent"] == pytest.approx(want.sla_percent(), abs=1e-9)
        allowed = 0.005 * (want.up + want.down)
        assert p["budget"] == pytest.approx(
            {"unit": "seconds", "allowed": allowed, "used": want.down,
             "left": allowed - want.down})
        assert p["met"] == (want.sla_percent() >= 99.5)
    # The same figures by hand, for the first day: 30 min down at 10:00, the 40 min down
    # inside the 02:00-03:00 window excluded with the rest of the window.
    first = report["periods"][0]
    assert (first["up_s"], first["down_s"], first["maintenance_s"]) == (81_000, 1_800, 3_600)
    assert first["sla_percent"] == pytest.approx(100 * 81_000 / 82_800)
    # Day 2: the two-hour outage is unknown, neither up nor down.
    assert report["periods"][1]["unknown_s"] == 7_200
    # Day 3: the one-off maintenance hour is excluded; the plain silence's 20 min count.
    third = report["periods"][2]
    assert third["down_s"] == 1_200 and third["maintenance_s"] == 3_600 + 3_600
    assert third["met"] is False


def test_service_combines_its_checks_down_when_any_is_down(server: ServerProcess) -> None:
    report = call(server, "GET", f"/api/v1/sla?service=shop&period=day&from={START // 1000}"
                                 f"&to={END // 1000}")
    assert report["checks"] == ["c_api", "c_web"]
    _, service = expected(server, START, END)
    total = report["total"]
    assert (total["up_s"], total["down_s"], total["unknown_s"], total["maintenance_s"]) == (
        service.up, service.down, service.unknown, service.maintenance)
    assert total["sla_percent"] == pytest.approx(service.sla_percent(), abs=1e-9)
    # 10:00-10:45 on day 1: web down from 10:00, api from 10:15 to 10:45.
    assert report["periods"][0]["down_s"] == 45 * 60
    # During c_web's one-off maintenance hour the service is judged on c_api alone (up).
    assert report["periods"][2]["down_s"] == 20 * 60


def test_weeks_and_months_cut_at_utc_boundaries(server: ServerProcess) -> None:
    frm, to = START - 2 * DAY, END + 7 * DAY  # Saturday before to a Thursday after
    report = call(server, "GET", f"/api/v1/sla?check_id=c_api&period=week&from={frm // 1000}"
                                 f"&to={to // 1000}")
    assert [p["start_ms"] for p in report["periods"]] == [
        frm // 1000, START // 1000, (START + 7 * DAY) // 1000]
    months = call(server, "GET", f"/api/v1/sla?check_id=c_api&period=month&from={frm // 1000}"
                                 f"&to={to // 1000}")
    december = int(datetime(2026, 12, 1, tzinfo=UTC).timestamp()) * 1000
    assert [p["start_ms"] for p in months["periods"]] == [frm // 1000, december]
    per, _ = expected(server, START, END)
    # Outside the results' three days the last result holds (the store's contract): up.
    assert months["total"]["down_s"] == per["c_api"].down


def test_bad_requests_name_the_field(server: ServerProcess) -> None:
    assert call(server, "GET", "/api/v1/sla", status=400)["detail"].startswith("check_id:")
    assert "period" in call(server, "GET", "/api/v1/sla?check_id=c&period=year",
                            status=400)["detail"]
    assert call(server, "GET", "/api/v1/sla?check_id=c&source=traffic",
                status=400)["detail"].startswith("source:")
    assert "nope" in call(server, "GET", "/api/v1/sla?check_id=c&nope=1", status=400)["detail"]
    bad = [{"kind": "traffic", "subject": "shop", "target_percent": 99}]
    assert call(server, "PUT", "/api/v1/sla/targets", {"targets": bad},
                status=400)["detail"].startswith("targets[0].threshold_ms:")
    bad = [TARGETS[0], {**TARGETS[1], "target_percent": 100}]
    assert call(server, "PUT", "/api/v1/sla/targets", {"targets": bad},
                status=400)["detail"].startswith("targets[1].target_percent:")
    # A refused list leaves the stored one as it was.
    assert len(call(server, "GET", "/api/v1/sla/targets")["targets"]) == 3


def test_subjects_list_targets_with_current_figures(server: ServerProcess) -> None:
    subjects = call(server, "GET", "/api/v1/sla/subjects")["subjects"]
    assert [(s["target"]["kind"], s["target"]["subject"]) for s in subjects] == [
        ("check", "c_api"), ("check", "c_web"), ("service", "shop")]
    assert all(s["target_set"] for s in subjects)
