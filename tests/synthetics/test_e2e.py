"""Synthetic checks through one real ``bongsu server``: made through the API (a wrong field
is a 400 naming it), probed on schedule against a real loopback server, a check going
down fires the shipped "Synthetic check down" rule to a real webhook receiver with the
check's name, URL, failed condition and a console link, and resolves when it is up again;
"Run now" answers the probe. A server killed with SIGKILL and started again records the
time it was down as unknown, never as down."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from alerts.receivers import WebhookReceiver, call, until
from server_process import ServerProcess
from synthetics.targets import Target

CONSOLE = "http://console.test"
ENV = {"BONGSU_FSYNC": "off", "BONGSU_CONSOLE_URL": CONSOLE}
RULE = "builtin-check-down"


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


def _api(server: ServerProcess, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    return call(server.api_url, method, path, body)


def _results(server: ServerProcess, check_id: str) -> list[dict[str, Any]]:
    status, body = _api(server, "GET", f"/api/v1/checks/{check_id}/results?from=0")
    assert status == 200, body
    return list(body["results"])


def _posts(hook: WebhookReceiver, status: str) -> list[dict[str, Any]]:
    return [r.json() for r in list(hook.received) if r.json()["status"] == status]


def test_check_down_fires_and_resolves_through_a_webhook(
        server_factory: Callable[..., ServerProcess], web: Target,
        hook: WebhookReceiver) -> None:
    server = server_factory(ENV).start()
    status, channel = _api(server, "POST", "/api/v1/channels", {
        "name": "ops", "type": "webhook", "config": {"url": hook.url, "timeout_s": 5}})
    assert status == 201, channel
    status, route = _api(server, "POST", "/api/v1/routes", {
        "matchers": [{"name": "rule", "op": "=", "value": RULE}],
        "channel_ids": [channel["id"]], "group_by": ["rule", "check"], "group_wait_s": 0,
        "group_interval_s": 1, "repeat_interval_s": 86_400})
    assert status == 201, route

    url = web.url("/flip")
    good = {"name": "Shop flip", "type": "http", "interval_s": 10, "failure_threshold": 2,
            "target": {"url": url, "timeout_s": 5},
            "conditions": [{"on": "status", "op": "==", "value": 200},
                           {"on": "body", "op": "contains", "value": "fine"}]}
    # Wrong fields are refused, each named.
    for change, message in [
        ({"conditions": [good["conditions"][0], {"on": "body", "op": "has", "value": "x"}]},
         "conditions[1].op: for body: one of contains, not_contains, regex, got 'has'"),
        ({"target": {"url": "localhost:80"}}, "target.url: must be an http:// or https:// URL"),
        ({"interval_s": 1}, "interval_s: must be at least 10, got 1"),
    ]:
        status, body = _api(server, "POST", "/api/v1/checks", {**good, **change})
        assert status == 400, body
        assert body["detail"].startswith(message), body
    assert _api(server, "GET", "/api/v1/checks")[1] == {"checks": []}

    web.flip_ok = False
    status, check = _api(server, "POST", "/api/v1/checks", good)
    assert status == 201, check
    assert (check["state"], check["last"], check["target_text"]) == ("unknown", None,
                                                                     f"GET {url}")
    cid = check["id"]

    # Two failures before down: the first result leaves the state unknown.
    rows = until("two results", lambda: (r := _results(server, cid)) and len(r) >= 2 and r,
                 timeout=90)
    assert [(r["status"], r["state"]) for r in rows[:2]] == [("down", "unknown"),
                                                             ("down", "down")]
    assert rows[0]["status_code"] == 503 and rows[0]["failed_condition"] == "status == 200"
    assert 9_000 <= rows[1]["ts_ms"] - rows[0]["ts_ms"] <= 20_000  # its 10 s interval

    fired = until("the firing notification", lambda: _posts(hook, "firing"), timeout=90)
    alert = fired[0]["alerts"][0]
    assert alert["rule_id"] == RULE and alert["rule_name"] == "Synthetic check down"
    assert alert["labels"]["check"] == cid and alert["labels"]["check_name"] == "Shop flip"
    assert alert["severity"] == "critical"
    assert alert["summary"] == f"Shop flip is down: status == 200 (GET {url})"
    assert alert["link"] == f"{CONSOLE}/#/checks?check={cid}"

    listed = _api(server, "GET", "/api/v1/checks")[1]["checks"]
    assert [(c["id"], c["state"]) for c in listed] == [(cid, "down")]
    assert listed[0]["last"]["failed_condition"] == "status == 200"
    assert all(r["duration_ms"] > 0 for r in listed[0]["recent"]) and len(
        listed[0]["recent"]) >= 2

    web.flip_ok = True
    ran = _api(server, "POST", f"/api/v1/checks/{cid}/run")
    assert ran[0] == 200, ran
    assert (ran[1]["status"], ran[1]["status_code"], ran[1]["failed_condition"]) == (
        "up", 200, None)
    resolved = until("the resolved notification", lambda: _posts(hook, "resolved"),
                     timeout=90)
    assert resolved[0]["alerts"][0]["labels"]["check"] == cid
    assert len(_posts(hook, "firing")) == 1
    assert _api(server, "GET", f"/api/v1/checks/{cid}")[1]["state"] == "up"

    # Turned off: its time from now on is unknown, not its last result's.
    status, put = _api(server, "PUT", f"/api/v1/checks/{cid}", {**good, "enabled": False})
    assert status == 200 and put["enabled"] is False, put
    assert (put["state"], put["last"]["status"], put["last"]["error"]) == (
        "unknown", "unknown", "check disabled")
    status, body = _api(server, "PUT", f"/api/v1/checks/{cid}", {**good, "combine": "most"})
    assert status == 400 and body["detail"].startswith("combine: must be all or any"), body

    # Another id is a 404; an unknown parameter a 400; deleting removes the results too.
    assert _api(server, "GET", "/api/v1/checks/c_nope")[0] == 404
    status, body = _api(server, "GET", f"/api/v1/checks/{cid}/results?since=0")
    assert status == 400 and body["detail"].startswith("since: an unknown query parameter")
    assert _api(server, "DELETE", f"/api/v1/checks/{cid}")[0] == 204
    assert _api(server, "GET", f"/api/v1/checks/{cid}/results")[0] == 404


def test_server_down_is_unknown_not_down(
        server_factory: Callable[..., ServerProcess], web: Target) -> None:
    server = server_factory(ENV).start()
    status, check = _api(server, "POST", "/api/v1/checks", {
        "name": "Shop ok", "type": "http", "interval_s": 10,
        "target": {"url": web.url("/ok"), "timeout_s": 5}})
    assert status == 201, check
    cid = check["id"]
    before = until("a result", lambda: _results(server, cid), timeout=60)
    server.kill()
    killed_ms = time.time() * 1000
    time.sleep(30)  # three intervals without a server
    server.start()
    rows = until("a result after the restart",
                 lambda: (r := _results(server, cid)) and r[-1]["ts_ms"] > killed_ms and r,
                 timeout=60)
    assert "down" not in {r["status"] for r in rows}, rows
    last_before = max(r["ts_ms"] for r in rows if r["ts_ms"] < killed_ms)
    assert last_before >= before[-1]["ts_ms"]
    gap = [r for r in rows if r["ts_ms"] > last_before]
    assert [r["status"] for r in gap] == ["unknown", "up"], gap
    assert gap[0]["ts_ms"] == pytest.approx(last_before + 10_000, abs=5)  # when it was due
    assert gap[0]["state"] == "unknown" and "not probed" in gap[0]["error"]
    assert gap[1]["ts_ms"] - killed_ms >= 29_000  # the probe after the restart
