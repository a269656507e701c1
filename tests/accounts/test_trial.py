"""The trial's end on a real accounts-mode server: an operator sets an organisation's
trial to have ended; from then on reads answer 200 with the data kept, a rule write is a
403 naming the date, the OTLP port refuses the organisation's key with a 403 naming the
date; the operator removes the trial and writes and ingest work again."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from accounts.people import People, bearer, request
from alerts.receivers import until
from bongsu.accounts.roles import Role
from otlp_build import span, traces
from server_process import ServerProcess

RULE = {"name": "trial rule", "kind": "threshold", "severity": "warning", "for": "0s",
        "spec": {"figure": "tps", "op": ">", "value": 1e9, "window_s": 300}}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[ServerProcess, People]]:
    data = tmp_path / "data"
    data.mkdir()
    people = People(f"sqlite:///{data / 'meta.sqlite'}")
    server = ServerProcess(data, {
        "BONGSU_AUTH": "accounts", "BONGSU_FSYNC": "off", "BONGSU_ALERTS": "false",
        "BONGSU_CHECKS": "false", "BONGSU_LOAD_BATCH_SECONDS": "0.05",
        "BONGSU_TRIAL_DAYS": "15"}).start()
    try:
        yield server, people
    finally:
        server.stop()
        people.close()


def call(server: ServerProcess, method: str, path: str, headers: dict[str, str],
         body: Any = None) -> tuple[int, Any]:
    return request(server.api_url + path, method, body, headers)


def otlp(server: ServerProcess, key: str) -> tuple[int, bytes]:
    body = traces([span()], service="trial-svc", instance="trial-1").SerializeToString()
    status, _, reply = server.post("/v1/traces", body, headers=bearer(key))
    return status, reply


def test_an_ended_trial_reads_but_takes_no_writes(world: tuple[ServerProcess, People]) -> None:
    server, people = world
    org = people.org("Trial Shop", trial_days=15)
    editor = bearer(people.token(org, people.user("TR_EDITOR", org, Role.EDITOR)))
    admin = people.session(people.user("TR_ADMIN", org, Role.ADMIN), org).headers()
    op = people.user("TR_OPERATOR", operator=True)
    operator = people.session(op, people.org("Ops", owner=op)).headers()
    key = people.ingest_key(org)
    until("telemetry taken", lambda: otlp(server, key)[0] == 200, timeout=10)
    server.wait_loaded()
    until("trial-svc listed", lambda: "trial-svc" in str(
        call(server, "GET", "/api/v1/services", editor)[1]))
    assert call(server, "POST", "/api/v1/rules", editor, RULE)[0] == 201

    ended = int(time.time() * 1e6) - 3_600_000_000
    day = datetime.fromtimestamp(ended / 1e6, UTC).strftime("%Y-%m-%d %H:%M UTC")
    status, answer = call(server, "PUT", "/api/v1/org/trial", operator,
                          {"org_id": org.id, "ends_us": ended})
    assert status == 200 and answer["read_only"] is True, answer

    status, answer = call(server, "GET", "/api/v1/org", editor)
    assert status == 200 and answer["read_only"] is True, answer
    status, answer = call(server, "GET", "/api/v1/services", editor)
    assert status == 200 and [s["name"] for s in answer["services"]] == ["trial-svc"], answer
    status, answer = call(server, "GET", "/api/v1/rules", editor)
    assert status == 200 and "trial rule" in [r["name"] for r in answer["rules"]], answer
    assert call(server, "GET", "/api/v1/audit", admin)[0] == 200  # an admin's read
    status, answer = call(server, "POST", "/api/v1/rules", editor, RULE)
    assert status == 403 and day in answer["detail"] and "read-only" in answer["detail"], answer
    status, answer = call(server, "POST", "/api/v1/org/projects", admin, {"name": "more"})
    assert status == 403 and day in answer["detail"], answer
    # The key cache lives two seconds: the OTLP port refuses within them.
    status, reply = until("the OTLP port refusing", lambda: (
        lambda got: got if got[0] == 403 else None)(otlp(server, key)), timeout=10)
    assert day.encode() in reply, reply
    # The refused rule was not written; what was there is kept.
    status, answer = call(server, "GET", "/api/v1/rules", editor)
    assert [r["name"] for r in answer["rules"]].count("trial rule") == 1

    status, answer = call(server, "PUT", "/api/v1/org/trial", operator,
                          {"org_id": org.id, "ends_us": None})
    assert status == 200 and answer["read_only"] is False, answer
    status, answer = call(server, "POST", "/api/v1/rules", editor, {**RULE, "name": "after"})
    assert status == 201, answer
    until("the OTLP port taking telemetry again", lambda: otlp(server, key)[0] == 200,
          timeout=10)
