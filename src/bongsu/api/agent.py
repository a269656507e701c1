"""Real-time active requests and diagnostic captures, from the agents' control channel.

Example::

    app = create_api(settings, store, keys.resolve, routers=[agent_router(registry)])
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter

from bongsu.api import models
from bongsu.api.context import Queries, Tenant
from bongsu.api.params import Instance, Kind, Limit100, Service
from bongsu.api.responses import JSON
from bongsu.control.registry import COMMAND_KINDS, AgentRegistry
from bongsu.errors import InvalidQuery, NotFound
from bongsu.query.params import parse_limit_value
from bongsu.store.reads import CaptureRecord


def agent_router(registry: AgentRegistry) -> APIRouter:
    """Routes over ``registry`` (live state) and the store (captures kept for good)."""
    router = APIRouter(prefix="/api/v1", tags=["real time and diagnostics"])

    @router.get("/active-requests", summary="Requests in flight now, longest first",
                response_model=models.ActiveRequests)
    def active_requests(tenant: Tenant, queries: Queries, service: Service = None,
                        instance: Instance = None) -> JSON:
        rows, instances = registry.active(tenant, service, instance)
        names = queries.instance_names(tenant, [*instances, *(r["instance"] for r in rows)])
        for row in rows:
            row["instance_name"] = names[row["instance"]] = _name(names, row)
        return JSON({"requests": rows, "instances": instances,
                     "instance_names": {i: names[i] for i in instances}})

    @router.post("/captures", status_code=202, response_model=models.CaptureAccepted,
                 summary="Ask an instance's agent for a capture (threads, memory, network, "
                         "files, processes)")
    def request_capture(tenant: Tenant, body: models.CaptureRequest) -> JSON:
        if not body.service:
            raise InvalidQuery("service: required")
        if not body.instance:
            raise InvalidQuery("instance: required")
        if body.kind not in COMMAND_KINDS:
            raise InvalidQuery(f"kind: one of {', '.join(sorted(COMMAND_KINDS))}")
        args = body.args.model_dump(exclude_none=True)
        if "window_s" in args and body.kind != "memory":
            raise InvalidQuery("args.window_s: only for kind memory")
        try:
            capture = registry.request_capture(tenant, body.service, body.instance, body.kind,
                                               args)
        except OverflowError as exc:
            raise InvalidQuery(str(exc)) from None
        return JSON({"id": capture.id, "status": "pending"}, status_code=202)

    @router.get("/captures", summary="Captures, newest first (pending ones first)",
                response_model=models.Captures)
    def list_captures(tenant: Tenant, queries: Queries, service: Service = None,
                      instance: Instance = None, kind: Kind = None, limit: Limit100 = None
                      ) -> JSON:
        pending = [
            {"id": c.id, "service": c.service, "instance": c.instance, "kind": c.kind,
             "status": "pending", "requested_at": int(c.requested_at * 1000)}
            for c in registry.pending(tenant)
            if (not service or c.service == service) and (not instance or c.instance == instance)
            and (not kind or c.kind == kind)
        ]
        stored = [_capture(c) for c in queries.reads.captures(
            tenant, service, instance, kind, parse_limit_value(limit, 100, 1000))]
        rows = pending + stored
        names = queries.instance_names(tenant, (r["instance"] for r in rows))
        for row in rows:
            row["instance_name"] = names[row["instance"]]
        return JSON({"captures": rows})

    @router.get("/captures/{capture_id}", summary="One capture with its payload",
                response_model=models.Capture,
                responses={404: {"model": models.ErrorBody, "description": "Unknown capture"}})
    def one_capture(tenant: Tenant, queries: Queries, capture_id: str) -> JSON:
        row: dict[str, Any] | None = None
        for c in registry.pending(tenant):
            if c.id == capture_id:
                row = {"id": c.id, "service": c.service, "instance": c.instance,
                       "kind": c.kind, "status": "pending",
                       "requested_at": int(c.requested_at * 1000)}
                break
        if row is None:
            found = queries.reads.capture(tenant, capture_id)
            if found is None:
                raise NotFound(f"capture {capture_id!r} not found")
            row = _capture(found)
        row["instance_name"] = queries.instance_names(tenant, [row["instance"]])[row["instance"]]
        return JSON(row)

    return router


def _name(names: dict[str, str], row: dict[str, Any]) -> str:
    """The store's name for the instance; else the agent's host:pid; else the id."""
    instance = str(row["instance"])
    if names[instance] != instance or not row.get("host"):
        return names[instance]
    return f"{row['host']}:{row['pid']}" if row.get("pid") is not None else str(row["host"])


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
