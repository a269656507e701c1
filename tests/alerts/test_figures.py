"""Threshold rules on figures read one grouped statement of just their figure: the values
equal what the query service's ``services`` / ``instances`` give (the dashboard's numbers)
for every figure, per service and per instance, over a known shop; rules evaluated at the
same time share those reads, and a round of the real evaluator reads each once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from alerts.telemetry import Clock, S, context
from bongsu.alerts.evaluator import Evaluator
from bongsu.alerts.kinds import Context, kind
from bongsu.alerts.kinds.shared import Shared
from bongsu.alerts.model import AlertInstance, Rule, State
from bongsu.alerts.repo import AlertRepo
from bongsu.meta.database import connect
from bongsu.query.grouped import FIGURES
from bongsu.query.service import QueryService
from bongsu.query.window import Window
from bongsu.settings import Settings
from bongsu.store.duckdb.reads import DuckDBReads
from bongsu.store.reads import GroupFigures, Level, MetricPoint, MetricSearch, Resolution
from query import dataset
from query.dataset import MINUTE_US, SPAN_US, Shop, anchor_us, build_shop
from query.harness import load, open_duckdb


class CountingReads(DuckDBReads):
    """The real DuckDB reads, counting the grouped-figure reads made."""

    def __init__(self, store: Any) -> None:
        super().__init__(store, timeout_s=10, max_rows=10_000)
        self.figure_reads = 0
        self._lock = threading.Lock()

    def figures_by(self, tenant: str, start_us: int, end_us: int, resolution: Resolution,
                   by: Level, percentiles: bool = False, users_since_us: int | None = None,
                   seen: tuple[int, int] | None = None) -> list[GroupFigures]:
        with self._lock:
            self.figure_reads += 1
        return super().figures_by(tenant, start_us, end_us, resolution, by, percentiles,
                                  users_since_us, seen)


@dataclass
class Loaded:
    store: Any
    t0: int
    shop: Shop  # tenant "default"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    """tests/query/dataset.py's shop: 3 services, 5 instances, users, ~5 % errors."""
    store = open_duckdb(Path(tmp_path_factory.mktemp("figures")) / "t.db")
    t0 = anchor_us()
    shop = build_shop(t0, seed=1)
    lsn = load(store, "default", shop, chunks=3, lsn=0)
    load(store, "acme", build_shop(t0, seed=2, traces=60), chunks=1, lsn=lsn)
    yield Loaded(store, t0, shop)
    store.close()


def dashboard_figures(queries: QueryService, tenant: str, spec: dict[str, Any],
                      window: Window) -> dict[tuple[tuple[str, str], ...], Any]:
    """The figure as the dashboard's endpoints give it (how rules read it before: the
    whole ``services`` body, and per instance one ``services`` call per instance)."""
    figure, only = spec["figure"], spec.get("service")
    out: dict[tuple[tuple[str, str], ...], Any] = {}
    if spec.get("by", "service") == "service":
        for entry in queries.services(tenant, window)["services"]:
            if only is None or entry["name"] == only:
                out[(("service", entry["name"]),)] = entry[figure]
        return out
    for row in queries.instances(tenant, only, window, int(window.seconds))["instances"]:
        for entry in queries.services(tenant, window, instance=row["instance"])["services"]:
            if entry["name"] == row["service"]:
                out[(("instance", row["instance"]), ("service", row["service"]))] = \
                    entry[figure]
    return out


def rule(**spec: Any) -> Rule:
    return Rule(id="r1", tenant="default", name="t", kind="threshold",
                spec={"op": ">", "value": 0.5, **spec})


# Evaluation times: the data's end on a slot, inside it off any slot, and past its end (so
# the TPS divisor and the windows' alignment both matter); windows on 10 s and 1 min rollups.
AT = [SPAN_US, 7 * MINUTE_US + 3_300_000, SPAN_US + 2 * MINUTE_US + 17_000_000]
WINDOWS = [60, 300, 7200]


@pytest.mark.parametrize("by", ["service", "instance"])
@pytest.mark.parametrize("figure", FIGURES)
def test_every_figure_equals_the_dashboards(loaded: Loaded, figure: str,
                                            by: str) -> None:
    store, t0 = loaded.store, loaded.t0
    compared = 0
    for at in AT:
        clock = Clock(t0 + at)
        ctx = context(store, clock)
        for window_s in WINDOWS:
            for service in (None, "orders", "payments"):
                spec: dict[str, Any] = {"figure": figure, "window_s": window_s, "by": by}
                if service:
                    spec["service"] = service
                window = Window(clock.now_us - window_s * S, clock.now_us)
                want = dashboard_figures(ctx.queries, "default", spec, window)
                samples = kind("threshold").evaluate(rule(**spec), ctx, clock.now_us)
                got = {tuple(sorted(s.labels.items())): s.value for s in samples}
                assert got == want, (figure, by, at, window_s, service)
                compared += sum(v is not None for v in want.values())
                if service is None and window_s == 300 and at == SPAN_US:
                    # The shop's services / instances all served in its last 5 minutes.
                    assert len(want) == (3 if by == "service" else 5)
                    assert all(v is not None for v in want.values())
                    if figure == "active_users":  # recomputed from the spans sent
                        users = {k: dataset.active_users(
                            loaded.shop.spans, clock.now_us, dict(k).get("instance"))[
                                dict(k)["service"]] for k in want}
                        assert want == users and any(users.values())
    assert compared >= 40


