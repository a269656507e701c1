"""Every ``/api/v1`` operation of a real accounts-mode server, taken from its own OpenAPI
document (so a new endpoint cannot be forgotten), probed across two organisations with
every role: who may call it, and that nothing of one organisation reaches the other.

Organisation A has an owner, an admin, an editor and a viewer; organisation B an owner.
Both have telemetry sent through the OTLP port with their own ingest keys, and rules,
checks, channels, silences, routes and captures. For each operation:

- without credentials: 401 (the public sign-in endpoints are listed with their reason);
- with A's ingest key: 403;
- each role of A: allowed (no 401/403/5xx) when the role reaches the one the operation
  needs (:func:`needed`), else 403 — probed on A's real objects, which must survive;
- B's owner on A's ids: 404, and no answer of B's holds anything planted in A (service,
  rule, check, channel names, trace ids, capture ids, logins, token prefixes);
- a session's write without the CSRF header: 403.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from accounts.people import Org, People, Session, User, bearer, request
from alerts.receivers import until
from bongsu.accounts.credentials import PROJECT_HEADER
from bongsu.accounts.roles import Role
from bongsu.agent._threads import capture_threads
from otlp_build import gauge, log_record, span, traces
from server_process import ServerProcess, free_port, survivors

OPERATOR = "operator"  # runs the server: no role of an organisation is enough
PUBLIC = "public"
MISSING = "999999"  # an id of nothing, of any type

# Reached without signing in, each for its reason.
PUBLIC_OPERATIONS = {
    ("GET", "/api/v1/auth/policy"): "the sign-in and sign-up forms read the rules first",
    ("POST", "/api/v1/auth/signup"): "creating an account is how one starts",
    ("POST", "/api/v1/auth/verify"): "the e-mailed code signs a new user in",
    ("POST", "/api/v1/auth/verify/resend"): "a new code for a user not signed in yet",
    ("POST", "/api/v1/auth/login"): "signing in",
    ("POST", "/api/v1/auth/logout"): "signing out ends a session that may have expired",
    ("POST", "/api/v1/auth/password/forgot"): "a user who cannot sign in asks for a code",
    ("POST", "/api/v1/auth/password/reset"): "and uses it without a session",
    ("GET", "/api/v1/auth/oidc/start"): "the identity provider's sign-in",
    ("GET", "/api/v1/auth/oidc/callback"): "the provider's redirect back",
}

# The role each operation needs when it is not the rule of :func:`needed`.
EXCEPTIONS: dict[tuple[str, str], Role | str] = {
    ("GET", "/api/v1/auth/session"): Role.VIEWER,
    ("POST", "/api/v1/auth/password"): Role.VIEWER,  # one's own password
    ("POST", "/api/v1/orgs"): Role.VIEWER,  # anyone signed in starts an organisation
    ("POST", "/api/v1/orgs/{}/switch"): Role.VIEWER,  # to one of one's own
    ("POST", "/api/v1/invitations/accept"): Role.VIEWER,
    ("POST", "/api/v1/tokens"): Role.VIEWER,  # a token of at most one's own role
    ("DELETE", "/api/v1/tokens/{}"): Role.VIEWER,  # one's own
    ("GET", "/api/v1/org/members"): Role.VIEWER,
    ("GET", "/api/v1/org/projects"): Role.VIEWER,
    ("PATCH", "/api/v1/org"): Role.OWNER,
    ("PUT", "/api/v1/org/trial"): OPERATOR,
    # One's own dashboard: a viewer pins, moves and removes their own panels.
    ("POST", "/api/v1/dashboards/mine/panels"): Role.VIEWER,
    ("PUT", "/api/v1/dashboards/mine/layout"): Role.VIEWER,
    ("PATCH", "/api/v1/dashboards/mine/panels/{}"): Role.VIEWER,
    ("DELETE", "/api/v1/dashboards/mine/panels/{}"): Role.VIEWER,
}
# Only a signed-in browser calls these (an API token belongs to one organisation): the
# probes use each caller's session, and a token is refused.
SESSION_ONLY = {
    ("POST", "/api/v1/orgs/{}/switch"): "the organisation a session shows",
}
# Everything under these needs an admin, whatever the method.
ADMIN_PREFIXES = ("/api/v1/org/members", "/api/v1/org/invitations", "/api/v1/audit",
                  "/api/v1/org/projects/{}/keys")
ADMIN_WRITES = ("/api/v1/org/projects",)

MARK = "q7x"  # in every name planted in A


def shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def needed(method: str, path: str) -> Role | str:
    """The role an operation needs: reading a viewer, writing an editor, managing the
    organisation an admin — unless EXCEPTIONS or PUBLIC_OPERATIONS say otherwise."""
    key = (method, shape(path))
    if key in PUBLIC_OPERATIONS:
        return PUBLIC
    if key in EXCEPTIONS:
        return EXCEPTIONS[key]
    if shape(path).startswith(ADMIN_PREFIXES):
        return Role.ADMIN
    if method != "GET" and shape(path).startswith(ADMIN_WRITES):
        return Role.ADMIN
    return Role.VIEWER if method == "GET" else Role.EDITOR


@dataclass
class Tenant:
    org: Org
    key: str
    owner: User
    tokens: dict[Role, str] = field(default_factory=dict)
    sessions: dict[Role, Session] = field(default_factory=dict)
    users: dict[Role, User] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)  # path parameter → a real id
    marks: set[str] = field(default_factory=set)  # strings only this org's answers hold


@dataclass
class World:
    server: ServerProcess
    people: People
    a: Tenant
    b: Tenant
    session: Session  # A's owner, signed in
    operations: list[tuple[str, str, dict[str, Any]]]

    def call(self, method: str, path: str, headers: dict[str, str],
             body: Any = None) -> tuple[int, Any]:
        return request(self.server.api_url + path, method, body, headers)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data = Path(tmp_path_factory.mktemp("matrix")) / "data"
    data.mkdir()
    people = People(f"sqlite:///{data / 'meta.sqlite'}")
    a = _tenant(people, "Alpha Org", "A")
    b = _tenant(people, "Beta Org", "B")
    session = a.sessions[Role.OWNER]
    server = ServerProcess(data, {"BONGSU_AUTH": "accounts", "BONGSU_FSYNC": "off",
                                  "BONGSU_LOAD_BATCH_SECONDS": "0.05"}).start()
    try:
        for tenant, name in ((a, f"alpha-{MARK}"), (b, "beta")):
            _plant(server, tenant, name)
        status, doc = request(server.api_url + "/openapi.json")
        assert status == 200, doc
        operations = [(method.upper(), path, op) for path, item in sorted(doc["paths"].items())
                      if path.startswith("/api/v1/") for method, op in item.items()]
        yield World(server, people, a, b, session, operations)
    finally:
        server.stop()
        people.close()
    assert survivors(server.left_behind) == []


def _tenant(people: People, name: str, letter: str) -> Tenant:
    org = people.org(name)
    roles = list(Role) if letter == "A" else [Role.OWNER]
    users = {role: people.user(f"{letter}_{role.value.upper()}_{MARK.upper()}", org, role)
             for role in roles}
    tenant = Tenant(org, people.ingest_key(org), users[Role.OWNER], users=users)
    tenant.tokens = {role: people.token(org, user) for role, user in users.items()}
    tenant.sessions = {role: people.session(user, org) for role, user in users.items()}
    tenant.marks |= {u.login for u in users.values()} | {t[:12] for t in tenant.tokens.values()}
    tenant.marks |= {tenant.key[:12]}
    invitation_id, _ = people.invitation(org, f"invited-{letter.lower()}@example.test")
    [key] = people.keys.list(org.tenant)
    tenant.ids |= {"user_id": str(users[Role.OWNER].id), "org_id": str(org.id),
                   "project_id": str(org.project_id), "key_id": str(key.id),
                   "invitation_id": str(invitation_id),
                   "token_id": str(people.token_id(tenant.tokens[Role.OWNER]))}
    tenant.marks.add(f"invited-{letter.lower()}@example.test")
    return tenant


def _plant(server: ServerProcess, t: Tenant, name: str) -> None:
    """Telemetry through the OTLP port with the org's own key, and one of each object."""
    key = bearer(t.key)
    spans = [span(name="GET /orders/{id}"), span(name="GET /orders/{id}", error=True)]
    for body in (traces(spans, service=f"{name}-svc", instance=f"{name}-1"),
                 gauge(f"{name}.queue", 3.0, service=f"{name}-svc", instance=f"{name}-1"),
                 log_record(f"{name} log line", service=f"{name}-svc")):
        path = {"ExportTraceServiceRequest": "/v1/traces",
                "ExportMetricsServiceRequest": "/v1/metrics",
                "ExportLogsServiceRequest": "/v1/logs"}[type(body).__name__]
        status, _, reply = server.post(path, body.SerializeToString(), headers=key)
        assert status == 200, reply
    t.ids |= {"trace_id": spans[0].trace_id.hex(), "service": f"{name}-svc",
              "instance": f"{name}-1"}
    t.marks |= {f"{name}-svc", f"{name}.queue", f"{name} log line",
                *(s.trace_id.hex() for s in spans)}
    captures = []
    for _ in range(2):
        status, _, reply = server.post("/v1/bongsu/agent/results", _json(
            {"service": f"{name}-svc", "instance": f"{name}-1", "host": "pod-x", "pid": 42,
             "command_id": None, "kind": "threads", "ok": True,
             "result": capture_threads(None), "error": ""}),
            content_type="application/json", headers=key)
        assert status == 200, reply
        captures.append(str(_loads(reply)["id"]))
    t.ids |= {"capture_id": captures[0], "base": captures[0], "other": captures[1]}
    t.marks |= set(captures)
    owner = bearer(t.tokens[Role.OWNER])
    made = {}
    for kind, path, body in [
        ("rule", "/api/v1/rules", {
            "name": f"{name} rule", "kind": "threshold", "severity": "warning", "for": "0s",
            "spec": {"figure": "tps", "op": ">", "value": 1e9, "window_s": 300,
                     "service": f"{name}-svc"}}),
        ("check", "/api/v1/checks", {
            "name": f"{name} check", "type": "tcp", "interval_s": 60,
            "target": {"host": "127.0.0.1", "port": free_port(), "timeout_s": 2}}),
        ("channel", "/api/v1/channels", {
            "name": f"{name} channel", "type": "webhook",
            "config": {"url": "http://127.0.0.1:9/hook"}}),
        ("silence", "/api/v1/silences", {
            "matchers": [{"name": "service", "op": "=", "value": f"{name}-svc"}],
            "ends_ms": int(time.time() * 1000) + 3_600_000, "author": f"{name} author",
            "comment": f"{name} silence"}),
    ]:
        status, answer = request(server.api_url + path, "POST", body, owner)
        assert status == 201, (path, answer)
        made[kind] = str(answer["id"])
        t.marks.add(f"{name} {kind}")
    status, answer = request(server.api_url + "/api/v1/routes", "POST", {
        "matchers": [{"name": "severity", "op": "=", "value": "critical"}],
        "channel_ids": [made["channel"]], "group_by": ["rule"]}, owner)
    assert status == 201, answer
    t.ids |= {"rule_id": made["rule"], "check_id": made["check"],
              "channel_id": made["channel"], "silence_id": made["silence"],
              "route_id": str(answer["id"])}
    t.marks |= {made["rule"], made["check"], made["channel"], made["silence"]}
    server.wait_loaded()
    until(f"{name}'s service listed", lambda: f"{name}-svc" in str(
        request(server.api_url + "/api/v1/services", "GET", None, owner)[1]))


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _loads(raw: bytes) -> Any:
    return json.loads(raw)


