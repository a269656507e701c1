"""The alert API through a real ``bongsu server``: rules, alert states and history,
silences, channels and routes — tenant-scoped, checked by the engine's own checks (a 400
naming the field, never a 500), and a channel's secrets never returned."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accounts.people import People
from bongsu.accounts.roles import Role
from bongsu.alerts.defaults import default_rules
from bongsu.meta.database import connect
from bongsu.meta.keys import KeyRing
from server_process import ServerProcess, survivors

HOUR_MS = 3_600_000


class Client:
    """An API caller of one tenant: an API token of a member of the tenant's organisation."""

    def __init__(self, server: ServerProcess, token: str, key: str = "") -> None:
        self.server = server
        self.token = token
        self.key = key  # the tenant's ingest key (telemetry only)

    def call(self, method: str, path: str, body: Any = None,
             raw: bytes | None = None) -> tuple[int, Any]:
        data = raw if raw is not None else (
            None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(
            self.server.api_url + path, data=data, method=method,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                text = r.read()
                return r.status, json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            text = e.read()
            return e.code, json.loads(text) if text else None

    def ok(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        got, answer = self.call(method, path, body)
        assert got == status, (method, path, got, answer)
        return answer

    def refused(self, method: str, path: str, body: Any = None, status: int = 400) -> str:
        got, answer = self.call(method, path, body)
        assert got == status, (method, path, got, answer)
        return str(answer["detail"])


@pytest.fixture(scope="module")
def tenants(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Client, Client]]:
    data = tmp_path_factory.mktemp("alerts-api") / "data"
    data.mkdir()
    ring = KeyRing(connect(f"sqlite:///{data / 'meta.sqlite'}"))
    acme, beta = ring.create("acme").key, ring.create("beta").key
    ring.close()
    assert acme and beta
    acme_token, beta_token = editors(data)
    server = ServerProcess(data, {"BONGSU_AUTH": "accounts", "BONGSU_FSYNC": "off"}).start()
    try:
        yield Client(server, acme_token, acme), Client(server, beta_token, beta)
    finally:
        server.stop()
    assert survivors(server.left_behind) == []


def editors(data: Path) -> tuple[str, str]:
    """API tokens of an editor of acme's and of beta's organisation (the keys made them)."""
    people = People(f"sqlite:///{data / 'meta.sqlite'}")
    try:
        return (people.member(people.org_of("acme"), "ACME_EDITOR", Role.EDITOR)[1],
                people.member(people.org_of("beta"), "BETA_EDITOR", Role.EDITOR)[1])
    finally:
        people.close()


RULE: dict[str, Any] = {"name": "Orders slow", "kind": "threshold", "for": "5m", "interval": "30s",
        "spec": {"figure": "apdex", "op": "<", "value": 0.7, "service": "orders"}}


def test_rules_are_created_read_replaced_and_deleted(tenants: tuple[Client, Client]) -> None:
    acme, beta = tenants
    listed = acme.ok("GET", "/api/v1/rules")["rules"]
    builtin = {r["id"] for r in listed if r["builtin"]}
    assert builtin == {r.id for r in default_rules().values()}  # seeded for a key's tenant
    made = acme.ok("POST", "/api/v1/rules", {**RULE, "name": "Orders slow 1"}, status=201)
    assert made["id"] and made["for"] == "5m" and made["interval"] == "30s"
    assert made["builtin"] is False and made["enabled"] is True
    assert acme.ok("GET", f"/api/v1/rules/{made['id']}") == made
    # Another tenant neither sees nor touches it.
    assert made["id"] not in {r["id"] for r in beta.ok("GET", "/api/v1/rules")["rules"]}
    beta.refused("GET", f"/api/v1/rules/{made['id']}", status=404)
    beta.refused("PUT", f"/api/v1/rules/{made['id']}", RULE, status=404)
    beta.refused("DELETE", f"/api/v1/rules/{made['id']}", status=404)
    replaced = acme.ok("PUT", f"/api/v1/rules/{made['id']}",
                       {**RULE, "name": "Orders slow 1", "interval": "1m", "enabled": False})
    assert replaced["interval"] == "1m" and replaced["enabled"] is False
    assert replaced["id"] == made["id"]
    # A shipped default edited stays one.
    crash = acme.ok("GET", "/api/v1/rules/builtin-k8s-crash-loop")
    edited = {k: v for k, v in crash.items() if k != "builtin"} | {"interval": "10s"}
    after = acme.ok("PUT", "/api/v1/rules/builtin-k8s-crash-loop", edited)
    assert after["builtin"] is True and after["interval"] == "10s"
    assert acme.call("DELETE", f"/api/v1/rules/{made['id']}") == (204, None)
    acme.refused("GET", f"/api/v1/rules/{made['id']}", status=404)
    acme.refused("DELETE", f"/api/v1/rules/{made['id']}", status=404)


@pytest.mark.parametrize(("body", "field"), [
    ({**RULE, "spec": {**RULE["spec"], "op": "~"}}, "spec.op"),
    ({k: v for k, v in RULE.items() if k != "name"}, "name: is required"),
    ({**RULE, "interval": "5s"}, "interval"),
    ({**RULE, "for": "soon"}, "for: must be a duration"),
    ({**RULE, "kind": "psychic"}, "kind: unknown rule kind"),
    ({**RULE, "colour": "red"}, "colour: unknown field"),
    ({**RULE, "id": "mine"}, "id: is chosen by the server"),
    ({**RULE, "severity": "meh", "interval": "1s"}, "severity"),
])
def test_a_bad_rule_is_a_400_naming_the_field(tenants: tuple[Client, Client],
                                              body: dict[str, Any], field: str) -> None:
    acme, _ = tenants
    detail = acme.refused("POST", "/api/v1/rules", body)
    assert field in detail, detail
    if body.get("interval") == "1s":  # every problem is told, not just the first
        assert "interval" in detail and "severity" in detail, detail


def test_rule_names_clash_within_a_tenant_only(tenants: tuple[Client, Client]) -> None:
    acme, beta = tenants
    acme.ok("POST", "/api/v1/rules", {**RULE, "name": "Same name"}, status=201)
    assert "name" in acme.refused("POST", "/api/v1/rules", {**RULE, "name": "Same name"})
    beta.ok("POST", "/api/v1/rules", {**RULE, "name": "Same name"}, status=201)


def test_a_body_that_is_not_a_rule_and_unknown_parameters(
        tenants: tuple[Client, Client]) -> None:
    acme, _ = tenants
    status, body = acme.call("POST", "/api/v1/rules", raw=b"[1, 2]")
    assert status == 400, body
    status, body = acme.call("POST", "/api/v1/rules", raw=b"{not json")
    assert status == 400, body
    assert "colour" in acme.refused("GET", "/api/v1/rules?colour=red")
    assert "state" in acme.refused("GET", "/api/v1/alerts?state=burning")
    assert "limit" in acme.refused("GET", "/api/v1/alerts/history?limit=0")
    unauthorized = Client(acme.server, "bst_not-a-token")
    assert unauthorized.call("GET", "/api/v1/rules")[0] == 401
    ingest_key = Client(acme.server, acme.key)  # writes telemetry, reads no rule
    assert ingest_key.call("GET", "/api/v1/rules")[0] == 403


def test_alerts_and_history_start_empty(tenants: tuple[Client, Client]) -> None:
    acme, _ = tenants
    assert acme.ok("GET", "/api/v1/alerts?state=firing") == {"alerts": []}
    since = int(time.time() * 1000) - HOUR_MS
    assert acme.ok("GET", f"/api/v1/alerts/history?from={since}&limit=10") == {"history": []}


def test_silences(tenants: tuple[Client, Client]) -> None:
    acme, beta = tenants
    now = int(time.time() * 1000)
    made = acme.ok("POST", "/api/v1/silences", {
        "matchers": [{"name": "service", "op": "=", "value": "orders"}],
        "ends_ms": now + HOUR_MS, "author": "ana", "comment": "deploy"}, status=201)
    assert made["active"] is True and made["starts_ms"] >= now - 1000
    window = acme.ok("POST", "/api/v1/silences", {
        "matchers": [{"name": "pod", "op": "=~", "value": "db-.*"}], "starts_ms": now,
        "ends_ms": now + 30 * 24 * HOUR_MS, "author": "ana",
        "recurrence": "weekly sun 02:00-04:00"}, status=201)
    assert window["recurrence"] == "weekly sun 02:00-04:00"
    ids = {s["id"] for s in acme.ok("GET", "/api/v1/silences")["silences"]}
    assert {made["id"], window["id"]} <= ids
    assert beta.ok("GET", "/api/v1/silences") == {"silences": []}
    beta.refused("DELETE", f"/api/v1/silences/{made['id']}", status=404)
    assert acme.call("DELETE", f"/api/v1/silences/{made['id']}") == (204, None)
    acme.refused("DELETE", f"/api/v1/silences/{made['id']}", status=404)
    base: dict[str, Any] = {"matchers": [{"name": "service", "op": "=", "value": "x"}],
            "ends_ms": now + HOUR_MS, "author": "ana"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"starts_ms": now + 2 * HOUR_MS}, "ends_ms"),
        ({"matchers": [{"name": "pod", "op": "=~", "value": "("}]}, "matchers[0].value"),
        ({"matchers": []}, "matchers"),
        ({"matchers": [{"name": "pod", "op": "~", "value": "x"}]}, "matchers.0.op"),
        ({"author": " "}, "author"),
        ({"recurrence": "fortnightly"}, "recurrence"),
        ({"ends_ms": "tomorrow"}, "ends_ms"),
        ({"mood": "calm"}, "mood"),
    ]
    for change, field in cases:
        detail = acme.refused("POST", "/api/v1/silences", {**base, **change})
        assert field in detail, (change, detail)


