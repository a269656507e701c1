"""Members and roles on a real accounts-mode server: anyone in the organisation lists
them; an admin changes roles and removes members, but only an owner grants or takes the
role owner; nobody raises their own role; the last owner can be neither demoted, removed
nor leave (409, naming them); each change audited old → new. A removed member's session
and token stop working there on the next request; another organisation's member is a
404, exactly like no member at all."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from accounts.people import People, bearer, request
from bongsu.accounts.audit import By
from bongsu.accounts.members import change_role
from bongsu.accounts.principal import Principal
from bongsu.accounts.roles import Role
from bongsu.errors import Conflict
from server_process import ServerProcess


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, People]]:
    data = Path(tmp_path_factory.mktemp("members")) / "data"
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


def roles(server: ServerProcess, headers: dict[str, str]) -> dict[str, str]:
    status, answer = call(server, "GET", "/api/v1/org/members", headers)
    assert status == 200, answer
    return {m["login"]: m["role"] for m in answer["members"]}


def test_roles_change_within_the_rules(world: tuple[ServerProcess, People]) -> None:
    server, people = world
    org = people.org("Roles Org")
    owner = people.user("R_OWNER", org, Role.OWNER)
    admin = people.user("R_ADMIN", org, Role.ADMIN)
    viewer = people.user("R_VIEWER", org, Role.VIEWER)
    by_owner = people.session(owner, org).headers()
    by_admin = bearer(people.token(org, admin))
    by_viewer = bearer(people.token(org, viewer))

    assert roles(server, by_viewer) == {"R_OWNER": "owner", "R_ADMIN": "admin",
                                        "R_VIEWER": "viewer"}
    status, answer = call(server, "PATCH", f"/api/v1/org/members/{viewer.id}", by_viewer,
                          {"role": "editor"})
    assert status == 403 and "'admin' or above" in answer["detail"], answer
    status, answer = call(server, "PATCH", f"/api/v1/org/members/{viewer.id}", by_admin,
                          {"role": "editor"})
    assert status == 200 and answer["role"] == "editor", answer
    status, answer = call(server, "PATCH", f"/api/v1/org/members/{viewer.id}", by_admin,
                          {"role": "owner"})
    assert status == 403 and "only an owner" in answer["detail"], answer
    status, answer = call(server, "PATCH", f"/api/v1/org/members/{admin.id}", by_admin,
                          {"role": "owner"})
    assert status == 403 and "nobody raises their own role" in answer["detail"], answer
    status, answer = call(server, "PATCH", f"/api/v1/org/members/{owner.id}", by_admin,
                          {"role": "viewer"})
    assert status == 403 and "only an owner" in answer["detail"], answer
    status, answer = call(server, "PATCH", f"/api/v1/org/members/{viewer.id}", by_admin,
                          {"role": "root"})
    assert status == 400 and answer["detail"].startswith("role: one of"), answer

    # The last owner stays one; with a second owner, the first may step down.
    status, answer = call(server, "PATCH", f"/api/v1/org/members/{owner.id}", by_owner,
                          {"role": "admin"})
    assert status == 409 and "R_OWNER is the last owner" in answer["detail"], answer
    status, answer = call(server, "PATCH", f"/api/v1/org/members/{admin.id}", by_owner,
                          {"role": "owner"})
    assert status == 200, answer
    status, answer = call(server, "PATCH", f"/api/v1/org/members/{owner.id}", by_owner,
                          {"role": "admin"})
    assert status == 200, answer
    assert roles(server, by_viewer) == {"R_OWNER": "admin", "R_ADMIN": "owner",
                                        "R_VIEWER": "editor"}

    entries = call(server, "GET", "/api/v1/audit?action=member.role", by_admin)[1]["entries"]
    assert [(e["actor"], e["target"], e["detail"]["from"], e["detail"]["to"])
            for e in entries] == [
        ("R_OWNER", "R_OWNER", "owner", "admin"),
        ("R_OWNER", "R_ADMIN", "admin", "owner"),
        (f"R_ADMIN (token {by_admin['Authorization'][7:19]})", "R_VIEWER", "viewer",
         "editor")]
    assert {e["ip"] for e in entries} == {"127.0.0.1"}


def test_removed_members_credentials_stop_at_once(world: tuple[ServerProcess, People]) -> None:
    server, people = world
    org = people.org("Removal Org")
    owner = people.user("M_OWNER", org, Role.OWNER)
    admin = people.user("M_ADMIN", org, Role.ADMIN)
    editor = people.user("M_EDITOR", org, Role.EDITOR)
    by_admin = people.session(admin, org).headers()
    session = people.session(editor, org).headers()
    token = bearer(people.token(org, editor))
    for headers in (session, token):
        status, answer = call(server, "GET", "/api/v1/services", headers)
        assert status == 200, answer

    status, answer = call(server, "DELETE", f"/api/v1/org/members/{owner.id}", by_admin)
    assert status == 403 and "only an owner" in answer["detail"], answer
    status, answer = call(server, "DELETE", f"/api/v1/org/members/{editor.id}", by_admin)
    assert status == 204, answer
    status, answer = call(server, "GET", "/api/v1/services", session)
    assert status == 403, answer
    status, answer = call(server, "GET", "/api/v1/services", token)
    assert status == 401, answer
    assert "M_EDITOR" not in roles(server, by_admin)
    status, answer = call(server, "DELETE", f"/api/v1/org/members/{editor.id}", by_admin)
    assert status == 404, answer
    # Joining again does not bring the old token back.
    people.join(editor, org, Role.EDITOR)
    assert call(server, "GET", "/api/v1/services", token)[0] == 401
    entries = call(server, "GET", "/api/v1/audit?action=member.remove", by_admin)[1]
    assert [(e["actor"], e["target"], e["detail"]["role"]) for e in entries["entries"]] == [
        ("M_ADMIN", "M_EDITOR", "editor")]


def test_leaving_and_the_last_owner(world: tuple[ServerProcess, People]) -> None:
    server, people = world
    org = people.org("Leaving Org")
    owner = people.user("L_OWNER", org, Role.OWNER)
    viewer = people.user("L_VIEWER", org, Role.VIEWER)
    other = people.user("L_OTHER", org, Role.VIEWER)
    by_owner = people.session(owner, org).headers()
    by_viewer = people.session(viewer, org).headers()
    status, answer = call(server, "DELETE", f"/api/v1/org/members/{other.id}", by_viewer)
    assert status == 403, answer  # a viewer removes nobody but themselves
    status, answer = call(server, "DELETE", f"/api/v1/org/members/{viewer.id}", by_viewer)
    assert status == 204, answer
    status, answer = call(server, "DELETE", f"/api/v1/org/members/{owner.id}", by_owner)
    assert status == 409 and "L_OWNER is the last owner" in answer["detail"], answer
    assert roles(server, by_owner) == {"L_OWNER": "owner", "L_OTHER": "viewer"}
    # The session that left still works, for its own organisations only.
    status, answer = call(server, "GET", "/api/v1/orgs", by_viewer)
    assert status == 200 and answer["orgs"] == [], answer
    entries = call(server, "GET", "/api/v1/audit?action=member.leave", by_owner)[1]
    assert [(e["actor"], e["target"]) for e in entries["entries"]] == [
        ("L_VIEWER", "L_VIEWER")]


def test_another_orgs_member_is_not_found(world: tuple[ServerProcess, People]) -> None:
    server, people = world
    mine, theirs = people.org("Own Org"), people.org("Other Org")
    owner = people.user("O_OWNER", mine, Role.OWNER)
    stranger = people.user("O_STRANGER", theirs, Role.VIEWER)
    by_owner = people.session(owner, mine).headers()
    for method, body in (("PATCH", {"role": "editor"}), ("DELETE", None)):
        for user_id in (stranger.id, 999999):
            status, answer = call(server, method, f"/api/v1/org/members/{user_id}",
                                  by_owner, body)
            assert (status, answer["detail"]) == (
                404, f"no member {user_id} in this organisation"), answer
    assert people.role_of(stranger, theirs) is Role.VIEWER


def test_two_owners_stepping_down_at_once_leave_one(engine: Engine) -> None:
    """On SQLite and on a real PostgreSQL: the second demotion waits for the first's
    transaction, then finds the last owner and is refused."""
    people = People(engine)
    org = people.org("Race Org")
    ann, ben = people.user("RACE_ANN", org, Role.OWNER), people.user("RACE_BEN", org, Role.OWNER)

    def by(user: Any) -> By:
        return By(Principal("session", org.tenant, Role.OWNER, org.id, user.id, user.login))

    first = engine.connect()
    transaction = first.begin()
    change_role(first, org.id, ben.id, Role.ADMIN, by(ann))  # not committed yet
    outcome: dict[str, str] = {}

    def second() -> None:
        try:
            with engine.begin() as con:
                change_role(con, org.id, ann.id, Role.ADMIN, by(ben))
            outcome["done"] = "demoted"
        except Conflict as exc:
            outcome["done"] = exc.message

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive(), outcome  # waiting for the first transaction's lock
    transaction.commit()
    first.close()
    thread.join(10)
    assert outcome["done"].startswith("RACE_ANN is the last owner"), outcome
    assert (people.role_of(ann, org), people.role_of(ben, org)) == (Role.OWNER, Role.ADMIN)
