"""OOM classification: why a process or pod runs out of memory, from its memory series.

:func:`classify` reads one subject's series (the memory it uses, its heap when known, the
limit it is killed at) and its Kubernetes OOM kills, and gives one verdict with the
evidence behind it; :func:`oom_verdicts` reads those series from the store for every
instance and pod of a service (or the one named) over a window.

Verdicts and their thresholds (every figure is in the verdict's evidence):

- ``not_enough_data``: fewer than ``MIN_POINTS`` (10) points of memory use; ``missing``
  names the series that were looked for.
- ``spike`` — a jump within minutes: the largest rise between two points at most
  ``SPIKE_WINDOW_S`` (300 s) apart and at most ``SPIKE_SPAN_SHARE`` (20 %) of the series'
  time span apart is at least ``SPIKE_RANGE_SHARE`` (50 %) of the series' whole range
  (max - min), and at least ``SPIKE_LIMIT_SHARE`` (25 %) of the limit — or, with no limit
  known, ``SPIKE_BASE_SHARE`` (50 %) of the level before the jump.
- ``leak`` — steady growth: a Theil-Sen trend (:mod:`bongsu.alerts.trend`: at least 80 %
  of the points within 10 % of the range of the line, no reset) whose line grows by at
  least ``LEAK_GROWTH`` (10 %) of its starting level over the fitted span. A series that
  drops back (a restart after an OOM kill) is cut at each drop of over half its range and
  its latest growth run of ``MIN_POINTS`` points or more is fitted. The slope, fit
  fraction and the time the line reaches the limit are given.
- ``native`` (off-heap) — a leak of the memory used while the heap (the Python
  allocator's blocks, the JVM's heap used) stays flat: the heap's median over the last
  quarter of its points is within ``HEAP_FLAT`` (5 %) of its median over the first
  quarter. For a JVM that sends no RSS, whose total the GC's sawtooth keeps from fitting,
  its non-heap pools are fitted alone.
- ``none``: enough points, neither a jump nor steady growth.

An instance running in a pod (its resource's ``k8s.pod.name``) and that pod make one
row: the instance's, unless it has too few points and the pod's series has enough.

The memory used is the container's working set (``k8s.container.memory.usage``) for a pod
and the process's resident set (``process.memory.usage``, or the JVM's heap plus
non-heap when only those are sent) for an instance; limits are the container's memory
limit (an instance's: its pod's, when its resource names a k8s.pod.name) or the JVM's
heap max. The spike check comes first: a jump that makes most of the
range is not a slow leak even when a line fits the points after it.

Example::

    usage = Series("process.memory.usage", [(t * 60_000_000, 1e8 + 1e6 * t) for t in range(60)])
    verdict = classify(Subject("instance", "shop", "shop-1", None), usage, None, 4e8, [])
    verdict.verdict  # "leak"; verdict.reaches_limit_at_us: when the line reaches 4e8
"""

from __future__ import annotations

import itertools
import json
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from bongsu.alerts.trend import RESET_DROP, Fit, Refused, fit_trend, reaches_at
from bongsu.kube import metric_names as kube_metrics
from bongsu.store.reads import BucketSearch, CaptureRecord, EventSearch, InstanceLabel, Reads

__all__ = [
    "HEAP_FLAT", "LEAK_GROWTH", "MAX_SUBJECTS", "MIN_POINTS", "SPIKE_BASE_SHARE",
    "SPIKE_LIMIT_SHARE", "SPIKE_RANGE_SHARE", "SPIKE_SPAN_SHARE", "SPIKE_WINDOW_S",
    "Jump", "OomKill", "Series", "Subject", "Verdict", "VerdictName", "classify",
    "oom_verdicts", "step_for",
]

_US = 1_000_000
MIN_POINTS = 10
SPIKE_WINDOW_S = 300.0
SPIKE_SPAN_SHARE = 0.2
SPIKE_RANGE_SHARE = 0.5
SPIKE_LIMIT_SHARE = 0.25
SPIKE_BASE_SHARE = 0.5
LEAK_GROWTH = 0.10
HEAP_FLAT = 0.05
MAX_SUBJECTS = 50  # instances and pods per answer
MAX_STEPS = 720  # points per series read: a step of 2 min over a day
SEGMENT_POINTS = 240  # points of the series segment kept as evidence
FIT_POINTS = 240

