"""The agent side of the control channel, served beside ``/v1/traces`` on the OTLP port.

- ``POST /v1/bongsu/agent/active-requests``: an instance's in-flight requests, every ~5 s.
- ``GET /v1/bongsu/agent/commands?service=&instance=``: 204, or the commands waiting.
- ``POST /v1/bongsu/agent/results``: a command's answer, stored as a capture; with
  ``command_id`` null a capture the agent took by itself (its watchdog), answered
  ``200 {"id"}`` only once it is stored.

Bodies are JSON (gzip allowed), at most ``MAX_BODY`` bytes; the same ingest key as OTLP.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bongsu.control.registry import AgentRegistry
from bongsu.errors import BadRequest, IngestError
from bongsu.ingest.body import read_body

MAX_BODY = 4 * 1024 * 1024
_MAX_NAME = 256


async def _report(request: Request) -> dict[str, Any]:
    body = await read_body(request.stream(), request.headers.get("content-length"),
                           request.headers.get("content-encoding"), MAX_BODY, MAX_BODY)
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadRequest("body: not a JSON object") from None
    if not isinstance(data, dict):
        raise BadRequest("body: not a JSON object")
    for name in ("service", "instance"):
        _name(name, data.get(name))
    return data


def _name(field: str, value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > _MAX_NAME:
        raise BadRequest(f"{field}: a non-empty string of at most {_MAX_NAME} characters")
    return value


def _error(exc: IngestError) -> Response:
    return JSONResponse({"code": exc.status, "message": exc.message}, status_code=exc.status)


def control_routes(registry: AgentRegistry, resolve_tenant: Callable[[str | None], str]
                   ) -> list[BaseRoute]:
    """Routes for the OTLP app."""

    async def active_requests(request: Request) -> Response:
        try:
            tenant = resolve_tenant(request.headers.get("authorization"))
            report = await _report(request)
            if not isinstance(report.get("requests", []), list):
                raise BadRequest("requests: a list")
        except IngestError as exc:
            return _error(exc)
        registry.report_active(tenant, report)
        return JSONResponse({})

    async def commands(request: Request) -> Response:
        try:
            tenant = resolve_tenant(request.headers.get("authorization"))
            service = _name("service", request.query_params.get("service"))
            instance = _name("instance", request.query_params.get("instance"))
        except IngestError as exc:
            return _error(exc)
        waiting = registry.take_commands(tenant, service, instance)
        return JSONResponse({"commands": waiting}) if waiting else Response(status_code=204)

    async def results(request: Request) -> Response:
        try:
            tenant = resolve_tenant(request.headers.get("authorization"))
            result = await _report(request)
        except IngestError as exc:
            return _error(exc)
        if result.get("command_id") is None:
            try:  # one store write, on a worker thread: the loop keeps serving meanwhile
                capture_id = await run_in_threadpool(registry.store_pushed, tenant, result)
            except ValueError as exc:
                return _error(BadRequest(str(exc)))
            return JSONResponse({"id": capture_id})
        # On a worker thread too: a store write in the loop held up every agent's poll.
        if not await run_in_threadpool(registry.complete, tenant, result):
            return JSONResponse({"code": 404, "message": "command_id: no such command"},
                                status_code=404)
        return JSONResponse({})

    return [
        Route("/v1/bongsu/agent/active-requests", active_requests, methods=["POST"]),
        Route("/v1/bongsu/agent/commands", commands, methods=["GET"]),
        Route("/v1/bongsu/agent/results", results, methods=["POST"]),
    ]