# -- filling an operation's parameters -------------------------------------------------

BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/orgs"): {"name": "probe org"},
    ("PATCH", "/api/v1/org"): {"name": "Alpha Org"},
    ("PUT", "/api/v1/org/trial"): {"ends_us": None},
    ("PATCH", "/api/v1/org/members/{}"): {"role": "viewer"},
    ("POST", "/api/v1/org/invitations"): {"email": "probe@example.test", "role": "viewer"},
    ("POST", "/api/v1/invitations/accept"): {"token": "bsi_nothing"},
    ("POST", "/api/v1/org/projects"): {"name": "probe"},
    ("POST", "/api/v1/org/projects/{}/keys"): {"name": "probe"},
    ("POST", "/api/v1/tokens"): {"name": "probe", "role": "viewer"},
    ("POST", "/api/v1/auth/password"): {"current": "Wrong-pass-1", "password": "Probe-pass-1"},
}


def _path(path: str, ids: dict[str, str], real: bool) -> tuple[str, bool]:
    """``path`` with its parameters filled with ``ids`` (when ``real``) else MISSING;
    whether every one was a real id."""
    every = True

    def fill(match: re.Match[str]) -> str:
        nonlocal every
        name = match.group(1)
        if name in ("id", "org_id") and path.startswith("/api/v1/orgs/"):
            name = "org_id"
        elif name == "id" and path.startswith("/api/v1/org/projects/"):
            name = "project_id"
        if real and name in ids:
            return ids[name]
        every = False
        return MISSING

    return re.sub(r"\{([^}]+)\}", fill, path), every


