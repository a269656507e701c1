"""The v1 response bodies as Pydantic models: the OpenAPI document's source of truth.

Routes declare these as ``response_model`` but return the query service's dicts rendered
by :class:`bongsu.api.responses.JSON`, unvalidated: validating a 10,000-cell heatmap
costs ~18 ms against ~1 ms to render it with orjson (measured in this repo). The models
forbid undeclared fields, so the schemathesis suite (``tests/api``) fails on any field a
model misses and on any value that does not match.

Units: durations ``*_ms`` milliseconds; ``ts``, ``start``, ``from``, ``to``,
``last_seen`` epoch milliseconds; ``tps`` per second; ``error_rate`` and ``apdex``
fractions 0-1.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from bongsu.api import capture_models as cm
from bongsu.api.body import BodyModel

NodeKind = Literal["service", "database", "external"]
# bongsu.control.registry.COMMAND_KINDS (a test pins it)
CaptureKind = Literal["threads", "memory", "network", "files", "processes"]


class Model(BodyModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _f(description: str, **kw: Any) -> Any:
    return Field(description=description, **kw)


InstanceNames = dict[str, str]
_NAMES = ("Display name per instance id: the resource's k8s.pod.name, else host.name:"
          "process.pid (host.name alone without a pid), else the id")
_INSTANCE = "Instance id (the resource's service.instance.id)"
_INSTANCE_NAME = ("The instance's display name: k8s.pod.name, else host.name:process.pid "
                  "(host.name alone without a pid), else the instance id")


class ErrorBody(Model):
    detail: str = _f("What was wrong; a 400 starts with the parameter's name")


class Health(Model):
    status: Literal["ok"] = _f("ok when the store answered a query")
    version: str = _f("Bongsu version")


class Figures(Model):
    transactions: int = _f("Transactions (SERVER / CONSUMER spans), count")
    tps: float = _f("Transactions per second over the elapsed part of the window or step")
    errors: int = _f("Transactions with status ERROR or HTTP status >= 500, count")
    error_rate: float | None = _f("errors / transactions, fraction 0-1; null without "
                                  "transactions")
    avg_ms: float | None = _f("Mean duration, ms (exact); null without transactions")
    p50_ms: float | None = _f("Median duration, ms (nearest-rank bucket, within 4.4 %)")
    p95_ms: float | None = _f("95th percentile duration, ms (within 4.4 %)")
    p99_ms: float | None = _f("99th percentile duration, ms (within 4.4 %)")
    apdex: float | None = _f("(satisfied + tolerating / 2) / transactions, fraction 0-1")


class ServiceSummary(Figures):
    name: str = _f("Service name (service.name)")
    instances: int = _f("Instances that served transactions in the window, count")
    instance_names: InstanceNames = _f(_NAMES + "; the instances counted in instances")
    active_users: int = _f("Distinct enduser.id values in the 5 minutes before the window's "
                           "end, count")
    apdex_t_ms: float = _f("The service's APDEX threshold T, ms")


class Services(Model):
    from_: int = _f("Window start after alignment to rollup slots, epoch ms", alias="from")
    to: int = _f("Window end after alignment, epoch ms")
    services: list[ServiceSummary] = _f("Services with transactions in the window, by name")


class SeriesPoint(Figures):
    ts: int = _f("Step start, epoch ms")


class Series(Model):
    service: str = _f("Service name")
    step: int = _f("Seconds per point")
    points: list[SeriesPoint] = _f("One point per step from the aligned window start")


class HeatmapCell(Model):
    ts: int = _f("Step start, epoch ms")
    bucket: int = _f("Duration row: index into bounds_ms")
    count: int = _f("Transactions in the cell, count")
    errors: int = _f("Failed transactions in the cell, count")


class Heatmap(Model):
    service: str = _f("Service name")
    step: int = _f("Seconds per column")
    bounds_ms: list[float] = _f("Row bounds, ms: row i covers [bounds_ms[i], bounds_ms[i+1])")
    cells: list[HeatmapCell] = _f("Non-empty cells")


class Transaction(Model):
    trace_id: str = _f("Trace id, 32 hex digits")
    span_id: str = _f("Span id, 16 hex digits")
    ts: float = _f("Start, epoch ms (microseconds as the fraction)")
    name: str = _f("Span name")
    service: str = _f("Service name")
    duration_ms: float = _f("Duration, ms")
    status: str = _f("OTLP status: unset, ok or error")
    error: bool = _f("Status ERROR or HTTP status >= 500")
    instance: str = _f(_INSTANCE)
    instance_name: str = _f(_INSTANCE_NAME)
    http_status: int | None = _f("HTTP response status code, if any")


class Transactions(Model):
    transactions: list[Transaction] = _f("Newest first")


class InstanceRow(Model):
    service: str = _f("Service name")
    instance: str = _f(_INSTANCE)
    instance_name: str = _f(_INSTANCE_NAME)
    last_seen: int = _f("Latest telemetry of any signal, epoch ms")
    transactions: int = _f("Transactions in the recent window, count")
    tps: float = _f("Transactions per second over the recent window")
    avg_ms: float | None = _f("Mean duration over the recent window, ms")
    error_rate: float | None = _f("Errors / transactions over the recent window, 0-1")


class Instances(Model):
    window: int = _f("Seconds of recent traffic the figures cover")
    instances: list[InstanceRow] = _f("Instances with telemetry of any signal in the window, "
                                      "by service and instance")


class TopologyNode(Model):
    id: str = _f("Service name, instance id (instance level), db.system:db.name "
                 "(@server.address at instance level) or external server.address")
    kind: NodeKind = _f("service (or instance), database or external")
    service: str = _f("The node's service; a database's or external host's own id")
    name: str = _f("Display label: service name, instance display name, or the id")
    instance: str | None = _f("Instance level, instance nodes: the instance id",
                              default=None)
    instance_name: str | None = _f("Instance level, instance nodes: " + _INSTANCE_NAME,
                                   default=None)


class TopologyEdge(Model):
    source: str = _f("Calling node id")
    target: str = _f("Called node id")
    target_kind: NodeKind = _f("Kind of the called node")
    calls: int = _f("Calls, count")
    errors: int = _f("Failed calls, count")
    tps: float = _f("Calls per second")
    avg_ms: float | None = _f("Mean caller-side (client span) duration, ms")
    error_rate: float | None = _f("errors / calls, fraction 0-1")
    source_instance_name: str | None = _f("Instance level: the source's display name",
                                          default=None)
    target_instance_name: str | None = _f(
        "Instance level: the target's display name (a database's or host's id)", default=None)


class Topology(Model):
    level: Literal["service", "instance"] = _f("Node granularity")
    from_: int = _f("Window start aligned to the minute, epoch ms", alias="from")
    to: int = _f("Window end aligned to the minute, epoch ms")
    nodes: list[TopologyNode] = _f("Services (instances) first, then by id")
    edges: list[TopologyEdge] = _f("Caller -> callee edges")


class TraceSummary(Model):
    trace_id: str = _f("Trace id, 32 hex digits")
    root_service: str = _f("Service of the root span (else the earliest span)")
    root_name: str = _f("Name of the root span")
    start: float = _f("Earliest span start, epoch ms")
    duration_ms: float = _f("Earliest start to latest end, ms")
    span_count: int = _f("Spans stored for the trace, count")
    error: bool = _f("Any span failed")


class Traces(Model):
    traces: list[TraceSummary] = _f("Newest first")


class LogRecord(Model):
    ts: float = _f("Time, epoch ms (microseconds as the fraction)")
    trace_id: str | None = _f("Trace id, 32 hex digits")
    span_id: str | None = _f("Span id, 16 hex digits")
    severity: str | None = _f("Severity text as sent")
    severity_number: int = _f("OTLP severity number 0-24")
    body: str | None = _f("Log body")
    service: str = _f("Service name")
    instance: str = _f(_INSTANCE)
    instance_name: str = _f(_INSTANCE_NAME)
    attributes: dict[str, Any] = _f("Log attributes")


class Logs(Model):
    logs: list[LogRecord] = _f("Newest first")


class SpanEvent(Model):
    model_config = ConfigDict(extra="allow")

    name: str = _f("Event name")
    ts: int = _f("Event time, epoch ms")
    attributes: dict[str, Any] = _f("Event attributes")


class Span(Model):
    span_id: str = _f("Span id, 16 hex digits")
    parent_span_id: str | None = _f("Parent span id; null for a root span")
    service: str = _f("Service name")
    instance: str = _f(_INSTANCE)
    instance_name: str = _f(_INSTANCE_NAME)
    name: str = _f("Span name")
    kind: str = _f("unspecified, internal, server, client, producer or consumer")
    start: float = _f("Start, epoch ms (microseconds as the fraction)")
    duration_ms: float = _f("Duration, ms")
    status: str = _f("OTLP status: unset, ok or error")
    status_message: str | None = _f("OTLP status message")
    error: bool = _f("Status ERROR or HTTP status >= 500")
    attributes: dict[str, Any] = _f("Span attributes")
    events: list[SpanEvent] = _f("Span events")


class TraceDetail(Model):
    trace_id: str = _f("Trace id, 32 hex digits")
    spans: list[Span] = _f("Every span, in start order")
    logs: list[LogRecord] = _f("The trace's log records, oldest first")


class MetricName(Model):
    name: str = _f("Metric name")
    kind: str = _f("gauge, sum, histogram or exp_histogram")
    unit: str | None = _f("UCUM unit as sent")
    points: int = _f("Points in the window, count")


class MetricNames(Model):
    names: list[MetricName] = _f("Metrics with points in the window, by name")


class MetricPoint(Model):
    ts: int = _f("Step start, epoch ms")
    value: float | None = _f("Aggregated value in the metric's unit; null when not finite")


class MetricSeries(Model):
    name: str = _f("Metric name")
    step: int = _f("Seconds per point")
    agg: Literal["avg", "min", "max", "sum", "last"] = _f("Aggregation per step")
    points: list[MetricPoint] = _f("Steps with points only")


class ActiveRequest(Model):
    """One in-flight request; agents may report fields beyond these."""

    model_config = ConfigDict(extra="allow")

    service: str = _f("Service name")
    instance: str = _f(_INSTANCE)
    instance_name: str = _f(_INSTANCE_NAME)
    host: str | None = _f("host.name the agent reported", default=None)
    pid: int | None = _f("Process id the agent reported", default=None)
    reported_at: int = _f("When the server received the report, epoch ms")
    trace_id: str | None = _f("Trace id, 32 hex digits", default=None)
    span_id: str | None = _f("Span id, 16 hex digits", default=None)
    method: str | None = _f("HTTP method", default=None)
    url: str | None = _f("Path and query", default=None)
    route: str | None = _f("HTTP route", default=None)
    start_unix_nano: int | None = _f("Start, epoch nanoseconds", default=None)
    elapsed_ms: float | None = _f("Running time as of this call, ms", default=None)
    thread_id: int | None = _f("Serving thread id", default=None)
    thread_name: str | None = _f("Serving thread name", default=None)
    sampled: bool | None = _f("Whether the trace is sampled", default=None)


class ActiveRequests(Model):
    requests: list[ActiveRequest] = _f("Longest running first")
    instances: list[str] = _f("Instance ids with a current report, sorted")
    instance_names: InstanceNames = _f(_NAMES + "; one per entry of instances")


class CaptureArgs(Model):
    window_s: float | None = _f(
        "memory only: trace allocations for this many seconds (tracemalloc, started for the "
        "window and stopped after it when it was off); the capture answers after the window",
        default=None, ge=0, le=60)
    pid: int | None = _f(
        "a pod's capture only: the container's process (default 1, its main process)",
        default=None, ge=1)


class CaptureRequest(Model):
    service: str = _f("Service name (an agent's capture)", default="")
    instance: str = _f(_INSTANCE + " (an agent's capture)", default="")
    cluster: str = _f(
        "A pod's capture through the Kubernetes exec API, instead of service and instance: "
        "the watched cluster (jcmd for threads and memory, /proc for the rest)", default="")
    namespace: str = _f("With cluster: the pod's namespace", default="")
    pod: str = _f("With cluster: the pod", default="")
    container: str = _f("With cluster: the container (default: the pod's only one)",
                        default="")
    kind: CaptureKind = _f("What to capture", default="threads")
    args: CaptureArgs = _f("What the capture takes", default_factory=CaptureArgs)


class CaptureAccepted(Model):
    id: str = _f("Capture id")
    status: Literal["pending", "done"] = _f(
        "pending: the agent answers on its next poll; done: a pod's capture, taken through "
        "the exec API and stored before the answer")


class CaptureTrigger(Model):
    reason: Literal["request", "memory_near_limit", "long_request", "sigterm", "alert"] = _f(
        "request: a person asked; the others: the agent's watchdog, or a firing alert's rule")
    detail: str = _f("What tripped it ('rss 231 MiB = 90 % of the 256 MiB limit')", default="")
    rule_id: str | None = _f("alert: the rule that asked for it", default=None)


class Capture(Model):
    id: str = _f("Capture id")
    service: str = _f("Service name")
    instance: str = _f(_INSTANCE)
    instance_name: str = _f(_INSTANCE_NAME)
    kind: str = _f("Capture kind: threads, memory, network, files, processes")
    status: Literal["pending", "done", "failed"] = _f("pending until the agent answers")
    requested_at: int | None = _f("Pending: when it was asked for, epoch ms", default=None)
    format: str | None = _f("Stored: the document's format (bongsu.threads/1, "
                            "jvm.thread_print/1 …; docs/captures.md)", default=None)
    captured_at: int | None = _f("Stored: when it was taken, epoch ms", default=None)
    trigger: CaptureTrigger | None = _f("Stored: why it was taken", default=None)
    headline: str | None = _f("Stored: its analysis in one line", default=None)
    summary: dict[str, Any] | None = _f(
        "Stored: ok, error, host, pid, requested_at (epoch ms), trigger, headline; threads: "
        "threads, serving_requests; analysis_error when the analyzer failed", default=None)
    payload: Any = _f("One capture: the document as collected (docs/captures.md)",
                      default=None)
    analysis: cm.Analysis | None = _f(
        "One capture: what its kind's analyzer reads in it (null: failed, or no analyzer "
        "for its format)", default=None)


class Captures(Model):
    captures: list[Capture] = _f("Pending first, then stored ones newest first")


class CaptureComparison(Model):
    kind: str = _f("The kind both captures are")
    base: Capture = _f("The earlier capture (without payload and analysis)")
    other: Capture = _f("The later capture (without payload and analysis)")
    comparison: cm.Comparison = _f("What changed from base to other (memory: leak suspects)")
