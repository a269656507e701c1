"""The evaluator over a real DuckDB store and the real AlertRepo (SQLite metadata
database): for / keep_firing_for timed exactly by an injected clock, a restart that
neither forgets nor re-sends, one alert per episode, a slow rule cut without holding up
the others."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from alerts.telemetry import (
    ERRORS_FROM_S,
    ERRORS_UNTIL_S,
    Clock,
    S,
    bumped,
    context,
    episode,
    load_spans,
    open_store,
    transactions,
)
from bongsu.alerts.evaluator import Evaluator, evaluate_rule
from bongsu.alerts.kinds import Context, register
from bongsu.alerts.model import Rule, Sample, Transition
from bongsu.alerts.repo import AlertRepo
from bongsu.meta.database import connect
from query.dataset import anchor_us


def changes(transitions: Sequence[Transition], t0: int) -> list[tuple[int, str, str, str]]:
    return [((t.at_us - t0) // S, t.instance.labels.get("service", ""), t.old, t.new)
            for t in transitions]


def test_for_and_keep_firing_for_are_timed_exactly(tmp_path: Path) -> None:
    store = open_store(tmp_path / "t.db")
    t0 = anchor_us()
    load_spans(store, transactions(t0))
    url = f"sqlite:///{tmp_path / 'meta.sqlite'}"
    repo = AlertRepo(connect(url))
    rule = repo.put_rule(Rule(
        id="", tenant="default", name="orders failing", kind="threshold",
        spec={"figure": "error_rate", "op": ">", "value": 0.1, "window_s": 60},
        for_s=120, keep_firing_for_s=60, interval_s=10, severity="critical"))
    clock = Clock(t0)
    ctx = context(store, clock)
    seen: list[Transition] = []
    for second in range(0, 1200, 10):
        clock.now_us = t0 + second * S
        if second == 600:  # a restart while firing: state comes back from the database
            repo = AlertRepo(connect(url))
        seen += evaluate_rule(rule, ctx, repo, clock.now_us).transitions
    # Every other orders request fails in [300 s, 780 s); over a 60 s window the rate is
    # first over 10 % at 320 s (10 of 60) and last at 820 s; for 120 s fires at 440 s,
    # keep_firing_for 60 s resolves at 880 s. The restart at 600 s changes nothing.
    assert (ERRORS_FROM_S, ERRORS_UNTIL_S) == (300, 780)
    assert changes(seen, t0) == [(320, "orders", "inactive", "pending"),
                                 (440, "orders", "pending", "firing"),
                                 (880, "orders", "firing", "resolved")]
    history = repo.history("default", t0, rule.id)  # newest first
    assert [(h.transition.old, h.transition.new, h.notified) for h in history] == [
        ("firing", "resolved", False), ("pending", "firing", False),
        ("inactive", "pending", False)]
    (inst,) = repo.instances("default", rule.id)
    assert inst.labels == {"service": "orders"} and inst.state == "resolved"
    assert (inst.fired_at_us, inst.resolved_at_us) == (t0 + 440 * S, t0 + 880 * S)
    store.close()


def test_an_episode_is_one_alert_however_many_count_bumps(tmp_path: Path) -> None:
    store = open_store(tmp_path / "t.db")
    t0 = anchor_us()
    first = episode(t0)
    store.save_kube_episodes([first])
    repo = AlertRepo(connect(f"sqlite:///{tmp_path / 'meta.sqlite'}"))
    rule = repo.put_rule(Rule(id="", tenant="default", name="crash loop", kind="event",
                              spec={"kind": "crash_loop", "window_s": 300}, interval_s=30))
    ctx = context(store, Clock(t0))
    seen: list[Transition] = []
    for step in range(1, 40):
        at = t0 + step * 30 * S
        if step <= 15:  # an Event update every 30 s for 7.5 minutes
            store.save_kube_episodes([bumped(first, step + 1, at - S)])
        seen += evaluate_rule(rule, ctx, repo, at).transitions
    # Last bump at 449 s; out of the 300 s window at 750 s (first evaluation after 749 s).
    assert [((t.at_us - t0) // S, t.old, t.new) for t in seen] == [
        (30, "inactive", "firing"), (750, "firing", "resolved")]
    assert seen[0].instance.labels["pod"] == "cart-7d9f8-x2kq"
    store.close()


class Sleepy:
    """A kind that takes longer than the evaluator allows."""

    name = "test-sleepy"
    calls = 0

    def check(self, spec: Any) -> dict[str, Any]:
        return dict(spec)

    def evaluate(self, rule: Rule, ctx: Context, now_us: int) -> list[Sample]:
        Sleepy.calls += 1
        time.sleep(1.5)
        return [Sample({"x": "slow"}, True, 1.0, "slow")]


class Quick:
    name = "test-quick"

    def check(self, spec: Any) -> dict[str, Any]:
        return dict(spec)

    def evaluate(self, rule: Rule, ctx: Context, now_us: int) -> list[Sample]:
        return [Sample({"x": "quick"}, True, 1.0, "quick")]


class Broken:
    name = "test-broken"

    def check(self, spec: Any) -> dict[str, Any]:
        return dict(spec)

    def evaluate(self, rule: Rule, ctx: Context, now_us: int) -> list[Sample]:
        raise RuntimeError("the figure is not there")


def test_a_slow_rule_is_cut_and_holds_up_nothing(tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    store = open_store(tmp_path / "t.db")
    register(Sleepy())
    register(Quick())
    register(Broken())
    repo = AlertRepo(connect(f"sqlite:///{tmp_path / 'meta.sqlite'}"))
    slow = Rule(id="slow", tenant="default", name="slow", kind="test-sleepy",  # type: ignore[arg-type]
                spec={}, interval_s=0.1)
    quick = Rule(id="quick", tenant="acme", name="quick", kind="test-quick",  # type: ignore[arg-type]
                 spec={}, interval_s=0.1)
    broken = Rule(id="broken", tenant="default", name="broken",
                  kind="test-broken", spec={}, interval_s=0.1)  # type: ignore[arg-type]
    off = Rule(id="off", tenant="default", name="off", kind="test-quick",  # type: ignore[arg-type]
               spec={}, interval_s=0.1, enabled=False)
    heard: list[Transition] = []
    got_quick = threading.Event()

    def listener(transitions: Sequence[Transition]) -> None:
        heard.extend(transitions)
        got_quick.set()

    evaluator = Evaluator(lambda: [slow, broken, off, quick], repo, context(store, time.time_ns),
                          listeners=[listener], timeout_s=0.3, workers=2, tick_s=0.05,
                          rules_refresh_s=0)
    started = time.monotonic()
    evaluator.start()
    try:
        assert got_quick.wait(5)
        quick_after = time.monotonic() - started
        time.sleep(2.0)  # the slow evaluation ends, past its time
    finally:
        evaluator.stop()
    assert quick_after < 1.0  # not behind the slow rule's 1.5 s
    assert [(t.instance.rule_id, t.new) for t in heard] == [("quick", "firing")]
    assert repo.instances("default", "slow") == []  # its late result was dropped unsaved
    assert [i.state for i in repo.instances("acme", "quick")] == ["firing"]
    assert any(o.rule_id == "slow" and o.error and "TimeoutError" in o.error
               for o in evaluator.outcomes)
    assert "alert rule slow: evaluation over 0.3 s, cut" in caplog.text
    assert "alert rule broken: evaluation failed: the figure is not there" in caplog.text
    assert repo.instances("default", "off") == []  # a disabled rule is not evaluated
    assert 1 <= Sleepy.calls <= 2  # never two at once: one 1.5 s call, then at most one more
    store.close()


class Steady:
    name = "test-steady"

    def check(self, spec: Any) -> dict[str, Any]:
        return dict(spec)

    def evaluate(self, rule: Rule, ctx: Context, now_us: int) -> list[Sample]:
        time.sleep(0.15)  # under the 0.3 s limit, but six of them queue for 0.9 s on one worker
        return [Sample({"x": rule.id}, True, 1.0, rule.id)]


def test_a_rule_waiting_for_a_worker_is_not_cut(tmp_path: Path,
                                               caplog: pytest.LogCaptureFixture) -> None:
    store = open_store(tmp_path / "t.db")
    register(Steady())
    repo = AlertRepo(connect(f"sqlite:///{tmp_path / 'meta.sqlite'}"))
    rules = [Rule(id=f"r{n}", tenant="default", name=f"r{n}", kind="test-steady",  # type: ignore[arg-type]
                  spec={}, interval_s=60) for n in range(6)]
    heard: list[Transition] = []
    evaluator = Evaluator(lambda: rules, repo, context(store, time.time_ns),
                          listeners=[heard.extend], timeout_s=0.3, workers=1, tick_s=0.05,
                          rules_refresh_s=0)
    evaluator.start()
    try:
        deadline = time.monotonic() + 10
        while len(heard) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        evaluator.stop()
    # The time limit counts from when a worker starts the evaluation, not from the queue.
    assert sorted(t.instance.rule_id for t in heard) == [f"r{n}" for n in range(6)]
    assert "cut" not in caplog.text
    store.close()
