"""The rule kinds over a real DuckDB store holding known telemetry: threshold figures and
metrics, event rules on stored episodes, predictive rules on series of known shape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alerts.telemetry import (
    MEMORY_LIMIT,
    MEMORY_SLOPE,
    MEMORY_START,
    MIN,
    Clock,
    S,
    bumped,
    context,
    episode,
    gauges,
    load_points,
    load_spans,
    memory_series,
    open_store,
    transactions,
)
from bongsu.alerts.kinds import Context, kind, kinds, register
from bongsu.alerts.kinds.series import step_times
from bongsu.alerts.model import Rule, Sample
from bongsu.errors import RuleError
from bongsu.query.window import Window
from query.dataset import anchor_us, percentile_us


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, int, list[Any]]]:
    store = open_store(tmp_path_factory.mktemp("alerts") / "t.db")
    t0 = anchor_us()
    spans = transactions(t0)
    load_spans(store, spans)
    load_points(store, memory_series(t0))
    yield store, t0, spans
    store.close()


def rule(kind_name: str, **spec: Any) -> Rule:
    return Rule(id="r1", tenant="default", name="test", kind=kind_name,  # type: ignore[arg-type]
                spec=spec)


def evaluate(data: tuple[Any, int, list[Any]], r: Rule, at_us: int) -> list[Sample]:
    clock = Clock(at_us)
    return kind(r.kind).evaluate(r, context(data[0], clock), at_us)


# -- threshold -------------------------------------------------------------------------------

def test_threshold_figures_per_service_match_the_data(data: tuple[Any, int, list[Any]]) -> None:
    _, t0, spans = data
    start, end = t0 + 360 * S, t0 + 420 * S  # inside the stretch of errors
    sent = {svc: [s for s in spans if s.service == svc and start <= s.start_us < end]
            for svc in ("frontend", "orders")}
    got = evaluate(data, rule("threshold", figure="error_rate", op=">", value=0.05,
                              window_s=60), end)
    by_service = {s.labels["service"]: s for s in got}
    assert sorted(by_service) == ["frontend", "orders"]
    assert by_service["orders"].value == pytest.approx(
        sum(s.is_error for s in sent["orders"]) / len(sent["orders"]))
    assert by_service["orders"].value == pytest.approx(0.5)
    assert by_service["orders"].active and not by_service["frontend"].active
    acme = Rule(id="r2", tenant="acme", name="t", kind="threshold",
                spec={"figure": "tps", "op": ">", "value": 0})
    assert evaluate(data, acme, end) == []  # another tenant's data is not seen
    assert by_service["orders"].link == f"/services/orders?to={end // 1000}"
    tps = evaluate(data, rule("threshold", figure="tps", op="<", value=0.5, window_s=60), end)
    assert {s.labels["service"]: s.value for s in tps} == {"frontend": 1.0, "orders": 1.0}
    p95 = evaluate(data, rule("threshold", figure="p95_ms", op=">", value=1000,
                              window_s=60, service="orders"), end)
    exact_ms = percentile_us([s.duration_us for s in sent["orders"]], 0.95) / 1000
    assert [s.labels for s in p95] == [{"service": "orders"}]
    assert p95[0].value == pytest.approx(exact_ms, rel=0.045)  # the rollup buckets' error


def test_threshold_per_instance(data: tuple[Any, int, list[Any]]) -> None:
    _, t0, _ = data
    got = evaluate(data, rule("threshold", figure="error_rate", op=">", value=0.05,
                              window_s=60, by="instance", service="orders"), t0 + 420 * S)
    # Even seconds (the failing ones) go to ord-1, odd ones to ord-2.
    assert {s.labels["instance"]: (s.value, s.active) for s in got} == {
        "ord-1": (1.0, True), "ord-2": (0.0, False)}
    assert all(s.labels["service"] == "orders" for s in got)


def test_a_quiet_window_is_no_data(data: tuple[Any, int, list[Any]]) -> None:
    _, t0, _ = data
    got = evaluate(data, rule("threshold", metric="no.such.metric", op=">", value=1),
                   t0 + 420 * S)
    assert [(s.labels, s.no_data, s.active) for s in got] == [
        ({"metric": "no.such.metric"}, True, False)]
    before = evaluate(data, rule("threshold", figure="apdex", op="<", value=0.7),
                      t0 - 3600 * S)
    assert before == []  # no service had transactions: nothing to say about any


def test_threshold_on_a_metric_per_pod(data: tuple[Any, int, list[Any]]) -> None:
    _, t0, _ = data
    at = t0 + 30 * MIN
    got = evaluate(data, rule("threshold", metric="k8s.container.memory.usage", agg="max",
                              op=">", value=200e6, window_s=300,
                              group_by="k8s.pod.name"), at)
    values = {s.labels["k8s.pod.name"]: s.value for s in got}
    assert set(values) == {"leaky", "rotating", "gone"}
    # The window's last point is at minute 29: 100 MB + 2e4 B/s x 1740 s.
    assert values["gone"] == pytest.approx(MEMORY_START + MEMORY_SLOPE * 29 * 60)
    assert values["rotating"] == pytest.approx(100e6 + 2e5 * (29 * 60 % 1200))
    assert {s.labels["k8s.pod.name"] for s in got if s.active} == {"rotating"}


def test_threshold_specs_are_checked_naming_the_field() -> None:
    t = kind("threshold")
    with pytest.raises(RuleError, match=r"^spec\.op: required"):
        t.check({"figure": "apdex", "value": 0.7})
    with pytest.raises(RuleError, match=r"^spec\.figure: expected one of tps"):
        t.check({"figure": "apdx", "op": "<", "value": 0.7})
    with pytest.raises(RuleError, match=r"^spec\.figure: give exactly one"):
        t.check({"figure": "apdex", "metric": "m", "op": "<", "value": 0.7})
    with pytest.raises(RuleError, match=r"^spec\.windw_s: unknown field"):
        t.check({"figure": "apdex", "op": "<", "value": 0.7, "windw_s": 60})
    assert t.check({"figure": "apdex", "op": "<", "value": 0.7}) == {
        "figure": "apdex", "op": "<", "value": 0.7, "window_s": 300.0, "service": None,
        "by": "service"}


# -- event -----------------------------------------------------------------------------------

def test_one_sample_per_episode_however_many_count_bumps(tmp_path: Path) -> None:
    store = open_store(tmp_path / "e.db")
    t0 = anchor_us()
    first = episode(t0)
    other = episode(t0, id="ep-crash-2", object_name="cart-7d9f8-p8zt", pod="cart-7d9f8-p8zt",
                    summary="cart-7d9f8-p8zt crash-looping")
    pulls = episode(t0, id="ep-pull-1", kind="image_pull", reason="ErrImagePull")
    store.save_kube_episodes([first, other, pulls])
    r = rule("event", kind="crash_loop", namespace="shop", window_s=600)
    ctx = context(store, Clock(t0))
    seen = []
    for bump in range(1, 12):
        at = t0 + bump * 20 * S
        store.save_kube_episodes([bumped(first, bump + 1, at)])
        samples = kind("event").evaluate(r, ctx, at + S)
        seen.append(sorted((s.labels["pod"], s.value) for s in samples))
    assert all(len(s) == 2 for s in seen)
    assert seen[-1] == [("cart-7d9f8-p8zt", 1.0), ("cart-7d9f8-x2kq", 12.0)]
    samples = kind("event").evaluate(r, ctx, t0 + 300 * S)
    crash = next(s for s in samples if s.labels["pod"] == "cart-7d9f8-x2kq")
    assert crash.labels == {"cluster": "private", "namespace": "shop", "kind": "crash_loop",
                            "object": "Pod/cart-7d9f8-x2kq", "pod": "cart-7d9f8-x2kq",
                            "service": "cart"}
    assert crash.link == "/events/ep-crash-1" and crash.details["episode"] == "ep-crash-1"
    # min_count: only the bumped episode; out of the window: nothing.
    busy = kind("event").evaluate(rule("event", kind="crash_loop", min_count=5), ctx,
                                  t0 + 300 * S)
    assert [s.labels["pod"] for s in busy] == ["cart-7d9f8-x2kq"]
    assert kind("event").evaluate(r, ctx, t0 + 3600 * S) == []
    matched = {
        "object prefix": ({"object": "cart-7d9f8"}, 3),
        "reason": ({"reason": "ErrImagePull"}, 1),
        "severity": ({"severity": "warning"}, 0),
        "cluster": ({"cluster": "public"}, 0),
        "service": ({"service": "cart", "kind": "image_pull"}, 1),
    }
    for name, (spec, count) in matched.items():
        got = kind("event").evaluate(rule("event", **spec), ctx, t0 + 300 * S)
        assert len(got) == count, name
    other_tenant = Rule(id="r2", tenant="acme", name="t", kind="event", spec={})
    assert kind("event").evaluate(other_tenant, ctx, t0 + 300 * S) == []
    store.close()


def test_event_specs_are_checked() -> None:
    with pytest.raises(RuleError, match=r"^spec\.kind: expected one of crash_loop"):
        kind("event").check({"kind": "crashloop"})
    with pytest.raises(RuleError, match=r"^spec\.min_count: must be at least 1"):
        kind("event").check({"min_count": 0})


# -- predictive ------------------------------------------------------------------------------

def predictive(**changes: Any) -> Rule:
    spec: dict[str, Any] = {
        "metric": "k8s.container.memory.usage", "agg": "max", "group_by": "k8s.pod.name",
        "limit": {"metric": "k8s.container.memory.limit"}, "horizon_s": 3600,
        "lookback_s": 3600, "step_s": 60,
    }
    spec.update(changes)
    return rule("predictive", **spec)


def test_a_known_slope_fires_within_5_percent_of_the_analytic_time(
        data: tuple[Any, int, list[Any]]) -> None:
    _, t0, _ = data
    exhausted_us = t0 + round((MEMORY_LIMIT - MEMORY_START) / MEMORY_SLOPE * S)  # +10,000 s
    horizon_us = 3600 * S
    first_fire = None
    for minute in range(90, 115):
        at = t0 + minute * MIN + 30 * S
        leaky = next(s for s in evaluate(data, predictive(), at)
                     if s.labels["k8s.pod.name"] == "leaky")
        predicted = leaky.details["predicted_at_us"]
        assert abs(predicted - exhausted_us) <= 0.05 * (exhausted_us - at)
        assert leaky.details["slope_per_s"] == pytest.approx(MEMORY_SLOPE, rel=0.02)
        if leaky.active and first_fire is None:
            first_fire = at
            assert "predicted to reach 3e+08" in leaky.summary
    assert first_fire is not None
    assert abs(first_fire - (exhausted_us - horizon_us)) <= 0.05 * horizon_us


def test_a_step_is_timed_at_the_middle_of_the_part_the_window_covers() -> None:
    # Steps at 0, 60 and 120 s (their starts, as the store gives them) in a window [30 s,
    # 150 s): the first and the last are cut by it.
    points = [(0, 1.0), (60 * S, 2.0), (120 * S, 3.0)]
    assert step_times(points, 60, Window(30 * S, 150 * S)) == [
        (45 * S, 1.0), (90 * S, 2.0), (135 * S, 3.0)]


DENSE = "dense.memory.usage"  # scraped every 10 s: six samples a 60 s step


@pytest.fixture(scope="module")
def dense(data: tuple[Any, int, list[Any]]) -> tuple[Any, int, list[Any]]:
    """MEMORY_START + MEMORY_SLOPE x s exactly, a sample every 10 s for 115 minutes (pod
    ``dense`` of ``shop``): exhausts MEMORY_LIMIT at t0 + 10,000 s."""
    store, t0, _ = data
    attrs = {"k8s.pod.name": "dense", "k8s.namespace.name": "shop"}
    load_points(store, gauges([(DENSE, "shop", "private/shop/dense", t0 + s * S,
                                MEMORY_START + MEMORY_SLOPE * s, attrs)
                               for s in range(0, 115 * 60, 10)]))
    return data


@pytest.mark.parametrize("agg", ["max", "last", "avg"])
def test_a_known_slope_is_predicted_within_1_percent_at_60_s_steps(
        dense: tuple[Any, int, list[Any]], agg: str) -> None:
    _, t0, _ = dense
    exhausted_us = t0 + round((MEMORY_LIMIT - MEMORY_START) / MEMORY_SLOPE * S)
    # A step's max (or last) is its latest sample, 50 s in; its avg is 25 s in. Timed at
    # the step's start (as the store gives it), a max would be predicted 50 s early: over
    # 1 % of the 4,570 s left at minute 90.5. At the step's middle: 20 s early at most.
    for minute in range(90, 115):
        for at in (t0 + minute * MIN, t0 + minute * MIN + 30 * S):  # whole and cut steps
            (got,) = evaluate(dense, predictive(metric=DENSE, agg=agg, limit=MEMORY_LIMIT),
                              at)
            predicted = got.details["predicted_at_us"]
            assert abs(predicted - exhausted_us) <= 0.01 * (exhausted_us - at), (minute, at)
            assert got.details["slope_per_s"] == pytest.approx(MEMORY_SLOPE, rel=1e-9)


def test_a_sawtooth_and_a_stopped_series_do_not_fire(data: tuple[Any, int, list[Any]]) -> None:
    _, t0, _ = data
    # At minute 112 a line through either would predict exhaustion within the hour.
    for minute in range(63, 115, 3):  # gone: 57 points at 63, then fewer
        got = {s.labels["k8s.pod.name"]: s
               for s in evaluate(data, predictive(), t0 + minute * MIN + 30 * S)}
        assert not got["rotating"].active
        assert "resets" in got["rotating"].details["refused"]
        assert not got["gone"].active and got["gone"].no_data
        assert got["gone"].details["refused"].startswith("the series stopped")


def test_a_constant_limit_and_too_few_points(data: tuple[Any, int, list[Any]]) -> None:
    _, t0, _ = data
    got = evaluate(data, predictive(limit=MEMORY_LIMIT, min_points=10, lookback_s=3600),
                   t0 + 6 * MIN)
    leaky = next(s for s in got if s.labels["k8s.pod.name"] == "leaky")
    assert not leaky.active and leaky.details["refused"] == (
        "6 points in the lookback; a trend needs at least 10")
    with pytest.raises(RuleError, match=r"^spec\.limit\.metric: expected a non-empty"):
        kind("predictive").check({"metric": "m", "limit": {"metric": ""}})
    with pytest.raises(RuleError, match=r"^spec\.lookback_s: shorter than min_points"):
        kind("predictive").check({"metric": "m", "limit": 1, "lookback_s": 300})


# -- the registry ----------------------------------------------------------------------------

class Constant:
    """A third party's kind."""

    name = "constant"

    def check(self, spec: Any) -> dict[str, Any]:
        return dict(spec)

    def evaluate(self, rule: Rule, ctx: Context, now_us: int) -> list[Sample]:
        return [Sample({"x": "1"}, True, 1.0, "always")]


def test_the_builtins_register_like_a_plugin_would() -> None:
    assert {"threshold", "event", "predictive"} <= set(kinds())
    register(Constant())
    assert kind("constant").name == "constant"
    with pytest.raises(RuleError, match=r"^kind: unknown rule kind 'nope'"):
        kind("nope")
