"""Event rules of one round share their window's episode read and answer exactly as each
rule reading on its own: over a store of 700 episodes (two clusters, every kind, counts
that rose before and inside the windows, equal last sightings), 400 rules with every
matcher, ``unless`` and ``min_count`` are evaluated once without a round and once in one
round on four threads, and their samples compared; then with the caps lowered so the
shared read is cut short and the per-rule cap is reached, and with a store row cap below
the shared read."""

from __future__ import annotations

import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest

from alerts.telemetry import Clock, context, episode, open_store
from bongsu.alerts.kinds import Context
from bongsu.alerts.kinds.event import Event
from bongsu.alerts.kinds.shared import Shared
from bongsu.alerts.model import Rule, Sample
from bongsu.kube.model import KINDS, SEVERITIES, Episode
from bongsu.store.reads import EventSearch, Reads, reads_of
from query.dataset import anchor_us

S = 1_000_000
WINDOWS = (600, 3600, 7200)
CLUSTERS = ("private", "edge")
NAMESPACES = ("shop", "payments", "")
SERVICES = ("cart", "orders", "web")
REASONS = ("BackOff", "Error", "OOMKilled", "Evicted", "Unhealthy")


class Counting:
    """The store's reads, counting the episode reads (a spy, everything else passed on)."""

    def __init__(self, reads: Reads) -> None:
        self._reads = reads
        self.lists = 0
        self.counts = 0

    def kube_events(self, tenant: str, search: EventSearch) -> list[Episode]:
        self.lists += 1
        return self._reads.kube_events(tenant, search)

    def kube_event(self, tenant: str, id: str) -> Any:
        self.counts += 1
        return self._reads.kube_event(tenant, id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reads, name)


