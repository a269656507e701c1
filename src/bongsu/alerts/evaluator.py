"""The evaluator: every enabled rule evaluated every ``interval_s``, its samples turned into
state changes, the state saved and the changes handed to listeners (the notifier).

One scheduler thread decides what is due; evaluations run on a small pool, each bounded
by ``timeout_s``: one that runs past it is cut (its result is dropped and logged, the rule
is evaluated again on its next turn) and never holds up the other rules or the API. A rule
is never evaluated twice at once. The state lives behind :class:`InstanceRepo` (the
metadata database's ``bongsu.alerts.repo.AlertRepo``), so a restart resumes it.

Example::

    def enabled() -> list[Rule]:
        return [r for t in repo.tenants() for r in repo.list_rules(t, enabled_only=True)]

    ev = Evaluator(rules=enabled, repo=repo, context=Context(queries, reads),
                   listeners=[notifier.handle])
    ev.start()
    ...
    ev.stop()
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Protocol

from bongsu.alerts.kinds import Context, kind
from bongsu.alerts.kinds.shared import Shared
from bongsu.alerts.model import AlertInstance, Rule, Transition, fingerprint
from bongsu.alerts.state import instance_labels, step

log = logging.getLogger(__name__)
_US = 1_000_000


class InstanceRepo(Protocol):
    """Where alert instances are kept between evaluations (and restarts)."""

    def instances(self, tenant: str, rule_id: str | None = None) -> list[AlertInstance]:
        """A rule's instances (``rule_id`` None: every rule's of the tenant)."""
        ...

    def record(self, instances: Sequence[AlertInstance],
               transitions: Sequence[Transition]) -> object:
        """Save the instances and append the transitions to the history, atomically
        (what it returns is not used)."""
        ...


Listener = Callable[[Sequence[Transition]], None]


def _now_us() -> int:
    return time.time_ns() // 1000


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one evaluation of one rule did."""

    rule_id: str
    transitions: list[Transition]
    instances: int
    seconds: float
    error: str | None = None


def evaluate_rule(rule: Rule, ctx: Context, repo: InstanceRepo, now_us: int,
                  deadline: float | None = None) -> Outcome:
    """Evaluate ``rule`` at ``now_us``, step every known and sampled label set, save.

    ``deadline`` (``time.monotonic()``): past it the result is dropped unsaved.
    """
    started = time.monotonic()
    samples = kind(rule.kind).evaluate(rule, ctx, now_us)
    if deadline is not None and time.monotonic() > deadline:
        raise TimeoutError(f"rule {rule.id} evaluation took {time.monotonic() - started:.1f} s")
    known = {i.id: i for i in _stored(rule, ctx, repo)}
    seen: set[str] = set()
    changed: list[AlertInstance] = []
    transitions: list[Transition] = []
    for sample in samples:
        id = fingerprint(rule.id, instance_labels(rule, sample))
        if id in seen:
            continue  # a kind giving one label set twice: the first wins
        seen.add(id)
        after, change = step(known.get(id), sample, rule, now_us)
        if after is not None:
            changed.append(after)
        if change is not None:
            transitions.append(change)
    for id, before in known.items():
        if id not in seen:  # the label set disappeared: no data
            after, change = step(before, None, rule, now_us)
            if after is not None:
                changed.append(after)
            if change is not None:
                transitions.append(change)
    if changed or transitions:  # most rules, most minutes: nothing held, nothing to save
        repo.record(changed, transitions)
    return Outcome(rule.id, transitions, len(changed), time.monotonic() - started)


def _stored(rule: Rule, ctx: Context, repo: InstanceRepo) -> list[AlertInstance]:
    """The rule's saved instances. In a round (``ctx.shared``) one read of the tenant's
    serves all its rules: 1,000 reads a minute were a fifth of the evaluator's CPU
    (cProfile over bench/alerts_eval.py's rules). It holds each rule's latest: a rule is
    due again only after its last evaluation saved, and that is before the round began."""
    if ctx.shared is None:
        return repo.instances(rule.tenant, rule.id)
    by_rule = ctx.shared.get(("alert instances", rule.tenant),
                             lambda: _by_rule(repo.instances(rule.tenant)))
    return by_rule.get(rule.id, [])


def _by_rule(instances: Iterable[AlertInstance]) -> dict[str, list[AlertInstance]]:
    out: dict[str, list[AlertInstance]] = {}
    for i in instances:
        out.setdefault(i.rule_id, []).append(i)
    return out


