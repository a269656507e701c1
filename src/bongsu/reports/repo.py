"""Report jobs, schedules and deliveries in the metadata database (``tables``).

Contract: every method commits before it returns. ``claim`` moves one queued job to
``running`` for one runner only (a compare-and-set on ``state``), so two workers never build
the same job. ``plan`` inserts a schedule's due deliveries and moves its
``last_period_us`` in one transaction: a period is planned once, whoever plans it.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.engine import Engine

from bongsu.reports.periods import Period
from bongsu.reports.tables import report_deliveries, report_jobs, report_schedules


def now_us() -> int:
    return time.time_ns() // 1000


def new_id() -> str:
    return secrets.token_hex(8)


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    tenant: str
    kind: str
    service: str | None
    from_us: int
    to_us: int
    state: str  # queued | running | done | failed
    progress: float  # 0 … 100
    error: str | None
    pdf_error: str | None
    created_us: int
    started_us: int | None
    finished_us: int | None
    schedule_id: str | None
    title: str | None
    html_bytes: int | None
    csv_bytes: int | None
    pdf_bytes: int | None


@dataclass(frozen=True, slots=True)
class Schedule:
    id: str
    tenant: str
    name: str
    kind: str
    service: str | None
    every: str
    at: str
    channel_id: str
    enabled: bool
    created_us: int
    updated_us: int
    last_period_us: int | None


@dataclass(frozen=True, slots=True)
class Delivery:
    schedule_id: str
    period_start_us: int
    period_end_us: int
    tenant: str
    state: str  # pending | sent | failed
    job_id: str | None
    attempts: int
    next_attempt_us: int
    error: str | None
    sent_us: int | None


def _job(row: Any) -> Job:
    return Job(**{k: row._mapping[k] for k in Job.__slots__})


def _schedule(row: Any) -> Schedule:
    return Schedule(**{k: row._mapping[k] for k in Schedule.__slots__})


def _delivery(row: Any) -> Delivery:
    return Delivery(**{k: row._mapping[k] for k in Delivery.__slots__})


class ReportRepo:
    """Example::

        repo = ReportRepo(engine)
        job = repo.add_job("default", "performance", None, from_us, to_us)
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # -- jobs -------------------------------------------------------------------------

    def add_job(self, tenant: str, kind: str, service: str | None, from_us: int, to_us: int,
                schedule_id: str | None = None) -> Job:
        values = dict(id=new_id(), tenant=tenant, kind=kind, service=service, from_us=from_us,
                      to_us=to_us, state="queued", progress=0.0, error=None, pdf_error=None,
                      created_us=now_us(), started_us=None, finished_us=None, runner=None,
                      schedule_id=schedule_id, title=None, html_bytes=None, csv_bytes=None,
                      pdf_bytes=None)
        with self._engine.begin() as con:
            con.execute(insert(report_jobs).values(**values))
        values.pop("runner")
        return Job(**values)  # type: ignore[arg-type]

    def job(self, tenant: str | None, job_id: str) -> Job | None:
        condition = report_jobs.c.id == job_id
        if tenant is not None:
            condition = and_(condition, report_jobs.c.tenant == tenant)
        with self._engine.connect() as con:
            row = con.execute(select(report_jobs).where(condition)).first()
        return None if row is None else _job(row)

    def jobs(self, tenant: str, limit: int = 100) -> list[Job]:
        with self._engine.connect() as con:
            rows = con.execute(select(report_jobs).where(report_jobs.c.tenant == tenant)
                               .order_by(report_jobs.c.created_us.desc(),
                                         report_jobs.c.id).limit(limit)).all()
        return [_job(r) for r in rows]

    def queued(self, limit: int = 10) -> list[str]:
        with self._engine.connect() as con:
            # Scheduled jobs are built by the scheduler on the lease holder, not here.
            rows = con.execute(select(report_jobs.c.id).where(and_(
                report_jobs.c.state == "queued", report_jobs.c.schedule_id.is_(None)))
                               .order_by(report_jobs.c.created_us).limit(limit)).all()
        return [r[0] for r in rows]

    def claim(self, job_id: str, runner: str) -> bool:
        """Move a queued job to running for ``runner``; False when another took it."""
        with self._engine.begin() as con:
            done = con.execute(update(report_jobs).where(and_(
                report_jobs.c.id == job_id, report_jobs.c.state == "queued"))
                .values(state="running", runner=runner, started_us=now_us(), progress=0.0))
        return done.rowcount == 1

    def requeue_running(self, runner_prefix: str) -> int:
        """Jobs left running by an earlier process on this host go back to the queue (a
        restart loses no job); ``runner_prefix`` is ``host/``."""
        with self._engine.begin() as con:
            done = con.execute(update(report_jobs).where(and_(
                report_jobs.c.state == "running",
                report_jobs.c.runner.startswith(runner_prefix, autoescape=True)))
                .values(state="queued", runner=None, progress=0.0))
        return int(done.rowcount)

    def set_progress(self, job_id: str, percent: float) -> None:
        with self._engine.begin() as con:
            con.execute(update(report_jobs).where(report_jobs.c.id == job_id)
                        .values(progress=percent))

    def finish(self, job_id: str, *, title: str, sizes: dict[str, int],
               pdf_error: str | None) -> None:
        with self._engine.begin() as con:
            con.execute(update(report_jobs).where(report_jobs.c.id == job_id).values(
                state="done", progress=100.0, finished_us=now_us(), title=title,
                html_bytes=sizes.get("html"), csv_bytes=sizes.get("csv"),
                pdf_bytes=sizes.get("pdf"), pdf_error=pdf_error))

    def fail(self, job_id: str, error: str) -> None:
        with self._engine.begin() as con:
            con.execute(update(report_jobs).where(report_jobs.c.id == job_id).values(
                state="failed", finished_us=now_us(), error=error))

    def expired(self, before_us: int) -> list[str]:
        """Finished jobs older than ``before_us`` (their files are pruned with them)."""
        with self._engine.connect() as con:
            rows = con.execute(select(report_jobs.c.id).where(and_(
                report_jobs.c.finished_us.is_not(None),
                report_jobs.c.finished_us < before_us))).all()
        return [r[0] for r in rows]

    def delete_jobs(self, ids: list[str]) -> None:
        if ids:
            with self._engine.begin() as con:
                con.execute(delete(report_jobs).where(report_jobs.c.id.in_(ids)))

    # -- schedules --------------------------------------------------------------------

    def put_schedule(self, schedule: Schedule) -> None:
        values = {k: getattr(schedule, k) for k in Schedule.__slots__}
        with self._engine.begin() as con:
            found = con.execute(update(report_schedules).where(and_(
                report_schedules.c.id == schedule.id,
                report_schedules.c.tenant == schedule.tenant)).values(**values))
            if found.rowcount == 0:
                con.execute(insert(report_schedules).values(**values))

    def schedule(self, tenant: str | None, schedule_id: str) -> Schedule | None:
        condition = report_schedules.c.id == schedule_id
        if tenant is not None:
            condition = and_(condition, report_schedules.c.tenant == tenant)
        with self._engine.connect() as con:
            row = con.execute(select(report_schedules).where(condition)).first()
        return None if row is None else _schedule(row)

    def schedules(self, tenant: str | None = None) -> list[Schedule]:
        query = select(report_schedules).order_by(report_schedules.c.tenant,
                                                  report_schedules.c.name,
                                                  report_schedules.c.id)
        if tenant is not None:
            query = query.where(report_schedules.c.tenant == tenant)
        with self._engine.connect() as con:
            return [_schedule(r) for r in con.execute(query).all()]

    def delete_schedule(self, tenant: str, schedule_id: str) -> bool:
        with self._engine.begin() as con:
            done = con.execute(delete(report_schedules).where(and_(
                report_schedules.c.id == schedule_id, report_schedules.c.tenant == tenant)))
            con.execute(delete(report_deliveries).where(and_(
                report_deliveries.c.schedule_id == schedule_id,
                report_deliveries.c.state == "pending")))
        return done.rowcount == 1

    # -- deliveries -------------------------------------------------------------------

    def plan(self, schedule: Schedule, periods: list[Period]) -> int:
        """Insert the periods' deliveries and move ``last_period_us`` past them, in one
        transaction guarded by the ``last_period_us`` read (another planner that moved it
        first wins; this one inserts nothing)."""
        if not periods:
            return 0
        with self._engine.begin() as con:
            moved = con.execute(update(report_schedules).where(and_(
                report_schedules.c.id == schedule.id,
                report_schedules.c.last_period_us.is_(None)
                if schedule.last_period_us is None
                else report_schedules.c.last_period_us == schedule.last_period_us))
                .values(last_period_us=periods[-1].start_us))
            if moved.rowcount != 1:
                return 0
            # A schedule whose timing was changed starts again from its newest due
            # period, which may have been delivered already: a period is sent once.
            known = {r[0] for r in con.execute(
                select(report_deliveries.c.period_start_us).where(and_(
                    report_deliveries.c.schedule_id == schedule.id,
                    report_deliveries.c.period_start_us.in_([p.start_us for p in periods]))))}
            new = [p for p in periods if p.start_us not in known]
            if new:
                con.execute(insert(report_deliveries), [
                    dict(schedule_id=schedule.id, period_start_us=p.start_us,
                         period_end_us=p.end_us, tenant=schedule.tenant, state="pending",
                         job_id=None, attempts=0, next_attempt_us=p.due_us, error=None,
                         sent_us=None) for p in new])
        return len(new)

    def due_deliveries(self, now: int, limit: int = 20) -> list[Delivery]:
        with self._engine.connect() as con:
            rows = con.execute(select(report_deliveries).where(and_(
                report_deliveries.c.state == "pending",
                report_deliveries.c.next_attempt_us <= now))
                .order_by(report_deliveries.c.next_attempt_us).limit(limit)).all()
        return [_delivery(r) for r in rows]

    def deliveries(self, schedule_id: str, limit: int = 50) -> list[Delivery]:
        with self._engine.connect() as con:
            rows = con.execute(select(report_deliveries)
                               .where(report_deliveries.c.schedule_id == schedule_id)
                               .order_by(report_deliveries.c.period_start_us.desc())
                               .limit(limit)).all()
        return [_delivery(r) for r in rows]

    def update_delivery(self, d: Delivery, **values: Any) -> None:
        with self._engine.begin() as con:
            con.execute(update(report_deliveries).where(and_(
                report_deliveries.c.schedule_id == d.schedule_id,
                report_deliveries.c.period_start_us == d.period_start_us)).values(**values))
