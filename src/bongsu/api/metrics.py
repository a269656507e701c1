"""Metric routes: names, and one metric's series."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from bongsu.api import models
from bongsu.api.context import Queries, Tenant
from bongsu.api.params import AggName, From, Instance, Service, Step, To
from bongsu.api.responses import JSON
from bongsu.errors import InvalidQuery
from bongsu.query.window import default_step
from bongsu.store.reads import MetricSearch

router = APIRouter(prefix="/api/v1/metrics", tags=["metrics"])


@router.get("/names", summary="Metric names with points in the window",
            response_model=models.MetricNames)
def names(tenant: Tenant, queries: Queries, from_: From = None, to: To = None) -> JSON:
    return JSON(queries.metric_names(tenant, queries.window(from_, to)))


@router.get("/series", summary="One metric aggregated per step",
            response_model=models.MetricSeries)
def series(
    tenant: Tenant, queries: Queries,
    name: Annotated[str, Query(description="Metric name (required)")],
    service: Service = None, instance: Instance = None, from_: From = None, to: To = None,
    step: Step = None, agg: AggName = None,
) -> JSON:
    if not name:
        raise InvalidQuery("name: required")
    window = queries.window(from_, to)
    step_s = default_step(window) if step is None else step
    aligned = window.aligned(step_s)
    if (aligned.end_us - aligned.start_us) // (step_s * 1_000_000) > queries.max_rows:
        raise InvalidQuery(f"step: more than {queries.max_rows} points; use a larger step")
    search = MetricSearch(
        name=name, start_us=aligned.start_us, end_us=aligned.end_us,
        step_us=step_s * 1_000_000, agg=agg or "avg", service=service, instance=instance,
    )
    return JSON(queries.metric_series(tenant, search))
