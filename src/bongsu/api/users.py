"""Service users: ``GET /api/v1/users`` (DAU / WAU / MAU at ``to``, active users, their
series), rolled up from the store's minute and day sketches (:mod:`bongsu.users.counts`).

Example::

    app = create_api(settings, store, authenticator.principal, routers=[users_router()])
    # GET /api/v1/users?service=shop&from=2026-11-01T00:00:00&to=2026-12-01T00:00:00
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from bongsu.api.context import Queries, Tenant
from bongsu.api.models import ErrorBody, Model
from bongsu.api.params import To
from bongsu.api.responses import JSON
from bongsu.errors import NotFound
from bongsu.query.window import Window
from bongsu.users.counts import ACTIVE_WINDOW_US, Count, Point, users_report
from bongsu.users.sketch import PRECISION, relative_error

DEFAULT_WINDOW_US = 30 * 86_400 * 1_000_000


def _d(text: str, **kw: Any) -> Any:
    return Field(description=text, **kw)


class UserCount(Model):
    users: int = _d("Distinct users (exact, or the sketch's estimate rounded)")
    exact: bool = _d("true: counted exactly; false: a HyperLogLog estimate")
    error_bound: float | None = _d(
        "When an estimate: its relative standard error, one sigma (1.04 / sqrt(2^precision)"
        f" = {relative_error(PRECISION):.4f}; the true count is within 3x this 99.7 % of the "
        "time); null when exact")


class UserPoint(Model):
    ts: int = _d("The end of the 5 minutes counted (active users) or the UTC day's start "
                 "(daily), epoch ms")
    users: int = _d("Distinct users")
    exact: bool = _d("false: an estimate within error_bound")


class Users(Model):
    service: str | None = _d("The service; null: every service (a user of two is one user)")
    from_: int = _d("Window start, epoch ms", alias="from")
    to: int = _d("Window end (exclusive), epoch ms: DAU / WAU / MAU and active users are "
                 "as of here")
    dau: UserCount = _d("Distinct users on the UTC day holding to's last instant")
    wau: UserCount = _d("Distinct users on that day and the 6 before")
    mau: UserCount = _d("Distinct users on that day and the 29 before")
    active: UserCount = _d("Distinct users in the 5 whole minutes up to to (the minute "
                           "holding to's last instant and the 4 before): the dashboard's "
                           "active users")
    active_window_s: int = _d("Seconds counted by an active-users figure (300)")
    step_s: int = _d("Seconds between active_series points")
    active_series: list[UserPoint] = _d("Active users at points every step_s back from to "
                                        "(at most 120), oldest first")
    daily: list[UserPoint] = _d("Distinct users per UTC day of the window, oldest first "
                                "(days without users count 0)")
    precision: int = _d("Sketch precision p: 2^p registers once a sketch outgrows exact")
    error_bound: float | None = _d("The largest error_bound of the figures above; null when "
                                   "every one is exact")


UsersFrom = Annotated[str | None, Query(
    alias="from", description="Window start, inclusive: ISO-8601 (UTC without an offset) or "
                              "epoch ms. Default: to - 30 days.")]
UsersService = Annotated[str | None, Query(
    description="Only this service (service.name); default: every service")]


def _count(c: Count) -> dict[str, Any]:
    return {"users": c.users, "exact": c.exact, "error_bound": c.error_bound}


def _point(p: Point) -> dict[str, Any]:
    return {"ts": p.ts_us // 1000, "users": p.count.users, "exact": p.count.exact}


def users_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["service level"])

    @router.get("/users", summary="DAU / WAU / MAU, active users and distinct users per day",
                response_model=Users,
                responses={404: {"model": ErrorBody, "description": "The service never "
                                 "reported"}})
    def users(tenant: Tenant, queries: Queries, service: UsersService = None,
              from_: UsersFrom = None, to: To = None) -> JSON:
        window = queries.window(from_, to)
        if from_ is None:
            window = Window(window.end_us - DEFAULT_WINDOW_US, window.end_us)
        if service is not None and not queries.reads.service_exists(tenant, service):
            raise NotFound(f"service: {service!r} never reported")
        report = users_report(queries.reads, tenant, service, window.start_us, window.end_us)
        figures = (report.dau, report.wau, report.mau, report.active,
                   *(p.count for p in report.active_series), *(p.count for p in report.daily))
        bounds = [c.error_bound for c in figures if c.error_bound is not None]
        return JSON({
            "service": service, "from": window.start_us // 1000, "to": window.end_us // 1000,
            "dau": _count(report.dau), "wau": _count(report.wau), "mau": _count(report.mau),
            "active": _count(report.active), "active_window_s": ACTIVE_WINDOW_US // 1_000_000,
            "step_s": report.step_us // 1_000_000,
            "active_series": [_point(p) for p in report.active_series],
            "daily": [_point(p) for p in report.daily],
            "precision": PRECISION, "error_bound": max(bounds) if bounds else None,
        })

    return router
