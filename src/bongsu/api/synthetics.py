"""Synthetic check routes: the checks, their results, and "run now".

Every route is scoped to the caller's tenant; another tenant's check is a 404. A check
body is checked by ``bongsu.synthetics.definition`` and a wrong field is a 400 naming it
(``"conditions[1].op: ..."``, ``"target.url: ..."``). Timestamps are epoch milliseconds.

``GET /checks`` lists each check with its latest result (its state) and its recent
response times (up to the last 30 results); ``GET /checks/{id}/results`` the results in a
window — the first may be from before ``from``: it is the result in force at ``from``
(a result's status holds until the next one). ``POST /checks/{id}/run`` probes now and
answers the result (stored, and counted toward the thresholds, on the runner's replica).

Example::

    router = synthetics_router(SyntheticsService.build(settings, engine, store, reads))
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import Field

from bongsu.api import models
from bongsu.api.body import BodyModel
from bongsu.api.context import Tenant
from bongsu.api.params import MAX_LIMIT
from bongsu.api.responses import JSON
from bongsu.errors import RuleError, StoreError
from bongsu.store.reads import Reads
from bongsu.synthetics.definition import check_from_dict, check_to_dict
from bongsu.synthetics.model import Check, CheckResult
from bongsu.synthetics.repo import new_check_id
from bongsu.synthetics.service import SyntheticsService
from bongsu.synthetics.types import check_type

_MS = ", epoch ms"
MAX_MS = 2**62 // 1000
RESULTS_DEFAULT_S = 86_400
RECENT = 30
StatusName = Literal["up", "down", "unknown"]


def _d(text: str, **kw: Any) -> Any:
    return Field(description=text, **kw)


class Result(BodyModel):
    """One probe's result (or an explicit unknown span the server did not probe)."""

    ts_ms: int = _d("When the probe started (an unknown row: when the missed probe was due)"
                    + _MS)
    status: StatusName = _d("This probe's verdict; unknown: the server did not probe in time")
    state: StatusName = _d("The check's state after it, thresholds applied")
    duration_ms: float | None = _d("Response time in ms, from the probe's start to the "
                                   "response read or the failure (TCP: time to connect); "
                                   "null on an unknown row the server did not probe")
    status_code: int | None = _d("HTTP status code")
    failed_condition: str | None = _d("The condition that failed (any: every one)")
    error: str | None = _d("Why the target could not be probed (refused, timed out, TLS)")
    tls_days_left: float | None = _d("Days until the server's certificate expires "
                                     "(null: not HTTPS, or not read)")


class CheckOut(BodyModel):
    """A check as stored, with its latest result."""

    id: str = _d("Check id")
    name: str = _d("Name")
    type: str = _d("http, tcp, or a registered type")
    target: dict[str, Any] = _d("The type's fields (http: url, method, headers, body, "
                                "timeout_s, follow_redirects, verify_tls; tcp: host, port, "
                                "timeout_s)")
    target_text: str = _d("The target in one line (method and URL, tcp://host:port)")
    conditions: list[dict[str, Any]] = _d("Conditions: on, op, value (json: path)")
    combine: Literal["all", "any"] = _d("all: every condition must hold; any: one")
    interval_s: float = _d("Seconds between probes (10 to 86400)")
    failure_threshold: int = _d("Consecutive failures before the state is down")
    success_threshold: int = _d("Consecutive successes before the state is up")
    enabled: bool = _d("Probed when true")
    created_ms: int = _d("Created" + _MS)
    updated_ms: int = _d("Last changed" + _MS)
    state: StatusName = _d("The check's state (its latest result's); unknown with none")
    last: Result | None = _d("The latest result")
    recent: list[Result] = _d(f"Up to the last {RECENT} results, oldest first")


class Checks(BodyModel):
    checks: list[CheckOut] = _d("The tenant's checks, each with its state and recent "
                                "results")


class Results(BodyModel):
    check_id: str = _d("Check id")
    results: list[Result] = _d("Oldest first; the first may be the one in force at from")


CheckId = Annotated[str, PathParam(description="Check id", min_length=1, max_length=64)]
From = Annotated[Annotated[int, Field(ge=0, le=MAX_MS)] | None, Query(
    alias="from", description="Results at or after this, epoch ms. Default 24 h ago.")]
To = Annotated[Annotated[int, Field(ge=0, le=MAX_MS)] | None, Query(
    description="Results before this, epoch ms. Default: now.")]
Limit = Annotated[Annotated[int, Field(ge=1, le=MAX_LIMIT)] | None, Query(
    description=f"Most results: 1 to {MAX_LIMIT}. Default {MAX_LIMIT}.")]
CheckBody = Annotated[dict[str, Any], Body(
    description="name, type, target (required); conditions, combine, interval_s, "
                "failure_threshold, success_threshold, enabled",
    # On loopback (Bongsu's own health endpoint): an example is also what API tests send,
    # and a check made from it is probed.
    examples=[{"name": "Bongsu health", "type": "http", "interval_s": 30,
               "target": {"url": "http://127.0.0.1:8080/healthz", "timeout_s": 5},
               "conditions": [{"on": "status", "op": "==", "value": 200},
                              {"on": "json", "path": "$.status", "op": "equals",
                               "value": "ok"},
                              {"on": "response_time_ms", "op": "<", "value": 1000}],
               "failure_threshold": 2}])]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": models.ErrorBody, "description": "No such check in the tenant"}}


