"""Two real ``bongsu server`` replicas (data directories of their own) sharing one
PostgreSQL metadata database through ``BONGSU_META_URL``: one threshold rule, one webhook.

Only the lease holder evaluates and notifies. The traffic goes to the holder alone, so a
standby that evaluated anyway would find no data and resolve the alert (a resolved and a
second firing notification): exactly one firing arrives. Then the holder is killed with
SIGKILL: the standby, on the same host, sees its pid gone and takes the lease over at its
next try, well before the TTL (:mod:`bongsu.meta.lease`; replicas on other hosts wait for
the expiry, tests/alerts/test_lease.py), resumes the firing alert from the shared
database, finds no data and sends the resolved notification — exactly once.
The killed replica, restarted, stands by; the holder's clean stop hands the lease over
at once (released, not expired), and the new holder sends nothing again.
"""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.services import postgres_server
from alerts.receivers import WebhookReceiver
from query.otlp import SERVER, SpanSpec, traces_request
from server_process import ServerProcess, survivors

TTL_S, RENEW_S = 10.0, 1.0
SERVICE = "orders"


def call(server: ServerProcess, method: str, path: str,
         body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(server.api_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, json.loads(raw) if raw else None


def until(what: str, check: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last saw {last!r}")


def engine(server: ServerProcess) -> dict[str, Any]:
    status, body = call(server, "GET", "/api/v1/alerts/engine")
    assert status == 200, body
    return dict(body)


class Traffic:
    """Five ``orders`` requests a second, stamped now, to one server until stopped."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        rng = random.Random(7)
        while not self._stop.is_set():
            now_us = time.time_ns() // 1000
            spans = [SpanSpec(SERVICE, "orders-1", rng.getrandbits(128) | 1,
                              rng.getrandbits(64) | 1, 0, "GET /orders", SERVER,
                              now_us - 20_000 - i * 1000, 20_000) for i in range(5)]
            status, _, body = self.server.post("/v1/traces", traces_request(spans))
            assert status == 200, body
            self.sent += len(spans)
            self._stop.wait(1.0)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver().start()
    yield hook
    hook.stop()


def _by_status(hook: WebhookReceiver, status: str) -> list[dict[str, Any]]:
    return [r.json() for r in hook.received if r.json()["status"] == status]


def test_one_replica_notifies_and_the_other_takes_over_after_a_kill(
        receiver: WebhookReceiver, tmp_path: Path) -> None:
    with postgres_server() as pg_port:
        env = {"BONGSU_FSYNC": "off", "BONGSU_LOAD_BATCH_SECONDS": "0.05",
               "BONGSU_META_URL": f"postgresql://postgres@127.0.0.1:{pg_port}/postgres",
               "BONGSU_ALERTS_LEASE_TTL_SECONDS": str(TTL_S),
               "BONGSU_ALERTS_LEASE_RENEW_SECONDS": str(RENEW_S)}
        replicas = [ServerProcess(tmp_path / name, env) for name in ("r1", "r2")]
        left: list[Any] = []
        try:
            # Both at once on the fresh database, as a Deployment's replicas start: one
            # migrates and seeds while the other waits, then one of them takes the lease.
            failed: list[BaseException] = []

            def start(server: ServerProcess) -> None:
                try:
                    server.start()
                except BaseException as exc:
                    failed.append(exc)

            starting = [threading.Thread(target=start, args=(r,)) for r in replicas]
            for t in starting:
                t.start()
            for t in starting:
                t.join(120)
            assert not failed, failed
            views = until("one replica to hold the lease",
                          lambda: [v for v in map(engine, replicas) if v["active"]], timeout=30)
            assert len(views) == 1, views
            a, b = sorted(replicas, key=lambda r: not engine(r)["active"])  # a: the holder
            a_engine, b_engine = engine(a), engine(b)
            assert a_engine["active"] and a_engine["lease"]["holder"] == a_engine["replica"]
            assert b_engine["enabled"] and not b_engine["active"], b_engine
            assert b_engine["replica"] != a_engine["replica"]
            assert b_engine["lease"]["holder"] == a_engine["replica"], b_engine
            assert b_engine["lease"]["held"] and b_engine["lease"]["epoch"] == 1

            # Written through a, read by both: one metadata database.
            status, channel = call(a, "POST", "/api/v1/channels", {
                "name": "ops hook", "type": "webhook",
                "config": {"url": receiver.url, "secret": "s3cret", "timeout_s": 5}})
            assert status == 201, channel
            status, rule = call(a, "POST", "/api/v1/rules", {
                "name": "Orders has traffic", "kind": "threshold", "severity": "warning",
                "interval": "10s",
                "spec": {"figure": "tps", "op": ">", "value": 0, "window_s": 10,
                         "service": SERVICE}})
            assert status == 201, rule
            status, route = call(b, "POST", "/api/v1/routes", {
                "matchers": [{"name": "rule", "op": "=", "value": rule["id"]}],
                "channel_ids": [channel["id"]], "group_by": ["rule"],
                "group_wait_s": 0, "group_interval_s": 1, "repeat_interval_s": 3600})
            assert status == 201, route
            status, listed = call(b, "GET", f"/api/v1/rules/{rule['id']}")
            assert status == 200 and listed["name"] == "Orders has traffic", listed

            with Traffic(a) as traffic:
                until("the firing notification", lambda: _firing_count(receiver),
                      timeout=60)
                fired_ms = int(time.time() * 1000)
                # Two more of a's evaluations with traffic; b, standing by, evaluates
                # nothing (had it, it would have resolved the alert on its empty store).
                until("two more evaluations", lambda: _evaluated_twice_since(
                    b, rule["id"], fired_ms), timeout=40)
            assert traffic.sent > 0
            assert _firing_count(receiver) == 1, [r.json() for r in receiver.received]
            assert _by_status(receiver, "resolved") == []
            firing = _by_status(receiver, "firing")[0]
            assert [a["labels"]["service"] for a in firing["alerts"]] == [SERVICE]
            assert firing["alerts"][0]["rule_id"] == rule["id"]
            assert not engine(b)["active"]

            killed_at = time.monotonic()
            left = a.kill()
            took = until("replica b to take the lease over", lambda: engine(b)["active"],
                         timeout=TTL_S + 30)
            takeover_s = time.monotonic() - killed_at
            # a's lease expires no sooner than TTL - RENEW_S after the kill; b, on this
            # host, sees a's pid gone and takes it at its next try (every second).
            assert took and takeover_s < TTL_S - RENEW_S - 1.0, takeover_s
            b_engine = engine(b)
            assert b_engine["lease"]["holder"] == b_engine["replica"]
            assert b_engine["lease"]["epoch"] == 2, b_engine

            until("the resolved notification",
                  lambda: _by_status(receiver, "resolved"), timeout=40)
            resolved_ms = int(time.time() * 1000)
            until("an evaluation after the resolve", lambda: _evaluated_since(
                b, rule["id"], resolved_ms), timeout=30)
            time.sleep(2.0)  # the dispatcher polls every second: anything queued is sent
            statuses = [r.json()["status"] for r in receiver.received]
            assert statuses == ["firing", "resolved"], statuses
            resolved = _by_status(receiver, "resolved")[0]
            assert [a["labels"]["service"] for a in resolved["alerts"]] == [SERVICE]
            assert resolved["alerts"][0]["id"] == firing["alerts"][0]["id"]
            status, body = call(b, "GET", f"/api/v1/alerts/history?rule_id={rule['id']}")
            assert status == 200, body
            changes = [(h["old"], h["new"]) for h in reversed(body["history"])]
            assert changes == [("inactive", "firing"), ("firing", "resolved")], changes

            # The killed replica comes back as a standby; the holder's clean stop releases
            # the lease, so it takes over at its next try, not a TTL later.
            a.start()
            assert not engine(a)["active"] and engine(b)["active"]
            b.stop()
            exited_at = time.monotonic()
            until("the restarted replica to take over", lambda: engine(a)["active"],
                  timeout=TTL_S + 30)
            handover_s = time.monotonic() - exited_at
            assert handover_s < TTL_S - RENEW_S - 1.0, handover_s  # released, not expired
            assert engine(a)["lease"]["epoch"] == 3
            handed_ms = int(time.time() * 1000)
            until("an evaluation by the new holder", lambda: _evaluated_since(
                a, rule["id"], handed_ms), timeout=30)
            time.sleep(2.0)
            assert [r.json()["status"] for r in receiver.received] == ["firing", "resolved"]
            print(f"takeover after kill -9 (same host): {takeover_s:.1f} s (TTL {TTL_S:g} s); "
                  f"after a clean stop: {handover_s:.1f} s")
        finally:
            for server in replicas:
                server.stop()
    assert survivors(left) == []
    assert survivors(p for server in replicas for p in server.left_behind) == []


def _firing_count(hook: WebhookReceiver) -> int:
    return len(_by_status(hook, "firing"))


def _alerts(server: ServerProcess, rule_id: str) -> list[dict[str, Any]]:
    status, body = call(server, "GET", f"/api/v1/alerts?rule_id={rule_id}")
    assert status == 200, body
    return list(body["alerts"])


def _evaluated_since(server: ServerProcess, rule_id: str, since_ms: int) -> bool:
    alerts = _alerts(server, rule_id)
    return bool(alerts) and all(a["last_eval_ms"] > since_ms for a in alerts)


def _evaluated_twice_since(server: ServerProcess, rule_id: str, since_ms: int) -> bool:
    # Evaluations every 10 s: the latest one more than 10 s after since_ms is the second.
    alerts = _alerts(server, rule_id)
    return bool(alerts) and all(a["last_eval_ms"] > since_ms + 10_000 for a in alerts)
