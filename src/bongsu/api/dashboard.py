"""Dashboard routes: services, their series and heatmap, drag-select, instances, topology."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from bongsu.api.context import Queries, Tenant
from bongsu.errors import InvalidQuery
from bongsu.query.params import (
    ms_to_us,
    parse_bool,
    parse_choice,
    parse_float,
    parse_int,
    parse_limit,
)
from bongsu.query.topology import LEVELS
from bongsu.query.window import parse_step

router = APIRouter(prefix="/api/v1", tags=["dashboard"])

From = Annotated[
    str | None,
    Query(alias="from", description="Window start: ISO-8601 or epoch ms (default: to - 15 min)"),
]
To = Annotated[str | None, Query(description="Window end: ISO-8601 or epoch ms (default: now)")]
Step = Annotated[
    str | None, Query(description="Seconds per point, a multiple of 10 (default: ~120 points)")
]
Text = Annotated[str | None, Query()]
_NO_LIMIT_US = 2**62


@router.get("/services", summary="Every service with its figures over the window")
def services(tenant: Tenant, queries: Queries, from_: From = None, to: To = None) -> JSONResponse:
    window = queries.window(from_, to)
    return JSONResponse(queries.services(tenant, window))


@router.get("/services/{service}/series", summary="One service's figures per step")
def series(
    service: str, tenant: Tenant, queries: Queries, from_: From = None, to: To = None,
    step: Step = None,
) -> JSONResponse:
    window = queries.window(from_, to)
    step_s = parse_step(step, window)
    return JSONResponse(queries.service_series(tenant, service, window, step_s))


@router.get("/services/{service}/heatmap", summary="Transactions per step and duration row")
def heatmap(
    service: str, tenant: Tenant, queries: Queries, from_: From = None, to: To = None,
    step: Step = None,
) -> JSONResponse:
    window = queries.window(from_, to)
    step_s = parse_step(step, window)
    return JSONResponse(queries.heatmap(tenant, service, window, step_s))


@router.get(
    "/services/{service}/transactions",
    summary="Transactions in a heatmap selection (time window x duration range)",
)
def transactions(
    service: str, tenant: Tenant, queries: Queries, from_: From = None, to: To = None,
    min_ms: Text = None, max_ms: Text = None, errors_only: Text = None, limit: Text = None,
) -> JSONResponse:
    window = queries.window(from_, to)
    low = ms_to_us(parse_float("min_ms", min_ms)) or 0
    high = ms_to_us(parse_float("max_ms", max_ms))
    if high is not None and high < low:
        raise InvalidQuery("max_ms: must not be below min_ms")
    body = queries.transactions(
        tenant, service, window, low, _NO_LIMIT_US if high is None else high,
        parse_bool("errors_only", errors_only), parse_limit(limit, 100, queries.max_rows),
    )
    return JSONResponse(body)


@router.get("/instances", summary="Instances seen in the window, with recent TPS and time")
def instances(
    tenant: Tenant, queries: Queries, service: Text = None, from_: From = None, to: To = None,
    window: Annotated[
        str | None, Query(description="Seconds of recent traffic for tps/avg (default 60)")
    ] = None,
) -> JSONResponse:
    w = queries.window(from_, to)
    rate_window = parse_int("window", window, 60, 10, 86_400)
    if rate_window % 10:
        raise InvalidQuery(f"window: must be a multiple of 10 seconds, got {rate_window}")
    return JSONResponse(queries.instances(tenant, service, w, rate_window))


@router.get("/topology", summary="Service or instance map with databases and external hosts")
def topology(
    tenant: Tenant, queries: Queries, from_: From = None, to: To = None, level: Text = None
) -> JSONResponse:
    window = queries.window(from_, to)
    chosen = parse_choice("level", level, LEVELS, "service")
    return JSONResponse(queries.topology(tenant, window, chosen))
