"""Organisations on a real accounts-mode server: the caller's list with roles, a new one
(its creator the owner, a project ``default``, the trial of BONGSU_TRIAL_DAYS), switching
the session's organisation (only to one's own), renaming (owners only), and the
operator's list of every organisation; each change in the audit log."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from accounts.people import People, bearer, request
from bongsu.accounts.roles import Role
from server_process import ServerProcess

TRIAL_DAYS = 15
DAY_US = 86_400_000_000


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, People]]:
    data = Path(tmp_path_factory.mktemp("orgs")) / "data"
    data.mkdir()
    people = People(f"sqlite:///{data / 'meta.sqlite'}")
    server = ServerProcess(data, {
        "BONGSU_AUTH": "accounts", "BONGSU_FSYNC": "off", "BONGSU_ALERTS": "false",
        "BONGSU_CHECKS": "false", "BONGSU_TRIAL_DAYS": str(TRIAL_DAYS)}).start()
    try:
        yield server, people
    finally:
        server.stop()
        people.close()


def call(server: ServerProcess, method: str, path: str, headers: dict[str, str],
         body: Any = None) -> tuple[int, Any]:
    return request(server.api_url + path, method, body, headers)


def test_create_list_switch_and_rename(world: tuple[ServerProcess, People]) -> None:
    server, people = world
    home = people.org("Home Org")
    ana = people.user("ANA", home, Role.EDITOR)
    session = people.session(ana, home).headers()

    status, answer = call(server, "GET", "/api/v1/orgs", session)
    assert status == 200, answer
    assert [(o["name"], o["role"]) for o in answer["orgs"]] == [("Home Org", "editor")]

    before = int(time.time() * 1e6)
    status, made = call(server, "POST", "/api/v1/orgs", session, {"name": "Ana's Shop"})
    after = int(time.time() * 1e6)
    assert status == 201, made
    assert (made["name"], made["slug"], made["role"], made["read_only"]) == (
        "Ana's Shop", "ana-s-shop", "owner", False)
    assert before + TRIAL_DAYS * DAY_US <= made["trial_ends_us"] <= after + TRIAL_DAYS * DAY_US
    status, answer = call(server, "GET", "/api/v1/orgs", session)
    assert sorted((o["name"], o["role"]) for o in answer["orgs"]) == [
        ("Ana's Shop", "owner"), ("Home Org", "editor")]

    # The session still shows Home Org until it switches.
    assert call(server, "GET", "/api/v1/org", session)[1]["name"] == "Home Org"
    status, answer = call(server, "POST", f"/api/v1/orgs/{made['id']}/switch", session)
    assert status == 200, answer
    status, current = call(server, "GET", "/api/v1/org", session)
    assert (current["id"], current["role"]) == (made["id"], "owner")
    status, projects = call(server, "GET", "/api/v1/org/projects", session)
    assert [p["name"] for p in projects["projects"]] == ["default"]
    assert projects["projects"][0]["tenant"] == "ana-s-shop"

    # Renaming: the owner may (the slug stays); as an editor of Home Org, not there.
    status, renamed = call(server, "PATCH", "/api/v1/org", session, {"name": "Ana Shop"})
    assert status == 200, renamed
    assert (renamed["name"], renamed["slug"]) == ("Ana Shop", "ana-s-shop")
    call(server, "POST", f"/api/v1/orgs/{home.id}/switch", session)
    status, answer = call(server, "PATCH", "/api/v1/org", session, {"name": "Mine now"})
    assert status == 403 and "'owner' or above" in answer["detail"], answer
    assert call(server, "GET", "/api/v1/org", session)[1]["name"] == "Home Org"

    owner = people.user("HOMEOWNER", home, Role.OWNER)
    audit = call(server, "GET", "/api/v1/audit", people_session(people, owner, home))[1]
    assert [e["action"] for e in audit["entries"]] == []  # Home Org's log: nothing yet
    call(server, "POST", f"/api/v1/orgs/{made['id']}/switch", session)
    entries = call(server, "GET", "/api/v1/audit", session)[1]["entries"]
    assert [(e["action"], e["actor"], e["target"]) for e in entries] == [
        ("org.rename", "ANA", "ana-s-shop"), ("org.create", "ANA", "ana-s-shop")]
    assert entries[0]["detail"] == {"from": "Ana's Shop", "to": "Ana Shop"}


def people_session(people: People, user: Any, org: Any) -> dict[str, str]:
    return people.session(user, org).headers()


def test_switching_only_to_ones_own(world: tuple[ServerProcess, People]) -> None:
    server, people = world
    mine, theirs = people.org("Mine Org"), people.org("Theirs Org")
    bo = people.user("BO", mine, Role.ADMIN)
    session = people.session(bo, mine).headers()
    status, answer = call(server, "POST", f"/api/v1/orgs/{theirs.id}/switch", session)
    assert status == 404, answer
    status, answer = call(server, "POST", "/api/v1/orgs/999999/switch", session)
    assert status == 404, answer  # the same answer as for an organisation that exists
    assert call(server, "GET", "/api/v1/org", session)[1]["id"] == mine.id
    token = people.token(mine, bo)
    status, answer = call(server, "POST", f"/api/v1/orgs/{mine.id}/switch", bearer(token))
    assert status == 403 and "session" in answer["detail"], answer
    # A token's organisation is its own: it lists no other of its user's.
    people.join(bo, theirs, Role.VIEWER)
    assert call(server, "GET", "/api/v1/org", bearer(token))[1]["name"] == "Mine Org"
    assert [o["name"] for o in call(server, "GET", "/api/v1/orgs", bearer(token))[1][
        "orgs"]] == ["Mine Org"]
    assert [o["name"] for o in call(server, "GET", "/api/v1/orgs", session)[1]["orgs"]] == [
        "Mine Org", "Theirs Org"]


def test_bodies_are_typed(world: tuple[ServerProcess, People]) -> None:
    server, people = world
    org = people.org("Typed Org")
    cy = people.user("CY", org, Role.OWNER)
    session = people.session(cy, org).headers()
    status, answer = call(server, "POST", "/api/v1/orgs", session, {"name": "X", "owner": 3})
    assert status == 400 and answer["detail"].startswith("owner:"), answer
    status, answer = call(server, "POST", "/api/v1/orgs", session, {"name": "   "})
    assert status == 400 and answer["detail"].startswith("name:"), answer
    status, answer = call(server, "PATCH", "/api/v1/org", session, {})
    assert status == 400 and answer["detail"] == "name: required", answer
    status, answer = call(server, "GET", "/api/v1/orgs?everything=1", session)
    assert status == 400 and "everything" in answer["detail"], answer
    names = [o["name"] for o in call(server, "GET", "/api/v1/orgs", session)[1]["orgs"]]
    assert names == ["Typed Org"]


def test_operator_lists_every_org_and_sets_trials(world: tuple[ServerProcess, People]) -> None:
    server, people = world
    org = people.org("Trial Org", trial_days=3)
    dee = people.user("DEE", org, Role.OWNER)
    op = people.user("OP", operator=True)
    op_token_org = people.org("Operators")
    people.join(op, op_token_org, Role.OWNER)
    operator = people.session(op, op_token_org).headers()
    owner = people.session(dee, org).headers()

    status, answer = call(server, "GET", "/api/v1/orgs?all=true", owner)
    assert status == 403 and "operator" in answer["detail"], answer
    status, answer = call(server, "GET", "/api/v1/orgs?all=true", operator)
    assert status == 200, answer
    listed = {o["name"]: o["role"] for o in answer["orgs"]}
    assert listed["Trial Org"] is None and listed["Operators"] == "owner"

    # An owner may not lengthen their own trial; the operator may, and remove it.
    status, answer = call(server, "PUT", "/api/v1/org/trial", owner, {"ends_us": None})
    assert status == 403 and "operator" in answer["detail"], answer
    later = int(time.time() * 1e6) + 30 * DAY_US
    status, answer = call(server, "PUT", "/api/v1/org/trial", operator,
                          {"org_id": org.id, "ends_us": later})
    assert status == 200, answer
    assert (answer["id"], answer["trial_ends_us"], answer["role"]) == (org.id, later, None)
    assert call(server, "GET", "/api/v1/org", owner)[1]["trial_ends_us"] == later
    status, answer = call(server, "PUT", "/api/v1/org/trial", operator,
                          {"org_id": org.id, "ends_us": None})
    assert status == 200 and answer["trial_ends_us"] is None, answer
    status, answer = call(server, "PUT", "/api/v1/org/trial", operator,
                          {"org_id": 999999, "ends_us": None})
    assert status == 404, answer
    entries = call(server, "GET", "/api/v1/audit", owner)[1]["entries"]
    assert [(e["action"], e["actor"], e["detail"]["to"]) for e in entries] == [
        ("org.trial", "OP", None), ("org.trial", "OP", later)]
