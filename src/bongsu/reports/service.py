"""The reports subsystem as the server runs it: the repo, the on-demand worker, and the
scheduler on the lease ``reports``.

On-demand jobs are built by the server that took the request (its files are in its data
directory); scheduled ones only by the lease holder.

Example::

    reports = ReportsService.build(settings, engine, sources, notify)
    reports.start()
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bongsu.meta.lease import Lease, LeaseKeeper, holder_id
from bongsu.reports.jobs import JobRunner
from bongsu.reports.kinds import KindRegistry, default_kinds
from bongsu.reports.model import Sources
from bongsu.reports.repo import ReportRepo
from bongsu.reports.scheduler import Scheduler
from bongsu.settings import Settings


@dataclass
class ReportsService:
    repo: ReportRepo
    kinds: KindRegistry
    runner: JobRunner
    scheduler: Scheduler
    lease: LeaseKeeper

    @classmethod
    def build(cls, settings: Settings, engine: Engine, sources: Sources, channels: object,
              kinds: KindRegistry | None = None) -> ReportsService:
        repo = ReportRepo(engine)
        registry = kinds or default_kinds()
        holder = holder_id()
        runner = JobRunner(repo, registry, sources, settings.data_dir / "reports",
                           chromium=settings.reports_chromium, runner=holder,
                           retention_days=settings.reports_retention_days)
        ttl_s, renew_s = settings.alerts_lease()
        keeper = LeaseKeeper(Lease(engine, "reports", holder), ttl_s, renew_s)
        scheduler = Scheduler(repo, runner, channels,
                              interval_s=settings.reports_interval_seconds,
                              active=keeper.active)
        return cls(repo, registry, runner, scheduler, keeper)

    def start(self) -> None:
        self.runner.start()
        self.lease.start()
        self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.stop()
        self.runner.stop()
        self.lease.stop()  # released once nothing it gates runs: a standby takes over
