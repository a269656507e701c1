"""The runner over a real DuckDB store and metadata database, probing real loopback
servers, on a clock the test moves: thresholds, unknown for probes started late or not at
all (a runner gap, a replica that is not the lease holder), a slow check holding one
worker only."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from alerts.receivers import until
from bongsu.meta.database import connect
from bongsu.store.duckdb import DuckDBStore
from bongsu.store.reads import Reads, reads_of
from bongsu.synthetics.definition import check_from_dict
from bongsu.synthetics.model import Check, CheckResult
from bongsu.synthetics.repo import CheckRepo
from bongsu.synthetics.runner import Runner
from synthetics.targets import Target

T0 = 1_800_000_000.0  # the test's clock, seconds


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@dataclass
class Parts:
    repo: CheckRepo
    store: DuckDBStore
    reads: Reads
    clock: Clock

    def runner(self, **kw: Any) -> Runner:
        return Runner(self.repo, self.store, self.reads, clock=self.clock, refresh_s=0, **kw)

    def add(self, name: str, url: str, **fields: Any) -> Check:
        body = {"name": name, "type": "http", "interval_s": 10,
                "target": {"url": url, "timeout_s": 5}, **fields}
        return self.repo.put(check_from_dict(body, tenant="default", check_id=f"c_{name}"))

    def results(self, check: Check) -> list[CheckResult]:
        return self.reads.check_results("default", check.id, 0, 2**62, 1000)

    def tick_and_wait(self, runner: Runner, check: Check, count: int) -> list[CheckResult]:
        """One tick, then wait until ``check`` has ``count`` results."""
        runner.tick()
        return until(f"{count} results of {check.name}",  # type: ignore[no-any-return]
                     lambda: (r := self.results(check)) and len(r) >= count and r)


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[Parts]:
    engine = connect(f"sqlite:///{tmp_path / 'meta.sqlite'}")
    store = DuckDBStore.open(tmp_path / "telemetry.duckdb")
    yield Parts(CheckRepo(engine), store, reads_of(store, 10, 10_000), Clock())
    store.close()
    engine.dispose()


def _rows(results: list[CheckResult]) -> list[tuple[float, str, str]]:
    return [(r.ts_us / 1e6 - T0, r.status, r.state) for r in results]


def test_two_failures_before_down_two_successes_before_up(parts: Parts, web: Target) -> None:
    web.flip_ok = False
    check = parts.add("flip", web.url("/flip"), failure_threshold=2, success_threshold=2)
    runner = parts.runner()
    try:
        for i, ok in enumerate([False, False, True, True, False, True]):
            web.flip_ok = ok
            got = parts.tick_and_wait(runner, check, i + 1)
            parts.clock.now += 10
    finally:
        runner.stop()
    assert _rows(got) == [(0, "down", "unknown"), (10, "down", "down"), (20, "up", "down"),
                          (30, "up", "up"), (40, "down", "up"), (50, "up", "up")]
    assert got[0].status_code == 503 and got[0].failed_condition == "status < 400"
    assert got[0].name == "flip" and got[0].target == f"GET {web.url('/flip')}"
    assert got[2].status_code == 200 and got[2].failed_condition is None


def test_probe_started_late_is_unknown_from_when_it_was_due(parts: Parts, web: Target) -> None:
    check = parts.add("late", web.url("/ok"))
    runner = parts.runner()
    try:
        parts.tick_and_wait(runner, check, 1)
        parts.clock.now += 10 + 5  # due at +10, started at +15: late, but within one interval
        parts.tick_and_wait(runner, check, 2)
        parts.clock.now += 10 + 25  # due at +25, started at +50: 25 s late, over 10 s
        got = parts.tick_and_wait(runner, check, 4)
    finally:
        runner.stop()
    assert _rows(got) == [(0, "up", "up"), (15, "up", "up"), (25, "unknown", "unknown"),
                          (50, "up", "up")]
    assert got[2].error is not None and "not probed" in got[2].error


def test_runner_gap_after_a_restart_is_unknown_and_state_carries_on(
        parts: Parts, web: Target) -> None:
    web.flip_ok = False
    check = parts.add("gap", web.url("/flip"), failure_threshold=2)
    first = parts.runner()
    try:
        parts.tick_and_wait(first, check, 1)
        parts.clock.now += 10
        parts.tick_and_wait(first, check, 2)
    finally:
        first.stop()
    parts.clock.now += 3600  # the server was down for an hour
    second = parts.runner()
    try:
        got = parts.tick_and_wait(second, check, 4)
    finally:
        second.stop()
    # The last probe (down, at +10) holds until it was due again (+20); from there to the
    # restart nobody looked: unknown, not down. The check stays down after the restart.
    assert _rows(got) == [(0, "down", "unknown"), (10, "down", "down"),
                          (20, "unknown", "unknown"), (3610, "down", "down")]
    web.flip_ok = True


def test_not_the_lease_holder_probes_nothing_then_fills_the_gap(
        parts: Parts, web: Target) -> None:
    holder = {"active": True}
    check = parts.add("lease", web.url("/ok"))
    runner = parts.runner(active=lambda: holder["active"])
    try:
        parts.tick_and_wait(runner, check, 1)
        holder["active"] = False
        for _ in range(5):
            parts.clock.now += 10
            runner.tick()
        time.sleep(0.5)
        assert len(parts.results(check)) == 1  # a standby probes nothing
        holder["active"] = True
        parts.clock.now += 10
        got = parts.tick_and_wait(runner, check, 3)
    finally:
        runner.stop()
    assert _rows(got) == [(0, "up", "up"), (10, "unknown", "unknown"), (60, "up", "up")]


def test_slow_check_holds_one_worker_only(parts: Parts, web: Target) -> None:
    slow = parts.add("slow", web.url("/slow"))  # answers after 3 s, within its 5 s timeout
    fast = parts.add("fast", web.url("/ok"))
    runner = parts.runner(workers=2)
    try:
        runner.tick()  # both start
        for i in range(2, 5):
            time.sleep(0.3)
            parts.clock.now += 10
            parts.tick_and_wait(runner, fast, i)
        assert parts.results(slow) == []  # still in flight, and not handed again
        got = until("the slow result", lambda: parts.results(slow))
    finally:
        runner.stop()
    assert len(got) == 1 and got[0].status == "up" and got[0].duration_ms >= 2900


def test_run_now_counts_and_standby_answers_unstored(parts: Parts, web: Target) -> None:
    check = parts.add("now", web.url("/wrong"),
                      conditions=[{"on": "body", "op": "contains", "value": "ok"}])
    runner = parts.runner()
    result = runner.run_now(check)
    assert (result.status, result.state, result.failed_condition) == (
        "down", "down", 'body contains "ok"')
    assert parts.results(check) == [result]
    standby = parts.runner(active=lambda: False)
    answered = standby.run_now(check)
    assert (answered.status, answered.state) == ("down", "unknown")
    assert parts.results(check) == [result]
    runner.stop()
    standby.stop()


def test_overloaded_pool_records_unknown_not_down(parts: Parts, web: Target) -> None:
    slow = parts.add("a-slow", web.url("/slow"))  # 3 s, holding the only worker
    fast = parts.add("b-fast", web.url("/ok"))
    runner = parts.runner(workers=1)
    try:
        runner.tick()  # both due at T0; the fast one waits for the worker
        time.sleep(0.3)
        parts.clock.now += 25  # it gets the worker 25 s after it was due: over its 10 s
        got = until("the fast check's results", lambda: len(parts.results(fast)) >= 2
                    and parts.results(fast))
    finally:
        runner.stop()
    assert _rows(got) == [(0, "unknown", "unknown"), (25, "up", "up")]
    assert [r.status for r in parts.results(slow)] == ["up"]
