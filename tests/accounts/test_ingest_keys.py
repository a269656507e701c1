"""Ingest keys on a real accounts-mode server: the OTLP port needs one even before any
exists, and revoking the last one does not reopen it; a key revoked through the API is
refused at once by the server that revoked it (by another process's revocation within
the two seconds the key cache lives); a key reads nothing through the API, captures
included; and it answers the agent control channel for its own project only."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accounts.people import People, bearer, request
from alerts.receivers import until
from bongsu.accounts.roles import Role
from bongsu.agent._threads import capture_threads
from otlp_build import span, traces
from server_process import ServerProcess, survivors

TRACE = traces([span()], service="orders", instance="orders-1").SerializeToString()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[ServerProcess, People]]:
    data = tmp_path / "data"
    data.mkdir()
    people = People(f"sqlite:///{data / 'meta.sqlite'}")
    server = ServerProcess(data, {"BONGSU_AUTH": "accounts", "BONGSU_FSYNC": "off"}).start()
    try:
        yield server, people
    finally:
        server.stop()
        people.close()
    assert survivors(server.left_behind) == []


def _otlp(server: ServerProcess, key: str | None, body: bytes = TRACE) -> int:
    return server.post("/v1/traces", body, headers=bearer(key) if key else {})[0]


def _control(server: ServerProcess, method: str, path: str, key: str | None,
             body: Any = None) -> tuple[int, Any]:
    return request(server.otlp_url + path, method, body, bearer(key) if key else {})


def test_no_key_is_a_401_before_any_key_exists_and_after_the_last_is_revoked(
        server: tuple[ServerProcess, People]) -> None:
    srv, people = server
    assert people.keys.list() == []
    assert _otlp(srv, None) == 401
    assert _otlp(srv, "bsk_made_up") == 401
    assert _control(srv, "GET", "/v1/bongsu/agent/commands?service=a&instance=b", None)[0] == 401
    assert _control(srv, "POST", "/v1/bongsu/agent/results", None, {
        "service": "a", "instance": "b", "command_id": None, "kind": "threads", "ok": True,
        "result": {}, "error": ""})[0] == 401

    acme = people.org("Acme")
    admin = people.token(acme, people.user("ACME_ADMIN", acme, Role.ADMIN))
    made = people.keys.create(acme.tenant, "agents")
    assert made.key is not None
    until("the new key taken", lambda: _otlp(srv, made.key) == 200, timeout=10)

    status, _ = request(srv.api_url + f"/api/v1/org/projects/{acme.project_id}/keys/{made.id}",
                        "DELETE", None, bearer(admin))
    assert status in (200, 204)
    assert _otlp(srv, made.key) == 401  # at once: the very next request
    assert _otlp(srv, None) == 401  # and no key left does not open the port
    time.sleep(2.5)  # past the key cache's life: still closed
    assert _otlp(srv, None) == 401 and _otlp(srv, made.key) == 401


def test_a_key_revoked_by_another_process_is_refused_within_two_seconds(
        server: tuple[ServerProcess, People]) -> None:
    srv, people = server
    acme = people.org("Acme")
    key = people.ingest_key(acme)
    until("the new key taken", lambda: _otlp(srv, key) == 200, timeout=10)
    subprocess.run([sys.executable, "-m", "bongsu", "keys", "--data-dir", str(srv.data_dir),
                    "revoke", key[:12]], check=True, capture_output=True, env=srv.env)
    revoked = time.monotonic()
    until("the revoked key refused", lambda: _otlp(srv, key) == 401, timeout=10)
    assert time.monotonic() - revoked < 3.0  # the cache's 2 s and a request's time
    assert _otlp(srv, None) == 401


def test_an_ingest_key_reads_nothing_and_asks_for_no_capture(
        server: tuple[ServerProcess, People]) -> None:
    srv, people = server
    acme = people.org("Acme")
    key = people.ingest_key(acme)
    viewer = people.token(acme, people.user("ACME_VIEWER", acme, Role.VIEWER))
    assert _otlp(srv, key) == 200
    srv.wait_loaded()
    status, pushed = _control(srv, "POST", "/v1/bongsu/agent/results", key, {
        "service": "orders", "instance": "orders-1", "host": "pod-x", "pid": 42,
        "command_id": None, "kind": "threads", "ok": True, "result": capture_threads(None),
        "error": ""})
    assert status == 200, pushed
    for method, path, body in [
        ("GET", "/api/v1/services", None), ("GET", "/api/v1/traces", None),
        ("GET", "/api/v1/logs", None), ("GET", "/api/v1/rules", None),
        ("GET", "/api/v1/captures", None), ("GET", f"/api/v1/captures/{pushed['id']}", None),
        ("POST", "/api/v1/captures", {"service": "orders", "instance": "orders-1",
                                      "kind": "threads"}),
        ("GET", "/api/v1/auth/session", None), ("GET", "/api/v1/org", None),
    ]:
        status, answer = request(srv.api_url + path, method, body, bearer(key))
        assert status == 403, (path, status, answer)
        assert "ingest key" in answer["detail"], answer
    # What the key wrote, a viewer of its organisation reads.
    status, answer = request(srv.api_url + f"/api/v1/captures/{pushed['id']}", "GET", None,
                             bearer(viewer))
    assert status == 200 and answer["kind"] == "threads", answer
    assert "orders" in str(request(srv.api_url + "/api/v1/services", "GET", None,
                                   bearer(viewer))[1])


def test_the_control_channel_hands_a_project_only_its_own_commands(
        server: tuple[ServerProcess, People]) -> None:
    """Two projects each with an instance ``orders-1`` of ``orders``: a capture asked for
    in A reaches A's agent only; B's key can neither take it nor answer it."""
    srv, people = server
    a, b = people.org("Alpha"), people.org("Beta")
    key_a, key_b = people.ingest_key(a), people.ingest_key(b)
    editor_a = bearer(people.token(a, people.user("ALPHA_EDITOR", a, Role.EDITOR)))
    owner_b = bearer(people.token(b, people.user("BETA_OWNER", b, Role.OWNER)))
    poll = "/v1/bongsu/agent/commands?service=orders&instance=orders-1"

    status, pending = request(srv.api_url + "/api/v1/captures", "POST", {
        "service": "orders", "instance": "orders-1", "kind": "threads"}, editor_a)
    assert status == 202 and pending["status"] == "pending", pending
    assert _control(srv, "GET", poll, key_b) == (204, None)
    answer = {"service": "orders", "instance": "orders-1", "host": "pod-b", "pid": 7,
              "command_id": pending["id"], "kind": "threads", "ok": True,
              "result": capture_threads(None), "error": ""}
    assert _control(srv, "POST", "/v1/bongsu/agent/results", key_b, answer)[0] == 404
    _listed(srv, editor_a, pending["id"], "pending")

    status, got = _control(srv, "GET", poll, key_a)
    assert status == 200 and [c["id"] for c in got["commands"]] == [pending["id"]], got
    assert _control(srv, "GET", poll, key_a) == (204, None)  # handed over once
    assert _control(srv, "POST", "/v1/bongsu/agent/results", key_a,
                    {**answer, "host": "pod-a"})[0] == 200
    done = _listed(srv, editor_a, pending["id"], "done")
    assert done["instance"] == "orders-1"
    assert request(srv.api_url + f"/api/v1/captures/{pending['id']}", "GET", None,
                   owner_b)[0] == 404
    assert request(srv.api_url + "/api/v1/captures", "GET", None, owner_b)[1] == {
        "captures": []}


def _listed(srv: ServerProcess, token: dict[str, str], capture_id: str,
            status: str) -> dict[str, Any]:
    def find() -> dict[str, Any] | None:
        _, answer = request(srv.api_url + "/api/v1/captures", "GET", None, token)
        return next((c for c in answer["captures"]
                     if c["id"] == capture_id and c["status"] == status), None)

    found: dict[str, Any] = until(f"capture {capture_id} {status}", find, timeout=20)
    return found