def _history(now: int, n: int = 700) -> list[list[Episode]]:
    """Three saves of ``n`` episodes (first stored, bumped, last seen): counts rise before
    and inside the windows; a third of the last sightings fall on a shared 60 s grid."""
    rng = random.Random(5)
    first, middle, last = [], [], []
    for k in range(n):
        kind = KINDS[k % len(KINDS)]
        service = rng.choice(SERVICES)
        node = kind.startswith("node")
        name = f"node-{rng.randrange(4)}" if node else f"{service}-7d9f8-{rng.randrange(6)}"
        seen = now - rng.randrange(0, 3 * 7200) * S
        if k % 3 == 0:
            seen = seen // (60 * S) * (60 * S)  # ties: ordered by id
        begun = seen - rng.randrange(1, 9000) * S
        c1, c2, c3 = sorted(rng.randrange(1, 12) for _ in range(3))
        ep = episode(
            begun, id=f"ep-{k:04d}", cluster=rng.choice(CLUSTERS),
            namespace="" if node else rng.choice(NAMESPACES[:2]),
            object_kind="Node" if node else "Pod", object_name=name, kind=kind,
            reason=rng.choice(REASONS), severity=rng.choice(SEVERITIES),
            service=None if node or k % 7 == 0 else service, pod=None if node else name,
            summary=f"{name}: {kind}", message=f"{kind} #{k}", count=c1,
        )
        first.append(ep)
        middle.append(replace(ep, count=c2, last_seen_us=(begun + seen) // 2))
        last.append(replace(ep, count=c3 + 1, last_seen_us=seen, message=f"{kind} #{k}!"))
    return [first, middle, last]


def _rules(n: int = 400) -> list[Rule]:
    """Rules over every matcher: values present and absent, object prefixes, unless."""
    rng = random.Random(9)
    choices: dict[str, tuple[Any, ...]] = {
        "kind": KINDS, "reason": (*REASONS, "Nope"), "severity": SEVERITIES,
        "cluster": (*CLUSTERS, "other"), "namespace": ("shop", "payments", "none"),
        "object": ("cart-7d9f8", "orders-7d9f8-1", "node-", "web", "zzz"),
        "service": (*SERVICES, "gone"),
    }
    rules = [Rule(id="all", tenant="default", name="all", kind="event",
                  spec={"window_s": 7200})]
    for k in range(n - 1):
        spec: dict[str, Any] = {key: rng.choice(values) for key, values in choices.items()
                                if rng.random() < (0.8 if key == "kind" else 0.25)}
        if rng.random() < 0.35:
            spec["unless"] = rng.sample(KINDS, rng.randrange(1, 4))
        spec["min_count"] = rng.choice((1, 1, 2, 3, 5, 8))
        spec["window_s"] = rng.choice(WINDOWS)
        rules.append(Rule(id=f"r{k}", tenant="default", name=f"r{k}", kind="event",
                          spec=spec))
    return rules


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Any:
    store = open_store(tmp_path_factory.mktemp("shared") / "e.db")
    now = anchor_us() + 3 * 7200 * S
    for save in _history(now):
        store.save_kube_episodes(save)
    yield store, now
    store.close()


def _own(event: Event, ctx: Context, rules: list[Rule], now: int) -> list[list[Sample]]:
    return [event.evaluate(r, ctx, now) for r in rules]


def _round(event: Event, ctx: Context, rules: list[Rule], now: int) -> list[list[Sample]]:
    """All rules in one round (one Shared) on four threads, as the evaluator's workers."""
    ctx = replace(ctx, shared=Shared())
    evaluate: Callable[[Rule], list[Sample]] = lambda r: event.evaluate(r, ctx, now)  # noqa: E731
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(evaluate, rules))


def _spied(store: Any, now: int, max_rows: int = 10_000) -> tuple[Context, Counting]:
    base = context(store, Clock(now))
    spy = Counting(reads_of(store, timeout_s=30, max_rows=max_rows))
    return replace(base, reads=spy), spy  # type: ignore[arg-type]


def test_a_round_reads_each_window_once_and_answers_as_each_rule_alone(
        seeded: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    store, now = seeded
    rules = _rules()
    ctx, own_spy = _spied(store, now)
    alone = _own(Event(), ctx, rules, now)
    own_lists, own_counts = own_spy.lists, own_spy.counts
    ctx, spy = _spied(store, now)
    shared = _round(Event(), ctx, rules, now)

    for rule, a, b in zip(rules, alone, shared, strict=True):
        assert a == b, rule.spec  # same label sets, values, episodes, details, order
    # One read per window; each episode's counts read once a round, not once per rule.
    assert own_lists == len(rules) + sum(len(r.spec.get("unless", [])) for r in rules)
    assert spy.lists == len(WINDOWS)
    assert 0 < spy.counts < own_counts

    # The comparison covers what it claims: most rules alert, and the widest one on every
    # label set; unless and the in-window min_count change some rules' answers.
    assert sum(1 for a in alone if a) > len(rules) // 3
    assert len(alone[0]) > 100 and sum(len(a) for a in alone) > 2000
    unless = [(r, a) for r, a in zip(rules, alone, strict=True) if r.spec.get("unless")]
    without = [Event().evaluate(replace(r, spec={k: v for k, v in r.spec.items()
                                                 if k != "unless"}), ctx, now)
               for r, _ in unless]
    assert sum(1 for (_, a), w in zip(unless, without, strict=True) if len(w) > len(a)) > 5
    counted = [(r, a) for r, a in zip(rules, alone, strict=True) if r.spec.get("min_count", 1) > 1]
    monkeypatch.setattr("bongsu.alerts.kinds.event.MAX_COUNT_READS", 0)  # judged by totals
    by_total = [Event().evaluate(r, ctx, now) for r, _ in counted]
    assert sum(1 for (_, a), t in zip(counted, by_total, strict=True) if len(t) > len(a)) > 5


def test_the_caps_hold_per_rule_when_the_shared_read_is_cut_short(seeded: Any) -> None:
    store, now = seeded
    rules = _rules()
    # 25 episodes a rule at most, 80 in the shared read: the windows hold 17, 113 and 235.
    ctx, own_spy = _spied(store, now)
    alone = _own(Event(max_episodes=25), ctx, rules, now)
    ctx, spy = _spied(store, now)
    shared = _round(Event(max_episodes=25, window_limit=80), ctx, rules, now)
    for rule, a, b in zip(rules, alone, shared, strict=True):
        assert a == b, rule.spec
    # The widest rule (no filter) reached its cap: 25 episodes, fewer label sets.
    assert 0 < len(alone[0]) <= 25
    # Some searches were answered from the cut-short read, the rest read their own.
    assert len(WINDOWS) < spy.lists < own_spy.lists


def test_a_store_row_cap_below_the_shared_read_leaves_each_rule_its_own(
        seeded: Any) -> None:
    store, now = seeded
    rules = _rules(120)
    ctx, _ = _spied(store, now, max_rows=100)
    alone = _own(Event(max_episodes=50), ctx, rules, now)
    ctx, spy = _spied(store, now, max_rows=100)
    shared = _round(Event(max_episodes=50, window_limit=500), ctx, rules, now)
    assert alone == shared
    assert sum(1 for a in alone if a) > 20
    # The 10 min window (17 episodes) was read once and served its rules; the two wider
    # ones' reads were refused once each (kept for the round), then every search its own.
    searches = sum(1 + len(r.spec.get("unless", [])) for r in rules
                   if r.spec["window_s"] != 600)
    assert 0 < searches < 200
    assert spy.lists == len(WINDOWS) + searches