RSS = "process.memory.usage"
PYTHON_HEAP = "bongsu.python.heap.allocated_blocks"
JVM_USED = "jvm.memory.used"
JVM_LIMIT = "jvm.memory.limit"
JVM_TYPE = "jvm.memory.type"

VerdictName = Literal["spike", "leak", "native", "none", "not_enough_data"]


@dataclass(frozen=True, slots=True)
class Subject:
    """What a verdict is about: an instance (agent series) or a pod (Kubernetes series)."""

    kind: Literal["instance", "pod"]
    service: str | None
    instance: str | None
    pod: str | None


@dataclass(frozen=True, slots=True)
class Series:
    metric: str
    points: Sequence[tuple[int, float]]  # (ts_us, value) in time order


@dataclass(frozen=True, slots=True)
class OomKill:
    id: str
    pod: str | None
    container: str | None
    at_us: int  # when it was last seen
    count: int
    summary: str


@dataclass(frozen=True, slots=True)
class Jump:
    start_us: int
    end_us: int
    from_value: float
    to_value: float


@dataclass(slots=True)
class Verdict:
    """One subject's verdict and its evidence (None where a figure does not apply)."""

    subject: Subject
    verdict: VerdictName
    reason: str
    usage: Series | None = None  # the segment behind the verdict (thinned)
    heap: Series | None = None
    limit: float | None = None
    limit_metric: str | None = None
    slope_per_s: float | None = None
    fit_fraction: float | None = None
    fit_start_us: int | None = None
    fit_end_us: int | None = None
    growth_fraction: float | None = None  # the line's growth over its span / its start
    heap_growth_fraction: float | None = None
    reaches_limit_at_us: int | None = None
    jump: Jump | None = None
    resets: int = 0
    oom_kills: list[OomKill] = field(default_factory=list)
    captures: dict[str, Any] | None = None
    missing: list[str] = field(default_factory=list)


def classify(
    subject: Subject, usage: Series | None, heap: Series | None, limit: float | None,
    kills: Sequence[OomKill], *, limit_metric: str | None = None, missing: Sequence[str] = (),
) -> Verdict:
    """The verdict on one subject's memory (see the module docstring for the thresholds)."""
    out = Verdict(subject, "none", "", heap=heap, limit=limit, limit_metric=limit_metric,
                  oom_kills=list(kills), missing=list(missing))
    points = sorted(usage.points) if usage is not None else []
    if usage is None or len(points) < MIN_POINTS:
        out.verdict = "not_enough_data"
        if usage is None:
            out.reason = (f"no memory series; a verdict needs at least {MIN_POINTS} points"
                          + (f" (missing: {', '.join(missing)})" if missing else ""))
        else:
            n = len(points)
            out.reason = (f"{n} point{'' if n == 1 else 's'} of {usage.metric}; a verdict"
                          f" needs at least {MIN_POINTS}")
        out.usage = usage
        return out
    name = usage.metric
    jump = _largest_jump(points)
    spread = max(v for _, v in points) - min(v for _, v in points)
    if jump is not None and _is_spike(jump, spread, limit):
        out.verdict, out.jump = "spike", jump
        rise = jump.to_value - jump.from_value
        seconds = (jump.end_us - jump.start_us) / _US
        out.reason = (f"{name} jumped by {_mib(rise)} in {seconds:.0f} s"
                      f" ({_mib(jump.from_value)} -> {_mib(jump.to_value)}),"
                      f" {rise / spread:.0%} of its whole range"
                      + (f", {rise / limit:.0%} of the {_mib(limit)} limit" if limit else ""))
        around = max(10 * (jump.end_us - jump.start_us), 1800 * _US)
        out.usage = Series(name, _thin([p for p in points
                                        if jump.start_us - around <= p[0] <= jump.end_us + around]))
        return out
    runs = _runs(points, spread)
    out.resets = len(runs) - 1
    run = next((r for r in reversed(runs) if len(r) >= MIN_POINTS), points)
    # Fitted on at most FIT_POINTS evenly thinned points: 240 points are 28,680 pairs
    # (~15 ms here), the trend module's 400 are 79,800 (~50 ms) for the same slope.
    fitted = _thin(run, FIT_POINTS)
    fit = fit_trend(fitted, step_s=_step_s(fitted), now_us=run[-1][0], min_points=MIN_POINTS)
    out.usage = Series(name, _thin(run))
    if isinstance(fit, Refused):
        out.reason = f"no steady growth of {name}: {fit.reason}"
        return out
    _fill_fit(out, fit, run, limit)
    growth = out.growth_fraction or 0.0
    span_h = (run[-1][0] - run[0][0]) / _US / 3600
    if fit.slope_per_s <= 0 or growth < LEAK_GROWTH:
        out.reason = (f"{name} steady: the line grows {growth:.1%} over {span_h:.1f} h"
                      f" (a leak needs {LEAK_GROWTH:.0%})")
        return out
    text = (f"{name} grows steadily by {_mib(fit.slope_per_s * 3600)}/h over {span_h:.1f} h"
            f" ({growth:.0%}; {fit.fit_fraction:.0%} of points on the line)")
    if out.reaches_limit_at_us is not None and limit:
        text += f", reaching the {_mib(limit)} limit in {_hours(out, run[-1][0])}"
    if out.resets:
        text += f"; {out.resets} drop(s) back (restarts), the latest growth run fitted"
    heap_growth = _heap_growth(heap, run[0][0], run[-1][0])
    out.heap_growth_fraction = heap_growth
    if heap is not None and heap_growth is not None and abs(heap_growth) <= HEAP_FLAT:
        out.verdict = "native"
        out.reason = (text + f" while the heap ({heap.metric}) stays flat ({heap_growth:+.1%}):"
                      " memory outside the heap (native / off-heap)")
    else:
        out.verdict = "leak"
        out.reason = text + (f"; the heap ({heap.metric}) grows too ({heap_growth:+.0%})"
                             if heap is not None and heap_growth is not None
                             else "; no heap series to tell a heap leak from a native one")
    return out


