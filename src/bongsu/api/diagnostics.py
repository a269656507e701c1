"""Memory and trend diagnostics over the stored series: ``GET /api/v1/oom`` (why an instance
or pod runs out of memory, :mod:`bongsu.diagnostics.oom`) and ``GET /api/v1/trend`` (a
metric's daily figures, week over week and fitted line, :mod:`bongsu.diagnostics.trend`).

Example::

    app = create_api(settings, store, authenticator.principal, routers=[diagnostics_router()])
    # GET /api/v1/oom?service=shop&from=2026-12-01T00:00:00
    # GET /api/v1/trend?metric=process.memory.usage&group_by=instance&days=30
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field

from bongsu import diagnostics
from bongsu.api.context import Queries, Tenant
from bongsu.api.models import Model
from bongsu.api.params import AggName, Instance, Service, To, _checked
from bongsu.api.responses import JSON
from bongsu.diagnostics.oom import oom_verdicts, verdict_json
from bongsu.diagnostics.trend import MAX_DAYS, MAX_SERIES, trend
from bongsu.errors import InvalidQuery
from bongsu.query.params import parse_int
from bongsu.query.window import Window, parse_time

DEFAULT_OOM_WINDOW_US = 86_400 * 1_000_000


def _d(text: str, **kw: Any) -> Any:
    return Field(description=text, **kw)


# -- /api/v1/oom ----------------------------------------------------------------------------

class OomSubject(Model):
    kind: Literal["instance", "pod"] = _d("instance: the agent's series; pod: Kubernetes'")
    service: str | None = _d("Service (service.name)")
    instance: str | None = _d("Instance id (service.instance.id); null for a pod")
    instance_name: str | None = _d("The instance's display name (k8s.pod.name, else "
                                   "host.name:process.pid, else the id); null for a pod")
    pod: str | None = _d("Pod (k8s.pod.name): the pod's, or the pod the instance runs in")


class OomSeries(Model):
    metric: str = _d("Metric name")
    points: list[tuple[int, float]] = _d("[epoch ms, value] pairs, time order, at most 240 "
                                          "(thinned evenly)")


class OomJump(Model):
    start: int = _d("Last point before the jump, epoch ms")
    end: int = _d("First point past 90 % of the rise, epoch ms")
    from_value: float = _d("Value before the jump (bytes)")
    to_value: float = _d("Value after the jump (bytes)")


class OomKillRow(Model):
    id: str = _d("Event episode id (GET /api/v1/events/{id})")
    pod: str | None = _d("Pod killed")
    container: str | None = _d("Container killed")
    at: int = _d("When the kill was last seen, epoch ms")
    count: int = _d("Kills in the episode")
    summary: str = _d("The episode's one-line summary")


class OomVerdict(Model):
    subject: OomSubject = _d("What the verdict is about")
    verdict: Literal["spike", "leak", "native", "none", "not_enough_data"] = _d(
        "spike: a jump within minutes; leak: steady growth (slope and fit given); native: "
        "memory grows while the heap stays flat (off-heap / native); none: neither; "
        "not_enough_data: fewer than 10 points (missing says what was looked for)")
    reason: str = _d("The verdict in one sentence, with its figures")
    usage: OomSeries | None = _d("The memory series segment behind the verdict (bytes)")
    heap: OomSeries | None = _d("The heap series (Python allocator blocks or JVM heap bytes)")
    limit: float | None = _d("The limit it is killed at, bytes (container limit or JVM "
                             "heap max); null when none is known")
    limit_metric: str | None = _d("The metric the limit was read from")
    slope_per_s: float | None = _d("Theil-Sen slope of the fitted growth, bytes per second")
    slope_per_hour: float | None = _d("The same slope, bytes per hour")
    fit_fraction: float | None = _d("Share of fitted points within 10 % of the series' "
                                    "range of the line, 0-1")
    fit_start: int | None = _d("First fitted point, epoch ms")
    fit_end: int | None = _d("Last fitted point, epoch ms")
    growth_fraction: float | None = _d("The line's growth over the fitted span over its "
                                       "start value (0.5: +50 %)")
    heap_growth_fraction: float | None = _d("Heap growth over the same span (median of the "
                                            "last quarter over the first, minus 1)")
    reaches_limit_at: int | None = _d("When the fitted line reaches the limit, epoch ms")
    jump: OomJump | None = _d("The jump, for a spike")
    resets: int = _d("Drops of over half the range (restarts) before the fitted run")
    oom_kills: list[OomKillRow] = _d("Kubernetes OOM kills (kind oom_killed) of its pod in "
                                     "the window, oldest first")
    captures: dict[str, Any] | None = _d(
        "The first and last memory capture of the instance in the window compared "
        "(base, other, base_at and other_at epoch ms, diff: the memory analyzer's compare); "
        "null with fewer than two")
    missing: list[str] = _d("Series looked for and not found")


class OomVerdicts(Model):
    from_: int = _d("Window start, epoch ms", alias="from")
    to: int = _d("Window end, epoch ms")
    verdicts: list[OomVerdict] = _d("One per instance (agent memory series) and pod "
                                    "(Kubernetes memory series), at most 50 of each")


Pod = Annotated[str | None, Query(description="Only this pod (k8s.pod.name)")]
OomFrom = Annotated[str | None, Query(
    alias="from", description="Window start, inclusive: ISO-8601 (UTC without an offset) or "
                              "epoch ms. Default: to - 24 h.")]


# -- /api/v1/trend --------------------------------------------------------------------------

class TrendDay(Model):
    day: int = _d("The UTC day's start, epoch ms")
    min: float = _d("Lowest 5-minute value of the day")
    avg: float = _d("Mean of the day's 5-minute values")
    max: float = _d("Highest 5-minute value of the day")
    steps: int = _d("5-minute values the day had (288 for a whole day)")


class WeekOverWeek(Model):
    this_week_avg: float | None = _d("Mean of the daily means of the last 7 days (today "
                                     "included)")
    last_week_avg: float | None = _d("Mean of the daily means of the 7 days before")
    change: float | None = _d("(this - last) / last: 0.1 is +10 %; null without both weeks")
    this_week_days: int = _d("Days with data in the last 7")
    last_week_days: int = _d("Days with data in the 7 before")


class TrendFit(Model):
    slope_per_day: float = _d("Theil-Sen slope through the daily means, units per day")
    fit_fraction: float = _d("Share of days within 10 % of the range of the line, 0-1")
    days: int = _d("Days fitted")
    start: int = _d("First fitted day, epoch ms")
    end: int = _d("Last fitted day, epoch ms")
    start_value: float = _d("The line's value at start")
    end_value: float = _d("The line's value at end")


class TrendSeries(Model):
    group: str | None = _d("The service, instance or attribute value; null: not grouped, "
                           "or points without the attribute")
    group_name: str | None = _d("The group's display name: an instance's k8s.pod.name, else "
                                "host.name:process.pid, else the id; the group otherwise")
    daily: list[TrendDay] = _d("Days with data, oldest first")
    week_over_week: WeekOverWeek = _d("The last 7 days against the 7 before")
    fit: TrendFit | None = _d("The fitted line; null under 2 days")


class Trend(Model):
    metric: str = _d("Metric name")
    agg: str = _d("How a group's series combine in each 5 minutes")
    group_by: str | None = _d("service, instance, a point attribute key, or null")
    service: str | None = _d("The service filter")
    instance: str | None = _d("The instance filter")
    instance_name: str | None = _d("The instance filter's display name")
    days: int = _d("Days asked for (today included)")
    from_: int = _d("Start of the first day, epoch ms", alias="from")
    to: int = _d("End of the last 5 minutes read, epoch ms")
    step_s: int = _d("Seconds per value the daily figures are made of")
    series: list[TrendSeries] = _d(f"One per group, in group order, at most {MAX_SERIES}")
    truncated: bool = _d(f"More than {MAX_SERIES} groups had data; the first are given")


Days = Annotated[Annotated[int, Field(ge=1, le=MAX_DAYS)] | None,
                 _checked(lambda raw: parse_int("days", raw, 30, 1, MAX_DAYS)), Query(
    description=f"Days to read, today included: 1 to {MAX_DAYS}. Default 30.")]
GroupBy = Annotated[str | None, Query(
    description="One series per service, instance, or value of this point attribute "
                "(k8s.pod.name …). Default: one series.")]
TrendTo = Annotated[str | None, Query(
    description="The trend as of this instant, ISO-8601 (UTC without an offset) or epoch ms: "
                "its UTC day is the last one, counted up to here. Default: now.")]
Metric = Annotated[str, Query(
    description="Metric name (required); bongsu.tps: transactions per second from the "
                "rollups (per service or instance, idle 5 minutes counted as 0)")]


def diagnostics_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["real time and diagnostics"])

    @router.get("/oom", summary="Why an instance or pod runs out of memory: the verdict "
                                "and its evidence", response_model=OomVerdicts)
    def oom(tenant: Tenant, queries: Queries, service: Service = None,
            instance: Instance = None, pod: Pod = None, from_: OomFrom = None,
            to: To = None) -> JSON:
        window = queries.window(from_, to)
        if from_ is None:
            window = Window(window.end_us - DEFAULT_OOM_WINDOW_US, window.end_us)
        verdicts = oom_verdicts(queries.reads, tenant, window.start_us, window.end_us,
                                service=service, instance=instance, pod=pod,
                                compare=_compare_memory)
        rows = [verdict_json(v) for v in verdicts]
        names = queries.instance_names(
            tenant, [r["subject"]["instance"] for r in rows if r["subject"]["instance"]])
        for row in rows:
            inst = row["subject"]["instance"]
            row["subject"]["instance_name"] = names.get(inst) if inst else None
        return JSON({"from": window.start_us // 1000, "to": window.end_us // 1000,
                     "verdicts": rows})

    @router.get("/trend", summary="A metric's daily min / avg / max, week over week and "
                                  "fitted trend, per group", response_model=Trend)
    def data_trend(tenant: Tenant, queries: Queries, metric: Metric, agg: AggName = None,
                   service: Service = None, instance: Instance = None,
                   group_by: GroupBy = None, days: Days = None, to: TrendTo = None) -> JSON:
        if group_by == "":
            raise InvalidQuery("group_by: empty; leave it out for one series")
        now_us = queries.clock() if to is None else parse_time("to", to)
        body = trend(queries.reads, tenant, metric, now_us,
                     days=30 if days is None else days, agg=agg or "avg",
                     service=service, instance=instance, group_by=group_by)
        ids = [s["group"] for s in body["series"] if group_by == "instance" and s["group"]]
        names = queries.instance_names(tenant, [*ids, *([instance] if instance else [])])
        for s in body["series"]:
            s["group_name"] = names.get(s["group"], s["group"]) if s["group"] else None
        body["instance_name"] = names.get(instance) if instance else None
        return JSON(body)

    return router


def _compare_memory(base: Any, other: Any) -> dict[str, Any]:
    try:
        return diagnostics.compare(base, other, "memory")
    except InvalidQuery as exc:  # a capture no analyzer reads: say so in the evidence
        return {"headline": f"not compared: {exc.message}"}
