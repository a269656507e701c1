"""The OTLP/HTTP receiver: ``POST /v1/traces``, ``/v1/metrics``, ``/v1/logs``.

Request path: key -> media type -> body within limits -> parse and check -> append to the
ingest log (group fsync) -> 200. A 200 therefore means the data survives ``kill -9``.

Where the parse and check run. The OTLP port has an event loop of its own (a thread, see
``bongsu.server``), and the check never runs on it: a loop stalled for a 16 MiB body
would stall every request queued behind it. Threads of one process still share the GIL,
so what matters is how long one check holds it, measured here (one core, the simulator's
realistic spans):

- protobuf: ~0.7 µs a span, half of it in one upb ``ParseFromString`` call that holds the
  GIL throughout (~3 ms per MiB; a 15 MiB body stalled another thread ~30-50 ms
  whatever ``sys.setswitchinterval`` said). A 512-span request (~140 kB) holds it
  ~0.2 ms at a time: a thread is right, and a process would not save the server any
  CPU (the ``ProcessPoolExecutor`` round trip costs this process 0.32-0.39 ms of CPU
  per 512-span request, as much as the check itself, 0.34-0.44 ms, and adds ~0.7 ms);
- OTLP/JSON: ~100 µs a span in Python (a 4.8 MiB body: 0.7 s, another thread stalled
  up to 140 ms).

So protobuf bodies under ``PROCESS_BYTES`` are checked on a pool thread, and JSON bodies
and larger protobuf ones in a worker process (bodies cross as one pickled ``bytes``; a
15 MiB body stalled another thread ~9 ms instead of ~40 ms; the canonical payload comes
back only when it differs from the body). The process also keeps a parse that crashes
or exhausts memory away from the server: its requests get 503 and a new worker starts.
The API's latency while ingesting is measured by ``bench/api_latency.py``
(docs/benchmarks.md): with near-limit requests arriving at 30,000 spans/s, the p99 of
a request served by the API's loop alone went from 45 ms to 12 ms. ``sys.setswitchinterval``
is left at its 5 ms: 1 ms measured no better (services p99 under ingest 52 ms against
43-49 ms).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
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
from bongsu.ingest.decoder import lower_priority
from bongsu.ingest.log import IngestLog
from bongsu.ingest.signals import Signal
from bongsu.ingest.validate import Validated, validate
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
        self._checker = _Checker()
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
        self._waiting += 1
        try:
            loop = asyncio.get_running_loop()
            checked = await self._checker.check(signal, body, is_json, self._skew_ns)
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
        self._checker.close()
        self._pool.shutdown(wait=True)


PROCESS_BYTES = 1 << 20  # a protobuf body this large holds the GIL ~3 ms in one parse


class _Checker:
    """Runs :func:`validate` off the event loop: on a thread, or in a worker process for
    JSON and large bodies (see the module docstring). Used from one event loop only."""

    def __init__(self) -> None:
        self._threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ingest-check")
        self._processes: ProcessPoolExecutor | None = None  # its workers start when needed

    async def check(self, signal: Signal, body: bytes, is_json: bool, skew_ns: int) -> Validated:
        loop = asyncio.get_running_loop()
        if not is_json and len(body) < PROCESS_BYTES:
            return await loop.run_in_executor(
                self._threads, validate, signal, body, is_json, skew_ns
            )
        if self._processes is None:
            self._processes = ProcessPoolExecutor(
                max_workers=2, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
            )
        pool = self._processes
        try:
            accepted, rejected, message, payload = await loop.run_in_executor(
                pool, _check_in_worker, signal, body, is_json, skew_ns
            )
        except BrokenProcessPool:
            log.error("the request check process stopped; starting a new one")
            if self._processes is pool:
                self._processes = None
                pool.shutdown(wait=False)
            raise Overloaded("the request check process stopped; retry later") from None
        return Validated(body if payload is None else payload, accepted, rejected, message)

    def close(self) -> None:
        self._threads.shutdown(wait=True)
        if self._processes is not None:
            self._processes.shutdown(wait=True)


def _check_in_worker(
    signal: Signal, body: bytes, is_json: bool, skew_ns: int
) -> tuple[int, int, str | None, bytes | None]:
    """:func:`validate` in the worker; the payload is sent back only when it is not the body."""
    checked = validate(signal, body, is_json, skew_ns)
    payload = None if checked.payload is body else checked.payload
    return checked.accepted, checked.rejected, checked.message, payload


def _start_worker() -> None:
    """A worker runs below the server's priority, like the decoder, and ends with it."""
    lower_priority()
    _exit_with_parent()


def _exit_with_parent() -> None:
    """A worker ends when the server does, even after a ``kill -9`` of the server."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_wait_then_exit, args=(parent,), daemon=True).start()


def _wait_then_exit(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()
    os._exit(0)


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
