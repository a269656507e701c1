"""The audit log on a real accounts-mode server: every successful write of the API is
there — the accounts changes under their own names (``member.role`` …), and every other
one as ``"<METHOD> <route>"`` with its path parameters (a rule made, a check changed, a
capture asked for) — with the actor, project and client address; a refused write (4xx)
leaves nothing. Admins read their organisation's log only, filtered by time, actor and
action, newest first, at most 1000 at a time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accounts.people import People, bearer, request
from bongsu.accounts.roles import Role
from server_process import ServerProcess, free_port

RULE = {"name": "audited rule", "kind": "threshold", "severity": "warning", "for": "0s",
        "spec": {"figure": "tps", "op": ">", "value": 1e9, "window_s": 300}}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, People]]:
    data = Path(tmp_path_factory.mktemp("audit")) / "data"
    data.mkdir()
    people = People(f"sqlite:///{data / 'meta.sqlite'}")
    server = ServerProcess(data, {"BONGSU_AUTH": "accounts", "BONGSU_FSYNC": "off",
                                  "BONGSU_ALERTS": "false", "BONGSU_CHECKS": "false"}).start()
    try:
        yield server, people
    finally:
        server.stop()
        people.close()


def call(server: ServerProcess, method: str, path: str, headers: dict[str, str],
         body: Any = None) -> tuple[int, Any]:
    return request(server.api_url + path, method, body, headers)


def log(server: ServerProcess, headers: dict[str, str], query: str = "") -> list[dict[str, Any]]:
    status, answer = call(server, "GET", f"/api/v1/audit{query}", headers)
    assert status == 200, answer
    entries: list[dict[str, Any]] = answer["entries"]
    return entries


def test_every_write_is_recorded_and_no_refusal(world: tuple[ServerProcess, People]) -> None:
    server, people = world
    org = people.org("Audit Org")
    admin = people.session(people.user("A_ADMIN", org, Role.ADMIN), org).headers()
    editor_token = people.token(org, people.user("A_EDITOR", org, Role.EDITOR))
    editor = bearer(editor_token)
    viewer = bearer(people.token(org, people.user("A_VIEWER", org, Role.VIEWER)))
    start = int(time.time() * 1e6)

    # Refused writes: a bad body (400), a viewer's write (403), a missing rule (404).
    assert call(server, "POST", "/api/v1/rules", editor, {"name": "x"})[0] == 400
    assert call(server, "POST", "/api/v1/rules", viewer, RULE)[0] == 403
    assert call(server, "DELETE", "/api/v1/rules/r_0000000000000000", editor)[0] == 404
    assert log(server, admin) == []

    status, rule = call(server, "POST", "/api/v1/rules", editor, RULE)
    assert status == 201, rule
    check = {"name": "audited check", "type": "tcp", "interval_s": 60,
             "target": {"host": "127.0.0.1", "port": free_port(), "timeout_s": 2}}
    status, made = call(server, "POST", "/api/v1/checks", admin, check)
    assert status == 201, made
    status, changed = call(server, "PUT", f"/api/v1/checks/{made['id']}", editor,
                           {**check, "interval_s": 120})
    assert status == 200, changed
    status, capture = call(server, "POST", "/api/v1/captures", editor,
                           {"service": "orders", "instance": "orders-1", "kind": "threads"})
    assert status == 202, capture

    entries = log(server, admin)
    actor = f"A_EDITOR (token {editor_token[:12]})"
    assert [(e["action"], e["actor"], e["target"]) for e in entries] == [
        ("POST /api/v1/captures", actor, ""),
        ("PUT /api/v1/checks/{check_id}", actor, f"check_id={made['id']}"),
        ("POST /api/v1/checks", "A_ADMIN", ""),
        ("POST /api/v1/rules", actor, ""),
    ]
    assert {(e["tenant"], e["ip"]) for e in entries} == {(org.tenant, "127.0.0.1")}
    assert entries[1]["detail"] == {"path": f"/api/v1/checks/{made['id']}", "status": 200,
                                    "params": {"check_id": made["id"]}}
    assert all(start <= e["at_us"] <= int(time.time() * 1e6) for e in entries)

    # Filters: action, actor, limit, and a time window.
    assert [e["action"] for e in log(server, admin, "?action=POST%20/api/v1/rules")] == [
        "POST /api/v1/rules"]
    assert [e["action"] for e in log(server, admin, "?actor=A_ADMIN")] == [
        "POST /api/v1/checks"]
    assert len(log(server, admin, "?limit=2")) == 2
    middle = entries[2]["at_us"]
    window = log(server, admin, f"?from={middle / 1000:.3f}&to={entries[1]['at_us'] / 1000:.3f}")
    assert [e["action"] for e in window] == ["POST /api/v1/checks"]
    status, answer = call(server, "GET", "/api/v1/audit?limit=1001", admin)
    assert status == 400 and answer["detail"].startswith("limit:"), answer
    status, answer = call(server, "GET", "/api/v1/audit?from=yesterday", admin)
    assert status == 400 and answer["detail"].startswith("from:"), answer
    status, answer = call(server, "GET", "/api/v1/audit?who=me", admin)
    assert status == 400 and "who" in answer["detail"], answer
    status, answer = call(server, "GET", "/api/v1/audit", editor)
    assert status == 403, answer


def test_an_admin_reads_their_own_orgs_log_only(world: tuple[ServerProcess, People]) -> None:
    server, people = world
    mine, theirs = people.org("Log Mine"), people.org("Log Theirs")
    mine_owner = people.session(people.user("LM_OWNER", mine, Role.OWNER), mine).headers()
    their_owner = people.session(people.user("LT_OWNER", theirs, Role.OWNER), theirs).headers()
    assert call(server, "POST", "/api/v1/rules", mine_owner, RULE)[0] == 201
    status, answer = call(server, "POST", "/api/v1/org/projects", their_owner, {"name": "p"})
    assert status == 201, answer
    assert [e["action"] for e in log(server, mine_owner)] == ["POST /api/v1/rules"]
    assert [e["action"] for e in log(server, their_owner)] == ["project.create"]


def test_a_single_user_servers_writes_are_in_its_log(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data", {"BONGSU_FSYNC": "off", "BONGSU_ALERTS": "false",
                                               "BONGSU_CHECKS": "false"}).start()
    try:
        silence = {"matchers": [{"name": "service", "op": "=", "value": "orders"}],
                   "ends_ms": int(time.time() * 1000) + 3_600_000, "author": "me",
                   "comment": "deploy"}
        status, made = call(server, "POST", "/api/v1/silences", {}, silence)
        assert status == 201, made
        assert call(server, "DELETE", f"/api/v1/silences/{made['id']}", {})[0] == 204
        assert [(e["action"], e["actor"], e["target"]) for e in log(server, {})] == [
            ("DELETE /api/v1/silences/{silence_id}", "single-user", f"silence_id={made['id']}"),
            ("POST /api/v1/silences", "single-user", "")]
    finally:
        server.stop()
