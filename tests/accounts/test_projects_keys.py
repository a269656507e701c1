"""Projects and their ingest keys on a real accounts-mode server: an admin makes a project
(its tenant ``<org slug>-<name>``) and keys for it, each shown once; the list shows the
prefix, creation, last use and revocation, never the key; a key writes telemetry to its
own project only, and once revoked through the API the OTLP port refuses it on the next
request. Another organisation's project or key is a 404. And ``bongsu keys`` speaks of
projects."""

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
from bongsu.accounts.credentials import PROJECT_HEADER
from bongsu.accounts.roles import Role
from bongsu.alerts.defaults import default_rules
from otlp_build import span, traces
from server_process import ServerProcess


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, People]]:
    data = Path(tmp_path_factory.mktemp("projects")) / "data"
    data.mkdir()
    people = People(f"sqlite:///{data / 'meta.sqlite'}")
    server = ServerProcess(data, {
        "BONGSU_AUTH": "accounts", "BONGSU_FSYNC": "off", "BONGSU_ALERTS": "false",
        "BONGSU_CHECKS": "false", "BONGSU_LOAD_BATCH_SECONDS": "0.05"}).start()
    try:
        yield server, people
    finally:
        server.stop()
        people.close()


def call(server: ServerProcess, method: str, path: str, headers: dict[str, str],
         body: Any = None) -> tuple[int, Any]:
    return request(server.api_url + path, method, body, headers)


def otlp(server: ServerProcess, key: str, service: str) -> int:
    body = traces([span()], service=service, instance=f"{service}-1").SerializeToString()
    return server.post("/v1/traces", body, headers=bearer(key))[0]


def test_projects_keys_and_revocation(world: tuple[ServerProcess, People]) -> None:
    server, people = world
    org = people.org("Key Org")
    admin = people.session(people.user("K_ADMIN", org, Role.ADMIN), org).headers()
    editor = bearer(people.token(org, people.user("K_EDITOR", org, Role.EDITOR)))

    status, answer = call(server, "POST", "/api/v1/org/projects", editor, {"name": "shop"})
    assert status == 403, answer
    status, shop = call(server, "POST", "/api/v1/org/projects", admin, {"name": "Shop Front"})
    assert status == 201, shop
    assert (shop["name"], shop["tenant"]) == ("Shop Front", "key-org-shop-front")
    status, answer = call(server, "POST", "/api/v1/org/projects", admin, {"name": "Shop Front"})
    assert status == 409 and answer["detail"].startswith("name:"), answer
    status, listed = call(server, "GET", "/api/v1/org/projects", editor)
    assert [p["name"] for p in listed["projects"]] == ["default", "Shop Front"]
    # A new project starts with the shipped alert rules, as the first one did.
    in_shop = {**editor, PROJECT_HEADER: str(shop["id"])}
    status, rules = call(server, "GET", "/api/v1/rules", in_shop)
    assert status == 200, rules
    assert sorted(r["name"] for r in rules["rules"] if r["builtin"]) == sorted(
        r.name for r in default_rules().values())

    keys_path = f"/api/v1/org/projects/{shop['id']}/keys"
    assert call(server, "POST", keys_path, editor, {"name": "agents"})[0] == 403
    assert call(server, "GET", keys_path, editor)[0] == 403
    before = int(time.time() * 1e6)
    status, made = call(server, "POST", keys_path, admin, {"name": "prod agents"})
    assert status == 201, made
    key = made["key"]
    assert key.startswith("bsk_") and made["prefix"] == key[:12]
    assert made["created_us"] >= before - 1_000_000 and made["revoked_us"] is None
    status, answer = call(server, "POST", keys_path, admin, {"name": "x", "tenant": "other"})
    assert status == 400 and answer["detail"].startswith("tenant:"), answer

    # The key writes to Shop Front; an editor reads it there through the project header.
    assert otlp(server, key, "front-svc") == 200
    server.wait_loaded()
    until("front-svc in Shop Front", lambda: "front-svc" in str(
        call(server, "GET", "/api/v1/services", in_shop)[1]))
    assert "front-svc" not in str(call(server, "GET", "/api/v1/services", editor)[1])
    status, answer = call(server, "GET", keys_path, admin)
    assert status == 200, answer
    (listed_key,) = answer["keys"]
    assert listed_key["prefix"] == key[:12] and "key" not in listed_key
    assert listed_key["last_used_us"] is not None and listed_key["last_used_us"] >= before

    status, answer = call(server, "DELETE", f"{keys_path}/{made['id']}", admin)
    assert status == 204, answer
    assert otlp(server, key, "front-svc") == 401  # the very next request
    status, answer = call(server, "DELETE", f"{keys_path}/{made['id']}", admin)
    assert status == 404, answer
    (listed_key,) = call(server, "GET", keys_path, admin)[1]["keys"]
    assert listed_key["revoked_us"] is not None

    entries = call(server, "GET", "/api/v1/audit", admin)[1]["entries"]
    assert [(e["action"], e["actor"], e["target"], e["tenant"]) for e in entries[:3]] == [
        ("key.revoke", "K_ADMIN", key[:12], shop["tenant"]),
        ("key.create", "K_ADMIN", key[:12], shop["tenant"]),
        ("project.create", "K_ADMIN", "Shop Front", shop["tenant"])]


def test_another_orgs_projects_and_keys_are_not_found(
        world: tuple[ServerProcess, People]) -> None:
    server, people = world
    mine, theirs = people.org("Mine Keys"), people.org("Theirs Keys")
    admin = people.session(people.user("MK_ADMIN", mine, Role.OWNER), mine).headers()
    their_key = people.ingest_key(theirs)
    their_keys = f"/api/v1/org/projects/{theirs.project_id}/keys"
    for method, path, body in (("GET", their_keys, None), ("POST", their_keys, {"name": "x"}),
                               ("DELETE", f"{their_keys}/1", None)):
        status, answer = call(server, method, path, admin, body)
        assert (status, answer["detail"]) == (
            404, f"no project {theirs.project_id} in this organisation"), (method, answer)
    # Their key's id under my own project: not found, and still working.
    (info,) = [k for k in people.keys.list(theirs.tenant)]
    status, answer = call(server, "DELETE", f"/api/v1/org/projects/{mine.project_id}/keys/"
                          f"{info.id}", admin)
    assert status == 404, answer
    assert otlp(server, their_key, "theirs-svc") == 200


def test_the_keys_command_names_projects(world: tuple[ServerProcess, People]) -> None:
    server, people = world
    org = people.org("Cli Org")

    def bongsu(*args: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "bongsu", "keys", "--data-dir", str(server.data_dir),
             *args], check=True, capture_output=True, text=True, env=server.env).stdout

    out = bongsu("create", org.tenant, "--name", "from the cli")
    assert out.splitlines()[0].endswith(
        f"for project 'default' (tenant {org.tenant!r}) of organisation 'Cli Org':"), out
    key = out.splitlines()[1].strip()
    until("the new key taken", lambda: otlp(server, key, "cli-svc") == 200, timeout=10)
    listed = [line for line in bongsu("list").splitlines() if key[:12] in line]
    assert len(listed) == 1 and "Cli Org" in listed[0] and "from the cli" in listed[0]
    assert "active" in listed[0]
