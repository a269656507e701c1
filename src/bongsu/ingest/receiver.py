"""The OTLP/HTTP receiver: ``POST /v1/traces``, ``/v1/metrics``, ``/v1/logs``.

Request path: key -> media type -> body within limits -> parse and check -> append to the
ingest log (group fsync) -> 200. A 200 therefore means the data survives ``kill -9``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceResponse,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bongsu.errors import IngestError, Overloaded, TooManyRequests, UnsupportedMediaType
from bongsu.ingest.body import read_body
from bongsu.ingest.log import IngestLog
from bongsu.ingest.signals import Signal
from bongsu.ingest.validate import validate
from bongsu.settings import Settings

log = logging.getLogger("bongsu.ingest")

PROTOBUF = "application/x-protobuf"
JSON = "application/json"

_RESPONSES: dict[Signal, tuple[Any, str, str]] = {
    Signal.TRACES: (ExportTraceServiceResponse, "rejected_spans", "rejectedSpans"),
    Signal.METRICS: (ExportMetricsServiceResponse, "rejected_data_points", "rejectedDataPoints"),
    Signal.LOGS: (ExportLogsServiceResponse, "rejected_log_records", "rejectedLogRecords"),
}


class Receiver:
    """Accepts OTLP requests into the ingest log, refusing early when it cannot keep up."""

    def __init__(
        self,
        settings: Settings,
        ingest_log: IngestLog,
        resolve_tenant: Callable[[str | None], str],
        loaded_lsn: Callable[[], int],
    ) -> None:
        self._settings = settings
        self._log = ingest_log
        self._resolve_tenant = resolve_tenant
        self._loaded_lsn = loaded_lsn
        self._skew_ns = int(settings.max_timestamp_skew_days * 86_400e9)
        self._waiting = 0
        # Appends block on fsync; threads let requests that arrive meanwhile share it.
        self._pool = ThreadPoolExecutor(
            max_workers=min(32, settings.ingest_queue_requests), thread_name_prefix="ingest-log"
        )
        self.accepted = {signal: 0 for signal in Signal}

    def routes(self) -> list[BaseRoute]:
        return [
            Route(signal.path, self._endpoint(signal), methods=["POST"]) for signal in Signal
        ]

    def _endpoint(self, signal: Signal) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            is_json: bool | None = None  # None until the media type is known
            try:
                tenant = self._resolve_tenant(request.headers.get("authorization"))
                is_json = _is_json(request.headers.get("content-type"))
                return await self._accept(signal, request, tenant, is_json)
            except IngestError as exc:
                return _error(exc, is_json)

        return endpoint

    async def _accept(
        self, signal: Signal, request: Request, tenant: str, is_json: bool
    ) -> Response:
        settings = self._settings
        if self._log.backlog(self._loaded_lsn()) > settings.ingest_backlog_bytes:
            raise Overloaded("the store is behind on loading acknowledged data; retry later")
        if self._waiting >= settings.ingest_queue_requests:
            raise TooManyRequests("too many requests are waiting for the ingest log; retry")
        body = await read_body(
            request.stream(),
            request.headers.get("content-length"),
            request.headers.get("content-encoding"),
            settings.max_wire_bytes,
            settings.max_body_bytes,
        )
        checked = validate(signal, body, is_json, self._skew_ns)
        self._waiting += 1
        try:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(
                self._pool, self._log.append, signal, tenant, checked.payload
            )
        except OSError as exc:  # a full or failing disk: nothing was acknowledged
            log.error("the ingest log cannot be written: %s", exc)
            message = f"the ingest log cannot be written ({exc.strerror}); retry later"
            raise Overloaded(message) from None
        finally:
            self._waiting -= 1
        self.accepted[signal] += checked.accepted
        return _success(signal, is_json, checked.rejected, checked.message)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media == PROTOBUF:
        return False
    if media == JSON:
        return True
    raise UnsupportedMediaType(
        f"Content-Type {content_type!r} is not supported; use {PROTOBUF} or {JSON}"
    )


def _success(signal: Signal, is_json: bool, rejected: int, message: str | None) -> Response:
    response_type, field, json_field = _RESPONSES[signal]
    if is_json:
        body: dict[str, Any] = {}
        if rejected:
            body["partialSuccess"] = {json_field: rejected, "errorMessage": message or ""}
        return JSONResponse(body)
    response = response_type()
    if rejected:
        setattr(response.partial_success, field, rejected)
        response.partial_success.error_message = message or ""
    return Response(response.SerializeToString(), media_type=PROTOBUF)


def _error(exc: IngestError, is_json: bool | None) -> Response:
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
    code = _GRPC_CODE.get(exc.status, 3)
    if is_json is None or is_json:  # JSON too when the media type is unknown
        return JSONResponse(
            {"code": code, "message": exc.message}, status_code=exc.status, headers=headers
        )
    return Response(
        _status_proto(code, exc.message), status_code=exc.status, media_type=PROTOBUF,
        headers=headers,
    )


# HTTP status -> google.rpc.Code carried in the OTLP error body.
_GRPC_CODE = {400: 3, 401: 16, 413: 8, 415: 3, 429: 8, 503: 14}


def _status_proto(code: int, message: str) -> bytes:
    """A ``google.rpc.Status`` (code = field 1, message = field 2), encoded by hand."""
    text = message.encode()
    return b"\x08" + _varint(code) + b"\x12" + _varint(len(text)) + text


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def receiver_app(
    receiver: Receiver,
    status: Callable[[], dict[str, Any]] = dict,
    extra_routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """The ASGI app served on the OTLP port; ``/healthz`` reports ingest progress."""

    async def health(_: Request) -> Response:
        accepted = {s.name.lower(): n for s, n in receiver.accepted.items()}
        return JSONResponse({"status": "ok", "accepted": accepted, **status()})

    routes = [*receiver.routes(), Route("/healthz", health), *extra_routes]
    return Starlette(routes=routes)


__all__ = ["Receiver", "receiver_app"]
