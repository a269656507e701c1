"""Real-time active requests and diagnostic captures, from the agents' control channel.

Example::

    app = create_api(settings, store, keys.resolve, routers=[agent_router(registry)])
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from bongsu.api.context import Queries, Tenant
from bongsu.api.dashboard import Text
from bongsu.control.registry import COMMAND_KINDS, AgentRegistry
from bongsu.errors import InvalidQuery, NotFound
from bongsu.query.params import parse_limit
from bongsu.store.reads import CaptureRecord


def agent_router(registry: AgentRegistry) -> APIRouter:
    """Routes over ``registry`` (live state) and the store (captures kept for good)."""
    router = APIRouter(prefix="/api/v1", tags=["real time and diagnostics"])

    @router.get("/active-requests", summary="Requests in flight now, longest first")
    def active_requests(tenant: Tenant, service: Text = None, instance: Text = None
                        ) -> JSONResponse:
        rows, instances = registry.active(tenant, service, instance)
        return JSONResponse({"requests": rows, "instances": instances})

    @router.post("/captures", status_code=202,
                 summary="Ask an instance's agent for a capture (kind: threads)")
    def request_capture(
        tenant: Tenant, body: Annotated[dict[str, Any], Body()]
    ) -> JSONResponse:
        service, instance = body.get("service"), body.get("instance")
        if not isinstance(service, str) or not service:
            raise InvalidQuery("service: required")
        if not isinstance(instance, str) or not instance:
            raise InvalidQuery("instance: required")
        kind = body.get("kind", "threads")
        if kind not in COMMAND_KINDS:
            raise InvalidQuery(f"kind: one of {', '.join(sorted(COMMAND_KINDS))}")
        try:
            capture = registry.request_capture(tenant, service, instance, kind)
        except OverflowError as exc:
            raise InvalidQuery(str(exc)) from None
        return JSONResponse({"id": capture.id, "status": "pending"}, status_code=202)

    @router.get("/captures", summary="Captures, newest first (pending ones first)")
    def list_captures(tenant: Tenant, queries: Queries, service: Text = None,
                      instance: Text = None, kind: Text = None, limit: Text = None
                      ) -> JSONResponse:
        pending = [
            {"id": c.id, "service": c.service, "instance": c.instance, "kind": c.kind,
             "status": "pending", "requested_at": int(c.requested_at * 1000)}
            for c in registry.pending(tenant)
            if (not service or c.service == service) and (not instance or c.instance == instance)
            and (not kind or c.kind == kind)
        ]
        stored = queries.reads.captures(tenant, service, instance, kind,
                                        parse_limit(limit, 100, 1000))
        return JSONResponse({"captures": pending + [_capture(c) for c in stored]})

    @router.get("/captures/{capture_id}", summary="One capture with its payload")
    def one_capture(tenant: Tenant, queries: Queries, capture_id: str) -> JSONResponse:
        for c in registry.pending(tenant):
            if c.id == capture_id:
                return JSONResponse({"id": c.id, "service": c.service, "instance": c.instance,
                                     "kind": c.kind, "status": "pending"})
        found = queries.reads.capture(tenant, capture_id)
        if found is None:
            raise NotFound(f"capture {capture_id!r} not found")
        return JSONResponse(_capture(found))

    return router


def _capture(c: CaptureRecord) -> dict[str, Any]:
    summary = json.loads(c.summary) if c.summary else {}
    row: dict[str, Any] = {
        "id": c.id, "service": c.service, "instance": c.instance, "kind": c.kind,
        "format": c.format, "captured_at": c.ts_us // 1000,
        "status": "done" if summary.get("ok", True) else "failed", "summary": summary,
    }
    if c.payload is not None:
        row["payload"] = json.loads(c.payload)
    return row