def synthetics_router(backend: SyntheticsService | None = None) -> APIRouter:
    """The check routes over ``backend`` (None: the schema's app, which never calls one)."""
    router = APIRouter(prefix="/api/v1", tags=["synthetics"])

    def parts() -> SyntheticsService:
        if backend is None:
            raise StoreError("synthetic checks are not running")
        return backend

    @router.get("/checks", summary="The tenant's synthetic checks with their state",
                response_model=Checks)
    def list_checks(tenant: Tenant) -> JSON:
        b = parts()
        found = b.repo.list(tenant)
        latest = {r.check_id: r for r in b.reads.latest_check_results(tenant, None)}
        return JSON({"checks": [_check(c, latest.get(c.id), b.reads) for c in found]})

    @router.post("/checks", summary="Create a check (errors name the field)",
                 status_code=201, response_model=CheckOut)
    def create_check(tenant: Tenant, body: CheckBody) -> JSON:
        b = parts()
        check = b.repo.put(check_from_dict(body, tenant=tenant, check_id=new_check_id()))
        b.runner.changed()
        return JSON(_check(check, None, b.reads), status_code=201)

    @router.get("/checks/{check_id}", summary="One check with its state",
                response_model=CheckOut, responses=NOT_FOUND)
    def get_check(check_id: CheckId, tenant: Tenant) -> Response:
        b = parts()
        check = b.repo.get(tenant, check_id)
        if check is None:
            return _missing(check_id)
        return JSON(_check(check, _latest(b.reads, check), b.reads))

    @router.put("/checks/{check_id}", summary="Replace a check",
                response_model=CheckOut, responses=NOT_FOUND)
    def put_check(check_id: CheckId, tenant: Tenant, body: CheckBody) -> Response:
        b = parts()
        before = b.repo.get(tenant, check_id)
        if before is None:
            return _missing(check_id)
        check = b.repo.put(check_from_dict(body, tenant=tenant, check_id=check_id))
        if before.enabled and not check.enabled:
            b.runner.paused(check, "check disabled")
        b.runner.changed()
        return JSON(_check(check, _latest(b.reads, check), b.reads))

    @router.delete("/checks/{check_id}", summary="Delete a check and its results",
                   status_code=204, response_class=Response, responses=NOT_FOUND)
    def delete_check(check_id: CheckId, tenant: Tenant) -> Response:
        b = parts()
        if not b.repo.delete(tenant, check_id):
            return _missing(check_id)
        b.store.delete_check_results(tenant, check_id)
        b.runner.changed()
        return Response(status_code=204)

    @router.get("/checks/{check_id}/results", summary="A check's results in a window",
                response_model=Results, responses=NOT_FOUND)
    def results(check_id: CheckId, tenant: Tenant, from_: From = None, to: To = None,
                limit: Limit = None) -> Response:
        b = parts()
        if b.repo.get(tenant, check_id) is None:
            return _missing(check_id)
        end_us = _now_us() if to is None else to * 1000
        start_us = end_us - RESULTS_DEFAULT_S * 1_000_000 if from_ is None else from_ * 1000
        if end_us < start_us:
            raise RuleError("to", "must not be before from")
        rows = b.reads.check_results(tenant, check_id, start_us, end_us, limit or MAX_LIMIT)
        return JSON({"check_id": check_id, "results": [_result(r) for r in rows]})

    @router.post("/checks/{check_id}/run", summary="Probe the check now; the result",
                 response_model=Result, responses=NOT_FOUND)
    def run(check_id: CheckId, tenant: Tenant) -> Response:
        b = parts()
        check = b.repo.get(tenant, check_id)
        if check is None:
            return _missing(check_id)
        return JSON(_result(b.runner.run_now(check)))

    return router


def _latest(reads: Reads, check: Check) -> CheckResult | None:
    found = reads.latest_check_results(check.tenant, [check.id])
    return found[0] if found else None


def _check(check: Check, last: CheckResult | None, reads: Reads) -> dict[str, Any]:
    recent: list[CheckResult] = []
    if last is not None:
        start_us = last.ts_us - int(check.interval_s * 1_000_000) * RECENT
        recent = reads.check_results(check.tenant, check.id, start_us, last.ts_us + 1,
                                     RECENT * 2)[-RECENT:]
    return {"id": check.id, **check_to_dict(check),
            "target_text": check_type(check.type).describe(check.target),
            "created_ms": check.created_us // 1000, "updated_ms": check.updated_us // 1000,
            "state": last.state if last is not None else "unknown",
            "last": _result(last) if last is not None else None,
            "recent": [_result(r) for r in recent]}


def _result(r: CheckResult) -> dict[str, Any]:
    return {"ts_ms": r.ts_us // 1000, "status": r.status, "state": r.state,
            "duration_ms": r.duration_ms, "status_code": r.status_code,
            "failed_condition": r.failed_condition, "error": r.error,
            "tls_days_left": r.tls_days_left}


def _missing(check_id: str) -> JSON:
    return JSON({"detail": f"no check {check_id!r} in this tenant"}, status_code=404)


def _now_us() -> int:
    return time.time_ns() // 1000
