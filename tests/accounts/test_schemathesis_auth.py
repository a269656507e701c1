"""Schemathesis against a real accounts-mode server, signed in: every operation of its own
OpenAPI document called with an owner's API token and with a viewer's, valid and invalid
inputs — no 5xx, and every answer (the viewer's 403s included) matches the schema.

The server holds the simulator's shop, sent through the OTLP port with the
organisation's ingest key, so generated requests reach real services and traces (as in
``tests/api/test_schemathesis.py``, whose single-user run this complements).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import insert

from accounts.people import People, bearer
from bongsu.accounts.roles import Role
from bongsu.accounts.tables import api_tokens, users
from bongsu.simulate import generate
from server_process import ServerProcess, survivors

MINUTE_NS = 60 * 10**9
CHECKS = [schemathesis.checks.not_a_server_error, status_code_conformance,
          content_type_conformance, response_schema_conformance]
# Examples per operation and caller: (mode, examples).
RUNS = [(GenerationMode.POSITIVE, 15), (GenerationMode.NEGATIVE, 10)]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[ServerProcess, dict[Role, str]]]:
    """An accounts-mode server with five minutes of the simulator's traffic in one
    organisation, and an API token of its owner and of a viewer."""
    data = Path(tmp_path_factory.mktemp("schemathesis-auth")) / "data"
    data.mkdir()
    people = People(f"sqlite:///{data / 'meta.sqlite'}")
    org = people.org("Shop")
    _ids_from(people, 5_000_000, org.id)
    tokens = {role: people.token(org, people.user(f"SHOP_{role.value.upper()}", org, role))
              for role in (Role.OWNER, Role.VIEWER)}
    key = people.ingest_key(org)
    people.close()
    server = ServerProcess(data, {"BONGSU_AUTH": "accounts", "BONGSU_FSYNC": "off",
                                  "BONGSU_EDGE_MATCH_SECONDS": "1",
                                  "BONGSU_LOAD_BATCH_SECONDS": "0.05"}).start()
    start_ns = (time.time_ns() // MINUTE_NS - 7) * MINUTE_NS
    bodies: dict[str, list[bytes]] = {}
    for export in generate(seed=12, start_ns=start_ns, duration_s=300, rate=2):
        bodies.setdefault(export.kind, []).append(export.body)
    for kind, parts in bodies.items():
        for i in range(0, len(parts), 50):  # concatenated protobuf messages merge
            status, _, reply = server.post(f"/v1/{kind}", b"".join(parts[i:i + 50]),
                                           headers=bearer(key))
            assert status == 200, reply
    server.wait_loaded()
    try:
        yield server, tokens
    finally:
        server.stop()
    assert survivors(server.left_behind) == []


def _ids_from(people: People, first: int, org_id: int) -> None:
    """Users and tokens numbered from ``first`` on: far from the small integers hypothesis
    tries first, so a generated ``DELETE /org/members/{id}`` or ``/tokens/{id}`` does not
    remove the caller itself (a legitimate answer that would end the run early)."""
    with people.engine.begin() as con:
        con.execute(insert(users).values(
            id=first, login="PLACEHOLDER", email="placeholder@example.test", display_name="",
            is_operator=False, failed_logins=0, created_us=0, disabled_us=0))
        con.execute(insert(api_tokens).values(
            id=first, org_id=org_id, user_id=None, name="placeholder", role="viewer",
            prefix="bst_none", token_hash="0" * 64, created_us=0, revoked_us=0))


@pytest.mark.parametrize("role", [Role.OWNER, Role.VIEWER])
def test_every_operation_signed_in_matches_its_schema(
        shop: tuple[ServerProcess, dict[Role, str]], role: Role) -> None:
    server, tokens = shop
    headers = bearer(tokens[role])
    doc = httpx.get(server.api_url + "/openapi.json", timeout=120).json()
    status = httpx.get(server.api_url + "/api/v1/services", headers=headers, timeout=60)
    assert status.status_code == 200 and status.json()["services"], status.text
    schema = schemathesis.openapi.from_dict(doc)
    failures: list[str] = []
    operations = 0
    for mode, examples in RUNS:
        for result in schema.get_all_operations():
            assert isinstance(result, Ok), result
            operations += 1
            found = _findings(result.ok(), mode, examples, server.api_url, headers)
            if found:
                failures.append(f"[{role.value}, {mode.value}] {found}")
    assert operations >= 2 * 70
    assert not failures, "\n\n".join(failures)
    # The token still works: nothing generated signed its caller out or demoted them.
    again = httpx.get(server.api_url + "/api/v1/services", headers=headers, timeout=60)
    assert again.status_code == 200, again.text


def _findings(operation: APIOperation[Any, Any, Any, Any], mode: GenerationMode,
              examples: int, base_url: str, headers: dict[str, str]) -> str | None:
    """What schemathesis found wrong with one operation, or None."""
    checks = [*CHECKS, negative_data_rejection] if mode is GenerationMode.NEGATIVE else CHECKS

    @settings(max_examples=examples, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Case[Any]) -> None:
        case.call_and_validate(base_url=base_url, headers=headers, checks=checks)

    try:
        run()
    except Unsatisfiable:
        return None  # no parameter of this operation can be made invalid
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises a FailureGroup
        return f"{operation.label}: {exc}"
    return None
