"""The alert engine's route: whether it runs here, and which replica holds its lease.

Replicas sharing one metadata database all run the evaluator and the dispatcher, but only
the holder of the lease ``alerts`` (:mod:`bongsu.meta.lease`) lets them work; this route
says which replica that is, and whether it is the one answering.

Example::

    app = create_api(settings, store, authenticator.principal,
                     routers=[engine_router(keeper, enabled=settings.alerts)])
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from bongsu.api.context import current_tenant
from bongsu.api.models import Model, _f
from bongsu.api.responses import JSON
from bongsu.meta.lease import LeaseKeeper


class EngineLease(Model):
    name: str = _f("The lease's name (alerts)")
    holder: str = _f("The replica that holds it, or held it last: host/pid/random, then "
                    ";proc=BOOT_ID/PIDNS/PID/START where /proc tells them")
    held: bool = _f("Whether it is held now: false once it expired or was released")
    expires_ms: int = _f("When it expires unless renewed, epoch ms (0: released)")
    acquired_ms: int = _f("When this holder took it, epoch ms")
    renewed_ms: int = _f("The holder's last renewal, epoch ms")
    epoch: int = _f("How many times it changed hands (1: the first holder)")


class AlertEngine(Model):
    enabled: bool = _f("BONGSU_ALERTS: whether this server runs an evaluator and dispatcher")
    replica: str | None = _f("This server's name as a lease holder (null: engine off)")
    active: bool = _f("Whether this server evaluates rules and sends notifications now")
    lease_ttl_s: float | None = _f("BONGSU_ALERTS_LEASE_TTL_SECONDS (null: engine off)")
    lease_renew_s: float | None = _f("BONGSU_ALERTS_LEASE_RENEW_SECONDS (null: engine off)")
    lease: EngineLease | None = _f("The lease as the metadata database has it (null: "
                                   "nobody has taken it yet)")


def engine_router(keeper: LeaseKeeper | None = None) -> APIRouter:
    """The engine route over ``keeper`` (None: the engine is off on this server)."""
    router = APIRouter(prefix="/api/v1", tags=["alerts"])

    @router.get("/alerts/engine", response_model=AlertEngine,
                summary="The alert engine here, and which replica holds its lease",
                # Not tenant data, but only for callers with a key (when keys exist).
                dependencies=[Depends(current_tenant)])
    def engine() -> JSON:
        if keeper is None:
            return JSON({"enabled": False, "replica": None, "active": False,
                         "lease_ttl_s": None, "lease_renew_s": None, "lease": None})
        state = keeper.lease.state()
        lease: dict[str, Any] | None = None
        if state is not None:
            lease = {"name": state.name, "holder": state.holder,
                     "held": state.expires_us > keeper.lease.now_us(),
                     "expires_ms": state.expires_us // 1000,
                     "acquired_ms": state.acquired_us // 1000,
                     "renewed_ms": state.renewed_us // 1000, "epoch": state.epoch}
        return JSON({"enabled": True, "replica": keeper.holder, "active": keeper.active(),
                     "lease_ttl_s": keeper.ttl_s, "lease_renew_s": keeper.renew_s,
                     "lease": lease})

    return router


__all__ = ["AlertEngine", "EngineLease", "engine_router"]
