"""Trace search, trace detail and log search routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from bongsu.api import models
from bongsu.api.context import Queries, Tenant
from bongsu.api.params import (
    Attributes,
    From,
    Limit20,
    Limit100,
    MaxMs,
    MinMs,
    Service,
    Severity,
    SpanName,
    To,
    TraceIdPath,
    TraceIdQuery,
    TraceStatus,
)
from bongsu.api.responses import JSON
from bongsu.errors import InvalidQuery
from bongsu.query.ids import split_trace_id
from bongsu.query.logs import parse_severity
from bongsu.query.params import ms_to_us, parse_attributes, parse_limit_value
from bongsu.store.reads import LogSearch, TraceSearch

router = APIRouter(prefix="/api/v1", tags=["traces and logs"])


@router.get("/traces", summary="Traces with a span matching every filter, newest first",
            response_model=models.Traces)
def find_traces(
    tenant: Tenant, queries: Queries, from_: From = None, to: To = None,
    service: Service = None, name: SpanName = None, status: TraceStatus = None,
    min_ms: MinMs = None, max_ms: MaxMs = None, attr: Attributes = None,
    limit: Limit20 = None,
) -> JSON:
    window = queries.window(from_, to)
    low, high = ms_to_us(min_ms), ms_to_us(max_ms)
    if low is not None and high is not None and high < low:
        raise InvalidQuery("max_ms: must not be below min_ms")
    search = TraceSearch(
        start_us=window.start_us, end_us=window.end_us,
        limit=parse_limit_value(limit, 20, queries.max_rows),
        service=service, name=name,
        error=None if status is None else status == "error",
        min_us=low, max_us=high, attributes=parse_attributes(attr or []),
    )
    return JSON(queries.find_traces(tenant, search))


@router.get("/traces/{trace_id}", summary="Every span of a trace, and its logs",
            response_model=models.TraceDetail,
            responses={404: {"model": models.ErrorBody, "description": "Unknown trace"}})
def trace(trace_id: TraceIdPath, tenant: Tenant, queries: Queries) -> JSON:
    return JSON(queries.trace(tenant, int(trace_id, 16)))


@router.get("/logs", summary="Log records matching every filter, newest first",
            response_model=models.Logs)
def logs(
    tenant: Tenant, queries: Queries, from_: From = None, to: To = None,
    service: Service = None, trace_id: TraceIdQuery = None, severity: Severity = None,
    q: Annotated[str | None, Query(description="Text in the body (any case)")] = None,
    limit: Limit100 = None,
) -> JSON:
    window = queries.window(from_, to)
    trace = split_trace_id(int(trace_id, 16)) if trace_id else None
    search = LogSearch(
        start_us=window.start_us, end_us=window.end_us,
        limit=parse_limit_value(limit, 100, queries.max_rows), service=service, trace=trace,
        min_severity=parse_severity(severity), text=q or None,
    )
    return JSON(queries.logs(tenant, search))
