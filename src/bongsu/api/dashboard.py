"""Dashboard routes: services, their series and heatmap, drag-select, instances, topology.

Every service route takes ``instance=`` to narrow its figures to one instance.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from bongsu.api import models
from bongsu.api.context import Queries, Tenant
from bongsu.api.params import (
    ErrorsOnly,
    From,
    Instance,
    Level,
    Limit100,
    MaxMs,
    MinMs,
    RateWindow,
    Service,
    Step,
    To,
)
from bongsu.api.responses import JSON
from bongsu.errors import InvalidQuery
from bongsu.query.params import ms_to_us, parse_limit_value
from bongsu.query.window import default_step

router = APIRouter(prefix="/api/v1", tags=["dashboard"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": models.ErrorBody, "description": "The service never reported"}}
_NO_LIMIT_US = 2**62


@router.get("/services", summary="Every service with its figures over the window",
            response_model=models.Services)
def services(
    tenant: Tenant, queries: Queries, from_: From = None, to: To = None,
    instance: Instance = None,
) -> JSON:
    window = queries.window(from_, to)
    return JSON(queries.services(tenant, window, instance))


@router.get("/services/{service}/series", summary="One service's figures per step",
            response_model=models.Series, responses=NOT_FOUND)
def series(
    service: str, tenant: Tenant, queries: Queries, from_: From = None, to: To = None,
    step: Step = None, instance: Instance = None,
) -> JSON:
    window = queries.window(from_, to)
    step_s = default_step(window) if step is None else step
    return JSON(queries.service_series(tenant, service, window, step_s, instance))


@router.get("/services/{service}/heatmap", summary="Transactions per step and duration row",
            response_model=models.Heatmap, responses=NOT_FOUND)
def heatmap(
    service: str, tenant: Tenant, queries: Queries, from_: From = None, to: To = None,
    step: Step = None, instance: Instance = None,
) -> JSON:
    window = queries.window(from_, to)
    step_s = default_step(window) if step is None else step
    return JSON(queries.heatmap(tenant, service, window, step_s, instance))


@router.get(
    "/services/{service}/transactions",
    summary="Transactions in a heatmap selection (time window x duration range)",
    response_model=models.Transactions, responses=NOT_FOUND,
)
def transactions(
    service: str, tenant: Tenant, queries: Queries, from_: From = None, to: To = None,
    min_ms: MinMs = None, max_ms: MaxMs = None, errors_only: ErrorsOnly = None,
    limit: Limit100 = None, instance: Instance = None,
) -> JSON:
    window = queries.window(from_, to)
    low = ms_to_us(min_ms) or 0
    high = ms_to_us(max_ms)
    if high is not None and high < low:
        raise InvalidQuery("max_ms: must not be below min_ms")
    body = queries.transactions(
        tenant, service, window, low, _NO_LIMIT_US if high is None else high,
        bool(errors_only), parse_limit_value(limit, 100, queries.max_rows), instance,
    )
    return JSON(body)


@router.get("/instances", summary="Instances seen in the window, with recent TPS and time",
            response_model=models.Instances)
def instances(
    tenant: Tenant, queries: Queries, service: Service = None, from_: From = None,
    to: To = None, window: RateWindow = None,
) -> JSON:
    w = queries.window(from_, to)
    return JSON(queries.instances(tenant, service, w, 60 if window is None else window))


@router.get("/topology", summary="Service or instance map with databases and external hosts",
            response_model=models.Topology)
def topology(
    tenant: Tenant, queries: Queries, from_: From = None, to: To = None, level: Level = None
) -> JSON:
    window = queries.window(from_, to)
    return JSON(queries.topology(tenant, window, level or "service"))
