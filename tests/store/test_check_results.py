"""The check results contract (``bongsu.store.base`` write side, ``bongsu.store.reads``
read side), run against every backend of the conformance suite: appended whole, read by
window with the result in force at its start, latest per check, tenants apart, their own
retention (telemetry retention leaves them alone), deleted with their check, kept across
a reopen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bongsu.store.reads import reads_of
from bongsu.synthetics.model import CheckResult
from store.test_conformance import NOW_US, backend, store  # noqa: F401 - fixtures

_S = 1_000_000


def result(check_id: str, at_s: int, status: str = "up", tenant: str = "default",
           **kw: Any) -> CheckResult:
    return CheckResult(tenant=tenant, check_id=check_id, ts_us=NOW_US + at_s * _S,
                       status=status, state=kw.pop("state", status),  # type: ignore[arg-type]
                       name=f"check {check_id}", target=f"GET http://{check_id}/", **kw)


def test_window_starts_with_the_result_in_force(store: Any) -> None:  # noqa: F811
    rows = [result("a", 0), result("a", 10, "down", duration_ms=12.5, status_code=503,
                                   failed_condition="status < 400"),
            result("a", 20, "unknown", error="not probed"), result("a", 30),
            result("b", 15, "down", error="connection refused", tls_days_left=2.5)]
    store.save_check_results(rows)
    reads = reads_of(store, 10, 1000)
    assert reads.check_results("default", "a", NOW_US + 15 * _S, NOW_US + 30 * _S, 100) == [
        rows[1], rows[2]]  # +10 is in force at +15; +30 is outside [15, 30)
    assert reads.check_results("default", "a", NOW_US, NOW_US + 40 * _S, 100) == rows[:4]
    assert reads.check_results("default", "a", NOW_US - 5 * _S, NOW_US + 40 * _S, 2) == rows[:2]
    assert reads.check_results("default", "a", NOW_US - 5 * _S, NOW_US, 100) == []
    assert reads.latest_check_results("default", None) == [rows[3], rows[4]]
    assert reads.latest_check_results("default", ["b"]) == [rows[4]]
    assert reads.latest_check_results("default", []) == []


def test_tenants_apart_and_deleting_a_check(store: Any) -> None:  # noqa: F811
    store.save_check_results([result("a", 0), result("a", 0, tenant="acme"), result("b", 5)])
    reads = reads_of(store, 10, 1000)
    assert [r.tenant for r in reads.latest_check_results("acme", None)] == ["acme"]
    assert store.delete_check_results("default", "a") == 1
    assert [r.check_id for r in reads.latest_check_results("default", None)] == ["b"]
    assert len(reads.latest_check_results("acme", ["a"])) == 1


def test_own_retention_only(store: Any) -> None:  # noqa: F811
    store.save_check_results([result("a", -100), result("a", 0), result("a", 100)])
    store.delete_before(NOW_US + 1000 * _S)  # telemetry retention leaves results alone
    reads = reads_of(store, 10, 1000)
    assert len(reads.check_results("default", "a", 0, 2**62, 100)) == 3
    assert store.delete_check_results_before(NOW_US) == 1
    assert [r.ts_us for r in reads.check_results("default", "a", 0, 2**62, 100)] == [
        NOW_US, NOW_US + 100 * _S]


def test_results_survive_reopening(backend: Callable[[Path], Any],  # noqa: F811
                                   tmp_path: Path) -> None:
    first = backend(tmp_path)
    first.save_check_results([result("a", 0, "down", state="unknown")])
    first.close()
    again = backend(tmp_path)
    try:
        assert reads_of(again, 10, 1000).latest_check_results("default", None) == [
            result("a", 0, "down", state="unknown")]
    finally:
        again.close()
