"""Trace search, trace detail and log search routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from bongsu.api.context import Queries, Tenant
from bongsu.api.dashboard import From, Text, To
from bongsu.errors import InvalidQuery
from bongsu.query.ids import split_trace_id
from bongsu.query.logs import parse_severity
from bongsu.query.params import (
    ms_to_us,
    parse_attributes,
    parse_choice,
    parse_float,
    parse_hex_id,
    parse_limit,
)
from bongsu.store.reads import LogSearch, TraceSearch

router = APIRouter(prefix="/api/v1", tags=["traces and logs"])


@router.get("/traces", summary="Traces with a span matching every filter, newest first")
def find_traces(
    tenant: Tenant, queries: Queries, from_: From = None, to: To = None,
    service: Text = None, name: Text = None,
    status: Annotated[str | None, Query(description="error or ok")] = None,
    min_ms: Text = None, max_ms: Text = None,
    attr: Annotated[list[str] | None, Query(description="KEY:VALUE, repeatable")] = None,
    limit: Text = None,
) -> JSONResponse:
    window = queries.window(from_, to)
    low = ms_to_us(parse_float("min_ms", min_ms))
    high = ms_to_us(parse_float("max_ms", max_ms))
    if low is not None and high is not None and high < low:
        raise InvalidQuery("max_ms: must not be below min_ms")
    chosen = parse_choice("status", status, ("error", "ok"), "any") if status else None
    search = TraceSearch(
        start_us=window.start_us, end_us=window.end_us,
        limit=parse_limit(limit, 20, queries.max_rows),
        service=service, name=name,
        error=None if chosen is None else chosen == "error",
        min_us=low, max_us=high, attributes=parse_attributes(attr or []),
    )
    return JSONResponse(queries.find_traces(tenant, search))


@router.get("/traces/{trace_id}", summary="Every span of a trace, and its logs")
def trace(trace_id: str, tenant: Tenant, queries: Queries) -> JSONResponse:
    return JSONResponse(queries.trace(tenant, parse_hex_id("trace_id", trace_id, 32)))


@router.get("/logs", summary="Log records matching every filter, newest first")
def logs(
    tenant: Tenant, queries: Queries, from_: From = None, to: To = None,
    service: Text = None, trace_id: Text = None,
    severity: Annotated[
        str | None, Query(description="Minimum: trace|debug|info|warn|error|fatal or 1-24")
    ] = None,
    q: Annotated[str | None, Query(description="Text in the body (any case)")] = None,
    limit: Text = None,
) -> JSONResponse:
    window = queries.window(from_, to)
    trace = split_trace_id(parse_hex_id("trace_id", trace_id, 32)) if trace_id else None
    search = LogSearch(
        start_us=window.start_us, end_us=window.end_us,
        limit=parse_limit(limit, 100, queries.max_rows), service=service, trace=trace,
        min_severity=parse_severity(severity), text=q or None,
    )
    return JSONResponse(queries.logs(tenant, search))
