"""Alert evaluation benchmark: 1,000 rules evaluated every minute over the 5M-span store,
next to the raw engine (the same figures as direct DuckDB SQL) in the same run.

The store is bench/query.py's (cached as ``bench/.data/alerts-bench.db``) plus Kubernetes
episodes (``save_kube_episodes``) and pod memory series for the predictive rules. The
rules are a mix: the seven figures per service and per instance, metric thresholds, event
rules on the episodes and a few predictive rules, kept by a real AlertRepo on a SQLite file
and run by the real Evaluator (its own scheduler thread, 2 workers, 1 s tick) for
``--cycles`` minutes, once with the shipped ``timeout_s=10`` and once with 60 s. Its
clock is shifted so each run's last cycle evaluates just before the end of the seeded day.
Reported: process CPU per minute, latency per rule (by kind) and
per cycle, late cycles; then the raw SQL of every rule run back to back (no read shared
between rules, unlike the evaluator's rounds: ``bongsu.alerts.kinds.shared``).

    .venv/bin/python bench/alerts_eval.py [--spans 5000000] [--cycles 3] [--reseed]
    .venv/bin/python bench/alerts_eval.py --spans 500000 --cycles 1   # a quick run
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from bongsu.alerts.evaluator import Evaluator, Outcome
from bongsu.alerts.kinds import Context
from bongsu.alerts.model import Rule
from bongsu.alerts.repo import AlertRepo
from bongsu.kube.model import KINDS, Episode, EpisodeKey, episode_id
from bongsu.meta.database import connect
from bongsu.query.service import QueryService
from bongsu.settings import Settings
from bongsu.store.batch import METRIC_SCHEMA, Batch
from bongsu.store.duckdb import DuckDBStore
from bongsu.store.reads import reads_of

sys.path.insert(0, str(Path(__file__).parent))
from query import DATA, HOUR_US, TENANT, seed  # the shared dataset builder

S = 1_000_000
SERVICES = ("frontend", "gateway", "orders", "payments", "catalog")
NAMESPACES = ("shop", "payments", "infra")
USAGE, LIMIT = "k8s.container.memory.usage", "k8s.container.memory.limit"
CRITICAL = {"crash_loop", "oom_killed", "node_not_ready"}
# How many rules of each sort make the 1,000 (a server's worth: most rules are the
# per-service figures people set first; per-instance ones are fewer, predictive few).
MIX = {"figure/service": 400, "figure/instance": 100, "metric": 300, "event": 190,
       "predictive": 10}


# -- the extra telemetry: episodes and pod memory -----------------------------------------

def add_alert_data(store: DuckDBStore, path: Path, end: int) -> None:
    """Episodes over the day (denser in the last hour) and 2 h of pod memory, once."""
    marker = path.with_suffix(".alerts.ok")
    if marker.exists():
        return
    store.save_kube_episodes(list(episodes(end)))
    rows = []
    for k, ts in enumerate(range(end - 2 * HOUR_US, end, 30 * S)):
        for n, (service, i) in enumerate(itertools.product(SERVICES, range(3))):
            pod = f"{service}-7d9f8-{i}"
            # Every third pod leaks (reaches the limit within the horizon), the rest are flat.
            usage = 200e6 + (k * 4e5 if n % 3 == 0 else (k % 7) * 1e5)
            for name, value in ((USAGE, usage), (LIMIT, 512e6)):
                rows.append({"tenant": TENANT, "ts_us": ts, "service": service,
                             "instance": f"{service}-{i}", "name": name, "kind": "gauge",
                             "unit": "By", "value": value,
                             "attributes": json.dumps({"k8s.pod.name": pod})})
    store.load(Batch(metrics=pa.Table.from_pylist(rows, schema=METRIC_SCHEMA)), None)
    store.checkpoint()
    marker.touch()


def episodes(end: int, count: int = 3000) -> Iterator[Episode]:
    for k in range(count):
        # Half in the last hour (a busy cluster), half spread over the day.
        last = end - (k * 2 * S if k % 2 == 0 else k * 28 * S)
        kind = KINDS[k % len(KINDS)]
        service = SERVICES[k % 5]
        node = kind.startswith("node")
        obj_kind = "Node" if node else "HorizontalPodAutoscaler" if kind.startswith("hpa") \
            else "Pod"
        obj = f"node-{k % 4}" if node else f"{service}-7d9f8-{k % 3}"
        key = EpisodeKey("bench", NAMESPACES[k % 3], obj_kind, obj, kind, "kubelet", str(k))
        first = last - 60 * S
        yield Episode(
            id=episode_id(TENANT, key, first), tenant=TENANT, cluster="bench",
            namespace=key.namespace, object_kind=obj_kind, object_name=obj, kind=kind,
            reason=kind, severity="critical" if kind in CRITICAL else "warning",
            summary=f"{obj}: {kind}", message=f"{kind} on {obj}", count=1 + k % 5,
            first_seen_us=first, last_seen_us=last, component="kubelet", source="event",
            service=None if node else service, pod=None if node else obj,
        )


# -- the rules --------------------------------------------------------------------------

_LIMITS: dict[str, list[tuple[str, float]]] = {
    "tps": [(">", 1000.0), ("<", 0.1)], "error_rate": [(">", 0.05), (">", 0.02)],
    "avg_ms": [(">", 200.0), (">", 500.0)], "p95_ms": [(">", 500.0), (">", 1000.0)],
    "p99_ms": [(">", 2000.0), (">", 1500.0)], "apdex": [("<", 0.7), ("<", 0.85)],
    "active_users": [(">", 1000.0), ("<", 1.0)],
}


def rule_specs() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(sort, kind, spec) for the mix above."""
    services: list[str | None] = [None, *SERVICES]
    figure = itertools.cycle(itertools.product(_LIMITS, services, (300, 600, 900), (0, 1)))
    for name, service, window, variant in itertools.islice(figure, MIX["figure/service"]):
        op, value = _LIMITS[name][variant]
        yield "figure/service", "threshold", _with_service(
            {"figure": name, "op": op, "value": value, "window_s": window}, service)
    per_instance = itertools.cycle(itertools.product(_LIMITS, [*SERVICES, None], (300, 600)))
    for name, service, window in itertools.islice(per_instance, MIX["figure/instance"]):
        op, value = _LIMITS[name][0]
        yield "figure/instance", "threshold", _with_service(
            {"figure": name, "op": op, "value": value, "window_s": window, "by": "instance"},
            service)
    metric = itertools.cycle(itertools.product(
        ("process.memory.rss", "process.cpu.utilization", USAGE), ("max", "avg", "last"),
        [*SERVICES, None], (300, 600), (False, True)))
    for name, agg, service, window, by_instance in itertools.islice(metric, MIX["metric"]):
        spec: dict[str, Any] = {"metric": name, "agg": agg, "op": ">", "window_s": window,
                                "value": 0.9 if name.endswith("utilization") else 4e8}
        if name == USAGE:
            spec["group_by"] = "k8s.pod.name"
        elif by_instance and service:
            spec["instance"] = f"{service}-0"
        yield "metric", "threshold", _with_service(spec, service)
    event = itertools.cycle(itertools.product(KINDS, [None, *NAMESPACES], [None, *SERVICES]))
    for kube_kind, namespace, service in itertools.islice(event, MIX["event"]):
        spec = {"kind": kube_kind, "window_s": 600, "min_count": 1}
        if namespace:
            spec["namespace"] = namespace
        yield "event", "event", _with_service(spec, service)
    for n in range(MIX["predictive"]):
        service = SERVICES[n % 5]
        if n < 5:
            spec = {"metric": USAGE, "agg": "max", "group_by": "k8s.pod.name",
                    "limit": {"metric": LIMIT}, "horizon_s": 7200, "lookback_s": 3600}
        else:
            spec = {"metric": "process.memory.rss", "limit": 2e9, "horizon_s": 7200,
                    "lookback_s": 3600}
        yield "predictive", "predictive", {**spec, "service": service}