def test_channels_never_return_their_secrets(tenants: tuple[Client, Client]) -> None:
    acme, beta = tenants
    hook = acme.ok("POST", "/api/v1/channels", {
        "name": "hook", "type": "webhook",
        "config": {"url": "http://127.0.0.1:9/hook", "secret": "s3cret"}}, status=201)
    slack = acme.ok("POST", "/api/v1/channels", {
        "name": "slack", "type": "slack",
        "config": {"url": "https://hooks.slack.test/services/T0/B0/xyz"}}, status=201)
    assert hook["config"] == {"url": "http://127.0.0.1:9/hook"} and hook["secrets"] == ["secret"]
    assert slack["config"] == {} and slack["secrets"] == ["url"]
    listed = acme.call("GET", "/api/v1/channels")
    text = json.dumps(listed)
    assert "s3cret" not in text and "xyz" not in text
    assert {c["name"] for c in listed[1]["channels"]} == {"hook", "slack"}
    assert beta.ok("GET", "/api/v1/channels") == {"channels": []}
    for body, field in [
        ({"name": "x", "type": "webhook", "config": {"url": "ftp://a"}}, "config.url"),
        ({"name": "x", "type": "pigeon", "config": {}}, "type"),
        ({"name": "hook", "type": "webhook", "config": {"url": "http://a/"}}, "name"),
        ({"name": "x", "type": "webhook"}, "config: required"),
    ]:
        detail = acme.refused("POST", "/api/v1/channels", body)
        assert field in detail, (body, detail)