def _query(operation: dict[str, Any], ids: dict[str, str]) -> str:
    """The required query parameters, filled."""
    values = {"month": "2026-11", "metric": "bongsu.tps", "name": "bongsu.tps", **ids}
    parts = []
    for p in operation.get("parameters", []):
        if p["in"] == "query" and p.get("required"):
            enum = p.get("schema", {}).get("enum")
            parts.append(f"{p['name']}={enum[0] if enum else values.get(p['name'], 'x')}")
    return "?" + "&".join(parts) if parts else ""


def _body(method: str, path: str) -> Any:
    if method in ("GET", "DELETE"):
        return None
    return BODIES.get((method, shape(path)), {})


def _url(world: World, method: str, path: str, op: dict[str, Any], ids: dict[str, str],
         real: bool = True) -> tuple[str, bool]:
    filled, every = _path(path, ids, real)
    return filled + _query(op, ids), every


def _fails(found: list[str]) -> None:
    assert not found, f"{len(found)} wrong:\n" + "\n".join(found)


# -- the probes --------------------------------------------------------------------------


def test_the_document_lists_the_operations(world: World) -> None:
    listed = {(m, shape(p)) for m, p, _ in world.operations}
    assert {("GET", "/api/v1/services"), ("DELETE", "/api/v1/rules/{}"),
            ("GET", "/api/v1/org/members"), ("DELETE", "/api/v1/tokens/{}"),
            ("GET", "/api/v1/audit")} <= listed
    # No entry of the tables names an operation that is gone.
    assert set(PUBLIC_OPERATIONS) | set(EXCEPTIONS) | set(SESSION_ONLY) <= listed
    assert len(world.operations) >= 100


