"""Trace search and trace detail (waterfall rows with attributes, events and logs).

A span's attributes are rebuilt from the columns the store keeps them in (under their
current semantic-convention names) merged with the JSON of the others.

Example::

    body = trace_detail(reads, "default", int("4bf92f3577b34da6a3ce929d0e0e4736", 16))
    root = body["spans"][0]
"""

from __future__ import annotations

import json
from typing import Any

from bongsu.errors import NotFound
from bongsu.query.ids import kind_name, span_hex, split_trace_id, status_name, trace_hex
from bongsu.query.logs import log_json
from bongsu.query.names import instance_names
from bongsu.store.reads import LogSearch, Reads, SpanRecord, TraceSearch

# Span columns given back as attributes, under these names.
COLUMN_ATTRIBUTES = (
    ("http_method", "http.request.method"),
    ("http_route", "http.route"),
    ("http_status", "http.response.status_code"),
    ("db_system", "db.system"),
    ("db_name", "db.name"),
    ("db_statement", "db.statement"),
    ("peer", "server.address"),
    ("user_id", "enduser.id"),
)
TRACE_LOG_LIMIT = 1000
_ALL_TIME = (0, 2**62)


def find_traces(reads: Reads, tenant: str, search: TraceSearch) -> dict[str, Any]:
    """Traces matching the search, newest first."""
    rows = reads.find_traces(tenant, search)
    return {
        "traces": [
            {
                "trace_id": trace_hex(t.trace_hi, t.trace_lo),
                "root_service": t.root_service,
                "root_name": t.root_name,
                "start": t.start_us / 1000,
                "duration_ms": (t.end_us - t.start_us) / 1000,
                "span_count": t.span_count,
                "error": t.error,
            }
            for t in rows
        ]
    }


def trace_detail(reads: Reads, tenant: str, trace_id: int) -> dict[str, Any]:
    """Every span of a trace in start order, and the trace's log records."""
    hi, lo = split_trace_id(trace_id)
    spans = reads.trace_spans(tenant, hi, lo)
    if not spans:
        raise NotFound(f"trace {trace_hex(hi, lo)} not found")
    logs = reads.logs(
        tenant, LogSearch(*_ALL_TIME, limit=TRACE_LOG_LIMIT, trace=(hi, lo))
    )
    names = instance_names(reads, tenant, [*(s.instance for s in spans),
                                           *(r.instance for r in logs)])
    return {
        "trace_id": trace_hex(hi, lo),
        "spans": [span_json(s, names) for s in spans],
        "logs": [log_json(r, names) for r in reversed(logs)],
    }


def span_json(s: SpanRecord, names: dict[str, str]) -> dict[str, Any]:
    """One span as the API gives it; ``names`` maps instance ids to display names."""
    return {
        "span_id": span_hex(s.span_id),
        "parent_span_id": span_hex(s.parent_id) if s.parent_id else None,
        "service": s.service,
        "instance": s.instance,
        "instance_name": names.get(s.instance, s.instance),
        "name": s.name,
        "kind": kind_name(s.kind),
        "start": s.ts_us / 1000,
        "duration_ms": s.duration_us / 1000,
        "status": status_name(s.status),
        "status_message": s.status_message,
        "error": s.is_error,
        "attributes": attributes_of(s),
        "events": json.loads(s.events) if s.events else [],
    }


def attributes_of(s: SpanRecord) -> dict[str, Any]:
    """The span's attributes: JSON-held ones plus those kept in columns."""
    attrs: dict[str, Any] = json.loads(s.attributes) if s.attributes else {}
    for column, name in COLUMN_ATTRIBUTES:
        value = getattr(s, column)
        if value is not None:
            attrs[name] = value
    if s.cluster is not None:
        attrs.setdefault("k8s.cluster.name", s.cluster)
    if s.namespace is not None:
        attrs.setdefault("k8s.namespace.name", s.namespace)
    return attrs
