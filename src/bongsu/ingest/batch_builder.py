"""Decode logged OTLP payloads into one store :class:`~bongsu.store.batch.Batch`.

Example::

    builder = BatchBuilder()
    builder.add(Signal.TRACES, "default", request_bytes)
    store.load(builder.build(), lsn)
"""

from __future__ import annotations

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from bongsu.ingest.attribute_sets import AttributeSets
from bongsu.ingest.decode_logs import LogColumns, decode_logs
from bongsu.ingest.decode_metrics import MetricColumns, decode_metrics
from bongsu.ingest.decode_traces import SpanColumns, decode_traces
from bongsu.ingest.lean_traces import LeanTraceRequest
from bongsu.ingest.signals import Signal
from bongsu.store.batch import Batch


class BatchBuilder:
    """Accumulates decoded telemetry until :meth:`build` hands it over and starts afresh."""

    def __init__(self) -> None:
        self._attribute_sets = AttributeSets()  # kept from batch to batch
        self._reset()

    def _reset(self) -> None:
        self._spans = SpanColumns()
        self._metrics = MetricColumns()
        self._logs = LogColumns()

    @property
    def items(self) -> int:
        return len(self._spans) + len(self._metrics) + len(self._logs)

    def add(self, signal: Signal, tenant: str, payload: bytes) -> int:
        """Decode one logged request (already validated by the receiver)."""
        if signal is Signal.TRACES:
            traces = LeanTraceRequest.FromString(payload)
            return decode_traces(traces, tenant, self._spans, self._attribute_sets)
        if signal is Signal.METRICS:
            metrics = ExportMetricsServiceRequest.FromString(payload)
            return decode_metrics(metrics, tenant, self._metrics, self._spans.resources)
        logs = ExportLogsServiceRequest.FromString(payload)
        return decode_logs(logs, tenant, self._logs, self._spans.resources)

    def build(self) -> Batch:
        """Everything added since the last build."""
        batch = Batch(
            spans=self._spans.spans_table(),
            resources=self._spans.resources_table(),
            metrics=self._metrics.table(),
            logs=self._logs.table(),
        )
        self._reset()
        return batch
