"""The rule kind ``check`` over results in a real store: a down state is an active sample
with the check's name, target and failed condition; up is inactive; unknown (a disabled
check) is no data; a deleted check has no sample; its spec is checked by field."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest

from bongsu.alerts.kinds import Context, kind
from bongsu.alerts.model import Rule
from bongsu.alerts.rules import check_spec
from bongsu.errors import RuleError
from bongsu.store.duckdb import DuckDBStore
from bongsu.store.reads import reads_of
from bongsu.synthetics.model import CheckResult

NOW = 1_800_000_000_000_000


@pytest.fixture
def store() -> Iterator[DuckDBStore]:
    s = DuckDBStore.open(":memory:")
    yield s
    s.close()


def row(check_id: str, at: int, status: str, state: str, **kw: Any) -> CheckResult:
    return CheckResult("default", check_id, NOW + at, status, state,  # type: ignore[arg-type]
                       name=f"{check_id} name", target=f"GET http://{check_id}/", **kw)


def test_samples_per_check(store: DuckDBStore) -> None:
    store.save_check_results([
        row("web", 0, "down", "up"),
        row("web", 10, "down", "down", failed_condition="status == 200", status_code=503,
            duration_ms=12.0),
        row("api", 0, "up", "up", duration_ms=3.0),
        row("db", 0, "down", "down", error="connection refused"),
        row("db", 5, "unknown", "unknown", error="check disabled"),
        row("x", 0, "up", "up"),
    ])
    store.save_check_results([CheckResult("acme", "web", NOW, "down", "down", name="acme")])
    ctx = Context(queries=cast(Any, None), reads=reads_of(store, 10, 1000))
    rule = Rule(id="r", tenant="default", name="down", kind="check", spec={})  # type: ignore[arg-type]
    samples = {s.labels["check"]: s for s in kind("check").evaluate(rule, ctx, NOW + 20)}
    assert sorted(samples) == ["api", "db", "web", "x"]
    web = samples["web"]
    assert (web.active, web.value, web.labels) == (True, 12.0, {"check": "web",
                                                              "check_name": "web name"})
    assert web.summary == "web name is down: status == 200 (GET http://web/)"
    assert web.link == "/checks?check=web"
    assert web.details["failed_condition"] == "status == 200"
    assert (samples["api"].active, samples["api"].summary) == (False, "api name is up (GET http://api/)")
    assert (samples["db"].active, samples["db"].no_data) == (False, True)
    one = Rule(id="r", tenant="default", name="down", kind="check",  # type: ignore[arg-type]
               spec={"check": "web"})
    assert [s.labels["check"] for s in kind("check").evaluate(one, ctx, NOW + 20)] == ["web"]
    store.delete_check_results("default", "web")
    assert [s.labels["check"] for s in kind("check").evaluate(one, ctx, NOW + 20)] == []


def test_spec_errors_name_the_field() -> None:
    with pytest.raises(RuleError, match=r"^spec\.check: expected a non-empty string"):
        check_spec("check", {"check": ""})
    with pytest.raises(RuleError, match=r"^spec\.service: unknown field; known: check"):
        check_spec("check", {"service": "shop"})
    check_spec("check", {})
