"""What ingest hands to the store: decoded telemetry as Arrow tables, one per kind.

The column names and types here are the contract between the decoder and every store
backend; a backend maps them onto its tables. Timestamps are epoch microseconds, ids are
unsigned 64-bit halves (``trace_hi``/``trace_lo``), text attributes are JSON strings.

Example::

    batch = Batch(spans=pa.Table.from_pydict(columns, schema=SPAN_SCHEMA))
    store.load(batch, lsn=1234)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

SPAN_SCHEMA = pa.schema(
    [
        ("tenant", pa.string()),
        ("ts_us", pa.int64()),
        ("trace_hi", pa.uint64()),
        ("trace_lo", pa.uint64()),
        ("span_id", pa.uint64()),
        ("parent_id", pa.uint64()),
        ("service", pa.string()),
        ("instance", pa.string()),
        ("cluster", pa.string()),
        ("namespace", pa.string()),
        ("name", pa.string()),
        ("kind", pa.uint8()),
        ("duration_us", pa.int64()),
        ("status", pa.uint8()),
        ("is_error", pa.bool_()),
        ("http_method", pa.string()),
        ("http_route", pa.string()),
        ("http_status", pa.uint16()),
        ("db_system", pa.string()),
        ("db_name", pa.string()),
        ("db_statement", pa.string()),
        ("peer", pa.string()),
        ("user_id", pa.string()),
        ("status_message", pa.string()),
        ("attributes", pa.string()),
        ("events", pa.string()),
    ]
)

EDGE_SCHEMA = pa.schema(
    [
        ("tenant", pa.string()),
        ("ts_us", pa.int64()),
        ("source", pa.string()),
        ("source_instance", pa.string()),
        ("target", pa.string()),
        ("target_instance", pa.string()),
        ("target_kind", pa.string()),
        ("calls", pa.int64()),
        ("errors", pa.int64()),
        ("sum_us", pa.int64()),
    ]
)

RESOURCE_SCHEMA = pa.schema(
    [
        ("tenant", pa.string()),
        ("service", pa.string()),
        ("instance", pa.string()),
        ("cluster", pa.string()),
        ("namespace", pa.string()),
        ("host", pa.string()),
        ("first_us", pa.int64()),
        ("last_us", pa.int64()),
        ("resource", pa.string()),
    ]
)

METRIC_SCHEMA = pa.schema(
    [
        ("tenant", pa.string()),
        ("ts_us", pa.int64()),
        ("service", pa.string()),
        ("instance", pa.string()),
        ("name", pa.string()),
        ("kind", pa.string()),
        ("unit", pa.string()),
        ("value", pa.float64()),
        ("count", pa.uint64()),
        ("sum", pa.float64()),
        ("min", pa.float64()),
        ("max", pa.float64()),
        ("bounds", pa.list_(pa.float64())),
        ("bucket_counts", pa.list_(pa.uint64())),
        ("attributes", pa.string()),
    ]
)

LOG_SCHEMA = pa.schema(
    [
        ("tenant", pa.string()),
        ("ts_us", pa.int64()),
        ("trace_hi", pa.uint64()),
        ("trace_lo", pa.uint64()),
        ("span_id", pa.uint64()),
        ("severity_number", pa.uint8()),
        ("severity_text", pa.string()),
        ("body", pa.string()),
        ("service", pa.string()),
        ("instance", pa.string()),
        ("attributes", pa.string()),
    ]
)


@dataclass(frozen=True)
class Batch:
    """Decoded telemetry to load in one transaction. Missing kinds are empty tables.

    The store matches ``spans`` into caller -> callee edges itself; ``edges`` carries calls
    that are already known as such (a backfill of aggregated history).
    """

    spans: pa.Table = field(default_factory=SPAN_SCHEMA.empty_table)
    edges: pa.Table = field(default_factory=EDGE_SCHEMA.empty_table)
    resources: pa.Table = field(default_factory=RESOURCE_SCHEMA.empty_table)
    metrics: pa.Table = field(default_factory=METRIC_SCHEMA.empty_table)
    logs: pa.Table = field(default_factory=LOG_SCHEMA.empty_table)