def test_without_credentials_every_operation_is_a_401(world: World) -> None:
    found = []
    for method, path, op in world.operations:
        url, _ = _url(world, method, path, op, world.a.ids)
        status, answer = world.call(method, url, {}, _body(method, path))
        if needed(method, path) == PUBLIC:
            if status >= 500:
                found.append(f"{method} {url}: {status} {answer}")
        elif status != 401:
            found.append(f"{method} {url}: {status}, not 401 ({str(answer)[:120]})")
    _fails(found)


def test_an_ingest_key_reads_and_writes_nothing_on_the_api(world: World) -> None:
    found = []
    for method, path, op in world.operations:
        if needed(method, path) == PUBLIC:
            continue
        url, _ = _url(world, method, path, op, world.a.ids)
        status, answer = world.call(method, url, bearer(world.a.key), _body(method, path))
        if status != 403:
            found.append(f"{method} {url}: {status}, not 403 ({str(answer)[:120]})")
    _fails(found)


@pytest.mark.parametrize("signed_in", ["token", "session"])
@pytest.mark.parametrize("role", list(Role))
def test_each_role_may_do_what_it_needs_and_no_more(world: World, role: Role,
                                                    signed_in: str) -> None:
    """A role below the one needed gets a 403 on A's real objects; a role that reaches
    it is let through (on an id of nothing for writes, so the objects stay). With an API
    token, and with a session (a fresh one each time: a probe may switch or end it)."""
    found = []
    for method, path, op in world.operations:
        need = needed(method, path)
        if need == PUBLIC:
            continue
        if signed_in == "token" and (method, shape(path)) in SESSION_ONLY:
            continue  # test_a_token_is_refused_what_only_a_session_does
        allowed = isinstance(need, Role) and role.allows(need)
        real = not allowed or method == "GET"
        url, every = _url(world, method, path, op, world.a.ids, real=real)
        caller = (world.people.session(world.a.users[role], world.a.org).headers()
                  if signed_in == "session" else bearer(world.a.tokens[role]))
        status, answer = world.call(method, url, caller, _body(method, path))
        what = f"{role.value} {signed_in} {method} {url}: {status} ({str(answer)[:160]})"
        if status >= 500:
            found.append(what)
        elif not allowed and status != 403:
            found.append(f"{what}, not 403: needs {need}")
        elif allowed and status in (401, 403):
            found.append(f"{what}: refused, but {need} is enough")
        elif allowed and method == "GET" and every and status == 404:
            found.append(f"{what}: A's own object not found")
    _fails(found)


