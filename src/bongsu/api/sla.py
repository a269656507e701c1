"""SLA routes: per-period figures of a check, a service or a service's traffic, and the
SLA targets.

``GET /api/v1/sla`` takes exactly one of ``check_id`` and ``service`` (with ``source=traffic``
the service's SLO from real requests instead of its checks), a ``period`` (UTC day, ISO
week from Monday, or calendar month) and a window (default: the last 30 UTC days up to
now). ``GET /api/v1/sla/subjects`` lists what has figures: every target, and every check
with results but no target (judged against the default 99.9 % over a month).
``PUT /api/v1/sla/targets`` replaces the tenant's list; a bad entry is a 400 naming it
(``targets[1].threshold_ms: ...``).

Example::

    router = sla_router_for(store, engine, notify.silences, timeout_s=30)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from pydantic import ConfigDict
from sqlalchemy.engine import Engine

from bongsu.alerts.model import Silence
from bongsu.api.body import BodyModel
from bongsu.api.context import Tenant
from bongsu.api.models import Model, _f
from bongsu.api.params import From, To
from bongsu.api.responses import JSON
from bongsu.errors import InvalidQuery, StoreError
from bongsu.query.window import parse_time, parse_window
from bongsu.sla.periods import DAY_US, Period, period_start
from bongsu.sla.report import PeriodFigures, Report, SlaReports
from bongsu.sla.targets import Target, TargetRepo, default_target
from bongsu.store.reads import reads_of
from bongsu.store.sla import sla_reads_of

DEFAULT_DAYS = 30
_MS = ", epoch ms"

KindName = Literal["check", "service", "traffic"]
PeriodName = Literal["day", "week", "month"]
CheckIdParam = Annotated[str | None, Query(
    max_length=256, description="The check's SLA (its id). Give this or service.")]
ServiceParam = Annotated[str | None, Query(
    max_length=256, description="The service's SLA: its checks combined (source=checks) "
                                "or its requests (source=traffic). Give this or check_id.")]
SourceParam = Annotated[Literal["checks", "traffic"] | None, Query(
    description="With service: checks (default; down when any of its checks is down) or "
                "traffic (share of requests neither errors nor over the threshold)")]
PeriodParam = Annotated[PeriodName | None, Query(
    description="One figure per UTC day, ISO week (from Monday 00:00 UTC) or calendar "
                "month (UTC). Default day.")]
SubjectsPeriod = Annotated[PeriodName | None, Query(
    description="Figures over the current UTC day, week or month (default: each "
                "subject's target period)")]


class SlaTarget(Model):
    kind: KindName = _f("check (subject: a check id), service (its checks combined) or "
                        "traffic (its requests)")
    subject: str = _f("The check id or service name")
    target_percent: float = _f("The SLA target, percent (99.9: 43 min 12 s down a 30-day "
                               "month)")
    period: PeriodName = _f("The period the target is judged over")
    service: str | None = _f("check: the service whose SLA combines this check")
    threshold_ms: float | None = _f("traffic: a good request is faster than this, ms")


class SlaTargetIn(BodyModel):
    """A target as written (checked by the server: errors name ``targets[i].field``)."""

    model_config = ConfigDict(extra="forbid")
    kind: str = _f("check, service or traffic")
    subject: str = _f("The check id (check) or service name (service, traffic)")
    target_percent: float = _f("Percent, above 0 and below 100", default=99.9)
    period: str = _f("day, week or month", default="month")
    service: str | None = _f("check only: the service it belongs to", default=None)
    threshold_ms: float | None = _f("traffic only (required): latency threshold, ms",
                                    default=None)


class SlaTargetsIn(BodyModel):
    model_config = ConfigDict(extra="forbid")
    targets: list[SlaTargetIn] = _f("The tenant's whole list (replaces the one stored)",
                                    max_length=1000)


class SlaTargets(Model):
    targets: list[SlaTarget] = _f("The tenant's targets, by kind and subject")


class Budget(Model):
    unit: Literal["seconds", "requests"] = _f("seconds of down time (checks, services) or "
                                              "failed requests (traffic)")
    allowed: float = _f("What the target allows to fail: (1 - target) x measured")
    used: float = _f("What failed: down seconds, or bad requests")
    left: float = _f("allowed - used (negative: overspent)")


class SlaPeriod(Model):
    start_ms: int = _f("Period start" + _MS + " (the window's start for a partial first one)")
    end_ms: int = _f("Period end, exclusive" + _MS)
    uptime: float | None = _f("Up / (up + down) time, or good / counted requests; 0-1 "
                              "(null: nothing measured)")
    sla_percent: float | None = _f("uptime as a percent (null: nothing measured)")
    target_percent: float = _f("The target")
    met: bool | None = _f("sla_percent >= target_percent (null: nothing measured)")
    up_s: float = _f("Seconds up")
    down_s: float = _f("Seconds down")
    unknown_s: float = _f("Seconds excluded as unknown: not probed (Bongsu down or "
                          "overloaded), before the first result, or a check of the "
                          "service unknown")
    maintenance_s: float = _f("Seconds excluded as maintenance windows")
    requests: int = _f("traffic: requests counted (0 otherwise)")
    good: int = _f("traffic: requests neither errors nor over the threshold")
    excluded_requests: int = _f("traffic: requests in minutes of a maintenance window")
    budget: Budget = _f("The error budget of the period")


class SlaReport(Model):
    kind: KindName = _f("check, service or traffic")
    subject: str = _f("The check id or service name")
    period: PeriodName = _f("The period of each entry of periods (UTC)")
    from_ms: int = _f("Window start" + _MS)
    to_ms: int = _f("Window end, exclusive" + _MS)
    target: SlaTarget = _f("The target judged against (the default when none is set)")
    target_set: bool = _f("Whether the target is the tenant's own (false: the default)")
    checks: list[str] = _f("service: the checks combined (those whose target names it)")
    threshold_low_ms: float | None = _f("traffic: the duration bucket boundary at or below "
                                        "the threshold that is actually used, ms")
    periods: list[SlaPeriod] = _f("One entry per period, oldest first")
    total: SlaPeriod = _f("The whole window")


class SlaSubject(Model):
    target: SlaTarget = _f("Its target (the default when none is set)")
    target_set: bool = _f("Whether the target is the tenant's own")
    current: SlaPeriod = _f("Figures of the current period (UTC) so far")


class SlaSubjects(Model):
    subjects: list[SlaSubject] = _f("Targets, then checks with results but no target")


def sla_router(reports: SlaReports | None = None, targets: TargetRepo | None = None,
               checks_seen: Callable[[str], list[str]] | None = None) -> APIRouter:
    """The SLA routes (None: the schema's app, which never calls them). ``checks_seen``
    lists a tenant's check ids with results (for ``/sla/subjects``)."""
    router = APIRouter(prefix="/api/v1", tags=["sla"])

    def parts() -> tuple[SlaReports, TargetRepo]:
        if reports is None or targets is None:
            raise StoreError("the SLA figures are not set up")
        return reports, targets

    @router.get("/sla", response_model=SlaReport,
                summary="SLA per period of a check, a service or a service's traffic")
    def sla(tenant: Tenant, check_id: CheckIdParam = None, service: ServiceParam = None,
            source: SourceParam = None, period: PeriodParam = None,
            from_: From = None, to: To = None) -> JSON:
        sla_reports, repo = parts()
        if (check_id is None) == (service is None):
            raise InvalidQuery("check_id: give exactly one of check_id and service")
        if check_id is not None and source is not None:
            raise InvalidQuery("source: only with service (a check's SLA is its own results)")
        now = time.time_ns() // 1000
        start, end = _window(from_, to, now)
        chosen: Period = period or "day"
        if check_id is not None:
            report = sla_reports.check(tenant, check_id, chosen, start, end)
        elif source == "traffic":
            report = sla_reports.traffic(tenant, str(service), chosen, start, end)
        else:
            report = sla_reports.service(tenant, str(service), chosen, start, end)
        own = repo.get(tenant, report.kind, report.subject) is not None
        return JSON(report_view(report, own))

    @router.get("/sla/subjects", response_model=SlaSubjects,
                summary="Every SLA subject with its current period's figures")
    def subjects(tenant: Tenant, period: SubjectsPeriod = None) -> JSON:
        sla_reports, repo = parts()
        own = repo.list(tenant)
        known = {(t.kind, t.subject) for t in own}
        extra = [default_target("check", c) for c in (checks_seen(tenant) if checks_seen
                                                        else []) if ("check", c) not in known]
        now = time.time_ns() // 1000
        out = []
        for target in [*own, *extra]:
            chosen: Period = period or target.period
            start = period_start(now, chosen)
            report = _report(sla_reports, tenant, target, chosen, start, now + 1)
            out.append({"target": target_view(report.target), "target_set": target in own,
                        "current": period_view(report.total, report.kind)})
        return JSON({"subjects": out})

    @router.get("/sla/targets", response_model=SlaTargets, summary="The tenant's SLA targets")
    def get_targets(tenant: Tenant) -> JSON:
        return JSON({"targets": [target_view(t) for t in parts()[1].list(tenant)]})

    @router.put("/sla/targets", response_model=SlaTargets,
                summary="Replace the tenant's SLA targets (checked; errors name the entry)")
    def put_targets(tenant: Tenant, body: Annotated[SlaTargetsIn, Body()]) -> JSON:
        wanted = [Target(t.kind, t.subject, t.target_percent, t.period,  # type: ignore[arg-type]
                         t.service, t.threshold_ms) for t in body.targets]
        return JSON({"targets": [target_view(t) for t in parts()[1].put(tenant, wanted)]})

    return router


def sla_router_for(store: Any, engine: Engine, silences: Callable[[str], list[Silence]],
                   timeout_s: float) -> APIRouter:
    """The SLA routes over a telemetry store and the metadata database, as a server has
    them: reads with their own row cap (a year of minutes of traffic is 525,600 rows)."""
    repo = TargetRepo(engine)
    reports = SlaReports(sla_reads_of(store, timeout_s, 1_000_000), silences, repo)
    results = reads_of(store, timeout_s=timeout_s, max_rows=100_000)
    return sla_router(reports, repo, checks_seen=_checks_seen(results))


def _checks_seen(results: Any) -> Callable[[str], list[str]] | None:
    latest = getattr(results, "latest_check_results", None)
    if latest is None:
        return None
    return lambda tenant: sorted({r.check_id for r in latest(tenant, None)})


def _report(reports: SlaReports, tenant: str, target: Target, period: Period, start: int,
            end: int) -> Report:
    if target.kind == "check":
        return reports.check(tenant, target.subject, period, start, end)
    if target.kind == "traffic":
        return reports.traffic(tenant, target.subject, period, start, end)
    return reports.service(tenant, target.subject, period, start, end)


def _window(raw_from: str | None, raw_to: str | None, now_us: int) -> tuple[int, int]:
    if raw_from is None:
        end = parse_time("to", raw_to) if raw_to is not None else now_us
        start = end // DAY_US * DAY_US - (DEFAULT_DAYS - 1) * DAY_US
        raw_from = str(start // 1000)
    window = parse_window(raw_from, raw_to, now_us)
    return window.start_us, window.end_us


def target_view(t: Target) -> dict[str, Any]:
    return {"kind": t.kind, "subject": t.subject, "target_percent": t.target_percent,
            "period": t.period, "service": t.service, "threshold_ms": t.threshold_ms}


def period_view(p: PeriodFigures, kind: str) -> dict[str, Any]:
    a = p.against
    return {"start_ms": p.start_us // 1000, "end_ms": p.end_us // 1000, "uptime": p.uptime,
            "sla_percent": a.sla_percent, "target_percent": a.target_percent, "met": a.met,
            "up_s": p.tally.up_s, "down_s": p.tally.down_s, "unknown_s": p.tally.unknown_s,
            "maintenance_s": p.tally.maintenance_s, "requests": p.requests, "good": p.good,
            "excluded_requests": p.excluded_requests,
            "budget": {"unit": "requests" if kind == "traffic" else "seconds",
                       "allowed": a.budget_allowed, "used": a.budget_used,
                       "left": a.budget_left}}


def report_view(r: Report, own: bool) -> dict[str, Any]:
    return {"kind": r.kind, "subject": r.subject, "period": r.period,
            "from_ms": r.start_us // 1000, "to_ms": r.end_us // 1000,
            "target": target_view(r.target), "target_set": own, "checks": r.checks,
            "threshold_low_ms": r.threshold_low_ms,
            "periods": [period_view(p, r.kind) for p in r.periods],
            "total": period_view(r.total, r.kind)}


__all__ = ["SlaPeriod", "SlaReport", "SlaSubjects", "SlaTargets", "sla_router",
           "sla_router_for"]
