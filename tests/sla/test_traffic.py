"""The traffic SLO through a real server: spans with known latencies and errors sent over
OTLP, the share of good requests per UTC day read back from the API, and a maintenance
silence's minutes left out."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator

import pytest

from otlp_build import span, traces
from server_process import ServerProcess, survivors
from sla.client import call

US = 1_000_000
DAY = 86_400 * US
THRESHOLD_MS = 300.0
# The largest duration-bucket boundary at or below 300 ms (bucket b starts at 2^(b/8) us):
BOUNDARY_MS = 2 ** (math.floor(math.log2(THRESHOLD_MS * 1000) * 8) / 8) / 1000


def _day(offset: int) -> int:
    return (time.time_ns() // 1000 // DAY + offset) * DAY


DAY_A, DAY_B = _day(-2), _day(-1)
# (minute start, [(duration ms, error), ...])
SENT = {
    DAY_A + 10 * 3600 * US: [(100, False)] * 150 + [(800, False)] * 30 + [(50, True)] * 20
    + [(290, False)] * 10,  # under the threshold but over its bucket boundary: slow
    DAY_B + 10 * 3600 * US: [(100, False)] * 25 + [(100, True)] * 25,  # in maintenance
    DAY_B + 11 * 3600 * US: [(100, False)] * 99 + [(120, True)],
}


def good(duration_ms: float, error: bool) -> bool:
    return not error and duration_ms < BOUNDARY_MS


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("sla-traffic") / "data"
    server = ServerProcess(data, {"BONGSU_FSYNC": "off", "BONGSU_CHECKS": "off",
                                  "BONGSU_LOAD_BATCH_SECONDS": "0.05"}).start()
    try:
        for minute, shapes in SENT.items():
            spans = [span(start_ns=(minute + i * 100_000) * 1000, duration_ms=ms, error=err)
                     for i, (ms, err) in enumerate(shapes)]
            status, _, body = server.post("/v1/traces",
                                          traces(spans, service="shop").SerializeToString())
            assert status == 200, body
        server.wait_loaded()
        call(server, "POST", "/api/v1/silences", {
            "matchers": [{"name": "service", "op": "=", "value": "shop"}],
            "starts_ms": (DAY_B + 10 * 3600 * US) // 1000,
            "ends_ms": (DAY_B + 10 * 3600 * US + 5 * 60 * US) // 1000,
            "author": "ops", "comment": "Maintenance: deploy"}, status=201)
        call(server, "PUT", "/api/v1/sla/targets", {"targets": [
            {"kind": "traffic", "subject": "shop", "target_percent": 99.0,
             "threshold_ms": THRESHOLD_MS}]})
        yield server
    finally:
        server.stop()
    assert survivors(server.left_behind) == []


def test_share_of_good_requests_per_day(server: ServerProcess) -> None:
    report = call(server, "GET", f"/api/v1/sla?service=shop&source=traffic&period=day"
                                 f"&from={DAY_A // 1000}&to={(DAY_B + DAY) // 1000}")
    assert report["kind"] == "traffic" and report["target"]["threshold_ms"] == THRESHOLD_MS
    assert report["threshold_low_ms"] == pytest.approx(BOUNDARY_MS)
    a, b = report["periods"]
    sent_a = SENT[DAY_A + 10 * 3600 * US]
    assert a["requests"] == len(sent_a) == 210
    assert a["good"] == sum(good(ms, e) for ms, e in sent_a) == 150
    assert a["sla_percent"] == pytest.approx(100 * 150 / 210)
    assert a["met"] is False
    assert a["budget"] == pytest.approx({"unit": "requests", "allowed": 2.1, "used": 60,
                                         "left": 2.1 - 60})
    # Day B: the maintenance minute's 50 requests (25 errors) are left out.
    assert (b["requests"], b["good"], b["excluded_requests"]) == (100, 99, 50)
    assert b["sla_percent"] == pytest.approx(99.0) and b["met"] is True
    assert b["budget"]["left"] == pytest.approx(0.0)
    assert report["total"]["requests"] == 310 and report["total"]["good"] == 249


def test_default_threshold_without_a_target(server: ServerProcess) -> None:
    report = call(server, "GET", f"/api/v1/sla?service=other&source=traffic"
                                 f"&from={DAY_A // 1000}")
    assert report["target_set"] is False
    assert report["target"] == {"kind": "traffic", "subject": "other", "target_percent": 99.9,
                                "period": "month", "service": None, "threshold_ms": 500.0}
    assert report["total"]["requests"] == 0 and report["total"]["sla_percent"] is None