def _caller(tenant: Tenant, role: Role, method: str, path: str) -> dict[str, str]:
    """The role's API token, or its session for what only a session may do."""
    if (method, shape(path)) in SESSION_ONLY:
        return tenant.sessions[role].headers()
    return bearer(tenant.tokens[role])


def test_a_token_is_refused_what_only_a_session_does(world: World) -> None:
    found = []
    for method, path, op in world.operations:
        if (method, shape(path)) not in SESSION_ONLY:
            continue
        url, _ = _url(world, method, path, op, world.a.ids)
        status, answer = world.call(method, url, bearer(world.a.tokens[Role.OWNER]),
                                    _body(method, path))
        if status != 403:
            found.append(f"{method} {url} with a token: {status} {answer}")
    assert SESSION_ONLY.keys() <= {(m, shape(p)) for m, p, _ in world.operations}
    _fails(found)


def test_a_viewer_sees_what_was_planted(world: World) -> None:
    """The marks the other probes look for are in A's answers (so their absence from
    B's means something)."""
    token = bearer(world.a.tokens[Role.VIEWER])
    seen = ""
    for path in ("/api/v1/services", "/api/v1/rules", "/api/v1/checks", "/api/v1/channels",
                 "/api/v1/silences", "/api/v1/captures", "/api/v1/metrics/names",
                 f"/api/v1/traces/{world.a.ids['trace_id']}",
                 f"/api/v1/logs?service={world.a.ids['service']}"):
        status, answer = world.call("GET", path, token)
        assert status == 200, (path, answer)
        seen += str(answer)
    for mark in (f"alpha-{MARK}-svc", f"alpha-{MARK} rule", f"alpha-{MARK} check",
                 f"alpha-{MARK} channel", f"alpha-{MARK} silence", f"alpha-{MARK}.queue",
                 world.a.ids["trace_id"], world.a.ids["capture_id"]):
        assert mark in seen, mark


def test_another_organisation_finds_nothing_of_a(world: World) -> None:
    """B's owner: A's ids are 404, and no answer holds anything of A's (an id echoed
    back from the request itself aside)."""
    found = []
    for method, path, op in world.operations:
        need = needed(method, path)
        if need == PUBLIC:
            continue
        url, every = _url(world, method, path, op, world.a.ids)
        status, answer = world.call(method, url, _caller(world.b, Role.OWNER, method, path),
                                    _body(method, path))
        leaked = [m for m in world.a.marks if m in str(answer) and m not in url]
        if leaked:
            found.append(f"{method} {url}: {status} holds A's {leaked}")
        if status >= 500:
            found.append(f"{method} {url}: {status} {answer}")
        elif every and "{" in path and status not in (403, 404) and _object_path(path):
            found.append(f"{method} {url}: {status}, not 404, on A's object")
    _fails(found)