def test_routes(tenants: tuple[Client, Client]) -> None:
    acme, beta = tenants
    channel = acme.ok("POST", "/api/v1/channels", {
        "name": "route hook", "type": "webhook",
        "config": {"url": "http://127.0.0.1:9/hook"}}, status=201)
    made = acme.ok("POST", "/api/v1/routes", {
        "matchers": [{"name": "severity", "op": "=", "value": "critical"}],
        "channel_ids": [channel["id"]], "group_by": ["rule"]}, status=201)
    assert made["group_wait_s"] == 30 and made["repeat_interval_s"] == 4 * 3600
    assert [r["id"] for r in acme.ok("GET", "/api/v1/routes")["routes"]] == [made["id"]]
    assert beta.ok("GET", "/api/v1/routes") == {"routes": []}
    detail = acme.refused("POST", "/api/v1/routes", {
        "channel_ids": [channel["id"]], "group_interval_s": 600, "repeat_interval_s": 60})
    assert detail.startswith("repeat_interval_s: 60 s is shorter than group_interval_s (600 s)")
    assert "cannot be repeated more often" in detail
    detail = beta.refused("POST", "/api/v1/routes", {"channel_ids": [channel["id"]]})
    assert detail.startswith("channel_ids[0]: no channel"), detail
    assert "channel_ids" in acme.refused("POST", "/api/v1/routes", {"channel_ids": []})
    assert "matchers[0].value" in acme.refused("POST", "/api/v1/routes", {
        "channel_ids": [channel["id"]], "matchers": [{"name": "a", "op": "=~", "value": "["}]})
