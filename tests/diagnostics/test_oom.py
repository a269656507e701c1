"""OOM classification on memory series of known shape: each verdict, its thresholds' edges,
and the evidence (slope, fit, time to the limit, the jump, the kills); then the same through
a real DuckDB store holding agent and Kubernetes points and an OOM-kill episode."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alerts.telemetry import episode, gauges, load_points, open_store
from bongsu.diagnostics.oom import (
    HEAP_FLAT,
    MIN_POINTS,
    OomKill,
    Series,
    Subject,
    classify,
    oom_verdicts,
    step_for,
    verdict_json,
)

S = 1_000_000
MIN = 60 * S
H = 3600 * S
MB = 1e6
T0 = 1_780_000_000 * S  # a fixed epoch second, minute-aligned
SUBJECT = Subject("instance", "shop", "shop-1", None)


def linear(start: float, per_hour: float, hours: float, step_s: int = 60, noise: float = 0,
           seed: int = 1) -> list[tuple[int, float]]:
    rng = random.Random(seed)
    n = int(hours * 3600 / step_s)
    return [(T0 + k * step_s * S, start + per_hour * k * step_s / 3600 + rng.uniform(-noise, noise))
            for k in range(n)]


def test_steady_growth_with_a_growing_heap_is_a_leak_with_its_slope_and_time_to_limit() -> None:
    rss = linear(100 * MB, 20 * MB, 6, noise=1 * MB)
    heap = linear(50_000, 10_000, 6, noise=500, seed=2)  # allocator blocks grow too
    v = classify(SUBJECT, Series("process.memory.usage", rss), Series("heap", heap), 512 * MB, [])
    assert v.verdict == "leak", v.reason
    assert v.slope_per_s == pytest.approx(20 * MB / 3600, rel=0.02)
    assert v.fit_fraction is not None and v.fit_fraction >= 0.8
    # the line reaches 512 MB when 100 MB + 20 MB/h x t = 512 MB: t = 20.6 h after T0
    analytic = T0 + (512 - 100) / 20 * H
    assert v.reaches_limit_at_us is not None
    assert abs(v.reaches_limit_at_us - analytic) <= 0.02 * (analytic - T0)
    assert v.heap_growth_fraction is not None and v.heap_growth_fraction > 0.5
    assert v.growth_fraction == pytest.approx(120 / 100, rel=0.03)
    assert "grows steadily by 19.1 MiB/h over 6.0 h" in v.reason
    assert "the heap (heap) grows too" in v.reason
    assert v.usage is not None and v.usage.points[0] == rss[0] and v.usage.points[-1] == rss[-1]


def test_rss_growing_over_a_flat_heap_is_native() -> None:
    rss = linear(100 * MB, 20 * MB, 6, noise=1 * MB)
    heap = linear(50_000, 0, 6, noise=1000, seed=3)  # +-2 %: flat
    v = classify(SUBJECT, Series("process.memory.usage", rss), Series("blocks", heap), None, [])
    assert v.verdict == "native", v.reason
    assert v.heap_growth_fraction is not None and abs(v.heap_growth_fraction) <= HEAP_FLAT
    assert "while the heap (blocks) stays flat" in v.reason
    assert v.reaches_limit_at_us is None  # no limit known


def test_a_heap_growing_just_past_the_flat_threshold_is_a_leak() -> None:
    rss = linear(100 * MB, 20 * MB, 6)
    # heap grows 8 % from the first quarter's median to the last's
    heap = linear(50_000, 50_000 * 0.08 / 4.5, 6)
    v = classify(SUBJECT, Series("rss", rss), Series("blocks", heap), None, [])
    assert v.heap_growth_fraction == pytest.approx(0.08, rel=0.05)
    assert v.verdict == "leak"


def test_a_jump_within_minutes_is_a_spike_with_the_jump_as_evidence() -> None:
    flat = [(T0 + k * MIN, 150 * MB + (k % 3) * 0.5 * MB) for k in range(120)]
    jumped = [(T0 + (120 + k) * MIN, 420 * MB + (k % 2) * 0.5 * MB) for k in range(30)]
    kill = OomKill("ep1", "shop-1", "shop", T0 + 150 * MIN, 1, "shop-1 OOM-killed")
    v = classify(SUBJECT, Series("rss", flat + jumped), None, 512 * MB, [kill])
    assert v.verdict == "spike", v.reason
    assert v.jump is not None
    assert v.jump.end_us == T0 + 120 * MIN and v.jump.start_us >= T0 + 115 * MIN
    assert v.jump.start_us == T0 + 119 * MIN
    assert v.jump.to_value - v.jump.from_value == pytest.approx(270 * MB, abs=1.1 * MB)
    assert v.oom_kills == [kill]
    assert "rss jumped by 25" in v.reason and "of the 488.3 MiB limit" in v.reason


def test_a_jump_smaller_than_a_quarter_of_the_limit_is_not_a_spike() -> None:
    flat = [(T0 + k * MIN, 150 * MB) for k in range(120)]
    jumped = [(T0 + (120 + k) * MIN, 250 * MB) for k in range(30)]  # 100 MB of a 512 MB limit
    v = classify(SUBJECT, Series("rss", flat + jumped), None, 512 * MB, [])
    assert v.verdict != "spike"
    # with no limit known, a rise of 67 % of the level before it is one
    assert classify(SUBJECT, Series("rss", flat + jumped), None, None, []).verdict == "spike"


def test_a_flat_noisy_series_is_none() -> None:
    v = classify(SUBJECT, Series("rss", linear(300 * MB, 0, 12, noise=5 * MB)), None,
                 512 * MB, [])
    assert v.verdict == "none"
    assert v.reason.startswith("no steady growth of rss: a poor fit: ")
    # a clean line growing 5 % over the window fits, but is under the 10 % a leak needs
    slow = classify(SUBJECT, Series("rss", linear(300 * MB, 2.5 * MB, 6)), None, None, [])
    assert slow.verdict == "none" and slow.fit_fraction == 1.0
    assert slow.reason == "rss steady: the line grows 5.0% over 6.0 h (a leak needs 10%)"


def test_too_few_points_say_what_is_missing() -> None:
    v = classify(SUBJECT, Series("rss", linear(100 * MB, 20 * MB, 0.1)), None, None, [],
                 missing=["bongsu.python.heap.allocated_blocks"])
    assert v.verdict == "not_enough_data"
    assert v.reason == f"6 points of rss; a verdict needs at least {MIN_POINTS}"
    assert v.missing == ["bongsu.python.heap.allocated_blocks"]
    none = classify(SUBJECT, None, None, None, [], missing=["process.memory.usage (agent)"])
    assert none.verdict == "not_enough_data"
    assert none.reason == ("no memory series; a verdict needs at least 10 points"
                           " (missing: process.memory.usage (agent))")


def test_a_leak_killed_and_restarted_fits_its_latest_growth_run() -> None:
    # grows 60 MB/h from 100 MB to the 400 MB limit (5 h), killed, restarts at 100 MB
    points = []
    for k in range(9 * 60):
        minute = k % 300
        points.append((T0 + k * MIN, 100 * MB + 1 * MB * minute))
    kills = [OomKill("ep", "p", "c", T0 + 300 * MIN, 1, "killed")]
    v = classify(SUBJECT, Series("rss", points), None, 400 * MB, kills)
    assert v.verdict == "leak", v.reason
    assert v.resets == 1 and "1 drop(s) back (restarts)" in v.reason
    assert v.fit_start_us == T0 + 300 * MIN
    assert v.slope_per_s == pytest.approx(60 * MB / 3600, rel=1e-6)
    assert v.reaches_limit_at_us == T0 + 600 * MIN


def test_a_leak_over_two_minutes_is_a_leak_not_a_spike() -> None:
    # what a leaking app does in a small cgroup: 1 s points, 2 MB a second for 2 minutes
    points = [(T0 + k * S, 30 * MB + 2 * MB * k) for k in range(120)]
    v = classify(SUBJECT, Series("rss", points), None, 268 * MB, [])
    assert v.verdict == "leak", v.reason
    points = [(T0 + k * S, 30 * MB if k < 60 else 230 * MB) for k in range(120)]
    assert classify(SUBJECT, Series("rss", points), None, 268 * MB, []).verdict == "spike"


def test_step_for_a_window() -> None:
    assert step_for(0, 3600 * S) == 10
    assert step_for(0, 86_400 * S) == 120
    assert step_for(0, 7 * 86_400 * S) == 840


# -- through the store -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    s = open_store(tmp_path_factory.mktemp("oom") / "t.db")
    rng = random.Random(5)
    rows: list[tuple[str, str, str, int, float, dict[str, str]]] = []
    for k in range(6 * 60):  # 6 hours, a point a minute
        ts = T0 + k * MIN
        # shop-1 (agent): RSS grows 20 MB/h, the Python heap flat -> native
        rows.append(("process.memory.usage", "shop", "shop-1", ts,
                     100 * MB + 20 * MB * k / 60 + rng.uniform(-MB, MB), {}))
        rows.append(("bongsu.python.heap.allocated_blocks", "shop", "shop-1", ts,
                     50_000 + rng.uniform(-500, 500), {}))
        # shop-2 (agent): flat
        rows.append(("process.memory.usage", "shop", "shop-2", ts, 120 * MB, {}))
        # pod cart-1: container usage grows 40 MB/h against a 512 MB limit
        attrs = {"k8s.pod.name": "cart-1", "k8s.namespace.name": "shop"}
        rows.append(("k8s.container.memory.usage", "shop", "c/shop/cart-1", ts,
                     200 * MB + 40 * MB * k / 60, attrs))
        rows.append(("k8s.container.memory.limit", "shop", "c/shop/cart-1", ts, 512 * MB, attrs))
    load_points(s, gauges(rows))
    s.save_kube_episodes([episode(
        T0 + 5 * H, id="ep-oom-1", kind="oom_killed", reason="OOMKilled", service="shop",
        pod="cart-1", object_name="cart-1", summary="cart-1 OOM-killed (exit 137)")])
    yield s
    s.close()


def reads_of_store(store: Any) -> Any:
    from bongsu.store.reads import reads_of

    return reads_of(store, timeout_s=10, max_rows=10_000)


def test_verdicts_of_a_service_read_from_the_store(store: Any) -> None:
    reads = reads_of_store(store)
    got = oom_verdicts(reads, "default", T0, T0 + 6 * H, service="shop")
    by = {(v.subject.kind, v.subject.instance or v.subject.pod): v for v in got}
    assert sorted(by) == [("instance", "shop-1"), ("instance", "shop-2"), ("pod", "cart-1")]
    native = by[("instance", "shop-1")]
    assert native.verdict == "native", native.reason
    assert native.slope_per_s == pytest.approx(20 * MB / 3600, rel=0.03)
    assert by[("instance", "shop-2")].verdict == "none"
    pod = by[("pod", "cart-1")]
    assert pod.verdict == "leak", pod.reason
    assert pod.limit == 512 * MB and pod.limit_metric == "k8s.container.memory.limit"
    assert pod.slope_per_s == pytest.approx(40 * MB / 3600, rel=0.03)
    # 200 MB + 40 MB/h reaches 512 MB at 7.8 h
    assert pod.reaches_limit_at_us is not None
    assert abs(pod.reaches_limit_at_us - (T0 + 7.8 * H)) <= 0.05 * H
    assert [k.id for k in pod.oom_kills] == ["ep-oom-1"]
    body = verdict_json(pod)
    json.dumps(body)
    assert body["oom_kills"][0]["summary"] == "cart-1 OOM-killed (exit 137)"
    assert body["slope_per_hour"] == pytest.approx(40 * MB, rel=0.03)
    assert len(body["usage"]["points"]) <= 240


def test_one_pod_one_instance_and_nothing(store: Any) -> None:
    reads = reads_of_store(store)
    pods = oom_verdicts(reads, "default", T0, T0 + 6 * H, pod="cart-1")
    assert [(v.subject.kind, v.subject.pod, v.verdict) for v in pods] == [("pod", "cart-1", "leak")]
    one = oom_verdicts(reads, "default", T0, T0 + 6 * H, instance="shop-2")
    assert [(v.subject.instance, v.verdict) for v in one] == [("shop-2", "none")]
    assert one[0].missing == ["bongsu.python.heap.allocated_blocks or jvm.memory.used (heap)"]
    nothing = oom_verdicts(reads, "default", T0, T0 + 6 * H, service="nobody")
    assert len(nothing) == 1 and nothing[0].verdict == "not_enough_data"
    assert "process.memory.usage (agent)" in nothing[0].reason
    other = oom_verdicts(reads, "other-tenant", T0, T0 + 6 * H, service="shop")
    assert [v.verdict for v in other] == ["not_enough_data"]


def test_a_firing_predictive_memory_rule_carries_the_verdict(tmp_path: Path) -> None:
    from alerts.telemetry import Clock, context, memory_series
    from bongsu.alerts.kinds import kind
    from bongsu.alerts.model import Rule

    s = open_store(tmp_path / "p.db")
    try:
        load_points(s, memory_series(T0))
        rule = Rule(id="r1", tenant="default", name="heap", kind="predictive", spec={
            "metric": "k8s.container.memory.usage", "agg": "max", "group_by": "k8s.pod.name",
            "limit": {"metric": "k8s.container.memory.limit"}, "horizon_s": 3600,
            "lookback_s": 3600, "step_s": 60})
        at = T0 + 112 * MIN + 30 * S  # the leaky pod fires (see tests/alerts/test_kinds.py)
        got = {x.labels["k8s.pod.name"]: x
               for x in kind("predictive").evaluate(rule, context(s, Clock(at)), at)}
        leaky = got["leaky"]
        assert leaky.active
        assert leaky.details["oom_verdict"] == "leak"
        assert leaky.details["oom_reason"].startswith(
            "k8s.container.memory.usage grows steadily by 68.7 MiB/h")
        assert leaky.summary.endswith("; OOM classification: leak")
        assert "oom_verdict" not in got["rotating"].details  # not firing: nothing added
    finally:
        s.close()


def test_two_memory_captures_in_the_window_are_compared_into_the_evidence(
        tmp_path: Path) -> None:
    from bongsu import diagnostics
    from bongsu.store.reads import reads_of

    s = open_store(tmp_path / "c.db")
    try:
        rows = [("process.memory.usage", "shop", "shop-1", T0 + k * MIN,
                 100 * MB + 20 * MB * k / 60, {}) for k in range(180)]
        load_points(s, gauges(rows))

        def memory(at_us: int, orders: int, rss: float) -> dict[str, Any]:
            return {"kind": "memory", "format": "bongsu.memory/1",
                    "captured_at_unix_nano": at_us * 1000, "pid": 7, "host": "h",
                    "runtime": "python 3.11",
                    "trigger": {"reason": "request", "detail": "", "rule_id": None},
                    "types": [{"type": "app.Order", "count": orders, "bytes": orders * 80},
                              {"type": "dict", "count": 1000, "bytes": 64_000}],
                    "gc": {"objects": orders + 1000, "counts": [1, 0, 0],
                           "collections": [1, 0, 0]},
                    "tracemalloc": None, "process": {"rss_bytes": rss, "vms_bytes": 0},
                    "python": {"allocated_blocks": orders}, "container": None}

        for cid, at, orders, rss in (("c-early", T0 + 10 * MIN, 10_000, 103 * MB),
                                     ("c-late", T0 + 170 * MIN, 400_000, 156 * MB),
                                     ("c-outside", T0 + 200 * MIN, 900_000, 200 * MB)):
            s.save_capture("default", cid, at, "shop", "shop-1", "memory", "bongsu.memory/1",
                           json.dumps(memory(at, orders, rss)), None)
        reads = reads_of(s, timeout_s=10, max_rows=10_000)
        [v] = oom_verdicts(reads, "default", T0, T0 + 180 * MIN, service="shop",
                           compare=lambda a, b: diagnostics.compare(a, b, "memory"))
        assert v.verdict == "leak"
        assert v.captures is not None
        assert (v.captures["base"], v.captures["other"]) == ("c-early", "c-late")
        assert v.captures["base_at"] == (T0 + 10 * MIN) // 1000
        diff = v.captures["diff"]
        assert diff["suspects"][0]["name"] == "app.Order"
        assert diff["suspects"][0]["bytes_grown"] == (400_000 - 10_000) * 80
        assert diff["rss_delta_bytes"] == 53 * MB
        # without a compare function, or with one capture in the window, none
        assert oom_verdicts(reads, "default", T0, T0 + 180 * MIN, service="shop")[0].captures \
            is None
        [one] = oom_verdicts(reads, "default", T0 + 100 * MIN, T0 + 180 * MIN, service="shop",
                             compare=lambda a, b: diagnostics.compare(a, b, "memory"))
        assert one.captures is None
    finally:
        s.close()


def test_a_jvm_whose_non_heap_grows_and_a_pod_instance_against_its_container_limit(
        tmp_path: Path) -> None:
    from bongsu.ingest.batch_builder import BatchBuilder
    from bongsu.ingest.signals import Signal
    from bongsu.store.reads import reads_of
    from query.otlp import SERVER, SpanSpec, traces_request

    s = open_store(tmp_path / "j.db")
    try:
        rows: list[tuple[str, str, str, int, float, dict[str, str]]] = []
        heap = {"jvm.memory.type": "heap"}
        for k in range(240):  # 4 hours a minute
            ts = T0 + k * MIN
            # inv-1 (Java agent, no RSS): the old gen saws between 200 and 260 MB, eden
            # flat, metaspace grows 15 MB/h; heap max 512 MB
            old_gen = 200 * MB + 60 * MB * (k % 20) / 20
            for pool, value, attrs in (
                    ("G1 Old Gen", old_gen, heap), ("G1 Eden Space", 30 * MB, heap),
                    ("Metaspace", 40 * MB + 15 * MB * k / 60, {"jvm.memory.type": "non_heap"})):
                rows.append(("jvm.memory.used", "inv", "inv-1", ts, value,
                             {**attrs, "jvm.memory.pool.name": pool}))
            rows.append(("jvm.memory.limit", "inv", "inv-1", ts, 512 * MB,
                         {**heap, "jvm.memory.pool.name": "G1 Old Gen"}))
            # cart-1 (Python agent in pod cart-7d9f-x2k4q): RSS grows 30 MB/h; the
            # container's limit 400 MB
            rows.append(("process.memory.usage", "cart", "cart-1", ts, 100 * MB + 30 * MB * k / 60,
                         {}))
            rows.append(("k8s.container.memory.limit", "cart", "c/shop/cart-7d9f-x2k4q", ts,
                         400 * MB, {"k8s.pod.name": "cart-7d9f-x2k4q"}))
            rows.append(("k8s.container.memory.usage", "cart", "c/shop/cart-7d9f-x2k4q", ts,
                         110 * MB + 30 * MB * k / 60, {"k8s.pod.name": "cart-7d9f-x2k4q"}))
            # web-1 in pod web-5c8d-q2w3e: 3 points of RSS; its pod's usage has 4 hours
            if k < 3:
                rows.append(("process.memory.usage", "cart", "web-1", ts, 90 * MB, {}))
            rows.append(("k8s.container.memory.usage", "cart", "c/shop/web-5c8d-q2w3e", ts,
                         90 * MB, {"k8s.pod.name": "web-5c8d-q2w3e"}))
        load_points(s, gauges(rows))
        builder = BatchBuilder()
        builder.add(Signal.TRACES, "default", traces_request(
            [SpanSpec("cart", "cart-1", 1, 1, 0, "GET /", SERVER, T0, 1000)],
            {"cart-1": {"k8s.pod.name": "cart-7d9f-x2k4q"}}))
        builder.add(Signal.TRACES, "default", traces_request(
            [SpanSpec("cart", "web-1", 2, 2, 0, "GET /", SERVER, T0, 1000)],
            {"web-1": {"k8s.pod.name": "web-5c8d-q2w3e"}}))
        assert s.load(builder.build(), 1)
        reads = reads_of(s, timeout_s=10, max_rows=10_000)
        [jvm] = oom_verdicts(reads, "default", T0, T0 + 4 * H, service="inv")
        assert jvm.verdict == "native", jvm.reason
        assert jvm.usage is not None and jvm.usage.metric == "jvm.memory.used (non-heap)"
        assert jvm.heap is not None and jvm.heap.metric == "jvm.memory.used"
        assert jvm.limit == 512 * MB and jvm.limit_metric == "jvm.memory.limit"
        assert jvm.slope_per_s == pytest.approx(15 * MB / 3600, rel=1e-6)
        assert "while the heap (jvm.memory.used) stays flat" in jvm.reason
        # one row per pod: cart-1's (its pod's series beside it add nothing), and web-1's
        # pod's, as web-1 itself has 3 points
        cart, web = oom_verdicts(reads, "default", T0, T0 + 4 * H, service="cart")
        assert (web.subject.kind, web.subject.pod, web.verdict) == (
            "pod", "web-5c8d-q2w3e", "none")
        assert (cart.subject.kind, cart.subject.instance) == ("instance", "cart-1")
        assert cart.verdict == "leak" and cart.subject.pod == "cart-7d9f-x2k4q"
        assert cart.limit == 400 * MB and cart.limit_metric == "k8s.container.memory.limit"
        # 100 MB + 30 MB/h reaches 400 MB at 10 h
        assert cart.reaches_limit_at_us == pytest.approx(T0 + 10 * H, abs=60 * S)
    finally:
        s.close()
