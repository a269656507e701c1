"""Real-time active requests and diagnostic captures, from the agents' control channel.

Captures: ``POST /api/v1/captures`` asks an agent (kept pending until it answers), or with
``cluster``/``namespace``/``pod`` takes one in the pod through the Kubernetes exec API
(``bongsu.diagnostics.pod_exec``; stored before the answer);
``GET /api/v1/captures`` lists them (pending first, then stored, newest first);
``GET /api/v1/captures/{id}`` has the document and its analysis (``bongsu.diagnostics``);
``GET /api/v1/captures/compare?base=&other=`` compares two stored captures of one kind.
Another tenant's captures are not found (404), never shown.

Example::

    app = create_api(settings, store, authenticator.principal, routers=[agent_router(registry)])
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter

from bongsu import diagnostics
from bongsu.api import models
from bongsu.api.context import Queries, Tenant
from bongsu.api.params import CaptureId, From, Instance, Kind, Limit100, Service, To
from bongsu.api.responses import JSON
from bongsu.control.registry import COMMAND_KINDS, AgentRegistry, PendingCapture
from bongsu.diagnostics.captures import analysis_of, document_of
from bongsu.diagnostics.pod_exec import pod_capture
from bongsu.errors import InvalidQuery, NotFound
from bongsu.query.params import parse_limit_value
from bongsu.query.window import parse_time
from bongsu.store.base import TelemetryStore
from bongsu.store.reads import CaptureRecord

if TYPE_CHECKING:
    from bongsu.kube.hub import KubeHub


def agent_router(registry: AgentRegistry, kube: KubeHub | None = None,
                 store: TelemetryStore | None = None) -> APIRouter:
    """Routes over ``registry`` (live state) and the store (captures kept for good);
    with ``kube`` and ``store``, a pod's capture through the exec API too."""
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
                         "files, processes)",
                 responses={503: {"model": models.ErrorBody,
                                  "description": "The store is unavailable, or (a pod's "
                                                 "capture) its cluster's API server is "
                                                 "unreachable: the cluster and why"}})
    def request_capture(tenant: Tenant, body: models.CaptureRequest) -> JSON:
        if body.cluster or body.namespace or body.pod or body.container:
            if kube is None or store is None:
                raise InvalidQuery("cluster: this server watches no Kubernetes cluster")
            if body.args.window_s is not None:
                raise InvalidQuery("args.window_s: only for an agent's memory capture")
            capture_id = pod_capture(kube, store, tenant, body.cluster, body.namespace,
                                     body.pod, body.container or None, body.kind,
                                     body.args.pid or 1)
            return JSON({"id": capture_id, "status": "done"}, status_code=202)
        if body.args.pid is not None:
            raise InvalidQuery("args.pid: only for a pod's capture (with cluster)")
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
                      instance: Instance = None, kind: Kind = None, from_: From = None,
                      to: To = None, limit: Limit100 = None) -> JSON:
        start_us = parse_time("from", from_) if from_ is not None else None
        end_us = parse_time("to", to) if to is not None else None
        if start_us is not None and end_us is not None and start_us >= end_us:
            raise InvalidQuery("from: must be before to")
        pending = [
            _pending(c) for c in registry.pending(tenant)
            if (not service or c.service == service) and (not instance or c.instance == instance)
            and (not kind or c.kind == kind)
            and (start_us is None or c.requested_at * 1e6 >= start_us)
            and (end_us is None or c.requested_at * 1e6 < end_us)
        ]
        stored = [_capture(c) for c in queries.reads.captures(
            tenant, service, instance, kind, parse_limit_value(limit, 100, 1000), start_us,
            end_us)]
        rows = pending + stored
        names = queries.instance_names(tenant, (r["instance"] for r in rows))
        for row in rows:
            row["instance_name"] = names[row["instance"]]
        return JSON({"captures": rows})

    @router.get("/captures/compare", response_model=models.CaptureComparison,
                summary="What changed between two stored captures of one kind (memory: the "
                        "types and allocation sites that grew, as leak suspects)",
                responses={404: {"model": models.ErrorBody, "description": "Unknown capture"}})
    def compare_captures(tenant: Tenant, queries: Queries, base: CaptureId,
                         other: CaptureId) -> JSON:
        pending = {c.id for c in registry.pending(tenant)}
        found = {}
        for name, capture_id in (("base", base), ("other", other)):
            if capture_id in pending:
                raise InvalidQuery(f"{name}: capture {capture_id!r} is still pending")
            record = queries.reads.capture(tenant, capture_id)
            if record is None:
                raise NotFound(f"{name}: capture {capture_id!r} not found")
            row = _capture(record)
            if row["status"] == "failed":
                raise InvalidQuery(f"{name}: capture {capture_id!r} failed: "
                                   f"{row['summary'].get('error') or 'no document'}")
            found[name] = (record, row)
        (b_rec, b_row), (o_rec, o_row) = found["base"], found["other"]
        if o_rec.kind != b_rec.kind:
            raise InvalidQuery(f"other: a {o_rec.kind} capture; base is a {b_rec.kind} capture "
                               "(compare needs two of one kind)")
        comparison = diagnostics.compare(document_of(b_rec), document_of(o_rec), b_rec.kind)
        names = queries.instance_names(tenant, [b_row["instance"], o_row["instance"]])
        for row in (b_row, o_row):
            row["instance_name"] = names[row["instance"]]
        return JSON({"kind": b_rec.kind, "base": b_row, "other": o_row,
                     "comparison": comparison})

    @router.get("/captures/{capture_id}", summary="One capture with its document and analysis",
                response_model=models.Capture,
                responses={404: {"model": models.ErrorBody, "description": "Unknown capture"}})
    def one_capture(tenant: Tenant, queries: Queries, capture_id: str) -> JSON:
        row: dict[str, Any] | None = None
        for c in registry.pending(tenant):
            if c.id == capture_id:
                row = _pending(c)
                break
        if row is None:
            found = queries.reads.capture(tenant, capture_id)
            if found is None:
                raise NotFound(f"capture {capture_id!r} not found")
            row = _capture(found)
            row["payload"] = document_of(found) if found.payload is not None else None
            row["analysis"] = analysis_of(found) if row["status"] == "done" else None
        row["instance_name"] = queries.instance_names(tenant, [row["instance"]])[row["instance"]]
        return JSON(row)

    return router