def _with_service(spec: dict[str, Any], service: str | None) -> dict[str, Any]:
    return {**spec, "service": service} if service else spec


def make_rules(repo: AlertRepo) -> dict[str, str]:
    """Store the 1,000 rules; their sort by rule id."""
    sorts = {}
    for n, (sort, kind, spec) in enumerate(rule_specs()):
        rule = repo.put_rule(Rule(id=f"bench-{n:04d}", tenant=TENANT, name=f"{sort} {n}",
                                  kind=kind, spec=spec, for_s=120))  # type: ignore[arg-type]
        sorts[rule.id] = sort
    return sorts


# -- the raw engine: each rule's figures as one or two DuckDB statements -----------------

RAW_FIGURES = """
WITH b AS (
    SELECT {key}, bucket, sum(count) AS n, sum(errors) AS e, sum(sum_us) AS s,
           sum(satisfied) AS sat, sum(tolerating) AS tol
    FROM rollup_10s
    WHERE tenant = $tenant AND ts_us >= $start AND ts_us < $end
      AND ($service IS NULL OR service = $service)
    GROUP BY ALL
), c AS (
    SELECT *, sum(n) OVER (PARTITION BY {key} ORDER BY bucket) AS cum,
           sum(n) OVER (PARTITION BY {key}) AS total
    FROM b
)
SELECT {key}, sum(n) / $seconds, sum(e) / sum(n), sum(s) / sum(n) / 1000,
       min(bucket) FILTER (WHERE cum >= 0.95 * total),
       min(bucket) FILTER (WHERE cum >= 0.99 * total), (sum(sat) + sum(tol) / 2) / sum(n)
FROM c GROUP BY ALL
"""
RAW_USERS = """
SELECT {key}, count(DISTINCT user_id) FROM spans
WHERE tenant = $tenant AND ts_us >= $end - 300000000 AND ts_us < $end
  AND user_id IS NOT NULL AND ($service IS NULL OR service = $service)
GROUP BY ALL
"""
RAW_METRIC = """
SELECT g, {outer} FROM (
    SELECT ts_us // $step AS ts, {group} AS g, {inner} AS v
    FROM metric_points
    WHERE tenant = $tenant AND name = $name AND ts_us >= $start AND ts_us < $end
      AND ($service IS NULL OR service = $service)
      AND ($instance IS NULL OR instance = $instance)
    GROUP BY ALL
) GROUP BY ALL
"""
RAW_SERIES = """
SELECT json_extract_string(attributes, '$."k8s.pod.name"') AS pod, ts_us // $step AS ts,
       max(value)
FROM metric_points
WHERE tenant = $tenant AND name = $name AND ts_us >= $start AND ts_us < $end
  AND ($service IS NULL OR service = $service)
GROUP BY ALL ORDER BY pod, ts
"""
RAW_EVENTS = """
SELECT cluster, namespace, kind, object_kind, object_name, pod, service, max(count)
FROM kube_events
WHERE tenant = $tenant AND last_seen_us >= $start AND first_seen_us < $end
  AND count >= $min_count AND kind = $kind
  AND ($namespace IS NULL OR namespace = $namespace)
  AND ($service IS NULL OR service = $service)
GROUP BY ALL
"""
_VALUE = "coalesce(value, sum / nullif(count, 0))"
# Per step, then over the window's steps (as the threshold kind combines them).
_AGGS = {"max": (f"max({_VALUE})", "max(v)"), "avg": (f"avg({_VALUE})", "avg(v)"),
         "last": (f"arg_max({_VALUE}, ts_us)", "arg_max(v, ts)")}


