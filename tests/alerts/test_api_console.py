"""The alert API the console needs, through a real ``bongsu server``: a channel's test
send against real receivers on loopback (delivered and signed, or the receiver's error),
the service and window filters the dashboard asks with, the shell's firing counts, and
another tenant's channels, routes and silences out of reach."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts.receivers import (
    SmtpReceiver,
    WebhookReceiver,
    fired,
    free_port,
    instance,
    resolved,
)
from alerts.test_api import Client, editors
from bongsu.alerts.channels.webhook import verify
from bongsu.alerts.model import Transition
from bongsu.alerts.notify.store import NotifyStore
from bongsu.alerts.repo import AlertRepo
from bongsu.meta.database import connect
from bongsu.meta.keys import KeyRing
from server_process import ServerProcess, survivors

MIN_US = 60_000_000
T0_US = 1_780_000_000_000_000  # a fixed instant, so windows are exact


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Client, Client, Path]]:
    data = tmp_path_factory.mktemp("alerts-console") / "data"
    data.mkdir()
    ring = KeyRing(connect(f"sqlite:///{data / 'meta.sqlite'}"))
    acme, beta = ring.create("acme").key, ring.create("beta").key
    ring.close()
    assert acme and beta
    acme_token, beta_token = editors(data)
    server = ServerProcess(data, {"BONGSU_AUTH": "accounts", "BONGSU_FSYNC": "off"}).start()
    try:
        yield (Client(server, acme_token, acme), Client(server, beta_token, beta),
               data / "meta.sqlite")
    finally:
        server.stop()
    assert survivors(server.left_behind) == []


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver().start()
    yield hook
    hook.stop()


def hook_channel(client: Client, name: str, url: str, **config: object) -> str:
    made = client.ok("POST", "/api/v1/channels", {
        "name": name, "type": "webhook", "config": {"url": url, **config}}, status=201)
    return str(made["id"])


def test_send_test_delivers_a_signed_notification_labelled_as_a_test(
        setup: tuple[Client, Client, Path], receiver: WebhookReceiver) -> None:
    acme, _, meta = setup
    channel = hook_channel(acme, "ops hook", receiver.url, secret="s3cret")
    answer = acme.ok("POST", f"/api/v1/channels/{channel}/test")
    assert answer["ok"] is True and answer["outcome"] == "delivered", answer
    assert answer["error"] is None and answer["status_code"] is None
    assert answer["key"].startswith("test-")
    assert len(receiver.received) == 1  # sent before the answer, once
    got = receiver.received[0]
    assert verify(got.body, got.headers["x-bongsu-signature"], "s3cret")
    assert got.headers["x-bongsu-idempotency-key"] == answer["key"]
    body = got.json()
    assert body["group"] == {"test": "true"}
    [alert] = body["alerts"]
    assert alert["labels"]["test"] == "true"
    assert alert["summary"].startswith("Test notification from Bongsu for channel 'ops hook'")
    # Not through the outbox: nothing queued, so nothing is retried or sent again.
    assert NotifyStore(connect(f"sqlite:///{meta}")).outbox("acme") == []


def test_send_test_answers_the_receivers_error(
        setup: tuple[Client, Client, Path], receiver: WebhookReceiver) -> None:
    acme, _, _ = setup
    receiver.mode = "error"
    failing = acme.ok("POST", f"/api/v1/channels/{hook_channel(acme, 'h500', receiver.url)}/test")
    assert failing["ok"] is False and failing["outcome"] == "http_status", failing
    assert failing["status_code"] == 500 and failing["retryable"] is True
    assert failing["error"] == f"HTTP 500 from {receiver.url}"
    assert receiver.attempts == 1

    down = f"http://127.0.0.1:{free_port()}/hook"
    refused = acme.ok("POST", f"/api/v1/channels/{hook_channel(acme, 'down', down)}/test")
    assert refused["ok"] is False and refused["outcome"] == "refused", refused
    assert refused["status_code"] is None and "refused" in refused["error"].lower()

    stall = WebhookReceiver(mode="stall", stall_s=4.0).start()
    try:
        slow = hook_channel(acme, "slow", stall.url, timeout_s=1)
        timed_out = acme.ok("POST", f"/api/v1/channels/{slow}/test")
    finally:
        stall.stop()
    assert timed_out["ok"] is False and timed_out["outcome"] == "timeout", timed_out
    assert 900 <= timed_out["elapsed_ms"] < 3900  # bounded by the channel's 1 s timeout

    off = acme.ok("POST", "/api/v1/channels", {"name": "off", "type": "webhook",
                                               "enabled": False,
                                               "config": {"url": receiver.url}}, status=201)
    turned_off = acme.ok("POST", f"/api/v1/channels/{off['id']}/test")
    assert turned_off["outcome"] == "turned_off" and turned_off["ok"] is False
    assert turned_off["error"] == "channel 'off' is turned off"
    assert receiver.attempts == 1  # a disabled channel sends nothing, as in real deliveries

    assert "no channel 'c_nope'" in acme.refused("POST", "/api/v1/channels/c_nope/test",
                                                 status=404)
    assert "bogus" in acme.refused("POST", f"/api/v1/channels/{off['id']}/test?bogus=1")


def test_send_test_by_email_over_starttls(setup: tuple[Client, Client, Path],
                                          tmp_path: Path) -> None:
    acme, _, _ = setup
    smtp = SmtpReceiver(tmp_path)
    try:
        config = {"host": "127.0.0.1", "port": smtp.port, "username": "alerts",
                  "password": "pw", "from": "bongsu@example.net", "to": ["ops@example.net"],
                  "ca_file": str(smtp.cert), "timeout_s": 5}
        mail = acme.ok("POST", "/api/v1/channels", {"name": "ops mail", "type": "email",
                                                    "config": config}, status=201)
        answer = acme.ok("POST", f"/api/v1/channels/{mail['id']}/test")
        wrong = acme.ok("POST", "/api/v1/channels", {
            "name": "ops mail wrong", "type": "email",
            "config": {**config, "password": "nope"}}, status=201)
        refused = acme.ok("POST", f"/api/v1/channels/{wrong['id']}/test")
        [got] = smtp.mails()
    finally:
        smtp.stop()
    assert answer["ok"] is True and answer["outcome"] == "delivered", answer
    assert got.key == answer["key"] and got.tls
    assert got.subject == "[FIRING] Bongsu test notification: test=true"
    assert "Test notification from Bongsu for channel 'ops mail'" in got.text
    assert refused["ok"] is False and refused["outcome"] == "error"
    assert refused["error"] == "SMTP login refused: 535" and refused["retryable"] is False


def record(meta: Path, transitions: list[Transition]) -> None:
    repo = AlertRepo(connect(f"sqlite:///{meta}"))
    repo.record([t.instance for t in transitions], transitions)


def test_filters_by_service_and_window_and_the_summary_counts(
        setup: tuple[Client, Client, Path]) -> None:
    acme, beta, meta = setup
    orders, billing = {"service": "orders"}, {"service": "billing"}
    record(meta, [fired("r-orders", orders, T0_US - 120 * MIN_US, tenant="acme",
                        severity="critical")])
    record(meta, [resolved("r-orders", orders, T0_US - 60 * MIN_US, tenant="acme",
                           severity="critical")])
    record(meta, [fired("r-billing", billing, T0_US - 30 * MIN_US, tenant="acme")])
    record(meta, [fired("r-orders", orders, T0_US - 10 * MIN_US, tenant="acme",
                        severity="critical")])
    pending = instance("r-billing-p95", billing, "pending", T0_US, tenant="acme")
    AlertRepo(connect(f"sqlite:///{meta}")).record([pending], [])
    ms = T0_US // 1000

    window = acme.ok("GET", f"/api/v1/alerts/history?service=orders&from={ms - 180 * 60_000}"
                            f"&to={ms - 50 * 60_000}")["history"]
    assert [(c["new"], c["at_ms"]) for c in window] == [
        ("resolved", ms - 60 * 60_000), ("firing", ms - 120 * 60_000)]
    assert all(c["alert"]["labels"] == orders for c in window)
    every = acme.ok("GET", f"/api/v1/alerts/history?from={ms - 180 * 60_000}")["history"]
    assert len([c for c in every if c["alert"]["rule_id"].startswith("r-")]) == 4
    billing_only = acme.ok("GET", f"/api/v1/alerts/history?service=billing"
                                  f"&from={ms - 180 * 60_000}")["history"]
    assert [c["alert"]["rule_id"] for c in billing_only] == ["r-billing"]
    assert beta.ok("GET", f"/api/v1/alerts/history?service=orders&from={ms - 180 * 60_000}"
                   ) == {"history": []}
    detail = acme.refused("GET", f"/api/v1/alerts/history?from={ms}&to={ms - 1}")
    assert detail.startswith("to: "), detail

    now = acme.ok("GET", "/api/v1/alerts?service=orders")["alerts"]
    assert [(a["rule_id"], a["state"]) for a in now] == [("r-orders", "firing")]
    assert [a["rule_id"] for a in acme.ok("GET", "/api/v1/alerts?service=billing&state=firing"
                                          )["alerts"]] == ["r-billing"]

    summary = acme.ok("GET", "/api/v1/alerts/summary")
    assert summary == {"firing": 2, "pending": 1, "worst": "critical",
                       "by_severity": {"critical": 1, "warning": 1, "info": 0}}
    listed = acme.ok("GET", "/api/v1/alerts?state=firing")["alerts"]
    assert summary["firing"] == len(listed)
    assert beta.ok("GET", "/api/v1/alerts/summary") == {
        "firing": 0, "pending": 0, "worst": None,
        "by_severity": {"critical": 0, "warning": 0, "info": 0}}


def test_another_tenants_channels_routes_and_silences_are_out_of_reach(
        setup: tuple[Client, Client, Path], receiver: WebhookReceiver) -> None:
    acme, beta, _ = setup
    channel = hook_channel(acme, "acme only", receiver.url)
    route = acme.ok("POST", "/api/v1/routes", {"channel_ids": [channel]}, status=201)["id"]
    silence = acme.ok("POST", "/api/v1/silences", {
        "matchers": [{"name": "service", "op": "=", "value": "orders"}],
        "ends_ms": int(time.time() * 1000) + 3_600_000, "author": "ops"}, status=201)["id"]

    assert channel not in json.dumps(beta.ok("GET", "/api/v1/channels"))
    assert beta.ok("GET", "/api/v1/routes") == {"routes": []}
    assert beta.ok("GET", "/api/v1/silences") == {"silences": []}
    beta.refused("POST", f"/api/v1/channels/{channel}/test", status=404)
    beta.refused("DELETE", f"/api/v1/channels/{channel}", status=404)
    beta.refused("DELETE", f"/api/v1/routes/{route}", status=404)
    beta.refused("DELETE", f"/api/v1/silences/{silence}", status=404)
    assert receiver.attempts == 0
    assert route in {r["id"] for r in acme.ok("GET", "/api/v1/routes")["routes"]}
    assert silence in {s["id"] for s in acme.ok("GET", "/api/v1/silences")["silences"]}

    # The owner deletes them; a channel a route still sends to is refused first.
    detail = acme.refused("DELETE", f"/api/v1/channels/{channel}", status=409)
    assert route in detail, detail
    assert acme.call("DELETE", f"/api/v1/routes/{route}") == (204, None)
    assert acme.call("DELETE", f"/api/v1/channels/{channel}") == (204, None)
    assert acme.call("DELETE", f"/api/v1/silences/{silence}") == (204, None)
    acme.refused("DELETE", f"/api/v1/routes/{route}", status=404)
    assert channel not in {c["id"] for c in acme.ok("GET", "/api/v1/channels")["channels"]}
