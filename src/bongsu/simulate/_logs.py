"""Application log records, correlated with the span that wrote them.

Every server span writes an INFO access line; a slow one adds a WARN, a failing one an
ERROR with the exception text, as a logging integration with trace context would.

Example::

    logs = LogWriter(batches, attrs)
    logs.access(instance, trace_id, span_id, end_ns, "GET", "/products/7", 200, 12_000_000)
"""

from __future__ import annotations

from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, SeverityNumber

from bongsu.simulate._attributes import AttributeCache
from bongsu.simulate._batches import Batches
from bongsu.simulate._failures import Failure

SLOW_NS = 1_000_000_000  # a request slower than this logs a warning


class LogWriter:
    """Writes the log records of server spans into their instance's batch."""

    def __init__(self, batches: Batches, attrs: AttributeCache) -> None:
        self._batches = batches
        self._attrs = attrs

    def _record(self, instance: int, trace_id: bytes, span_id: bytes, time_ns: int,
                severity: SeverityNumber.ValueType, text: str, body: str) -> LogRecord:
        record = self._batches.logs(instance, time_ns).add(
            time_unix_nano=time_ns, observed_time_unix_nano=time_ns, severity_number=severity,
            severity_text=text, trace_id=trace_id, span_id=span_id, flags=1)  # 1: sampled
        record.body.string_value = body
        return record

    def access(self, instance: int, trace_id: bytes, span_id: bytes, end_ns: int,
               method: str, path: str, status: int, duration_ns: int) -> None:
        ms = duration_ns / 1e6
        self._record(instance, trace_id, span_id, end_ns, SeverityNumber.SEVERITY_NUMBER_INFO,
                     "INFO", f'"{method} {path}" {status} {ms:.1f}ms')
        if duration_ns > SLOW_NS:
            record = self._record(instance, trace_id, span_id, end_ns,
                                  SeverityNumber.SEVERITY_NUMBER_WARN, "WARN",
                                  f"slow request: {method} {path} took {ms / 1000:.2f}s")
            record.attributes.append(self._attrs.get("code.function", "log_slow_request"))

    def failure(self, instance: int, trace_id: bytes, span_id: bytes, time_ns: int,
                failure: Failure) -> None:
        record = self._record(instance, trace_id, span_id, time_ns,
                              SeverityNumber.SEVERITY_NUMBER_ERROR, "ERROR",
                              f"unhandled exception: {failure.type}: {failure.message}")
        attrs = self._attrs
        record.attributes.extend((attrs.get("exception.type", failure.type),
                                  attrs.get("exception.message", failure.message),
                                  attrs.get("exception.stacktrace", failure.stacktrace)))
