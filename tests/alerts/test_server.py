"""The alert engine in a real ``bongsu server``: a crash loop in a watched (loopback)
cluster, an event rule, a channel and a route made through the API, a real webhook
receiver — one firing notification for 20 count bumps, and none again after a restart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alerts import receivers
from alerts.receivers import WebhookReceiver, until
from bongsu.alerts.channels.webhook import verify
from bongsu.simulate.kube import EventRecorder, shapes
from bongsu.simulate.kube.shapes import messages as msg
from kube.conftest import MakeCluster, fake_clusters  # noqa: F401  (the fixture)
from server_process import ServerProcess, survivors

NS = "shop"
POD = "orders-crash"
SECRET = "hook-s3cret"
FAST = {"BONGSU_FSYNC": "off", "BONGSU_KUBE_SILENT_SECONDS": "1.5",
        "BONGSU_KUBE_BACKOFF_MAX_SECONDS": "1"}


def call(server: ServerProcess, method: str, path: str,
         body: Any = None) -> tuple[int, Any]:
    return receivers.call(server.api_url, method, path, body)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver().start()
    yield hook
    hook.stop()


def _crash_pod() -> dict[str, Any]:
    image = "shop/orders:1.0"
    last = shapes.terminated("Error", 1, started_at=time.time() - 90,
                             finished_at=time.time() - 30, container_id="containerd://c4")
    return shapes.pod(
        POD, NS, node="node-1", uid=f"uid-{POD}", phase="Running",
        containers=[shapes.container("orders", image, memory_limit="256Mi")],
        statuses=[shapes.waiting("orders", image, "CrashLoopBackOff",
                                 msg.crashloop_waiting(40, "orders", POD, NS, f"uid-{POD}"),
                                 restarts=4, last=last)],
        started=time.time() - 900)


def _firing(hook: WebhookReceiver) -> list[dict[str, Any]]:
    return [r.json() for r in hook.distinct().values() if r.json()["status"] == "firing"]


def _evaluated_since(server: ServerProcess, rule_id: str, since_ms: int) -> bool:
    status, body = call(server, "GET", f"/api/v1/alerts?rule_id={rule_id}")
    assert status == 200, body
    return bool(body["alerts"]) and all(a["last_eval_ms"] > since_ms for a in body["alerts"])


def test_a_crash_loop_notifies_once_across_bumps_and_a_restart(
        fake_clusters: MakeCluster, receiver: WebhookReceiver,  # noqa: F811
        tmp_path: Path) -> None:
    served = fake_clusters("seoul")
    served.cluster.put(shapes.node("node-1", boot_id="boot-1"))
    pod = _crash_pod()
    served.cluster.put(pod)
    server = ServerProcess(tmp_path / "data", {
        **FAST, "BONGSU_KUBE_CLUSTERS": f"seoul={served.kubeconfig}",
        "BONGSU_CONSOLE_URL": "http://console.test"})
    try:
        server.start()
        status, channel = call(server, "POST", "/api/v1/channels", {
            "name": "ops hook", "type": "webhook",
            "config": {"url": receiver.url, "secret": SECRET, "timeout_s": 5}})
        assert status == 201, channel
        assert "secret" not in channel["config"] and channel["secrets"] == ["secret"]
        status, rule = call(server, "POST", "/api/v1/rules", {
            "name": "Orders crash loop", "kind": "event", "severity": "critical",
            "interval": "10s", "spec": {"kind": "crash_loop", "namespace": NS}})
        assert status == 201, rule
        status, route = call(server, "POST", "/api/v1/routes", {
            "matchers": [{"name": "rule", "op": "=", "value": rule["id"]}],
            "channel_ids": [channel["id"]], "group_by": ["rule", "pod"],
            "group_wait_s": 0, "group_interval_s": 60, "repeat_interval_s": 3600})
        assert status == 201, route

        kubelet = EventRecorder(served.cluster, "kubelet", host="node-1")

        def bump(times: int) -> None:
            for _ in range(times):
                kubelet.record(pod, "Warning", "BackOff",
                               msg.backoff_restart("orders", POD, NS, f"uid-{POD}"),
                               field_path="spec.containers{orders}")

        bump(10)
        # An evaluation every 10 s, no group wait: the firing arrives within ~two rounds.
        until("the firing notification", lambda: _firing(receiver), timeout=45)
        for _ in range(5):  # the other 10 bumps while it fires, over more than one round
            bump(2)
            time.sleep(2.5)
        last_bump_ms = int(time.time() * 1000)
        until("an evaluation after the last bump",
              lambda: _evaluated_since(server, rule["id"], last_bump_ms), timeout=30)
        time.sleep(2.0)  # the dispatcher polls every second: anything queued is sent by now

        firing = _firing(receiver)
        assert len(firing) == 1, firing
        assert len(receiver.distinct()) == 1, [r.json() for r in receiver.received]
        note = firing[0]
        assert [a["labels"]["pod"] for a in note["alerts"]] == [POD]
        alert = note["alerts"][0]
        assert alert["labels"]["kind"] == "crash_loop" and alert["severity"] == "critical"
        assert alert["link"].startswith("http://console.test/#/events/"), alert["link"]
        raw = receiver.received[0]
        assert verify(raw.body, raw.headers["x-bongsu-signature"], SECRET)
        status, body = call(server, "GET", "/api/v1/alerts?state=firing")
        assert status == 200
        assert [a["rule_id"] for a in body["alerts"] if a["rule_id"] == rule["id"]] == [rule["id"]]
        status, body = call(server, "GET", f"/api/v1/alerts/history?rule_id={rule['id']}")
        assert status == 200 and body["history"][0]["new"] == "firing", body

        # A restart resumes the firing state: nothing is sent again.
        started = server.stop()
        assert survivors(started) == []
        restarted_ms = int(time.time() * 1000)
        server.start()
        until("an evaluation after the restart",
              lambda: _evaluated_since(server, rule["id"], restarted_ms), timeout=30)
        time.sleep(2.0)
        assert len(receiver.received) == 1, [r.json() for r in receiver.received]
        status, body = call(server, "GET", f"/api/v1/alerts?rule_id={rule['id']}")
        assert [a["state"] for a in body["alerts"]] == ["firing"], body
    finally:
        server.stop()
    assert survivors(server.left_behind) == []
