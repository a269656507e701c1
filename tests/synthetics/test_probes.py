"""Probes against real loopback servers: what each check type sees and what the
conditions make of it (status, time, body, JSON path, redirects, timeouts, refused
connections, a certificate that expires in 3 days)."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest

from alerts.receivers import free_port
from bongsu.synthetics.definition import check_from_dict
from bongsu.synthetics.model import Check
from bongsu.synthetics.runner import probe
from synthetics.conftest import CERT_DAYS
from synthetics.targets import Target


def http(url: str, conditions: list[dict[str, Any]] | None = None, **target: Any) -> Check:
    body: dict[str, Any] = {"name": "probe", "type": "http", "target": {"url": url, **target}}
    if conditions is not None:
        body["conditions"] = conditions
    return check_from_dict(body, tenant="default", check_id="c_test")


def test_ok_json_meets_status_json_and_time(web: Target) -> None:
    check = http(web.url("/ok"), [
        {"on": "status", "op": "==", "value": 200},
        {"on": "json", "path": "$.status", "op": "equals", "value": "ok"},
        {"on": "json", "path": "$.items[0].id", "op": "equals", "value": 7},
        {"on": "json", "path": "$.items[-1]", "op": "exists"},
        {"on": "response_time_ms", "op": "<", "value": 5000},
        {"on": "body", "op": "regex", "value": r'"id":\s*7'},
    ])
    status, outcome, failed = probe(check)
    assert (status, outcome.status_code, failed, outcome.error) == ("up", 200, None, None)
    assert 0 < outcome.duration_ms < 5000
    assert outcome.tls_days_left is None  # plain HTTP has no certificate


def test_wrong_body_and_wrong_json_name_the_condition(web: Target) -> None:
    status, outcome, failed = probe(http(web.url("/wrong"), [
        {"on": "status", "op": "==", "value": 200},
        {"on": "body", "op": "contains", "value": "ok"}]))
    assert (status, outcome.status_code, failed) == ("down", 200, 'body contains "ok"')
    status, _, failed = probe(http(web.url("/degraded"), [
        {"on": "json", "path": "$.status", "op": "equals", "value": "ok"}]))
    assert (status, failed) == ("down", '$.status equals "ok"')
    status, _, failed = probe(http(web.url("/degraded"), [
        {"on": "json", "path": "$.items[0]", "op": "exists"}]))
    assert (status, failed) == ("down", "$.items[0] exists")
    # Not JSON at all: a JSON condition does not hold.
    status, _, failed = probe(http(web.url("/wrong"), [
        {"on": "json", "path": "$.status", "op": "exists"}]))
    assert (status, failed) == ("down", "$.status exists")
    status, _, failed = probe(http(web.url("/wrong"), [
        {"on": "body", "op": "not_contains", "value": "maintenance"}]))
    assert (status, failed) == ("down", 'body not_contains "maintenance"')


def test_any_fails_only_when_every_condition_does(web: Target) -> None:
    either = [{"on": "status", "op": "==", "value": 201},
              {"on": "body", "op": "contains", "value": "maint"}]
    check = http(web.url("/wrong"), either)
    check.combine = "any"
    assert probe(check)[0] == "up"
    check = http(web.url("/ok"), either)
    check.combine = "any"
    status, _, failed = probe(check)
    assert (status, failed) == ("down", 'none of: status == 201; body contains "maint"')


def test_default_condition_is_status_below_400(web: Target) -> None:
    status, outcome, failed = probe(http(web.url("/nothing")))
    assert (status, outcome.status_code, failed) == ("down", 404, "status < 400")


def test_redirects_followed_or_not(web: Target) -> None:
    before = web.hits.get("/ok", 0)
    status, outcome, _ = probe(http(web.url("/redirect"), [
        {"on": "json", "path": "$.status", "op": "equals", "value": "ok"}]))
    assert (status, outcome.status_code) == ("up", 200)
    status, outcome, failed = probe(http(web.url("/redirect"), [
        {"on": "status", "op": "==", "value": 200}], follow_redirects=False))
    assert (status, outcome.status_code, failed) == ("down", 302, "status == 200")
    assert web.hits.get("/ok", 0) == before + 1  # only the followed one reached /ok
    status, outcome, failed = probe(http(web.url("/redirect"), [
        {"on": "status", "op": "==", "value": 302}], follow_redirects=False))
    assert (status, outcome.status_code) == ("up", 302)
    status, outcome, _ = probe(http(web.url("/loop")))
    assert (status, outcome.error) == ("down", "more than 10 redirects")


def test_method_headers_and_body_are_sent(web: Target) -> None:
    status, outcome, _ = probe(http(web.url("/echo"), [
        {"on": "json", "path": "$.method", "op": "equals", "value": "POST"},
        {"on": "json", "path": "$.token", "op": "equals", "value": "s3cret"},
        {"on": "json", "path": "$.body", "op": "equals", "value": '{"q": 1}'}],
        method="post", headers={"X-Token": "s3cret"}, body='{"q": 1}'))
    assert status == "up", outcome


def test_slow_server_times_out(web: Target) -> None:
    started = time.monotonic()
    status, outcome, failed = probe(http(web.url("/slow"), timeout_s=0.5))
    took = time.monotonic() - started
    assert (status, outcome.error, failed) == ("down", "timed out after 0.5 s", None)
    assert took < web.slow_s  # it gave up at its timeout, not when the server answered


def test_refused_connections_http_and_tcp() -> None:
    port = free_port()
    status, outcome, _ = probe(http(f"http://127.0.0.1:{port}/"))
    assert (status, outcome.error) == ("down", "connection refused")
    tcp = check_from_dict({"name": "db", "type": "tcp",
                           "target": {"host": "127.0.0.1", "port": port, "timeout_s": 2}},
                          tenant="default", check_id="c_tcp")
    status, outcome, _ = probe(tcp)
    assert (status, outcome.error) == ("down", "connection refused")


def test_tcp_open_port_is_up_with_its_connect_time() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        tcp = check_from_dict({"name": "db", "type": "tcp",
                               "target": {"host": "127.0.0.1",
                                          "port": listener.getsockname()[1]},
                               "conditions": [{"on": "response_time_ms", "op": "<",
                                               "value": 5000}]},
                              tenant="default", check_id="c_tcp")
        status, outcome, failed = probe(tcp)
    assert (status, failed, outcome.error) == ("up", None, None)
    assert 0 < outcome.duration_ms < 5000


def test_certificate_expiring_in_3_days_fails_a_7_day_condition(tls_web: Target) -> None:
    check = http(tls_web.url("/ok"), [{"on": "status", "op": "==", "value": 200},
                                      {"on": "tls_days_left", "op": ">=", "value": 7}],
                 verify_tls=False)
    status, outcome, failed = probe(check)
    assert (status, outcome.status_code, failed) == ("down", 200, "tls_days_left >= 7")
    assert outcome.tls_days_left == pytest.approx(CERT_DAYS, abs=0.05)
    check = http(tls_web.url("/ok"), [{"on": "tls_days_left", "op": ">=", "value": 2}],
                 verify_tls=False)
    assert probe(check)[0] == "up"


def test_unverified_certificate_is_a_tls_error_when_verifying(tls_web: Target) -> None:
    status, outcome, _ = probe(http(tls_web.url("/ok")))  # verify_tls defaults to true
    assert status == "down"
    assert outcome.error is not None and outcome.error.startswith("TLS: "), outcome.error
    assert "CERTIFICATE_VERIFY_FAILED" in outcome.error
