"""Reference server side of the agent control channel, as Starlette routes.

Not the product's server (``src/bongsu/ingest`` and ``api`` own that): a precise,
runnable statement of what the agent expects, used by ``test_control_reference.py``.
Mount ``otlp_routes`` on the OTLP app and ``api_routes`` on the API app; captures are
kept in memory here, the product stores them (kind ``threads``, format ``json``).
"""

from __future__ import annotations

import gzip
import itertools
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

FRESH_SECONDS = 15.0  # three missed reports (every 5 s) and an instance's list is stale
MAX_BODY = 4 * 1024 * 1024
KINDS = {"threads": "capture_threads"}


class AgentControl:
    """Latest active requests per instance, queued commands, stored captures."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.queued: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        self.captures: dict[str, dict[str, Any]] = {}
        self.ids = itertools.count(1)


async def _json(request: Request) -> dict[str, Any] | Response:
    body = await request.body()
    if len(body) > MAX_BODY:
        return JSONResponse({"error": "body too large"}, status_code=413)
    try:
        if request.headers.get("content-encoding") == "gzip":  # like OTLP bodies
            body = gzip.decompress(body)
        data = json.loads(body)
    except (ValueError, OSError, EOFError):
        return JSONResponse({"error": "body: not JSON"}, status_code=400)
    if not isinstance(data, dict) or not data.get("service") or not data.get("instance"):
        return JSONResponse({"error": "service and instance are required"}, status_code=400)
    return data


def otlp_routes(control: AgentControl, tenant_of: Callable[[str | None], str]) -> list[Route]:
    """Routes beside /v1/traces on the OTLP port."""

    async def active_requests(request: Request) -> Response:
        tenant = tenant_of(request.headers.get("authorization"))
        data = await _json(request)
        if isinstance(data, Response):
            return data
        data["received_at"] = time.time()
        with control.lock:
            control.active[(tenant, data["service"], data["instance"])] = data
        return JSONResponse({})

    async def commands(request: Request) -> Response:
        tenant = tenant_of(request.headers.get("authorization"))
        key = (tenant, request.query_params.get("service", ""),
               request.query_params.get("instance", ""))
        with control.lock:
            waiting = control.queued.pop(key, [])
        if not waiting:
            return Response(status_code=204)
        return JSONResponse({"commands": waiting})

    async def results(request: Request) -> Response:
        tenant = tenant_of(request.headers.get("authorization"))
        data = await _json(request)
        if isinstance(data, Response):
            return data
        capture_id = str(data.get("command_id") or "")
        with control.lock:
            capture = control.captures.get(capture_id)
            if capture is None or capture["tenant"] != tenant:
                return JSONResponse({"error": "unknown command_id"}, status_code=404)
            threads = (data.get("result") or {}).get("threads", [])
            capture.update(
                status="done" if data.get("ok") else "failed", error=data.get("error", ""),
                completed_at=time.time(), payload=data.get("result"),
                summary={"threads": len(threads),
                         "serving_requests": sum(1 for t in threads if t.get("request"))})
        return JSONResponse({})

    return [
        Route("/v1/bongsu/agent/active-requests", active_requests, methods=["POST"]),
        Route("/v1/bongsu/agent/commands", commands, methods=["GET"]),
        Route("/v1/bongsu/agent/results", results, methods=["POST"]),
    ]


def api_routes(control: AgentControl, tenant_of: Callable[[str | None], str]) -> list[Route]:
    """Routes on the API port."""

    async def active(request: Request) -> Response:
        tenant = tenant_of(request.headers.get("authorization"))
        service = request.query_params.get("service")
        instance = request.query_params.get("instance")
        now = time.time()
        with control.lock:
            reports = [r for (t, s, i), r in control.active.items()
                       if t == tenant and (not service or s == service)
                       and (not instance or i == instance)
                       and now - r["received_at"] <= FRESH_SECONDS]
        rows = [{"service": r["service"], "instance": r["instance"], "host": r.get("host"),
                 "pid": r.get("pid"), "reported_at": r["received_at"], **q}
                for r in reports for q in r.get("requests", [])]
        rows.sort(key=lambda q: -q.get("elapsed_ms", 0))
        return JSONResponse({"requests": rows,
                             "instances": sorted({r["instance"] for r in reports})})

    async def request_capture(request: Request) -> Response:
        tenant = tenant_of(request.headers.get("authorization"))
        data = await _json(request)
        if isinstance(data, Response):
            return data
        kind = data.get("kind", "threads")
        if kind not in KINDS:
            return JSONResponse({"error": f"kind: one of {sorted(KINDS)}"}, status_code=400)
        capture_id = f"cap-{next(control.ids)}"
        with control.lock:
            control.captures[capture_id] = {
                "id": capture_id, "tenant": tenant, "service": data["service"],
                "instance": data["instance"], "kind": kind, "format": "json",
                "status": "pending", "requested_at": time.time()}
            control.queued.setdefault((tenant, data["service"], data["instance"]), []).append(
                {"id": capture_id, "kind": KINDS[kind], "args": data.get("args") or {}})
        return JSONResponse({"id": capture_id, "status": "pending"}, status_code=202)

    async def list_captures(request: Request) -> Response:
        tenant = tenant_of(request.headers.get("authorization"))
        q = request.query_params
        with control.lock:
            rows = [{k: v for k, v in c.items() if k not in ("payload", "tenant")}
                    for c in control.captures.values() if c["tenant"] == tenant
                    and all(not q.get(f) or c[f] == q[f] for f in ("service", "instance",
                                                                    "kind"))]
        return JSONResponse({"captures": rows})

    async def one_capture(request: Request) -> Response:
        tenant = tenant_of(request.headers.get("authorization"))
        with control.lock:
            capture = control.captures.get(request.path_params["capture_id"])
        if capture is None or capture["tenant"] != tenant:
            return JSONResponse({"error": "no such capture"}, status_code=404)
        return JSONResponse({k: v for k, v in capture.items() if k != "tenant"})

    return [
        Route("/api/v1/active-requests", active, methods=["GET"]),
        Route("/api/v1/captures", request_capture, methods=["POST"]),
        Route("/api/v1/captures", list_captures, methods=["GET"]),
        Route("/api/v1/captures/{capture_id}", one_capture, methods=["GET"]),
    ]


def main() -> None:
    """``python control_reference.py PORT``: serve the reference routes plus /v1/* sinks."""
    import sys

    import uvicorn
    from starlette.applications import Starlette

    async def accept(request: Request) -> Response:
        await request.body()
        return Response(b"", media_type="application/x-protobuf")

    control = AgentControl()
    routes = [*otlp_routes(control, lambda auth: "default"),
              *api_routes(control, lambda auth: "default"),
              Route("/v1/{signal}", accept, methods=["POST"])]
    uvicorn.run(Starlette(routes=routes), host="127.0.0.1", port=int(sys.argv[1]),
                log_level="warning")


if __name__ == "__main__":
    main()
