"""Rule preview: a rule (checked, not saved) evaluated over a window of the past, to show
when it would have fired and resolved before anyone is woken by it.

The rule's kind is evaluated at ``end``, ``end - interval``, … back to just after
``start`` (oldest first), each time against a
:class:`~bongsu.query.service.QueryService` whose clock is that evaluation's time: what
the query side computes from "now" (the seconds of a window that have passed, which TPS
divides by; the recent stretch of per-instance figures) is what the evaluator computed
then. The samples go through the real state machine (:func:`bongsu.alerts.state.step`)
the way :func:`bongsu.alerts.evaluator.evaluate_rule` steps them — in memory: nothing is
written to the metadata database and nothing is notified. What it cannot replay: data
that arrived late (the store holds it now, the evaluator did not see it then), the rest
of the rollup slot an evaluation falls in (up to 10 s of later data, or 60 s for windows
over an hour), and an episode's count as it was then (the store keeps its latest).

Metric series (threshold metrics, predictive rules and their limits) are read through a
:class:`~bongsu.alerts.kinds.series.SeriesCache`: when every window starts and ends on a
step boundary (``to`` on a whole minute for 60 s steps, a 1-minute interval) each series
is read once over the whole span and each evaluation gets the rows a read of its window
gives (720 predictive evaluations: ~2 s instead of ~25 s); a window cutting a step is
read on its own, as the evaluator read it.

Bounds, checked before any query runs: at most :data:`MAX_WINDOW_S` of window and
:data:`MAX_EVALUATIONS` evaluations (the rule's interval is kept, never raised to fit: a
preview with another step would time ``for`` differently from the real evaluator; a
window too long for its interval is refused with a :class:`~bongsu.errors.RuleError`
naming ``from``). The whole preview has one time limit (the API passes the settings'
query timeout), checked between evaluations: past it :class:`~bongsu.errors.QueryTimeout`
(504); each store query is bounded by the same limit on its own. At most
:data:`MAX_LABEL_SETS` label sets are returned (those that fired first), and at most
:data:`MAX_TRACKED` are followed (an event storm); ``truncated`` says when some were left
out.

Example::

    rule = rule_from_dict(body, tenant="default", rule_id="preview")
    found = preview(rule, reads, settings, start_us, end_us, timeout_s=10)
    for ls in found.label_sets:
        print(ls.labels, [(i.state, i.start_us, i.end_us) for i in ls.intervals])
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bongsu.alerts.kinds import Context, kind
from bongsu.alerts.kinds.series import SeriesCache
from bongsu.alerts.model import AlertInstance, Labels, Rule, Sample, State, fingerprint
from bongsu.alerts.state import instance_labels, step
from bongsu.errors import QueryTimeout, RuleError
from bongsu.query.service import QueryService
from bongsu.settings import Settings
from bongsu.store.reads import Reads

MAX_EVALUATIONS = 720  # 12 h at a 1-minute interval, 2 h at 10 s
MAX_WINDOW_S = 7 * 86_400.0
MAX_LABEL_SETS = 50  # returned (a chart of more is unreadable)
MAX_TRACKED = 1000  # followed; an event rule sees at most 1,000 episodes an evaluation
_US = 1_000_000


@dataclass(frozen=True, slots=True)
class Point:
    """One evaluation of one label set: the sample's value (None: no data) and whether
    the condition held."""

    at_us: int
    value: float | None
    active: bool
    no_data: bool


@dataclass(frozen=True, slots=True)
class Change:
    """A state change the evaluator would have made."""

    at_us: int
    old: State
    new: State
    value: float | None
    summary: str


@dataclass(frozen=True, slots=True)
class Interval:
    """A stretch in ``pending`` or ``firing``; ``end_us`` None: still so at the end."""

    state: State
    start_us: int
    end_us: int | None


@dataclass(slots=True)
class LabelSet:
    """One label set's series, changes and the stretches they make."""

    labels: Labels
    points: list[Point] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    intervals: list[Interval] = field(default_factory=list)
    state: State = "inactive"  # at the end of the window


@dataclass(frozen=True, slots=True)
class Preview:
    """The whole preview: the evaluations made and the label sets seen."""

    start_us: int
    end_us: int
    step_s: float
    evaluations: list[int]
    label_sets: list[LabelSet]
    seen: int  # label sets seen in all (before the cap)
    truncated: bool
    seconds: float  # wall time taken


class _Clock:
    """The evaluation time, moved before each evaluation."""

    def __init__(self, now_us: int) -> None:
        self.now_us = now_us

    def __call__(self) -> int:
        return self.now_us


