"""Metric routes: names, and one metric's series."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from bongsu.api.context import Queries, Tenant
from bongsu.api.dashboard import From, Step, Text, To
from bongsu.errors import InvalidQuery
from bongsu.query.metrics import AGGS
from bongsu.query.params import parse_choice
from bongsu.query.window import parse_step
from bongsu.store.reads import MetricSearch

router = APIRouter(prefix="/api/v1/metrics", tags=["metrics"])


@router.get("/names", summary="Metric names with points in the window")
def names(tenant: Tenant, queries: Queries, from_: From = None, to: To = None) -> JSONResponse:
    return JSONResponse(queries.metric_names(tenant, queries.window(from_, to)))


@router.get("/series", summary="One metric aggregated per step")
def series(
    tenant: Tenant, queries: Queries, name: Text = None, service: Text = None,
    instance: Text = None, from_: From = None, to: To = None, step: Step = None,
    agg: Text = None,
) -> JSONResponse:
    if not name:
        raise InvalidQuery("name: required")
    window = queries.window(from_, to)
    step_s = parse_step(step, window)
    aligned = window.aligned(step_s)
    if (aligned.end_us - aligned.start_us) // (step_s * 1_000_000) > queries.max_rows:
        raise InvalidQuery(f"step: more than {queries.max_rows} points; use a larger step")
    search = MetricSearch(
        name=name, start_us=aligned.start_us, end_us=aligned.end_us,
        step_us=step_s * 1_000_000, agg=parse_choice("agg", agg, AGGS, "avg"),
        service=service, instance=instance,
    )
    return JSONResponse(queries.metric_series(tenant, search))