def _name(names: dict[str, str], row: dict[str, Any]) -> str:
    """The store's name for the instance; else the agent's host:pid; else the id."""
    instance = str(row["instance"])
    if names[instance] != instance or not row.get("host"):
        return names[instance]
    return f"{row['host']}:{row['pid']}" if row.get("pid") is not None else str(row["host"])


def _pending(c: PendingCapture) -> dict[str, Any]:
    return {"id": c.id, "service": c.service, "instance": c.instance, "kind": c.kind,
            "status": "pending", "requested_at": int(c.requested_at * 1000)}


_REASONS = ("request", "memory_near_limit", "long_request", "sigterm", "alert")


def _trigger(trigger: Any) -> dict[str, Any] | None:
    """The trigger's documented fields (docs/captures.md), or None for an unknown reason."""
    if not isinstance(trigger, dict) or trigger.get("reason") not in _REASONS:
        return None
    rule = trigger.get("rule_id")
    return {"reason": trigger["reason"], "detail": str(trigger.get("detail") or ""),
            "rule_id": None if rule is None else str(rule)}


def _capture(c: CaptureRecord) -> dict[str, Any]:
    """A stored capture's row, without its document and analysis."""
    summary = json.loads(c.summary) if c.summary else {}
    trigger = summary.get("trigger")
    return {
        "id": c.id, "service": c.service, "instance": c.instance, "kind": c.kind,
        "format": diagnostics.format_of({"format": c.format}, c.kind),
        "captured_at": c.ts_us // 1000,
        "status": "done" if summary.get("ok", True) else "failed", "summary": summary,
        "trigger": _trigger(trigger),
        "headline": summary.get("headline"),
    }