def test_rules_of_one_round_share_each_read(loaded: Loaded) -> None:
    store, t0 = loaded.store, loaded.t0
    clock = Clock(t0 + SPAN_US)
    reads = CountingReads(store)
    ctx = Context(QueryService(reads, Settings(), clock=clock), reads)
    rules = [rule(figure=f, window_s=w, by=by, **({"service": s} if s else {}))
             for f in FIGURES for w in (300, 600) for by in ("service", "instance")
             for s in (None, "orders")]
    alone = [kind("threshold").evaluate(r, ctx, clock.now_us) for r in rules]
    assert reads.figure_reads == len(rules)  # without sharing: one read per rule
    shared = Shared()
    round_ctx = Context(ctx.queries, reads, shared)
    together = [kind("threshold").evaluate(r, round_ctx, clock.now_us) for r in rules]
    assert together == alone and any(s for s in together)
    # (plain, percentiles, users) x 2 windows x 2 levels
    assert shared.computed == 12 and reads.figure_reads == len(rules) + 12


def test_a_failed_shared_read_is_not_kept() -> None:
    shared = Shared()
    calls: list[int] = []

    def failing() -> int:
        calls.append(1)
        raise TimeoutError("query ran past its time limit")

    with pytest.raises(TimeoutError):
        shared.get("k", failing)
    assert shared.get("k", lambda: 7) == 7 and shared.get("k", failing) == 7
    assert len(calls) == 1


def test_waiters_get_the_first_readers_answer() -> None:
    shared = Shared()
    started, release = threading.Event(), threading.Event()
    runs: list[str] = []

    def slow() -> str:
        runs.append("slow")
        started.set()
        assert release.wait(30)
        return "rows"

    results: list[str] = []
    first = threading.Thread(target=lambda: results.append(shared.get("k", slow)))
    first.start()
    assert started.wait(30)
    second = threading.Thread(target=lambda: results.append(shared.get("k", lambda: "other")))
    second.start()
    release.set()
    first.join(30)
    second.join(30)
    assert results == ["rows", "rows"] and runs == ["slow"]


def test_an_evaluator_round_reads_each_figure_once(loaded: Loaded,
                                                   tmp_path: Path) -> None:
    store, t0 = loaded.store, loaded.t0
    clock = Clock(t0 + SPAN_US)
    reads = CountingReads(store)
    ctx = Context(QueryService(reads, Settings(), clock=clock), reads)
    repo = AlertRepo(connect(f"sqlite:///{tmp_path / 'meta.sqlite'}"))
    rules = [repo.put_rule(Rule(id="", tenant="default", name=f"{f} {s}", kind="threshold",
                                spec={"figure": f, "op": ">", "value": -1, "window_s": 300,
                                      **({"service": s} if s else {})}))
             for f in ("tps", "error_rate", "avg_ms", "apdex") for s in (None, "orders")]
    ev = Evaluator(rules=lambda: rules, repo=repo, context=ctx, clock=clock, tick_s=0.05)
    ev.start()
    try:
        deadline = time.monotonic() + 60
        while len(ev.outcomes) < len(rules) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        ev.stop()
    assert len(ev.outcomes) == len(rules) and not [o for o in ev.outcomes if o.error]
    assert reads.figure_reads == 1  # 8 rules, one due time, one grouped read
    # What each rule stored is the dashboard's figure.
    window = Window(clock.now_us - 300 * S, clock.now_us)
    for r in rules:
        want = dashboard_figures(ctx.queries, "default", r.spec, window)
        stored = {tuple(sorted(i.labels.items())): i.value
                  for i in repo.instances("default", r.id)}
        assert stored == want and all(v is not None for v in stored.values())


class CountingSeries(DuckDBReads):
    """The real DuckDB reads, counting metric series reads."""

    def __init__(self, store: Any) -> None:
        super().__init__(store, timeout_s=10, max_rows=10_000)
        self.series_reads = 0

    def metric_series(self, tenant: str, search: MetricSearch) -> list[MetricPoint]:
        self.series_reads += 1
        return super().metric_series(tenant, search)


