"""A server ``kill -9`` between firing and delivery neither loses nor duplicates it.

What is guaranteed: at-least-once delivery with a stable idempotency key. The outbox row
is committed with the decision that made it, so a crash before the receiver's answer
loses nothing; the restarted server sends it again under the same key (a receiver that
drops a key it has seen keeps one copy), and the alert is not decided again (no second
firing notification with a new key).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from alerts.receivers import WebhookReceiver, call, until
from bongsu.alerts.channels.webhook import verify
from otlp_build import gauge
from server_process import ServerProcess, survivors

SECRET = "kill-secret"
ENV = {"BONGSU_FSYNC": "off", "BONGSU_LOAD_BATCH_SECONDS": "0.05",
       "BONGSU_CONSOLE_URL": "http://console.test"}


def _depth(server: ServerProcess, value: float) -> None:
    request = gauge("e2e.queue.depth", value, service="e2e-kill", instance="kill-1")
    status, _, body = server.post("/v1/metrics", request.SerializeToString())
    assert status == 200, body
    server.wait_loaded()


def _made(server: ServerProcess, path: str, body: dict[str, Any]) -> dict[str, Any]:
    status, made = call(server.api_url, "POST", path, body)
    assert status == 201, made
    return dict(made)


def test_a_kill_9_between_firing_and_delivery_sends_it_again_under_the_same_key(
        tmp_path: Path) -> None:
    # ``hold`` takes the request and answers only 20 s later: the server is killed while
    # it waits for the answer. ``failing`` answers 500 until the server is killed. The
    # restarted server takes the dead run's alert lease back at once (its pid is gone).
    held = WebhookReceiver(mode="hold", stall_s=20.0).start()
    failing = WebhookReceiver(mode="error").start()
    server = ServerProcess(tmp_path / "data", ENV)
    try:
        server.start()
        channels = [
            _made(server, "/api/v1/channels", {"name": name, "type": "webhook", "config": {
                "url": hook.url, "secret": SECRET, "timeout_s": 30}})["id"]
            for name, hook in (("held hook", held), ("failing hook", failing))
        ]
        rule = _made(server, "/api/v1/rules", {
            "name": "Kill queue backlog", "kind": "threshold", "severity": "critical",
            "interval": "10s", "spec": {"metric": "e2e.queue.depth", "agg": "last", "op": ">",
                                        "value": 100, "window_s": 120,
                                        "service": "e2e-kill"}})
        _made(server, "/api/v1/routes", {
            "matchers": [{"name": "rule", "op": "=", "value": rule["id"]}],
            "channel_ids": channels, "group_by": ["rule"], "group_wait_s": 0,
            "group_interval_s": 1, "repeat_interval_s": 86_400})
        _depth(server, 900)
        # The outbox sends one at a time: while the held one waits for its answer, the
        # failing one has had its 500 or is still queued behind it. Either way it is not
        # delivered when the server dies.
        until("the held receiver taking the firing", lambda: held.received, 60)
        started = server.kill()  # the held request is unanswered: not marked delivered
        assert survivors(started) == []
        held.mode = failing.mode = "ok"

        server.start()
        until("the copies after the restart",
              lambda: len(held.received) >= 2 and failing.received, 90)
        time.sleep(3.0)  # an outbox round a second: anything more would have come by now
        first, again = held.received
        assert first.headers["x-bongsu-idempotency-key"] == (
            again.headers["x-bongsu-idempotency-key"])
        assert first.body == again.body  # the same notification, byte for byte
        assert len(held.distinct()) == 1
        assert len(failing.received) == 1  # never answered 2xx before: one copy
        # Each channel's copy has its own key (the key names the channel too).
        assert failing.received[0].json()["key"] != first.json()["key"]
        for r in (first, again, failing.received[0]):
            assert verify(r.body, r.headers["x-bongsu-signature"], SECRET)
            body = r.json()
            assert body["status"] == "firing" and body["key"] == (
                r.headers["x-bongsu-idempotency-key"])
            assert body["alerts"][0]["rule_name"] == "Kill queue backlog"
        status, alerts = call(server.api_url, "GET", f"/api/v1/alerts?rule_id={rule['id']}")
        assert status == 200 and [a["state"] for a in alerts["alerts"]] == ["firing"], alerts

        # The restarted server goes on: the resolution, once, under a new key.
        _depth(server, 3)
        until("the resolution on both",
              lambda: [r.json()["status"] for r in held.received][2:] == ["resolved"]
              and len(failing.received) == 2, 60)
        time.sleep(3.0)
        assert [r.json()["status"] for r in held.received] == ["firing", "firing", "resolved"]
        assert [r.json()["status"] for r in failing.received] == ["firing", "resolved"]
        assert len(held.distinct()) == 2 and len(failing.distinct()) == 2
    finally:
        server.stop()
        held.stop()
        failing.stop()
    assert survivors(server.left_behind) == []