def evaluation_times(rule: Rule, start_us: int, end_us: int) -> list[int]:
    """The evaluation times in ``(start_us, end_us]`` at the rule's interval, the last at
    ``end_us`` (so 12 h at 1 m are 720 evaluations, the last one "now"); RuleError naming
    ``from`` / ``to`` past the bounds (before any work)."""
    if end_us <= start_us:
        raise RuleError("to", "must be after from")
    span_s = (end_us - start_us) / _US
    if span_s > MAX_WINDOW_S:
        raise RuleError("from", f"the window is {span_s / 86_400:.3g} days; a preview "
                                f"covers at most {MAX_WINDOW_S / 86_400:g} days")
    step_us = int(rule.interval_s * _US)
    count = -(-(end_us - start_us) // step_us)
    if count > MAX_EVALUATIONS:
        longest_h = MAX_EVALUATIONS * rule.interval_s / 3600
        raise RuleError("from", f"the window holds {count} evaluations at the rule's "
                                f"interval of {rule.interval_s:g} s; a preview makes at "
                                f"most {MAX_EVALUATIONS} (a window of at most "
                                f"{longest_h:g} h, or a longer interval)")
    return [end_us - k * step_us for k in range(count - 1, -1, -1)]


def preview(rule: Rule, reads: Reads, settings: Settings, start_us: int, end_us: int, *,
            timeout_s: float, monotonic: Callable[[], float] = time.monotonic) -> Preview:
    """Evaluate ``rule`` over ``[start_us, end_us]`` of stored data, in memory."""
    times = evaluation_times(rule, start_us, end_us)
    started = monotonic()
    deadline = started + timeout_s
    clock = _Clock(times[0])
    # Each metric series read once over the whole span, each evaluation's window from memory.
    ctx = Context(QueryService(reads, settings, clock=clock), reads,
                  shared=SeriesCache(times[0], times[-1]))
    evaluator = kind(rule.kind)
    known: dict[str, AlertInstance] = {}
    sets: dict[str, LabelSet] = {}
    over = False
    for done, now_us in enumerate(times):
        if monotonic() > deadline:
            raise QueryTimeout(
                f"preview: past its time limit of {timeout_s:g} s after {done} of "
                f"{len(times)} evaluations; preview a shorter window")
        clock.now_us = now_us
        samples = evaluator.evaluate(rule, ctx, now_us)
        seen: set[str] = set()
        for sample in samples:
            labels = instance_labels(rule, sample)
            id = fingerprint(rule.id, labels)
            if id in seen:
                continue  # a kind giving one label set twice: the first wins (as evaluated)
            if id not in sets:
                if len(sets) >= MAX_TRACKED:
                    over = True
                    continue
                sets[id] = LabelSet(labels)
            seen.add(id)
            _record(sets[id], known, id, sample, rule, now_us)
        for id in list(known):
            if id not in seen:  # the label set disappeared: no data
                _record(sets[id], known, id, None, rule, now_us)
    chosen = sorted(sets.values(), key=_rank)
    return Preview(start_us=times[0], end_us=times[-1], step_s=rule.interval_s,
                   evaluations=times, label_sets=chosen[:MAX_LABEL_SETS], seen=len(sets),
                   truncated=over or len(chosen) > MAX_LABEL_SETS,
                   seconds=monotonic() - started)


def _record(ls: LabelSet, known: dict[str, AlertInstance], id: str, sample: Sample | None,
            rule: Rule, now_us: int) -> None:
    """One label set's sample (None: not seen) through the state machine."""
    if sample is not None:
        ls.points.append(Point(now_us, sample.value, sample.active, sample.no_data))
    else:
        ls.points.append(Point(now_us, None, False, True))
    after, change = step(known.get(id), sample, rule, now_us)
    if after is None:
        known.pop(id, None)
    else:
        known[id] = after
        ls.state = after.state
    if change is None:
        return
    ls.changes.append(Change(change.at_us, change.old, change.new, change.instance.value,
                             change.instance.summary))
    if ls.intervals and ls.intervals[-1].end_us is None and change.old in ("pending",
                                                                            "firing"):
        last = ls.intervals[-1]
        ls.intervals[-1] = Interval(last.state, last.start_us, now_us)
    if change.new in ("pending", "firing"):
        ls.intervals.append(Interval(change.new, now_us, None))


def _rank(ls: LabelSet) -> tuple[int, list[tuple[str, str]]]:
    """Label sets that fired first, then those that were pending, then by labels."""
    states = {i.state for i in ls.intervals}
    order = 0 if "firing" in states else 1 if "pending" in states else 2
    return order, sorted(ls.labels.items())


def threshold_of(rule: Rule) -> tuple[str, float] | None:
    """The line a chart of the rule's values draws (operator and value), for the built-in
    kinds: a threshold's value, a predictive rule's horizon (its value is the seconds left
    before the limit), an event rule's ``min_count``. None for another kind."""
    spec = kind(rule.kind).check(rule.spec)
    if rule.kind == "threshold":
        return str(spec["op"]), float(spec["value"])
    if rule.kind == "predictive":
        return "<=", float(spec["horizon_s"])
    if rule.kind == "event":
        return ">=", float(spec["min_count"])
    return None