def raw_query(store: DuckDBStore, rule: Rule, now_us: int) -> Callable[[], Any]:
    """The rule's figures straight from DuckDB (no query service, kinds, state or repo)."""
    spec = rule.spec

    def run(text: str, **params: Any) -> Any:
        return store.run(text, {"tenant": TENANT, "end": now_us, **params}, 60)

    service = spec.get("service")
    if rule.kind == "event":
        start = now_us - int(spec["window_s"] * S)
        return lambda: run(RAW_EVENTS, start=start, min_count=spec["min_count"],
                           kind=spec["kind"], namespace=spec.get("namespace"),
                           service=service)
    if rule.kind == "predictive":
        start = now_us - int(spec["lookback_s"] * S)
        names = [spec["metric"]] + ([LIMIT] if isinstance(spec["limit"], dict) else [])
        return lambda: [run(RAW_SERIES, name=n, start=start, step=60 * S, service=service)
                        for n in names]
    start = now_us - int(spec["window_s"] * S)
    if "figure" in spec:
        key = "service, instance" if spec.get("by") == "instance" else "service"
        if spec["figure"] == "active_users":  # the last 5 min, from spans (as the engine)
            users = RAW_USERS.format(key=key)
            return lambda: run(users, service=service)
        text = RAW_FIGURES.format(key=key)
        return lambda: run(text, start=start, service=service, seconds=spec["window_s"])
    group = "json_extract_string(attributes, '$.\"k8s.pod.name\"')" \
        if spec.get("group_by") else "name"
    inner, outer = _AGGS[spec["agg"]]
    text = RAW_METRIC.format(group=group, inner=inner, outer=outer)
    return lambda: run(text, name=spec["metric"], start=start, step=60 * S,
                       service=service, instance=spec.get("instance"))


# -- measuring ----------------------------------------------------------------------------

def ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def run_evaluator(ev: Evaluator, cycles: int, rules: int
                  ) -> tuple[list[list[Outcome]], list[float], list[float]]:
    """Run the evaluator for ``cycles`` minutes. Returns per cycle its outcomes (the n-th
    outcome of every rule belongs to cycle n), the process CPU seconds of each minute, and
    when each cycle's last evaluation was collected, seconds after the cycle's start."""
    taken: set[int] = set()
    keep: list[Outcome] = []  # held, so an id() is never reused
    seen: dict[str, int] = defaultdict(int)
    per_cycle: list[list[Outcome]] = [[] for _ in range(cycles)]
    done_at = [float("inf")] * cycles
    cpu_marks = [time.process_time()]
    t0 = time.monotonic()
    ev.start()  # the first tick is at once: cycle n starts at t0 + 60 n
    try:
        while len(cpu_marks) <= cycles:
            time.sleep(0.25)
            now = time.monotonic() - t0
            # ev.outcomes keeps the newest 1,000 (at most one per rule per 1 s tick).
            for outcome in [o for o in list(ev.outcomes) if id(o) not in taken]:
                taken.add(id(outcome))
                keep.append(outcome)
                k = seen[outcome.rule_id]
                seen[outcome.rule_id] += 1
                if k < cycles:
                    per_cycle[k].append(outcome)
                    if len(per_cycle[k]) == rules:
                        done_at[k] = now - k * 60
            if now >= len(cpu_marks) * 60:
                cpu_marks.append(time.process_time())
    finally:
        ev.stop()
    return per_cycle, [b - a for a, b in itertools.pairwise(cpu_marks)], done_at


