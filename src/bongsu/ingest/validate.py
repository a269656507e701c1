"""Parse and check an OTLP request before it is acknowledged.

Malformed bodies are refused whole (400). Items with bad ids or absurd timestamps are
dropped one by one and reported as OTLP partial success; a request whose every item is bad
is refused with the first reason. What passes is logged as canonical protobuf, so the
decoder never sees JSON or bad items.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from bongsu.errors import BadRequest
from bongsu.ingest.signals import Signal

REQUEST_TYPES: dict[Signal, type[Message]] = {
    Signal.TRACES: ExportTraceServiceRequest,
    Signal.METRICS: ExportMetricsServiceRequest,
    Signal.LOGS: ExportLogsServiceRequest,
}
_ID_LENGTHS = {"traceId": 16, "spanId": 8, "parentSpanId": 8}
_BAD_ID = base64.b64encode(b"\x00").decode()  # one byte: fails every id length check
_ZERO16 = bytes(16)
_ZERO8 = bytes(8)


@dataclass(frozen=True)
class Validated:
    """A request ready for the ingest log."""

    payload: bytes
    accepted: int
    rejected: int
    message: str | None


def parse(signal: Signal, body: bytes, is_json: bool) -> Message:
    """Parse a body into its OTLP request message, or raise BadRequest saying why."""
    request = REQUEST_TYPES[signal]()
    if not is_json:
        try:
            request.ParseFromString(body)
        except DecodeError as exc:
            raise BadRequest(f"malformed protobuf {type(request).__name__}: {exc}") from None
        return request
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"malformed JSON: {exc}") from None
    except RecursionError:
        raise BadRequest("malformed JSON: nested too deeply") from None
    if not isinstance(document, dict):
        raise BadRequest("malformed JSON: the body must be an object")
    _hex_ids_to_base64(document)
    try:
        json_format.ParseDict(document, request, ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError, TypeError, RecursionError) as exc:
        raise BadRequest(f"malformed OTLP/JSON {type(request).__name__}: {exc}") from None
    return request


def validate(
    signal: Signal, body: bytes, is_json: bool, skew_ns: int, now_ns: int | None = None
) -> Validated:
    """Parse, drop bad items, and return the canonical payload with the counts."""
    request = parse(signal, body, is_json)
    now_ns = time.time_ns() if now_ns is None else now_ns
    check = _CHECKS[signal]
    accepted, rejected, message = check(request, now_ns - skew_ns, now_ns + skew_ns, skew_ns)
    if rejected and not accepted:
        raise BadRequest(f"all {rejected} items rejected; first: {message}")
    payload = body if not is_json and not rejected else request.SerializeToString()
    return Validated(payload, accepted, rejected, message)


def _drop_bad(
    items: Any, problem: Callable[[Any], str | None], where: str, first: str | None
) -> tuple[int, int, str | None]:
    """Delete the items ``problem`` objects to; (kept, dropped, first reason seen)."""
    bad: list[int] = []
    for i, item in enumerate(items):
        reason = problem(item)
        if reason is not None:
            bad.append(i)
            if first is None:
                first = f"{where}[{i}]: {reason}"
    for i in reversed(bad):
        del items[i]
    return len(items), len(bad), first


def _check_traces(req: Any, lo: int, hi: int, skew: int) -> tuple[int, int, str | None]:
    def problem(sp: Any) -> str | None:
        tid, sid, pid = sp.trace_id, sp.span_id, sp.parent_span_id
        start = sp.start_time_unix_nano
        if len(tid) != 16 or tid == _ZERO16:
            return "trace_id must be 16 bytes and not all zero"
        if len(sid) != 8 or sid == _ZERO8:
            return "span_id must be 8 bytes and not all zero"
        if pid and len(pid) != 8:
            return "parent_span_id must be empty or 8 bytes"
        if not lo <= start <= hi:
            return f"start_time_unix_nano {start} is {_days(skew)} days or more from now"
        if sp.end_time_unix_nano < start:
            return "end_time_unix_nano is before start_time_unix_nano"
        return None

    accepted = rejected = 0
    first: str | None = None
    for r, rs in enumerate(req.resource_spans):
        for s, ss in enumerate(rs.scope_spans):
            where = f"resourceSpans[{r}].scopeSpans[{s}].spans"
            kept, dropped, first = _drop_bad(ss.spans, problem, where, first)
            accepted, rejected = accepted + kept, rejected + dropped
    return accepted, rejected, first


def _check_metrics(req: Any, lo: int, hi: int, skew: int) -> tuple[int, int, str | None]:
    def problem(point: Any) -> str | None:
        ts = point.time_unix_nano
        if not lo <= ts <= hi:
            return f"time_unix_nano {ts} is {_days(skew)} days or more from now"
        return None

    accepted = rejected = 0
    first: str | None = None
    for r, rm in enumerate(req.resource_metrics):
        for s, sm in enumerate(rm.scope_metrics):
            for m, metric in enumerate(sm.metrics):
                which = metric.WhichOneof("data")
                if which is None:
                    continue
                where = f"resourceMetrics[{r}].scopeMetrics[{s}].metrics[{m}].dataPoints"
                points = getattr(metric, which).data_points
                kept, dropped, first = _drop_bad(points, problem, where, first)
                accepted, rejected = accepted + kept, rejected + dropped
    return accepted, rejected, first


def _check_logs(req: Any, lo: int, hi: int, skew: int) -> tuple[int, int, str | None]:
    def problem(rec: Any) -> str | None:
        ts = rec.time_unix_nano or rec.observed_time_unix_nano
        if len(rec.trace_id) not in (0, 16):
            return "trace_id must be empty or 16 bytes"
        if len(rec.span_id) not in (0, 8):
            return "span_id must be empty or 8 bytes"
        if not lo <= ts <= hi:
            return f"time_unix_nano {ts} is {_days(skew)} days or more from now"
        return None

    accepted = rejected = 0
    first: str | None = None
    for r, rl in enumerate(req.resource_logs):
        for s, sl in enumerate(rl.scope_logs):
            where = f"resourceLogs[{r}].scopeLogs[{s}].logRecords"
            kept, dropped, first = _drop_bad(sl.log_records, problem, where, first)
            accepted, rejected = accepted + kept, rejected + dropped
    return accepted, rejected, first


_CHECKS = {Signal.TRACES: _check_traces, Signal.METRICS: _check_metrics, Signal.LOGS: _check_logs}


def _days(skew_ns: int) -> str:
    return f"{skew_ns / 86_400e9:g}"


def _hex_ids_to_base64(node: Any) -> None:
    """OTLP/JSON writes ids as hex; the protobuf JSON mapping wants base64 for bytes."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key in _ID_LENGTHS and isinstance(value, str):
                    item[key] = _hex_id(value, _ID_LENGTHS[key])
                elif isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, dict | list))


def _hex_id(value: str, length: int) -> str:
    if value == "":
        return ""
    try:
        raw = binascii.unhexlify(value)
    except (binascii.Error, ValueError):
        return _BAD_ID
    return base64.b64encode(raw).decode() if len(raw) == length else _BAD_ID