def step_for(start_us: int, end_us: int) -> int:
    """Seconds per point for a window: a multiple of 10 giving at most MAX_STEPS points."""
    seconds = max(1, (end_us - start_us) // _US)
    step = -(-seconds // MAX_STEPS)
    return max(10, -(-step // 10) * 10)


def oom_verdicts(
    reads: Reads, tenant: str, start_us: int, end_us: int, *, service: str | None = None,
    instance: str | None = None, pod: str | None = None,
    compare: Any = None,
) -> list[Verdict]:
    """Verdicts for the instances (agent memory series) and pods (Kubernetes memory series)
    matching the filters over ``[start_us, end_us)``; at most MAX_SUBJECTS of each.
    ``compare(base_doc, other_doc)`` diffs the first and last memory capture of an instance
    in the window when given."""
    step_s = step_for(start_us, end_us)
    read = _Reader(reads, tenant, start_us, end_us, step_s)
    kills = _kills(reads, tenant, start_us, end_us, service, pod)
    verdicts: list[Verdict] = []
    if pod is None:
        # Which instances send which series: one coarse read each, so an instance is read
        # only for what it has (a Python one is not asked for JVM pools).
        has = {name: set(read.groups(name, "instance", service, instance))
               for name in (RSS, PYTHON_HEAP, JVM_USED)}
        found = list(dict.fromkeys(
            [*sorted(i for i in has[RSS] if i), *sorted(i for i in has[JVM_USED] if i)]
        ))[:MAX_SUBJECTS]
        labels = {x.instance: x for x in reads.instance_labels(tenant, found)}
        captures = _memory_captures(reads, tenant, service, instance, start_us, end_us,
                                    compare)
        for inst in found:
            verdicts.append(_instance_verdict(
                reads, read, tenant, service, inst, kills, compare, labels.get(inst),
                {name for name, insts in has.items() if inst in insts}, captures))
    if instance is None:
        filters = ((kube_metrics.POD, pod),) if pod else ()
        for name in read.groups(kube_metrics.MEMORY_USAGE, kube_metrics.POD, service, None,
                                filters):
            if name is None:
                continue
            # One row per pod: the instance running in it (its RSS against the pod's limit)
            # unless it has too few points and the pod's own series tells more.
            inside = [v for v in verdicts if v.subject.kind == "instance" and v.subject.pod == name]
            if inside and any(v.verdict != "not_enough_data" for v in inside):
                continue
            pod_verdict = _pod_verdict(read, service, name, kills)
            if inside and pod_verdict.verdict == "not_enough_data":
                continue
            verdicts = [v for v in verdicts if v not in inside] + [pod_verdict]
    if not verdicts:
        subject = (Subject("pod", service, None, pod) if pod
                   else Subject("instance", service, instance, None))
        verdicts.append(classify(subject, None, None, None,
                                 [k for k in kills if pod is None or k.pod == pod],
                                 missing=_wanted(subject)))
    return verdicts


def verdict_json(v: Verdict) -> dict[str, Any]:
    """The verdict as the API answers it (times in epoch ms)."""

    def series(s: Series | None) -> dict[str, Any] | None:
        if s is None:
            return None
        return {"metric": s.metric, "points": [[t // 1000, val] for t, val in _thin(s.points)]}

    def ms(us: int | None) -> int | None:
        return None if us is None else us // 1000

    return {
        "subject": {"kind": v.subject.kind, "service": v.subject.service,
                    "instance": v.subject.instance, "pod": v.subject.pod},
        "verdict": v.verdict, "reason": v.reason, "usage": series(v.usage),
        "heap": series(v.heap), "limit": v.limit, "limit_metric": v.limit_metric,
        "slope_per_s": v.slope_per_s,
        "slope_per_hour": None if v.slope_per_s is None else v.slope_per_s * 3600,
        "fit_fraction": v.fit_fraction, "fit_start": ms(v.fit_start_us),
        "fit_end": ms(v.fit_end_us), "growth_fraction": v.growth_fraction,
        "heap_growth_fraction": v.heap_growth_fraction,
        "reaches_limit_at": ms(v.reaches_limit_at_us),
        "jump": None if v.jump is None else {
            "start": v.jump.start_us // 1000, "end": v.jump.end_us // 1000,
            "from_value": v.jump.from_value, "to_value": v.jump.to_value},
        "resets": v.resets,
        "oom_kills": [{"id": k.id, "pod": k.pod, "container": k.container,
                       "at": k.at_us // 1000, "count": k.count, "summary": k.summary}
                      for k in v.oom_kills],
        "captures": v.captures, "missing": v.missing,
    }


# -- reading the series ---------------------------------------------------------------------

class _Reader:
    def __init__(self, reads: Reads, tenant: str, start_us: int, end_us: int,
                 step_s: int) -> None:
        self.reads, self.tenant, self.start_us, self.end_us = reads, tenant, start_us, end_us
        self.step_us = step_s * _US

    def buckets(self, name: str, group_by: str | None, service: str | None,
                instance: str | None, filters: tuple[tuple[str, str], ...] = (),
                agg: str = "max", max_groups: int = 1) -> dict[str | None, list[tuple[int, float]]]:
        rows = self.reads.metric_buckets(self.tenant, BucketSearch(
            name=name, start_us=self.start_us, end_us=self.end_us, step_us=self.step_us,
            bucket_us=self.step_us, agg=agg,  # type: ignore[arg-type]
            max_groups=max_groups, service=service, instance=instance, group_by=group_by,
            filters=filters))
        out: dict[str | None, list[tuple[int, float]]] = {}
        for r in rows:
            out.setdefault(r.group, []).append((r.ts_us, r.max))
        return out

    def groups(self, name: str, group_by: str, service: str | None, instance: str | None,
               filters: tuple[tuple[str, str], ...] = ()) -> list[str | None]:
        """The groups with points of ``name``, at most MAX_SUBJECTS (one coarse read)."""
        rows = self.reads.metric_buckets(self.tenant, BucketSearch(
            name=name, start_us=self.start_us, end_us=self.end_us,
            step_us=self.end_us - self.start_us, bucket_us=self.end_us - self.start_us,
            agg="max", max_groups=MAX_SUBJECTS, service=service, instance=instance,
            group_by=group_by, filters=filters))
        return list(dict.fromkeys(r.group for r in rows))

    def one(self, name: str, service: str | None, instance: str | None,
            filters: tuple[tuple[str, str], ...] = (), agg: str = "max") -> Series | None:
        got = self.buckets(name, None, service, instance, filters, agg)
        points = got.get(None)
        return Series(name, points) if points else None


def _instance_verdict(reads: Reads, read: _Reader, tenant: str, service: str | None,
                      instance: str | None, kills: Sequence[OomKill], compare: Any,
                      label: InstanceLabel | None, sends: set[str],
                      captures: dict[str, list[CaptureRecord]]) -> Verdict:
    usage = read.one(RSS, service, instance) if RSS in sends else None
    heap = read.one(PYTHON_HEAP, service, instance) if PYTHON_HEAP in sends else None
    jvm_heap = limit_series = None
    if JVM_USED in sends:
        jvm_heap = read.one(JVM_USED, service, instance, ((JVM_TYPE, "heap"),), agg="sum")
        limit_series = read.one(JVM_LIMIT, service, instance, ((JVM_TYPE, "heap"),),
                                agg="sum")
        if usage is None:
            usage = read.one(JVM_USED, service, instance, agg="sum")
    pod = label.pod if label else None
    subject = Subject("instance", service or (label.service if label else None), instance, pod)
    missing = [] if heap or jvm_heap else [f"{PYTHON_HEAP} or {JVM_USED} (heap)"]
    limit, limit_metric = None, None
    if pod is not None and usage is not None and usage.metric == RSS:
        # In a pod the process is killed at its container's limit, not the JVM's heap max.
        container = read.one(kube_metrics.MEMORY_LIMIT, None, None, ((kube_metrics.POD, pod),))
        if container is not None:
            limit, limit_metric = container.points[-1][1], kube_metrics.MEMORY_LIMIT
    if limit is None and limit_series is not None:
        limit, limit_metric = limit_series.points[-1][1], JVM_LIMIT
    pod_kills = [k for k in kills if pod is not None and k.pod == pod]
    verdict = classify(subject, usage, heap or jvm_heap, limit, pod_kills,
                       limit_metric=limit_metric, missing=missing)
    if verdict.verdict == "none" and jvm_heap is not None and usage is not None \
            and usage.metric == JVM_USED:
        # The GC's sawtooth hides a slow non-heap leak in the JVM's total: look at the
        # non-heap pools alone (metaspace, code cache, direct buffers), the heap beside them.
        non_heap = read.one(JVM_USED, service, instance, ((JVM_TYPE, "non_heap"),), agg="sum")
        if non_heap is not None:
            alone = classify(subject, Series(f"{JVM_USED} (non-heap)", non_heap.points),
                             jvm_heap, None, pod_kills, missing=missing)
            if alone.verdict == "native":
                alone.limit, alone.limit_metric = limit, limit_metric
                verdict = alone
    if compare is not None and instance:
        verdict.captures = _capture_diff(reads, tenant, captures.get(instance, []), compare)
    return verdict


def _pod_verdict(read: _Reader, service: str | None, pod: str,
                 kills: Sequence[OomKill]) -> Verdict:
    filters = ((kube_metrics.POD, pod),)
    usage = read.one(kube_metrics.MEMORY_USAGE, service, None, filters)
    limit = read.one(kube_metrics.MEMORY_LIMIT, service, None, filters)
    return classify(Subject("pod", service, None, pod), usage, None,
                    limit.points[-1][1] if limit else None,
                    [k for k in kills if k.pod == pod],
                    limit_metric=kube_metrics.MEMORY_LIMIT if limit else None,
                    missing=[] if limit else [kube_metrics.MEMORY_LIMIT])


def _kills(reads: Reads, tenant: str, start_us: int, end_us: int, service: str | None,
           pod: str | None) -> list[OomKill]:
    episodes = reads.kube_events(tenant, EventSearch(
        start_us=start_us, end_us=end_us, limit=100, kind="oom_killed", service=service,
        pod=pod))
    return [OomKill(e.id, e.pod, e.container, e.last_seen_us, e.count, e.summary)
            for e in sorted(episodes, key=lambda e: e.last_seen_us)]


def _memory_captures(reads: Reads, tenant: str, service: str | None, instance: str | None,
                     start_us: int, end_us: int, compare: Any
                     ) -> dict[str, list[CaptureRecord]]:
    """The memory captures taken in the window per instance, newest first (one read)."""
    if compare is None:
        return {}
    out: dict[str, list[CaptureRecord]] = {}
    for c in reads.captures(tenant, service, instance, "memory", 1000):
        if start_us <= c.ts_us < end_us:
            out.setdefault(c.instance, []).append(c)
    return out


def _capture_diff(reads: Reads, tenant: str, found: Sequence[CaptureRecord],
                  compare: Any) -> dict[str, Any] | None:
    """The diff of the first and the last memory capture of the instance in the window."""
    if len(found) < 2:
        return None
    base, other = (reads.capture(tenant, c.id) for c in (found[-1], found[0]))
    if base is None or other is None or not base.payload or not other.payload:
        return None
    diff = compare(json.loads(base.payload), json.loads(other.payload))
    return {"base": base.id, "other": other.id, "base_at": base.ts_us // 1000,
            "other_at": other.ts_us // 1000, "diff": diff}


def _wanted(subject: Subject) -> list[str]:
    if subject.kind == "pod":
        return [f"{kube_metrics.MEMORY_USAGE} of pod {subject.pod}"]
    return [f"{RSS} (agent)", f"{JVM_USED} (JVM)", f"{kube_metrics.MEMORY_USAGE} (Kubernetes)"]


# -- shapes ---------------------------------------------------------------------------------

def _largest_jump(points: Sequence[tuple[int, float]]) -> Jump | None:
    """The largest rise to a point from the lowest point at most the spike window before."""
    span_s = (points[-1][0] - points[0][0]) / _US
    window_us = int(min(SPIKE_WINDOW_S, SPIKE_SPAN_SHARE * span_s) * _US)
    best: Jump | None = None
    lo = 0
    for j, (t, v) in enumerate(points):
        while points[lo][0] < t - window_us:
            lo += 1
        low = min(points[lo:j + 1], key=lambda p: p[1])
        if best is None or v - low[1] > best.to_value - best.from_value:
            best = Jump(low[0], t, low[1], v)
    if best is None or best.to_value <= best.from_value:
        return None
    # Narrow it to where it happened: the first point past 90 % of the rise, and the last
    # point under 10 % of it before that (noise on either plateau does not widen it).
    rise = best.to_value - best.from_value
    inside = [p for p in points if best.start_us <= p[0] <= best.end_us]
    end = next(p for p in inside if p[1] >= best.from_value + 0.9 * rise)
    start = [p for p in inside if p[0] < end[0] and p[1] <= best.from_value + 0.1 * rise][-1]
    return Jump(start[0], end[0], start[1], end[1])


def _is_spike(jump: Jump, spread: float, limit: float | None) -> bool:
    rise = jump.to_value - jump.from_value
    if spread <= 0 or rise < SPIKE_RANGE_SHARE * spread:
        return False
    if limit:
        return rise >= SPIKE_LIMIT_SHARE * limit
    return rise >= SPIKE_BASE_SHARE * max(jump.from_value, 0.0)


def _runs(points: Sequence[tuple[int, float]], spread: float) -> list[list[tuple[int, float]]]:
    """The series cut at every drop of over RESET_DROP of its range (a restart)."""
    runs: list[list[tuple[int, float]]] = [[points[0]]]
    for a, b in itertools.pairwise(points):
        if spread > 0 and a[1] - b[1] > RESET_DROP * spread:
            runs.append([])
        runs[-1].append(b)
    return runs


def _fill_fit(out: Verdict, fit: Fit, run: Sequence[tuple[int, float]],
              limit: float | None) -> None:
    start_value = fit.at_ref - fit.slope_per_s * (fit.ref_us - run[0][0]) / _US
    out.slope_per_s, out.fit_fraction = fit.slope_per_s, fit.fit_fraction
    out.fit_start_us, out.fit_end_us = run[0][0], run[-1][0]
    out.growth_fraction = (fit.at_ref - start_value) / abs(start_value) if start_value else None
    if limit:
        out.reaches_limit_at_us = reaches_at(fit, limit)


def _heap_growth(heap: Series | None, start_us: int, end_us: int) -> float | None:
    """Median of the heap's last quarter over its first quarter, minus one, in the span."""
    if heap is None:
        return None
    values = [v for t, v in sorted(heap.points) if start_us <= t <= end_us]
    if len(values) < 4:
        return None
    q = len(values) // 4
    first, last = statistics.median(values[:q]), statistics.median(values[-q:])
    return (last - first) / abs(first) if first else None


def _step_s(points: Sequence[tuple[int, float]]) -> float:
    gaps = [(b[0] - a[0]) / _US for a, b in itertools.pairwise(points)]
    return statistics.median(gaps) if gaps else 60.0


def _thin(points: Sequence[tuple[int, float]], most: int = SEGMENT_POINTS
          ) -> list[tuple[int, float]]:
    """At most ``most`` points, evenly picked, the first and the last kept."""
    if len(points) <= most:
        return list(points)
    stride = len(points) / most
    picked = [points[int(i * stride)] for i in range(most)]
    return [*picked[:-1], points[-1]]


def _mib(value: float) -> str:
    return f"{value / 2**20:,.1f} MiB"


def _hours(out: Verdict, last_us: int) -> str:
    assert out.reaches_limit_at_us is not None
    hours = (out.reaches_limit_at_us - last_us) / _US / 3600
    return "already reached" if hours <= 0 else f"{hours:.1f} h after the last point"
