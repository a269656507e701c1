"""Export batches: what each instance's SDK would send, second by second.

A span is filed under the second (of simulated time since ``start_ns``) in which it ends,
in its instance's current export request; at 512 spans a new request starts, like
OpenTelemetry's BatchSpanProcessor (flush at 512 spans or every second). Log records are
filed the same way by their timestamp. Server and database span durations are kept with
the second too, so metrics collected at a boundary only count what had ended by then.

Example::

    batches = Batches(resources, scopes, start_ns)
    span = batches.spans(instance=0, end_ns=t).add(name=...)
    exports = batches.flush(0)                  # everything that ended in second 0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeVar

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span

SECOND_NS = 1_000_000_000
MAX_SPANS = 512  # OTEL_BSP_MAX_EXPORT_BATCH_SIZE default
SCHEMA_URL = "https://opentelemetry.io/schemas/1.26.0"

Kind = Literal["traces", "metrics", "logs"]


@dataclass(frozen=True)
class Export:
    """One OTLP/HTTP request body, ready to POST to ``/v1/{kind}``.

    ``items`` counts spans, metric data points or log records; ``at_ns`` is when, in
    simulated time, the SDK would send it.
    """

    kind: Kind
    body: bytes
    items: int
    at_ns: int


T_co = TypeVar("T_co", covariant=True)


class Repeated(Protocol[T_co]):
    """A repeated message field, as far as adding to it goes."""

    def add(self, **fields: object) -> T_co: ...


SpanList = Repeated[Span]
LogList = Repeated[LogRecord]
# (instance, method, route, status code, duration ns)
ServerStat = tuple[int, str, str, int, int]
# (instance, db.system, db.operation, duration ns)
QueryStat = tuple[int, str, str, int]


@dataclass
class _Second:
    traces: dict[int, tuple[ExportTraceServiceRequest, SpanList]] = field(default_factory=dict)
    counts: dict[int, int] = field(default_factory=dict)
    full: list[tuple[int, ExportTraceServiceRequest, int]] = field(default_factory=list)
    logs: dict[int, ExportLogsServiceRequest] = field(default_factory=dict)
    log_counts: dict[int, int] = field(default_factory=dict)
    served: list[ServerStat] = field(default_factory=list)
    queried: list[QueryStat] = field(default_factory=list)
    latest: dict[int, int] = field(default_factory=dict)  # instance -> latest span end


class Batches:
    """Per-second, per-instance export requests under construction."""

    def __init__(self, resources: list[Resource], scopes: list[InstrumentationScope],
                 start_ns: int) -> None:
        self._resources = resources
        self._scopes = scopes
        self._start_ns = start_ns
        self._seconds: dict[int, _Second] = {}

    def _second(self, t_ns: int) -> _Second:
        index = (t_ns - self._start_ns) // SECOND_NS
        second = self._seconds.get(index)
        if second is None:
            second = self._seconds[index] = _Second()
        return second

    def spans(self, instance: int, end_ns: int) -> SpanList:
        """The span list a span of ``instance`` ending at ``end_ns`` goes to; add one."""
        second = self._second(end_ns)
        count = second.counts.get(instance, 0)
        current = second.traces.get(instance)
        if current is None or count == MAX_SPANS:
            if current is not None:
                second.full.append((second.latest[instance], current[0], count))
            request = ExportTraceServiceRequest()
            resource_spans = request.resource_spans.add()
            resource_spans.resource.CopyFrom(self._resources[instance])
            resource_spans.schema_url = SCHEMA_URL
            scope_spans = resource_spans.scope_spans.add()
            scope_spans.scope.CopyFrom(self._scopes[instance])
            current = second.traces[instance] = (request, scope_spans.spans)
            count = 0
        second.counts[instance] = count + 1
        if end_ns > second.latest.get(instance, 0):
            second.latest[instance] = end_ns
        return current[1]

    def logs(self, instance: int, time_ns: int) -> LogList:
        """The record list a log record of ``instance`` at ``time_ns`` goes to; add one."""
        second = self._second(time_ns)
        request = second.logs.get(instance)
        if request is None:
            request = second.logs[instance] = ExportLogsServiceRequest()
            resource_logs = request.resource_logs.add()
            resource_logs.resource.CopyFrom(self._resources[instance])
            resource_logs.schema_url = SCHEMA_URL
            resource_logs.scope_logs.add().scope.name = "shop.app"
        second.log_counts[instance] = second.log_counts.get(instance, 0) + 1
        records: LogList = request.resource_logs[0].scope_logs[0].log_records
        return records

    def served(self, end_ns: int, stat: ServerStat) -> None:
        self._second(end_ns).served.append(stat)

    def queried(self, end_ns: int, stat: QueryStat) -> None:
        self._second(end_ns).queried.append(stat)

    def pending(self) -> bool:
        return bool(self._seconds)

    def flush(self, index: int) -> tuple[list[Export], list[ServerStat], list[QueryStat]]:
        """Exports for second ``index`` in send order, and the durations that ended in it."""
        second = self._seconds.pop(index, None)
        if second is None:
            return [], [], []
        flush_ns = self._start_ns + (index + 1) * SECOND_NS
        exports = [Export("traces", r.SerializeToString(), n, at) for at, r, n in second.full]
        for instance, (request, _) in second.traces.items():
            exports.append(Export("traces", request.SerializeToString(),
                                  second.counts[instance], flush_ns))
        for instance, logs in second.logs.items():
            exports.append(Export("logs", logs.SerializeToString(),
                                  second.log_counts[instance], flush_ns))
        exports.sort(key=lambda e: e.at_ns)
        return exports, second.served, second.queried
