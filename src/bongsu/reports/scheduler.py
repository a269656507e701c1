"""Scheduled reports: each tick, on the lease holder only, plan the periods that came due
and deliver the pending ones.

Exactly once per period: ``ReportRepo.plan`` inserts one delivery row per (schedule,
period) — its primary key — and moves the schedule's ``last_period_us`` in the same
transaction, so a restart (or another replica taking the lease over) plans no period
twice; a planned delivery stays ``pending`` until the mail is accepted, so a restart
loses none (periods that came due while no server ran are planned at the next tick, up to
``MAX_BACKLOG`` per schedule). A failed send is retried with a growing wait; an SMTP
refusal that will not change (5xx, a missing channel) marks the delivery ``failed``.

Example::

    scheduler = Scheduler(repo, runner, notify, interval_s=30, active=keeper.active)
    scheduler.start()
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from bongsu.reports.jobs import JobRunner
from bongsu.reports.kinds.performance import period_text
from bongsu.reports.mail import report_message, send_report
from bongsu.reports.periods import Every, due_periods, parse_at
from bongsu.reports.repo import Delivery, ReportRepo, now_us

log = logging.getLogger("bongsu.reports")

MAX_BACKLOG = 12  # missed periods planned per schedule after a long stop
MAX_ATTEMPTS = 8
_RETRY_US = 30_000_000  # 30 s, doubling per attempt


class Scheduler:
    def __init__(self, repo: ReportRepo, runner: JobRunner, channels: Any, *,
                 interval_s: float, active: Callable[[], bool] = lambda: True,
                 clock: Callable[[], int] = now_us) -> None:
        self.repo, self.runner, self.channels = repo, runner, channels
        self.interval_s = interval_s
        self.active = active
        self.clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="bongsu-report-schedules",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            if not self.active():
                continue
            try:
                self.tick()
            except Exception:
                log.exception("reports: the schedules could not be run")

    def tick(self) -> int:
        """Plan what came due, then deliver what is pending; the deliveries sent."""
        now = self.clock()
        for schedule in self.repo.schedules():
            if schedule.enabled:
                every: Every = schedule.every  # type: ignore[assignment]
                periods = due_periods(every, parse_at(schedule.at), schedule.last_period_us,
                                      now, MAX_BACKLOG)
                self.repo.plan(schedule, periods)
        sent = 0
        for delivery in self.repo.due_deliveries(now):
            if self._stop.is_set() or not self.active():
                break
            sent += self.deliver(delivery)
        return sent

    def deliver(self, d: Delivery) -> int:
        schedule = self.repo.schedule(d.tenant, d.schedule_id)
        if schedule is None:
            self.repo.update_delivery(d, state="failed", error="the schedule was deleted")
            return 0
        job = self.repo.job(None, d.job_id) if d.job_id else None
        if job is None or job.state == "failed":
            job = self.repo.add_job(schedule.tenant, schedule.kind, schedule.service,
                                    d.period_start_us, d.period_end_us, schedule.id)
            self.repo.update_delivery(d, job_id=job.id)
        if job.state in ("queued", "running"):
            # Built here, not by the on-demand worker: claimed first so that one skips it.
            if job.state == "queued" and not self.repo.claim(job.id, self.runner.runner):
                return 0
            job = self.runner.build(job.id) or job
        if job.state != "done":
            return self._retry(d, f"the report failed: {job.error}")
        channel = self.channels.channel(schedule.channel_id)
        if channel is None or channel.tenant != schedule.tenant or channel.type != "email":
            self.repo.update_delivery(d, state="failed",
                                      error=f"channel {schedule.channel_id!r}: no e-mail "
                                            "channel of this tenant by that id")
            return 0
        message = report_message(schedule, d, job, self.runner.directory / job.id, channel,
                                 period_text(d.period_start_us, d.period_end_us))
        result = send_report(message, channel)
        if result.ok:
            self.repo.update_delivery(d, state="sent", sent_us=self.clock(),
                                      attempts=d.attempts + 1, error=None)
            return 1
        if not result.retryable:
            self.repo.update_delivery(d, state="failed", attempts=d.attempts + 1,
                                      error=result.error)
            return 0
        return self._retry(d, result.error or "")

    def _retry(self, d: Delivery, error: str) -> int:
        attempts = d.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            self.repo.update_delivery(d, state="failed", attempts=attempts, error=error)
        else:
            self.repo.update_delivery(d, attempts=attempts, error=error,
                                      next_attempt_us=self.clock() + _RETRY_US * 2 ** d.attempts)
        return 0