def test_rules_of_one_round_share_a_metric_series(loaded: Loaded) -> None:
    clock = Clock(loaded.t0 + SPAN_US)
    reads = CountingSeries(loaded.store)
    ctx = Context(QueryService(reads, Settings(), clock=clock), reads)
    rules = [Rule(id=f"m{n}", tenant="default", name="rss", kind="threshold",
                  spec={"metric": "process.memory.rss", "agg": agg, "op": ">", "value": v,
                        "window_s": 300, "service": "frontend"})
             for n, (agg, v) in enumerate([("max", 1e8), ("max", 5e8), ("avg", 1e8)])]
    alone = [kind("threshold").evaluate(r, ctx, clock.now_us) for r in rules]
    assert reads.series_reads == 3
    shared = Context(ctx.queries, reads, Shared())
    together = [kind("threshold").evaluate(r, shared, clock.now_us) for r in rules]
    assert together == alone and reads.series_reads == 3 + 2  # max once, avg once
    # The window's last points: 100 MB + 59 MB, and fe-2's 5 MB more.
    assert [s.value for s in together[0]] == [pytest.approx(164e6)]
    assert [s.active for ss in together for s in ss] == [True, False, True]


class CountingRepo(AlertRepo):
    """The real AlertRepo, counting reads of saved instances."""

    instance_reads = 0

    def instances(self, tenant: str, rule_id: str | None = None,
                  state: State | None = None) -> list[AlertInstance]:
        self.instance_reads += 1
        return super().instances(tenant, rule_id, state)


def test_rounds_read_saved_instances_once_and_carry_state(loaded: Loaded,
                                                          tmp_path: Path) -> None:
    clock = Clock(loaded.t0 + SPAN_US - 60 * S)
    ctx = context(loaded.store, clock)
    repo = CountingRepo(connect(f"sqlite:///{tmp_path / 'meta.sqlite'}"))
    rules = [repo.put_rule(Rule(id="", tenant="default", name=f"busy {n}", kind="threshold",
                                spec={"figure": "tps", "op": ">", "value": -1,
                                      "window_s": 60, "service": service},
                                for_s=20, interval_s=10))
             for n, service in enumerate(("frontend", "orders", "payments"))]
    ev = Evaluator(rules=lambda: rules, repo=repo, context=ctx, clock=clock)
    changes: list[tuple[int, str, str, str]] = []
    try:
        for round_ in range(4):
            before = len(ev.outcomes)
            ev.tick()
            deadline = time.monotonic() + 60
            while len(ev.outcomes) < before + len(rules) and time.monotonic() < deadline:
                time.sleep(0.02)
                ev.tick()  # collects (nothing is due again: the clock has not moved)
            assert len(ev.outcomes) == before + len(rules)
            changes += [(round_, t.instance.labels["service"], t.old, t.new)
                        for o in ev.outcomes[before:] for t in o.transitions]
            assert repo.instance_reads == round_ + 1  # one read a round, not one a rule
            clock.now_us += 10 * S
    finally:
        ev.stop()
    # for 20 s at a 10 s interval: pending in round 0, firing in round 2 — each rule's state
    # came back from the round's one read.
    assert sorted(changes) == sorted(
        [(0, s, "inactive", "pending") for s in ("frontend", "orders", "payments")]
        + [(2, s, "pending", "firing") for s in ("frontend", "orders", "payments")])


def test_record_saves_many_instances_at_once(tmp_path: Path) -> None:
    """Event rules save tens of instances a minute: one call updates the known ones and adds
    the new ones (of any tenant), a later copy of one in the same call winning."""
    repo = AlertRepo(connect(f"sqlite:///{tmp_path / 'meta.sqlite'}"))

    def inst(tenant: str, n: int, state: State, value: float) -> AlertInstance:
        return AlertInstance(id=f"i{n:03d}", tenant=tenant, rule_id="r", labels={"n": str(n)},
                             state=state, active_since_us=1, fired_at_us=None,
                             resolved_at_us=None, last_eval_us=2, last_active_us=2,
                             value=value, summary=f"n={n}")

    repo.record([inst("default", n, "pending", 1.0) for n in range(0, 600, 2)], [])
    later = [inst("default", n, "firing", 2.0) for n in range(600)]
    repo.record([*later, inst("acme", 1, "pending", 3.0), inst("default", 5, "pending", 4.0)],
                [])
    saved = {i.id: i for i in repo.instances("default")}
    assert len(saved) == 600
    assert [saved[f"i{n:03d}"] for n in (0, 1, 598, 599)] == [later[n] for n in (0, 1, 598, 599)]
    assert saved["i005"].value == 4.0 and saved["i004"].labels == {"n": "4"}
    assert [(i.id, i.value) for i in repo.instances("acme")] == [("i001", 3.0)]
