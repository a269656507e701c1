"""OTLP traces into span columns: a few raw fields kept per span, the work done per column.

The loop below is the ingest hot path: keep it flat. Per span it appends the fields it
reads from the lean messages (:mod:`bongsu.ingest.lean_traces`) as they are, and the
columns are computed when the table is built: ids split into 64-bit halves by one byte
swap of all of them, times divided in Arrow, attribute lists decoded once per distinct
encoding (:class:`~bongsu.ingest.attribute_sets.AttributeSets`). The rows are those the
official classes decode to, which ``tests/ingest/test_decode_traces.py`` checks against
the decoder this one replaced.
"""

from __future__ import annotations

import sys
from array import array
from itertools import accumulate
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from bongsu.ingest.attribute_sets import SLOT_NAMES, AttributeSet, AttributeSets
from bongsu.ingest.attributes import to_dict
from bongsu.ingest.resource import Origin, note_resource, origin_of
from bongsu.store.batch import RESOURCE_SCHEMA, SPAN_SCHEMA

STATUS_ERROR = 2
_ZERO8 = bytes(8)
_NO_STATUS = (0, None)
_THOUSAND, _ZERO = pa.scalar(1000, pa.uint64()), pa.scalar(0, pa.uint64())
_SWAP = sys.byteorder == "little"  # OTLP ids are big-endian

# Columns that hold one value per resource: kept as runs, expanded when the table is built.
_RESOURCE_COLUMNS = ("tenant", "service", "instance", "cluster", "namespace")


class SpanColumns:
    """Growing per-span lists for one batch of spans."""

    def __init__(self) -> None:
        self.trace_ids: list[bytes] = []
        self.span_ids: list[bytes] = []
        self.parent_ids: list[bytes] = []  # eight zero bytes for a root span
        self.names: list[str] = []
        self.kinds: list[int] = []
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.statuses: list[tuple[int, str | None]] = []  # (code, message)
        self.attributes: list[AttributeSet] = []
        self.events: list[str | None] = []
        # (span count, tenant, service, instance, cluster, namespace) per resource
        self.runs: list[tuple[int, str, str, str, str | None, str | None]] = []
        self.resources: dict[tuple[str, str, str], list[Any]] = {}

    def __len__(self) -> int:
        return len(self.starts)

    def _lists(self) -> list[list[Any]]:
        return [self.trace_ids, self.span_ids, self.parent_ids, self.names, self.kinds,
                self.starts, self.ends, self.statuses, self.attributes, self.events]

    def truncate(self, spans: int, runs: int) -> None:
        """Forget what was appended after ``spans`` spans and ``runs`` runs."""
        for values in self._lists():
            del values[spans:]
        del self.runs[runs:]

    def spans_table(self) -> pa.Table:
        n = len(self)
        arrays: dict[str, Any] = {}
        # One contiguous array per column (DuckDB scans many small chunks far slower),
        # expanded from the runs in Arrow: a repeat per run cost ~0.7 µs a span.
        runs = [run for run in self.runs if run[0]]
        run_ends = pa.array(list(accumulate(run[0] for run in runs)), pa.int64())
        for i, name in enumerate(_RESOURCE_COLUMNS, start=1):
            values = pa.array([run[i] for run in runs], SPAN_SCHEMA.field(name).type)
            encoded = pa.RunEndEncodedArray.from_arrays(run_ends, values)
            arrays[name] = pc.run_end_decode(encoded)
        arrays["trace_hi"], arrays["trace_lo"] = _id_halves(self.trace_ids, 16)
        arrays["span_id"] = _id_halves(self.span_ids, 8)[0]
        arrays["parent_id"] = _id_halves(self.parent_ids, 8)[0]
        starts, ends = _uint64(self.starts), _uint64(self.ends)
        arrays["ts_us"] = pc.divide(starts, _THOUSAND).cast(pa.int64())
        duration = pc.divide(pc.subtract(ends, starts), _THOUSAND)  # wraps when negative
        duration = pc.if_else(pc.less(ends, starts), _ZERO, duration)
        arrays["duration_us"] = duration.cast(pa.int64())
        arrays["name"] = pa.array(self.names, pa.string())
        arrays["kind"] = pa.array(self.kinds, pa.uint8())
        arrays["events"] = pa.array(self.events, pa.string())
        columns: list[Any] = list(zip(*self.statuses, strict=True)) if n else [[], []]
        arrays["status"] = pa.array(columns[0], pa.uint8())
        arrays["status_message"] = pa.array(columns[1], pa.string())
        columns = list(zip(*self.attributes, strict=True)) if n else [[]] * 10
        for name, values in zip((*SLOT_NAMES, "attributes"), columns, strict=False):
            arrays[name] = pa.array(values, SPAN_SCHEMA.field(name).type)
        http_error = pa.array(columns[9], pa.bool_())
        arrays["is_error"] = pc.or_(pc.equal(arrays["status"], STATUS_ERROR), http_error)
        return pa.table([arrays[name] for name in SPAN_SCHEMA.names], schema=SPAN_SCHEMA)

    def resources_table(self) -> pa.Table:
        rows = list(self.resources.values())
        return pa.Table.from_pylist(
            [dict(zip(RESOURCE_SCHEMA.names, r, strict=True)) for r in rows],
            schema=RESOURCE_SCHEMA,
        )


