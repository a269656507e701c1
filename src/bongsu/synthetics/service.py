"""The synthetic checks as the server runs them: the definitions, the runner, its lease.

The runner works only on the holder of the lease ``checks`` (``bongsu.meta.lease``) —
its own lease, not the alert engine's: checks run with ``BONGSU_ALERTS=off`` too, and
among replicas the probes' load may land on another replica than the evaluation. With
``BONGSU_CHECKS=off`` no lease is taken and nothing is probed on a schedule ("Run now"
still answers, unstored).

Example::

    checks = SyntheticsService.build(settings, engine, store, reads)
    checks.start()
    ...
    checks.stop()
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from bongsu.meta.lease import Lease, LeaseKeeper, holder_id
from bongsu.settings import Settings
from bongsu.store.base import TelemetryStore
from bongsu.store.reads import Reads
from bongsu.synthetics.repo import CheckRepo
from bongsu.synthetics.runner import Runner

LEASE = "checks"


@dataclass
class SyntheticsService:
    repo: CheckRepo
    runner: Runner
    store: TelemetryStore
    reads: Reads
    lease: LeaseKeeper | None = None

    @classmethod
    def build(cls, settings: Settings, engine: Engine, store: TelemetryStore,
              reads: Reads) -> SyntheticsService:
        repo = CheckRepo(engine)
        keeper = None
        if settings.checks:
            ttl_s, renew_s = settings.alerts_lease()
            keeper = LeaseKeeper(Lease(engine, LEASE, holder_id()), ttl_s, renew_s)
        runner = Runner(repo, store, reads, workers=max(1, settings.check_workers),
                        active=keeper.active if keeper is not None else (lambda: False),
                        retention_s=settings.check_retention_days * 86_400,
                        # A takeover from another replica: no probe in its last interval.
                        handover=(lambda: keeper.handover) if keeper is not None
                        else (lambda: None))
        return cls(repo, runner, store, reads, keeper)

    def start(self) -> None:
        if self.lease is not None:
            self.lease.start()
            self.runner.start()

    def stop(self) -> None:
        """Stop probing (probes in flight finish and are stored), then release the lease."""
        if self.lease is not None:
            self.runner.stop()
            self.lease.stop()
