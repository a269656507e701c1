"""Safe defaults of a real server: security headers on every answer, the Host check
against DNS rebinding, single-user mode refused off loopback, and an OTLP health answer
without any tenant's figures."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from accounts.conftest import AccountsServer, detail
from bongsu.api.security import CSP, allowed_hosts
from bongsu.settings import Settings
from otlp_build import span, traces
from server_process import ServerProcess

EXPECTED = {
    "content-security-policy": CSP, "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer", "x-frame-options": "DENY",
}


def test_security_headers_on_every_answer(accounts_server: AccountsServer) -> None:
    http = accounts_server.client()
    answers = {
        "console": http.get("/"), "api health": http.get("/healthz"),
        "policy": http.get("/api/v1/auth/policy"), "401": http.get("/api/v1/services"),
        "404": http.get("/api/v1/no-such-thing"), "400": http.post("/api/v1/auth/login",
                                                                   json={"login": 1}),
        "openapi": http.get("/openapi.json"),
    }
    assert [a.status_code for a in answers.values()] == [200, 200, 200, 401, 404, 400, 200]
    for name, answer in answers.items():
        for header, value in EXPECTED.items():
            assert answer.headers.get(header) == value, (name, header)
    assert "script-src 'self';" in CSP and "frame-ancestors 'none'" in CSP
    # Auth answers are never cached; the others keep their own caching.
    assert answers["policy"].headers["cache-control"] == "no-store"
    assert answers["400"].headers["cache-control"] == "no-store"
    assert answers["api health"].headers.get("cache-control") != "no-store"


def test_the_console_has_no_inline_script(accounts_server: AccountsServer) -> None:
    page = accounts_server.client().get("/").text
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page, flags=re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", page, flags=re.I)  # no inline handlers


def test_a_foreign_host_is_refused(accounts_server: AccountsServer) -> None:
    http = accounts_server.client()
    port = accounts_server.server.api_port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost"):
        assert http.get("/api/v1/auth/policy", headers={"host": host}).status_code == 200
    for host in ("attacker.example", f"attacker.example:{port}", "127.0.0.1.nip.io",
                 "localhost.attacker.example"):
        refused = http.get("/api/v1/auth/policy", headers={"host": host})
        assert (refused.status_code, refused.text) == (400, "Invalid host header"), host
        assert refused.headers["x-frame-options"] == "DENY"  # headers on the refusal too
    # The first operator cannot be signed in through a rebound name either.
    login = http.post("/api/v1/auth/login", headers={"host": "attacker.example"},
                      json={"login": "ADMIN", "password": "Operator-Pass-1"})
    assert login.status_code == 400 and "set-cookie" not in login.headers


@pytest.mark.parametrize(("host", "named", "expected"), [
    ("127.0.0.1", "", ["localhost", "127.0.0.1", "::1", "[::1]"]),
    ("0.0.0.0", "", ["localhost", "127.0.0.1", "::1", "[::1]"]),
    ("10.1.2.3", "", ["localhost", "127.0.0.1", "::1", "[::1]", "10.1.2.3"]),
    ("fd00::7", "", ["localhost", "127.0.0.1", "::1", "[::1]", "[fd00::7]"]),
    ("bongsu.internal", "", ["localhost", "127.0.0.1", "::1", "[::1]"]),
    ("0.0.0.0", "bongsu.example.net, *.corp.example", ["bongsu.example.net", "*.corp.example"]),
    ("0.0.0.0", "*", ["*"]),
])
def test_allowed_hosts(host: str, named: str, expected: list[str]) -> None:
    assert allowed_hosts(Settings(host=host, allowed_hosts=named)) == expected


def test_named_hosts_are_the_only_ones(start_accounts: Callable[..., AccountsServer]) -> None:
    server = start_accounts(BONGSU_ALLOWED_HOSTS="bongsu.example.net,127.0.0.1")
    http = server.client()
    policy = "/api/v1/auth/policy"
    assert http.get(policy, headers={"host": "bongsu.example.net"}).status_code == 200
    assert http.get(policy, headers={"host": "localhost"}).status_code == 400
    # The liveness answer takes any Host: a kubelet's probe names the pod's address.
    assert http.get("/healthz", headers={"host": "10.244.1.7:8080"}).status_code == 200


@pytest.mark.parametrize("variable", ["BONGSU_HOST", "BONGSU_OTLP_HOST"])
def test_single_user_refused_off_loopback(
        server_factory: Callable[..., ServerProcess], variable: str) -> None:
    server = server_factory({"BONGSU_AUTH": "single-user", variable: "0.0.0.0"})
    with pytest.raises(RuntimeError, match=re.escape(
            "BONGSU_AUTH: single-user mode runs without credentials, so it only listens on "
            "loopback; '0.0.0.0' is not")):
        server.start()


def test_otlp_health_has_no_tenant_figures(accounts_server: AccountsServer,
                                           tmp_path: Path) -> None:
    admin = accounts_server.admin()
    project = admin.get("/api/v1/org/projects").json()["projects"][0]
    created = admin.post(f"/api/v1/org/projects/{project['id']}/keys", json={"name": "pods"})
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    server = accounts_server.server
    body = traces([span("GET /cart", trace_id=b"\x01" * 16, span_id=b"\x02" * 8)]
                  ).SerializeToString()
    status, _, _ = server.post("/v1/traces", body, headers={"Authorization": f"Bearer {key}"})
    assert status == 200
    assert server.post("/v1/traces", body)[0] == 401  # no key: refused
    server.wait_loaded()
    health = server.status()  # what anyone reaching the OTLP port reads, without a key
    assert set(health) == {
        "status", "accepted", "degraded", "durable_lsn", "loaded_lsn", "backlog_bytes",
        "loaded_spans", "load_failures", "unbuilt_batches", "undecodable_records",
        "quarantined_records", "quarantined_bytes"}
    assert set(health["accepted"]) == {"traces", "metrics", "logs"}  # server-wide totals
    assert health["accepted"]["traces"] == 1 and health["loaded_spans"] == 1
    text = str(health)
    assert project["tenant"] not in text and "checkout" not in text and "pods" not in text
    assert detail(accounts_server.client().get("/api/v1/services")).startswith("sign in")