def decode_traces(request: Any, tenant: str, out: SpanColumns, sets: AttributeSets) -> int:
    """Append the spans of one lean ``ExportTraceServiceRequest``; returns how many.

    All or nothing: a request that cannot be decoded leaves ``out`` as it was.
    """
    spans, runs = len(out), len(out.runs)
    try:
        seen = _decode(request, tenant, out, sets)
    except BaseException:
        out.truncate(spans, runs)
        raise
    for origin, first_us, last_us in seen:
        note_resource(out.resources, tenant, origin, first_us, last_us)
    return len(out) - spans


def _decode(
    request: Any, tenant: str, out: SpanColumns, sets: AttributeSets
) -> list[tuple[Origin, int, int]]:
    """The loop: per span, appends only. Returns each resource's first and last span."""
    a_trace, a_span, a_parent = out.trace_ids.append, out.span_ids.append, out.parent_ids.append
    a_name, a_kind, a_start, a_end = (
        out.names.append, out.kinds.append, out.starts.append, out.ends.append
    )
    a_status, a_attrs, a_events = out.statuses.append, out.attributes.append, out.events.append
    starts = out.starts
    attribute_set = sets.get
    seen: list[tuple[Origin, int, int]] = []
    for rs in request.resource_spans:
        origin = origin_of(rs.resource)
        before = len(starts)
        for ss in rs.scope_spans:
            for sp in ss.spans:
                a_trace(sp.trace_id)
                a_span(sp.span_id)
                a_parent(sp.parent_span_id or _ZERO8)
                a_name(sp.name)
                kind = sp.kind  # an open enum: values past CONSUMER are unknown kinds
                a_kind(kind if 0 <= kind <= 5 else 0)
                a_start(sp.start_time_unix_nano)
                a_end(sp.end_time_unix_nano)
                a_attrs(attribute_set(tuple(sp.attributes[:])))  # a slice copies fastest
                status = sp.status
                a_status(_status(status) if status else _NO_STATUS)
                events = sp.events
                a_events(_events_json(events) if events else None)
        count = len(starts) - before
        out.runs.append((count, tenant, origin.service, origin.instance,
                         origin.cluster, origin.namespace))
        if count:
            last_us = max(starts[before:]) // 1000
            if last_us:
                seen.append((origin, min(starts[before:]) // 1000, last_us))
    return seen


def _status(occurrences: Any) -> tuple[int, str | None]:
    """(code, message) of a span's status, its occurrences merged as protobuf merges them."""
    st = Status.FromString(b"".join(occurrences))
    return (st.code if 0 <= st.code <= 2 else 0), (st.message or None)


def _events_json(encodings: Any) -> str:
    events = [Span.Event.FromString(e) for e in encodings]
    return orjson.dumps(
        [
            {"name": e.name, "ts": e.time_unix_nano // 1_000_000,
             "attributes": to_dict(e.attributes)}
            for e in events
        ],
        default=str,
    ).decode()


def _uint64(values: list[int]) -> pa.Array:
    """Python ints as an Arrow uint64 array, through one C-level copy."""
    data = array("Q", values)
    return pa.Array.from_buffers(pa.uint64(), len(data), [None, pa.py_buffer(data)])


def _id_halves(ids: list[bytes], width: int) -> tuple[pa.Array, pa.Array]:
    """Big-endian ids of ``width`` bytes as (high, low) uint64 arrays (low empty for 8)."""
    joined = b"".join(ids)
    if len(joined) != width * len(ids):  # not all of one width: the receiver refuses those
        whole = [int.from_bytes(i, "big") for i in ids]
        if width == 8:
            return pa.array(whole, pa.uint64()), pa.array([], pa.uint64())
        mask = (1 << 64) - 1
        return (pa.array([w >> 64 for w in whole], pa.uint64()),
                pa.array([w & mask for w in whole], pa.uint64()))
    words = array("Q")
    words.frombytes(joined)
    if _SWAP:
        words.byteswap()
    if width == 8:
        return _from_words(words), pa.array([], pa.uint64())
    return _from_words(words[0::2]), _from_words(words[1::2])


def _from_words(words: array[int]) -> pa.Array:
    return pa.Array.from_buffers(pa.uint64(), len(words), [None, pa.py_buffer(words)])