def report_engine(per_cycle: list[list[Outcome]], cpu: list[float], done_at: list[float],
                  sorts: dict[str, str], rules: int) -> None:
    print("\n| cycle | rules done | errors | CPU s / min | % of one core | done after s "
          "| late |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for k, outcomes in enumerate(per_cycle):
        errors = sum(1 for o in outcomes if o.error)
        late = done_at[k] > 60
        print(f"| {k + 1} | {len(outcomes)}/{rules} | {errors} | {cpu[k]:.2f} "
              f"| {cpu[k] / 60 * 100:.1f} % | {done_at[k]:.1f} | {'LATE' if late else 'no'} |")
    secs = [o.seconds for c in per_cycle for o in c if not o.error]
    print(f"\nper rule (all cycles, {len(secs)} evaluations): median {ms(secs, 0.5):.1f} ms, "
          f"p95 {ms(secs, 0.95):.1f} ms, max {max(secs) * 1000:.1f} ms")
    first = sum(o.seconds for o in per_cycle[0])
    dropped = sum(1 for c in per_cycle for o in c if o.error)
    print(f"dropped (past timeout_s, counted from submission): {dropped} of "
          f"{sum(len(c) for c in per_cycle)}")
    print("\n| kind | rules | median ms | p95 ms | max ms | share of evaluation time |")
    print("|---|---:|---:|---:|---:|---:|")
    total = sum(secs) or 1.0
    by_sort: dict[str, list[float]] = defaultdict(list)
    for c in per_cycle:
        for o in c:
            if not o.error:  # a dropped evaluation's seconds are not measured (0)
                by_sort[sorts[o.rule_id]].append(o.seconds)
    for sort, values in by_sort.items():
        print(f"| {sort} | {sum(1 for s in sorts.values() if s == sort)} "
              f"| {ms(values, 0.5):.1f} | {ms(values, 0.95):.1f} | {max(values) * 1000:.1f} "
              f"| {sum(values) / total * 100:.0f} % |")
    print(f"(cycle 1: {first:.1f} s of evaluation time on 2 workers)")


def run_raw(store: DuckDBStore, rules: list[Rule], sorts: dict[str, str], now_us: int,
            repeat: int) -> tuple[list[float], dict[str, list[float]]]:
    """Every rule's raw SQL back to back, ``repeat`` times: CPU seconds per pass and the
    time of each statement group by kind."""
    queries = [(sorts[r.id], raw_query(store, r, now_us)) for r in rules]
    for _, q in queries[:50]:
        q()  # warm
    cpu, by_sort = [], defaultdict(list)
    for _ in range(repeat):
        c0 = time.process_time()
        for sort, q in queries:
            started = time.perf_counter()
            q()
            by_sort[sort].append(time.perf_counter() - started)
        cpu.append(time.process_time() - c0)
    return cpu, by_sort


def report_ratios(per_cycle: list[list[Outcome]], cpu: list[float],
                  raw: tuple[list[float], dict[str, list[float]]],
                  sorts: dict[str, str]) -> None:
    raw_cpu, raw_by_sort = raw
    engine_cpu = statistics.median(cpu[1:] or cpu)  # the first minute warms caches
    raw_pass = statistics.median(raw_cpu)
    print(f"\nCPU per cycle: engine {engine_cpu:.2f} s (median of the minutes after the "
          f"first), raw SQL {raw_pass:.2f} s per pass of all rules: "
          f"engine / raw {engine_cpu / raw_pass:.1f}x")
    print("\n| kind | engine median ms | raw SQL median ms | engine / raw | engine p95 ms "
          "| raw p95 ms | engine s / cycle | raw s / pass | engine / raw (sum) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    kept = per_cycle[1:] or per_cycle
    engine: dict[str, list[float]] = defaultdict(list)
    for c in kept:
        for o in c:
            if not o.error:
                engine[sorts[o.rule_id]].append(o.seconds)
    every_e = [v for vs in engine.values() for v in vs]
    every_r = [v for vs in raw_by_sort.values() for v in vs]
    passes = len(raw_cpu)
    for sort, values in [*engine.items(), ("all", every_e)]:
        r = raw_by_sort[sort] if sort != "all" else every_r
        # A shared read is paid by the round's first rule needing it (the others reuse
        # it: ~0 ms), so the sums per cycle compare better than the medians.
        e_sum, r_sum = sum(values) / len(kept), sum(r) / passes
        print(f"| {sort} | {ms(values, 0.5):.2f} | {ms(r, 0.5):.2f} "
              f"| {ms(values, 0.5) / ms(r, 0.5):.2f} | {ms(values, 0.95):.2f} "
              f"| {ms(r, 0.95):.2f} | {e_sum:.2f} | {r_sum:.2f} | {e_sum / r_sum:.2f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--spans", type=int, default=5_000_000)
    parser.add_argument("--cycles", type=int, default=3,
                        help="minutes of evaluation, for each of the two timeouts")
    parser.add_argument("--raw-repeat", type=int, default=3)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args(argv)
    DATA.mkdir(exist_ok=True)
    path = DATA / (f"alerts-bench-{args.spans}.db" if args.spans != 5_000_000
                   else "alerts-bench.db")
    if args.reseed:
        for p in DATA.glob(path.stem + ".*"):
            p.unlink()
    # A dropped evaluation logs one line each; the tables count them.
    logging.getLogger("bongsu.alerts.evaluator").setLevel(logging.ERROR)
    print(f"machine: {os.cpu_count()} cores; seeding {args.spans:,} spans (cached in {path})",
          flush=True)
    store = seed(path, args.spans)
    end = int(store.run("SELECT max(ts_us) FROM spans")[0][0]) // HOUR_US * HOUR_US + HOUR_US
    add_alert_data(store, path, end)
    print(f"store: {store.run('SELECT count(*) FROM spans')[0][0]:,} spans, "
          f"{store.run('SELECT count(*) FROM kube_events')[0][0]:,} episodes, "
          f"{store.run('SELECT count(*) FROM metric_points')[0][0]:,} metric points",
          flush=True)
    cycles: int = args.cycles
    # Each run's last cycle evaluates 30 s before the end of the seeded day.
    shift = 0

    def clock() -> int:
        return time.time_ns() // 1000 - shift

    with tempfile.TemporaryDirectory() as tmp:
        repo = AlertRepo(connect(f"sqlite:///{tmp}/meta.sqlite"))
        sorts = make_rules(repo)
        reads = reads_of(store, timeout_s=10, max_rows=10_000)
        ctx = Context(QueryService(reads, Settings(), clock=clock), reads)

        def enabled() -> list[Rule]:
            return [r for t in repo.tenants() for r in repo.list_rules(t, enabled_only=True)]

        runs = {}
        for timeout in (10.0, 60.0):
            shift = time.time_ns() // 1000 - (end - cycles * 60 * S - 30 * S)
            ev = Evaluator(rules=enabled, repo=repo, context=ctx, clock=clock,
                           timeout_s=timeout)
            print(f"\n{len(sorts)} rules, timeout_s={timeout:g}: evaluating for {cycles} min",
                  flush=True)
            runs[timeout] = run_evaluator(ev, cycles, len(sorts))
            report_engine(*runs[timeout], sorts, len(sorts))
        rules = {r.id: r for r in enabled()}
    raw = run_raw(store, list(rules.values()), sorts, end - 30 * S, args.raw_repeat)
    for timeout, (per_cycle, cpu, _) in runs.items():
        print(f"\nengine (timeout_s={timeout:g}) against the raw SQL:")
        report_ratios(per_cycle, cpu, raw, sorts)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
