"""Report routes: build a report (202 and an id), follow its progress, download it as
HTML, PDF or CSV; and the schedules that e-mail one every day, week or month.

Every route is scoped to the caller's tenant; another tenant's report or schedule is a
404. Times are epoch milliseconds. A schedule names an e-mail channel of the alert engine
(``/api/v1/channels``) whose SMTP settings send it, with the PDF and CSV attached.

Example::

    router = reports_router(ReportsService.build(settings, engine, sources, notify))
    # POST /api/v1/reports {"kind": "performance", "from": 1764547200000, "to": 1764633600000}
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, Response
from pydantic import Field

from bongsu.api import models
from bongsu.api.context import Tenant
from bongsu.api.models import Model
from bongsu.api.params import _checked
from bongsu.api.responses import JSON
from bongsu.errors import StoreError
from bongsu.query.params import parse_choice
from bongsu.reports.jobs import FORMATS
from bongsu.reports.model import ReportError
from bongsu.reports.periods import parse_at, stamp
from bongsu.reports.repo import Delivery, Job, Schedule, new_id, now_us
from bongsu.reports.service import ReportsService

MAX_SPAN_MS = 400 * 86_400_000
MAX_MS = 2**62 // 1000
_MEDIA = {"html": "text/html; charset=utf-8", "csv": "text/csv; charset=utf-8",
          "pdf": "application/pdf"}


def _d(text: str, **kw: Any) -> Any:
    return Field(description=text, **kw)


NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": models.ErrorBody, "description": "No such report or schedule in the tenant"}}
ReportId = Annotated[str, PathParam(description="The report's id", max_length=32)]
ScheduleId = Annotated[str, PathParam(description="The schedule's id", max_length=32)]
FormatParam = Annotated[
    Literal["html", "pdf", "csv"] | None,
    _checked(lambda raw: parse_choice("format", raw, FORMATS, "html")),
    Query(description="html (default), pdf or csv (every table, one block each)")]

# -- models -------------------------------------------------------------------------------


class ReportBody(Model):
    kind: str = _d("The report kind (GET /api/v1/reports/kinds)", examples=["performance"])
    service: str | None = _d("Only this service (required by some kinds)", default=None)
    from_ms: int = _d("Start of the period, epoch ms", alias="from", ge=0, le=MAX_MS)
    to_ms: int = _d("End of the period (exclusive), epoch ms", alias="to", ge=0, le=MAX_MS)


class ReportOut(Model):
    id: str = _d("The report's id (GET /api/v1/reports/{id})")
    kind: str = _d("The report kind (GET /api/v1/reports/kinds)")
    service: str | None = _d("The one service it covers; null when it covers all")
    from_ms: int = _d("Start of the period, epoch ms", alias="from")
    to_ms: int = _d("End of the period, epoch ms", alias="to")
    state: Literal["queued", "running", "done", "failed"] = _d(
        "queued: waiting for the worker; running: being built; done: ready to download; "
        "failed: see error")
    progress: float = _d("Percent done, 0-100")
    title: str | None = _d("The report's title once built")
    error: str | None = _d("Why it failed")
    pdf_error: str | None = _d("Why the PDF could not be printed (HTML and CSV still are)")
    created_ms: int = _d("When it was requested, epoch ms")
    finished_ms: int | None = _d("When it was done or failed, epoch ms; null while queued or "
                                 "running")
    schedule_id: str | None = _d("The schedule it was built for, if any")
    formats: list[Literal["html", "csv", "pdf"]] = _d(
        "The formats that can be downloaded (GET /api/v1/reports/{id}/download)")
    bytes: dict[str, int] = _d("File size in bytes per built format (html, csv, pdf)")


class Reports(Model):
    reports: list[ReportOut] = _d("The tenant's reports, newest first")


class KindOut(Model):
    name: str = _d("The kind's name, as sent in a report's kind", examples=["performance"])
    title: str = _d("Human-readable title of the kind")
    needs_service: bool = _d("True if a report of this kind needs a service")


class Kinds(Model):
    kinds: list[KindOut] = _d("Every report kind")


class ScheduleBody(Model):
    name: str = _d("Shown in the mail's subject", min_length=1, max_length=256)
    kind: str = _d("The report kind", examples=["performance"])
    service: str | None = _d("Only this service", default=None)
    every: Literal["daily", "weekly", "monthly"] = _d(
        "daily: the previous UTC day; weekly: the previous ISO week (sent Mondays); monthly: "
        "the previous calendar month (sent on the 1st)")
    at: str = _d("When it is sent, HH:MM UTC", examples=["07:00"])
    channel_id: str = _d("An e-mail channel of the alert engine (its id)")
    enabled: bool = _d("False: kept but not sent", default=True)


class DeliveryOut(Model):
    period_from_ms: int = _d("Start of the period the report covers, epoch ms")
    period_to_ms: int = _d("End of the period (exclusive), epoch ms")
    state: Literal["pending", "sent", "failed"] = _d(
        "pending: not sent yet (or being retried); sent: mailed; failed: given up (see error)")
    report_id: str | None = _d("The report built for it (GET /api/v1/reports/{id}); null "
                               "until one is started")
    attempts: int = _d("Send attempts so far (at most 8; retried after 30 s, doubling)")
    error: str | None = _d("Why the last attempt failed; null once sent")
    sent_ms: int | None = _d("When the mail was sent, epoch ms; null unless sent")


class ScheduleOut(Model):
    id: str = _d("The schedule's id")
    name: str = _d("Shown in the mail's subject")
    kind: str = _d("The report kind (GET /api/v1/reports/kinds)")
    service: str | None = _d("The one service its reports cover; null when they cover all")
    every: Literal["daily", "weekly", "monthly"] = _d(
        "daily: the previous UTC day; weekly: the previous ISO week (sent Mondays); monthly: "
        "the previous calendar month (sent on the 1st)")
    at: str = _d("When it is sent, HH:MM UTC", examples=["07:00"])
    channel_id: str = _d("The e-mail channel of the alert engine that sends it (its id)")
    enabled: bool = _d("False: kept but not sent")
    last_period_ms: int | None = _d("Start of the newest period planned (sent or pending), "
                                    "epoch ms; null before the first")
    deliveries: list[DeliveryOut] = _d("The newest deliveries first (up to 10)")


class Schedules(Model):
    schedules: list[ScheduleOut] = _d("The tenant's report schedules")


# -- routes -------------------------------------------------------------------------------


def reports_router(backend: ReportsService | None = None) -> APIRouter:
    """The report routes over ``backend`` (None: the schema's app, which never calls one)."""
    router = APIRouter(prefix="/api/v1", tags=["reports"])

    def parts() -> ReportsService:
        if backend is None:
            raise StoreError("reports are not running")
        return backend

    @router.get("/reports/kinds", summary="The report kinds", response_model=Kinds)
    def kinds(tenant: Tenant) -> JSON:  # signed in, like every other route
        b = parts()
        return JSON({"kinds": [{"name": k.name, "title": k.title,
                                "needs_service": k.needs_service}
                               for k in (b.kinds.get(n) for n in b.kinds.names())]})

    @router.post("/reports", summary="Build a report (202; follow GET /reports/{id})",
                 status_code=202, response_model=ReportOut)
    def create(tenant: Tenant, body: ReportBody) -> JSON:
        b = parts()
        kind = b.kinds.get(body.kind)
        if kind.needs_service and not body.service:
            raise ReportError("service", f"the {kind.name} report is about one service")
        _check_span(body.from_ms, body.to_ms)
        job = b.repo.add_job(tenant, kind.name, body.service or None, body.from_ms * 1000,
                             body.to_ms * 1000)
        b.runner.wake()
        return JSON(_job(job), status_code=202)

    @router.get("/reports", summary="The tenant's reports, newest first, with progress",
                response_model=Reports)
    def list_reports(tenant: Tenant) -> JSON:
        return JSON({"reports": [_job(j) for j in parts().repo.jobs(tenant)]})

    @router.get("/reports/{report_id}", summary="One report's state and progress",
                response_model=ReportOut, responses=NOT_FOUND)
    def get_report(report_id: ReportId, tenant: Tenant) -> Response:
        job = parts().repo.job(tenant, report_id)
        return _missing("report", report_id) if job is None else JSON(_job(job))

    @router.get("/reports/{report_id}/download", summary="The report as HTML, PDF or CSV",
                responses={**NOT_FOUND, 200: {"content": {m.split(";")[0]: {}
                                                          for m in _MEDIA.values()},
                                              "description": "The file"},
                           409: {"description": "Not built yet, or not in that format"}})
    def download(report_id: ReportId, tenant: Tenant, format: FormatParam = None) -> Response:
        b = parts()
        fmt = format or "html"
        job = b.repo.job(tenant, report_id)
        if job is None:
            return _missing("report", report_id)
        path = b.runner.file(job.id, fmt)
        if job.state != "done" or fmt not in _formats(job) or not path.exists():
            why = job.pdf_error if fmt == "pdf" and job.pdf_error else f"it is {job.state}"
            return JSON({"detail": f"format: no {fmt} for report {report_id!r} ({why})"},
                        status_code=409)
        return FileResponse(path, media_type=_MEDIA[fmt],
                            filename=f"{job.kind}-{stamp(job.from_us)}.{fmt}",
                            content_disposition_type="inline" if fmt == "html"
                            else "attachment")

    @router.get("/report-schedules", summary="The tenant's report schedules",
                response_model=Schedules)
    def list_schedules(tenant: Tenant) -> JSON:
        b = parts()
        return JSON({"schedules": [_schedule(s, b) for s in b.repo.schedules(tenant)]})

    @router.post("/report-schedules", summary="Create a schedule (errors name the field)",
                 status_code=201, response_model=ScheduleOut)
    def create_schedule(tenant: Tenant, body: ScheduleBody) -> JSON:
        b = parts()
        schedule = _checked_schedule(b, tenant, new_id(), body, None)
        b.repo.put_schedule(schedule)
        return JSON(_schedule(schedule, b), status_code=201)

    @router.get("/report-schedules/{schedule_id}", summary="One schedule and its deliveries",
                response_model=ScheduleOut, responses=NOT_FOUND)
    def get_schedule(schedule_id: ScheduleId, tenant: Tenant) -> Response:
        b = parts()
        found = b.repo.schedule(tenant, schedule_id)
        return _missing("schedule", schedule_id) if found is None else JSON(_schedule(found, b))

    @router.put("/report-schedules/{schedule_id}", summary="Replace a schedule",
                response_model=ScheduleOut, responses=NOT_FOUND)
    def put_schedule(schedule_id: ScheduleId, tenant: Tenant, body: ScheduleBody) -> Response:
        b = parts()
        before = b.repo.schedule(tenant, schedule_id)
        if before is None:
            return _missing("schedule", schedule_id)
        schedule = _checked_schedule(b, tenant, schedule_id, body, before)
        b.repo.put_schedule(schedule)
        return JSON(_schedule(schedule, b))

    @router.delete("/report-schedules/{schedule_id}", summary="Delete a schedule",
                   status_code=204, responses=NOT_FOUND)
    def delete_schedule(schedule_id: ScheduleId, tenant: Tenant) -> Response:
        if not parts().repo.delete_schedule(tenant, schedule_id):
            return _missing("schedule", schedule_id)
        return Response(status_code=204)

    return router


def _check_span(from_ms: int, to_ms: int) -> None:
    if to_ms <= from_ms:
        raise ReportError("to", "must be after from")
    if to_ms - from_ms > MAX_SPAN_MS:
        raise ReportError("to", "a report covers at most 400 days")


def _checked_schedule(b: ReportsService, tenant: str, schedule_id: str, body: ScheduleBody,
                      before: Schedule | None) -> Schedule:
    kind = b.kinds.get(body.kind)
    if kind.needs_service and not body.service:
        raise ReportError("service", f"the {kind.name} report is about one service")
    parse_at(body.at)
    channel = b.scheduler.channels.channel(body.channel_id)
    if channel is None or channel.tenant != tenant:
        raise ReportError("channel_id", f"no channel {body.channel_id!r} in this tenant")
    if channel.type != "email":
        raise ReportError("channel_id", f"channel {body.channel_id!r} is a {channel.type} "
                          "channel; reports are sent by e-mail")
    at = now_us()
    same_plan = before is not None and (before.every, before.at) == (body.every, body.at)
    return Schedule(
        id=schedule_id, tenant=tenant, name=body.name, kind=kind.name,
        service=body.service or None, every=body.every, at=body.at,
        channel_id=body.channel_id, enabled=body.enabled,
        created_us=before.created_us if before else at, updated_us=at,
        # A new timing starts again from its newest due period; the old plan is kept.
        last_period_us=before.last_period_us if before is not None and same_plan else None)


def _formats(job: Job) -> list[str]:
    sizes = {"html": job.html_bytes, "csv": job.csv_bytes, "pdf": job.pdf_bytes}
    return [f for f in FORMATS if sizes[f] is not None]


def _job(job: Job) -> dict[str, Any]:
    sizes = {"html": job.html_bytes, "csv": job.csv_bytes, "pdf": job.pdf_bytes}
    return {"id": job.id, "kind": job.kind, "service": job.service,
            "from": job.from_us // 1000, "to": job.to_us // 1000, "state": job.state,
            "progress": job.progress, "title": job.title, "error": job.error,
            "pdf_error": job.pdf_error, "created_ms": job.created_us // 1000,
            "finished_ms": None if job.finished_us is None else job.finished_us // 1000,
            "schedule_id": job.schedule_id, "formats": _formats(job),
            "bytes": {k: v for k, v in sizes.items() if v is not None}}


def _delivery(d: Delivery) -> dict[str, Any]:
    return {"period_from_ms": d.period_start_us // 1000, "period_to_ms": d.period_end_us // 1000,
            "state": d.state, "report_id": d.job_id, "attempts": d.attempts, "error": d.error,
            "sent_ms": None if d.sent_us is None else d.sent_us // 1000}


def _schedule(s: Schedule, b: ReportsService) -> dict[str, Any]:
    return {"id": s.id, "name": s.name, "kind": s.kind, "service": s.service,
            "every": s.every, "at": s.at, "channel_id": s.channel_id, "enabled": s.enabled,
            "last_period_ms": None if s.last_period_us is None else s.last_period_us // 1000,
            "deliveries": [_delivery(d) for d in b.repo.deliveries(s.id, 10)]}


def _missing(what: str, item_id: str) -> JSON:
    return JSON({"detail": f"no {what} {item_id!r} in this tenant"}, status_code=404)


__all__ = ["reports_router"]