def _object_path(path: str) -> bool:
    """A path naming one stored object by its id (not a service's figures by name)."""
    return "{service}" not in path


def test_the_project_header_reaches_no_other_organisation(world: World) -> None:
    token = bearer(world.b.tokens[Role.OWNER])
    found = []
    for project in (world.a.org.tenant, str(world.a.org.project_id)):
        for method, path, op in world.operations:
            if method != "GET" or needed(method, path) == PUBLIC:
                continue
            url, _ = _url(world, method, path, op, world.b.ids)
            status, answer = world.call(method, url, {**token, PROJECT_HEADER: project})
            leaked = [m for m in world.a.marks if m in str(answer)]
            if leaked or status != 404:
                found.append(f"GET {url} as project {project}: {status} {str(answer)[:120]}")
    _fails(found)


def test_a_session_write_without_the_csrf_header_is_a_403(world: World) -> None:
    found = []
    for method, path, op in world.operations:
        if method == "GET" or needed(method, path) == PUBLIC:
            continue
        url, _ = _url(world, method, path, op, world.a.ids)
        status, answer = world.call(method, url, world.session.headers(with_csrf=False),
                                    _body(method, path))
        if status != 403 or "CSRF" not in str(answer):
            found.append(f"{method} {url}: {status} {str(answer)[:120]}")
    _fails(found)
    status, answer = world.call("GET", "/api/v1/rules", world.session.headers(with_csrf=False))
    assert status == 200 and f"alpha-{MARK} rule" in str(answer)
    status, made = world.call("POST", "/api/v1/silences", world.session.headers(), {
        "matchers": [{"name": "service", "op": "=", "value": "x"}],
        "ends_ms": int(time.time() * 1000) + 60_000, "author": "session", "comment": ""})
    assert status == 201, made
    assert world.call("DELETE", f"/api/v1/silences/{made['id']}",
                      world.session.headers())[0] == 204


def test_zz_a_objects_survived_every_refused_write(world: World) -> None:
    """Run last: what the refused roles and B's owner tried to change is unchanged."""
    token = bearer(world.a.tokens[Role.VIEWER])
    for kind, path in (("rule", "/api/v1/rules/{}"), ("check", "/api/v1/checks/{}")):
        status, answer = world.call("GET", path.format(world.a.ids[f"{kind}_id"]), token)
        assert status == 200 and answer["name"] == f"alpha-{MARK} {kind}", answer
    for kind in ("channel", "silence", "route"):
        status, answer = world.call("GET", f"/api/v1/{kind}s", token)
        assert world.a.ids[f"{kind}_id"] in str(answer), (kind, answer)
    members = world.call("GET", "/api/v1/org/members", token)
    assert members[0] == 200, members
    assert all(u.login in str(members[1]) for u in world.a.users.values()), members
    status, org = world.call("GET", "/api/v1/org", token)
    assert status == 200 and org["name"] == "Alpha Org", org
    status, answer = world.call("GET", "/api/v1/services", bearer(world.a.tokens[Role.OWNER]))
    assert status == 200 and f"alpha-{MARK}-svc" in str(answer)  # the owner's token
    admin = bearer(world.a.tokens[Role.ADMIN])
    status, invited = world.call("GET", "/api/v1/org/invitations", admin)
    assert status == 200 and "invited-a@example.test" in str(invited), invited
    status, keys = world.call("GET", f"/api/v1/org/projects/{world.a.org.project_id}/keys",
                              admin)
    assert status == 200 and world.a.key[:12] in str(keys), keys
    body = traces([span()], service=f"alpha-{MARK}-svc").SerializeToString()
    assert world.server.post("/v1/traces", body, headers=bearer(world.a.key))[0] == 200
