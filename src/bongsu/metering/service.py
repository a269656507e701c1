"""Metering as the server runs it: the store's metering side, the rate card, the job and
the lease ``metering`` that lets only one replica run it.

Example::

    service = MeteringService.build(settings, engine, store, hub)
    service.start()
    metering_router(service)
    service.stop()
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from bongsu.kube.model import KubeView
from bongsu.meta.lease import Lease, LeaseKeeper, holder_id
from bongsu.metering.job import MeteringJob
from bongsu.metering.rates import RateRepo
from bongsu.settings import Settings
from bongsu.store.metering import Metering, metering_of


@dataclass
class MeteringService:
    meter: Metering  # the job's: long time limit, large row cap
    reads: Metering  # the API's: the query limits every API read has
    rates: RateRepo
    job: MeteringJob
    lease: LeaseKeeper | None = None

    @classmethod
    def build(cls, settings: Settings, engine: Engine, store: Any,
              view: KubeView) -> MeteringService:
        # An hour of a 10,000-pod cluster is ~1.8 M minute rows read by one query: the
        # API's 10 s limit and row cap are for interactive reads, not this.
        meter = metering_of(store, timeout_s=120.0, max_rows=2_000_000)
        ttl_s, renew_s = settings.alerts_lease()
        keeper = LeaseKeeper(Lease(engine, "metering", holder_id()), ttl_s, renew_s)
        job = MeteringJob(meter, view, settings.kube_tenant, settings.metering_team_label,
                          settings.metering_interval_seconds, active=keeper.active)
        reads = metering_of(store, settings.query_timeout_seconds, settings.query_max_rows)
        return cls(meter, reads, RateRepo(engine), job, keeper)

    def start(self) -> None:
        if self.lease is not None:
            self.lease.start()
        self.job.start()

    def stop(self) -> None:
        self.job.stop()
        if self.lease is not None:
            self.lease.stop()  # released once the job is stopped: a standby takes over