class Evaluator:
    """Evaluates the enabled rules on their intervals until :meth:`stop`."""

    def __init__(
        self, rules: Callable[[], Iterable[Rule]], repo: InstanceRepo, context: Context,
        listeners: Sequence[Listener] = (), clock: Callable[[], int] = _now_us,
        timeout_s: float = 10.0, workers: int = 2, tick_s: float = 1.0,
        rules_refresh_s: float = 5.0, active: Callable[[], bool] = lambda: True,
    ) -> None:
        self._rules = rules
        # Whether this replica may evaluate (it holds the lease, bongsu.meta.lease);
        # asked every tick, before any new work.
        self._active = active
        self._repo = repo
        self._ctx = context
        self._listeners = list(listeners)
        self._clock = clock
        self._timeout_s = timeout_s
        self._tick_s = tick_s
        self._rules_refresh_s = rules_refresh_s  # the rules are read from the database
        self._rules_read_at = -float("inf")  # this often, not every tick
        self._enabled: list[Rule] = []
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="bongsu-alerts")
        self._due: dict[str, int] = {}  # rule id -> next evaluation, epoch µs
        self._running: dict[str, Future[Outcome]] = {}
        # When each running evaluation began on a worker: its time limit counts from
        # then, not from being queued (1,000 rules a minute need ~20 s of a 2-worker
        # pool; counted from the queue, every rule queued past 10 s was evaluated in full
        # and then dropped, bench/alerts_eval.py).
        self._started: dict[str, float] = {}
        self._cut: set[str] = set()  # rule ids whose running evaluation is past its time
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.outcomes: list[Outcome] = []  # the latest evaluations, newest last (bounded)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="bongsu-evaluator",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        # Evaluations still running end by themselves: the store's reads are bounded by its
        # query timeout, so this wait is too.
        self._pool.shutdown(wait=True, cancel_futures=True)

    def tick(self) -> None:
        """One round: collect finished evaluations, cut overdue ones, start due ones."""
        self._collect()
        if not self._active():
            # On taking over: the rules read again and every one due at once.
            self._due.clear()
            self._rules_read_at = -float("inf")
            return
        now_us = self._clock()
        if time.monotonic() - self._rules_read_at >= self._rules_refresh_s:
            try:
                self._enabled = [r for r in self._rules() if r.enabled]
            except Exception:
                log.exception("alert rules could not be read; keeping the last ones")
            self._rules_read_at = time.monotonic()
        rules = self._enabled
        # The rules due now share one evaluation time, so also the reads they have in
        # common (bongsu.alerts.kinds.shared): bench/alerts_eval.py's 500 figure rules
        # make 15 distinct reads a round.
        ctx = replace(self._ctx, shared=Shared())
        for rule in rules:
            if rule.id in self._running or self._due.get(rule.id, 0) > now_us:
                continue
            self._due[rule.id] = now_us + int(rule.interval_s * _US)
            self._running[rule.id] = self._pool.submit(self._evaluate, rule, ctx, now_us)
        live = {r.id for r in rules}
        for gone in set(self._due) - live:
            del self._due[gone]

    def _evaluate(self, rule: Rule, ctx: Context, now_us: int) -> Outcome:
        started = time.monotonic()
        self._started[rule.id] = started
        return evaluate_rule(rule, ctx, self._repo, now_us, started + self._timeout_s)

    def _collect(self) -> None:
        for rule_id, future in list(self._running.items()):
            if not future.done():
                started = self._started.get(rule_id)
                overdue = started is not None and time.monotonic() > started + self._timeout_s
                if overdue and rule_id not in self._cut:
                    # A thread cannot be killed; its result will be dropped (evaluate_rule
                    # checks the deadline before saving), and the rule waits for it.
                    self._cut.add(rule_id)
                    log.warning("alert rule %s: evaluation over %.1f s, cut", rule_id,
                                self._timeout_s)
                continue
            self._cut.discard(rule_id)
            del self._running[rule_id]
            self._started.pop(rule_id, None)
            try:
                outcome = future.result()
            except Exception as exc:
                log.warning("alert rule %s: evaluation failed: %s", rule_id, exc)
                outcome = Outcome(rule_id, [], 0, 0.0, f"{type(exc).__name__}: {exc}")
            self._remember(outcome)
            if outcome.transitions:
                self._tell(outcome.transitions)

    def _tell(self, transitions: Sequence[Transition]) -> None:
        for listener in self._listeners:
            try:
                listener(transitions)
            except Exception:
                log.exception("an alert listener failed on %d transitions", len(transitions))

    def _remember(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        del self.outcomes[:-1000]

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("alert evaluation round failed")
            self._stop.wait(self._tick_s)
