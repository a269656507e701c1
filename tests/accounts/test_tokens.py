"""API tokens on a real accounts-mode server: a user's own token has at most their role
(above it is refused, naming it); service-account tokens only by an admin; a token is
shown once, lists with its prefix and last use, may expire; a user lists and revokes
their own, an admin every token of the organisation; a revoked token is refused on the
next request. Another organisation's token id is a 404."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accounts.people import People, bearer, request
from bongsu.accounts.roles import Role
from server_process import ServerProcess

DAY_US = 86_400_000_000


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, People]]:
    data = Path(tmp_path_factory.mktemp("tokens")) / "data"
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


RULE = {"name": "token rule", "kind": "threshold", "severity": "warning", "for": "0s",
        "spec": {"figure": "tps", "op": ">", "value": 1e9, "window_s": 300}}


def test_tokens_of_users_and_service_accounts(world: tuple[ServerProcess, People]) -> None:
    server, people = world
    org = people.org("Token Org")
    admin = people.session(people.user("T_ADMIN", org, Role.ADMIN), org).headers()
    editor_user = people.user("T_EDITOR", org, Role.EDITOR)
    editor = people.session(editor_user, org).headers()

    status, answer = call(server, "POST", "/api/v1/tokens", editor,
                          {"name": "too much", "role": "admin"})
    assert status == 403 and answer["detail"] == (
        "role: a token may have your role 'editor' at most, not 'admin'"), answer
    status, answer = call(server, "POST", "/api/v1/tokens", editor,
                          {"name": "robot", "role": "viewer", "service_account": True})
    assert status == 403 and "'admin' or above" in answer["detail"], answer
    status, answer = call(server, "POST", "/api/v1/tokens", editor,
                          {"name": "ci", "role": "editor", "expires_days": 0})
    assert status == 400 and answer["detail"].startswith("expires_days:"), answer

    before = int(time.time() * 1e6)
    status, mine = call(server, "POST", "/api/v1/tokens", editor,
                        {"name": "ci", "role": "editor", "expires_days": 30})
    assert status == 201, mine
    assert mine["token"].startswith("bst_") and mine["prefix"] == mine["token"][:12]
    assert (mine["user"], mine["role"], mine["last_used_us"]) == ("T_EDITOR", "editor", None)
    assert before + 30 * DAY_US <= mine["expires_us"] <= before + 30 * DAY_US + 60_000_000
    status, robot = call(server, "POST", "/api/v1/tokens", admin,
                         {"name": "robot", "role": "viewer", "service_account": True})
    assert status == 201 and robot["user"] is None, robot

    # The editor's token writes as the editor; the service account's only reads.
    status, answer = call(server, "POST", "/api/v1/rules", bearer(mine["token"]), RULE)
    assert status == 201, answer
    assert call(server, "GET", "/api/v1/rules", bearer(robot["token"]))[0] == 200
    status, answer = call(server, "POST", "/api/v1/rules", bearer(robot["token"]), RULE)
    assert status == 403, answer

    status, listed = call(server, "GET", "/api/v1/tokens", editor)
    assert [(t["name"], t["user"]) for t in listed["tokens"]] == [("ci", "T_EDITOR")]
    assert "token" not in listed["tokens"][0]
    assert listed["tokens"][0]["last_used_us"] >= before
    status, listed = call(server, "GET", "/api/v1/tokens", admin)
    assert [(t["name"], t["user"]) for t in listed["tokens"]] == [
        ("robot", None), ("ci", "T_EDITOR")]

    # The editor may not revoke the robot (not theirs: not found); the admin may.
    status, answer = call(server, "DELETE", f"/api/v1/tokens/{robot['id']}", editor)
    assert status == 404, answer
    assert call(server, "GET", "/api/v1/rules", bearer(robot["token"]))[0] == 200
    assert call(server, "DELETE", f"/api/v1/tokens/{robot['id']}", admin)[0] == 204
    assert call(server, "GET", "/api/v1/rules", bearer(robot["token"]))[0] == 401
    assert call(server, "DELETE", f"/api/v1/tokens/{mine['id']}", editor)[0] == 204
    assert call(server, "GET", "/api/v1/rules", bearer(mine["token"]))[0] == 401
    assert call(server, "DELETE", f"/api/v1/tokens/{mine['id']}", editor)[0] == 404

    entries = call(server, "GET", "/api/v1/audit?limit=1000", admin)[1]["entries"]
    token_entries = [(e["action"], e["actor"], e["target"]) for e in entries
                     if e["action"].startswith("token.")]
    assert token_entries == [
        ("token.revoke", "T_EDITOR", mine["prefix"]),
        ("token.revoke", "T_ADMIN", robot["prefix"]),
        ("token.create", "T_ADMIN", robot["prefix"]),
        ("token.create", "T_EDITOR", mine["prefix"])]


def test_a_token_follows_its_users_role(world: tuple[ServerProcess, People]) -> None:
    server, people = world
    org = people.org("Demotion Org")
    owner = people.session(people.user("D_OWNER", org, Role.OWNER), org).headers()
    user = people.user("D_EDITOR", org, Role.EDITOR)
    status, made = call(server, "POST", "/api/v1/tokens", people.session(user, org).headers(),
                        {"name": "mine", "role": "editor"})
    assert status == 201, made
    assert call(server, "POST", "/api/v1/rules", bearer(made["token"]), RULE)[0] == 201
    assert call(server, "PATCH", f"/api/v1/org/members/{user.id}", owner,
                {"role": "viewer"})[0] == 200
    status, answer = call(server, "POST", "/api/v1/rules", bearer(made["token"]), RULE)
    assert status == 403 and "'viewer'" in answer["detail"], answer


def test_an_expired_token_and_another_orgs_token(world: tuple[ServerProcess, People]) -> None:
    server, people = world
    mine, theirs = people.org("Mine Tokens"), people.org("Theirs Tokens")
    admin = people.session(people.user("MT_ADMIN", mine, Role.ADMIN), mine).headers()
    their_user = people.user("TT_VIEWER", theirs, Role.VIEWER)
    their_token = people.token(theirs, their_user)
    gone = people.token(mine, role=Role.VIEWER, expires_in_s=-1)
    assert call(server, "GET", "/api/v1/services", bearer(gone))[0] == 401
    their_session = people.session(their_user, theirs).headers()
    (their_id,) = [t["id"] for t in call(server, "GET", "/api/v1/tokens", their_session)[1][
        "tokens"]]
    status, answer = call(server, "DELETE", f"/api/v1/tokens/{their_id}", admin)
    assert status == 404, answer
    assert call(server, "GET", "/api/v1/services", bearer(their_token))[0] == 200
    assert their_id not in [t["id"] for t in call(server, "GET", "/api/v1/tokens", admin)[1][
        "tokens"]]
