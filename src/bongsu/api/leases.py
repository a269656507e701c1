"""The leases' route: which replica runs which singleton job.

Replicas sharing one metadata database each build every singleton job, but a job works
only on the holder of its lease (:mod:`bongsu.meta.lease` lists them); this route says,
per lease, the jobs it gates, which replica holds it, and whether that is the one
answering.

Example::

    app = create_api(settings, store, authenticator.principal,
                     routers=[leases_router(replica_name(), [Gated(keeper, ("alerts",))])])
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends

from bongsu.api.context import current_tenant
from bongsu.api.engine import EngineLease
from bongsu.api.models import Model, _f
from bongsu.api.responses import JSON
from bongsu.meta.lease import LeaseKeeper


@dataclass(frozen=True, slots=True)
class Gated:
    """A lease this server tries for, and the jobs it gates."""

    keeper: LeaseKeeper
    jobs: tuple[str, ...]


class LeaseView(Model):
    name: str = _f("The lease's name")
    jobs: list[str] = _f("The singleton jobs that work only on its holder")
    active: bool = _f("Whether this server holds it now and runs those jobs")
    replica: str = _f("This server's name as its holder")
    takeovers: int = _f("How many times this server took it (from nobody or another)")
    lease: EngineLease | None = _f("The lease as the metadata database has it (null: "
                                   "nobody has taken it yet)")


class Leases(Model):
    replica: str = _f("This server: host/pid, the start of each of its holder names")
    ttl_s: float | None = _f("BONGSU_ALERTS_LEASE_TTL_SECONDS: a dead holder's lease is "
                             "taken over after this at the latest (null: no lease here)")
    renew_s: float | None = _f("BONGSU_ALERTS_LEASE_RENEW_SECONDS (null: no lease here)")
    leases: list[LeaseView] = _f("Every lease this server tries for, by name")


def replica_name() -> str:
    """This process as the leases' holder names begin: ``host/pid``."""
    return f"{socket.gethostname()}/{os.getpid()}"


def lease_state(keeper: LeaseKeeper) -> dict[str, Any] | None:
    """The lease's row as the API shows it (None before anyone took it)."""
    state = keeper.lease.state()
    if state is None:
        return None
    return {"name": state.name, "holder": state.holder,
            "held": state.expires_us > keeper.lease.now_us(),
            "expires_ms": state.expires_us // 1000, "acquired_ms": state.acquired_us // 1000,
            "renewed_ms": state.renewed_us // 1000, "epoch": state.epoch}


def leases_router(replica: str, gated: Sequence[Gated]) -> APIRouter:
    """The leases route over the leases ``gated`` of the server named ``replica``."""
    router = APIRouter(prefix="/api/v1", tags=["leases"])
    ordered = sorted(gated, key=lambda g: g.keeper.lease.name)

    @router.get("/leases", response_model=Leases,
                summary="Which replica holds which singleton job's lease",
                # Not tenant data, but only for callers with a key (when keys exist).
                dependencies=[Depends(current_tenant)])
    def leases() -> JSON:
        first = ordered[0].keeper if ordered else None
        return JSON({
            "replica": replica,
            "ttl_s": first.ttl_s if first else None,
            "renew_s": first.renew_s if first else None,
            "leases": [{"name": g.keeper.lease.name, "jobs": list(g.jobs),
                        "active": g.keeper.active(), "replica": g.keeper.holder,
                        "takeovers": g.keeper.takeovers, "lease": lease_state(g.keeper)}
                       for g in ordered],
        })

    return router


__all__ = ["Gated", "LeaseView", "Leases", "lease_state", "leases_router", "replica_name"]
