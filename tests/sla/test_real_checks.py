"""The SLA of a real check run by a real server: a loopback HTTP target answers 503 for a
known time (down), part of it inside a one-off maintenance silence, then the Bongsu server
is stopped for a known time (unknown). The SLA API's seconds equal the check's stored
results walked millisecond by millisecond (tests/sla/oracle.py), and the down and unknown
time are the times the test made them, within one probe interval."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from alerts.receivers import until
from bongsu.alerts.model import Matcher, Silence
from server_process import ServerProcess
from sla.client import call
from sla.oracle import walk
from synthetics.targets import Target

pytestmark = pytest.mark.timeout(420)

INTERVAL_S = 10
DOWN_S = 40
OUTAGE_S = 35


def results(server: ServerProcess, cid: str) -> list[dict[str, Any]]:
    return call(server, "GET", f"/api/v1/checks/{cid}/results?from=0")["results"]


def after(server: ServerProcess, cid: str, ms: float, n: int) -> Callable[[], Any]:
    return lambda: len([r for r in results(server, cid) if r["ts_ms"] > ms]) >= n


def test_a_real_check_down_then_bongsu_down(
        server_factory: Callable[..., ServerProcess]) -> None:
    web = Target().start()
    try:
        server = server_factory({"BONGSU_FSYNC": "off"}).start()
        check = call(server, "POST", "/api/v1/checks", {
            "name": "Shop flip", "type": "http", "interval_s": INTERVAL_S,
            "target": {"url": web.url("/flip"), "timeout_s": 5}}, status=201)
        cid = check["id"]
        call(server, "PUT", "/api/v1/sla/targets", {"targets": [
            {"kind": "check", "subject": cid, "target_percent": 99.0, "service": "shop"}]})
        until("two up results", after(server, cid, 0, 2), timeout=90)

        web.flip_ok = False
        off_ms = time.time() * 1000
        time.sleep(DOWN_S / 2)
        # Planned work for 10 s in the middle of the down time: left out, not down.
        now_ms = int(time.time() * 1000)
        call(server, "POST", "/api/v1/silences", {
            "matchers": [{"name": "check", "op": "=", "value": cid}], "starts_ms": now_ms,
            "ends_ms": now_ms + 10_000, "author": "ops", "comment": "maintenance: router"},
            status=201)
        time.sleep(DOWN_S / 2)
        web.flip_ok = True
        on_ms = time.time() * 1000
        until("an up result after the target is back",
              lambda: [r for r in results(server, cid) if r["ts_ms"] > on_ms
                       and r["status"] == "up"], timeout=60)

        server.stop()
        stopped_ms = time.time() * 1000
        time.sleep(OUTAGE_S)
        server.start()
        until("two results after the restart", after(server, cid, stopped_ms, 2), timeout=90)
        rows = results(server, cid)
        silences = [Silence(s["id"], "default",
                            [Matcher(m["name"], m["op"], m["value"]) for m in s["matchers"]],
                            s["starts_ms"] * 1000, s["ends_ms"] * 1000, s["author"],
                            s["comment"], s["recurrence"])
                    for s in call(server, "GET", "/api/v1/silences")["silences"]]
    finally:
        web.stop()

    start_ms, end_ms = rows[0]["ts_ms"], rows[-1]["ts_ms"]
    report = call(server, "GET", f"/api/v1/sla?check_id={cid}&period=day"
                                 f"&from={start_ms}&to={end_ms}")
    total = report["total"]
    labels = {"check": cid, "check_id": cid, "check_name": "Shop flip", "service": "shop"}
    per, _ = walk({cid: ([r["ts_ms"] * 1000 for r in rows], [r["state"] for r in rows],
                         labels)}, silences, start_ms * 1000, end_ms * 1000, 1000)
    want = per[cid]
    # Milliseconds walked against the API's microsecond timestamps: 1 ms per result at most.
    slack = len(rows) * 0.002
    assert total["up_s"] == pytest.approx(want.up / 1000, abs=slack)
    assert total["down_s"] == pytest.approx(want.down / 1000, abs=slack)
    assert total["unknown_s"] == pytest.approx(want.unknown / 1000, abs=slack)
    assert total["maintenance_s"] == pytest.approx(want.maintenance / 1000, abs=slack)
    assert total["sla_percent"] == pytest.approx(100 * want.up / (want.up + want.down),
                                                 abs=0.01)
    # The times the test made: down for DOWN_S less the 10 s window, Bongsu away for
    # OUTAGE_S (the unknown row covers from the missed probe's due time to the next probe),
    # each within a probe interval and a few seconds of a loaded machine.
    assert total["maintenance_s"] == pytest.approx(10, abs=0.5)
    assert total["down_s"] == pytest.approx(DOWN_S - 10, abs=INTERVAL_S + 3)
    assert total["unknown_s"] == pytest.approx(OUTAGE_S, abs=INTERVAL_S + 10)
    assert total["met"] is False and total["budget"]["left"] < 0
    assert {r["status"] for r in rows} == {"up", "down", "unknown"}
    assert off_ms < on_ms
