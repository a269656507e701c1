"""The trace decoder as it was before the lean messages (up to commit 1c7d96f), kept as
the reference the product's decoder must equal (``test_decode_traces.py``) and as the old
path ``bench/ingest_paths.py`` runs next to the new one.

It walks the official message classes field by field (~10 µs a span). ``ReferenceBuilder``
is :class:`~bongsu.ingest.batch_builder.BatchBuilder` with traces decoded this way.
"""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from bongsu.ingest.attribute_sets import COLUMN_OF as _COLUMN_OF
from bongsu.ingest.attribute_sets import SLOT_NAMES
from bongsu.ingest.attributes import to_dict, value_of
from bongsu.ingest.batch_builder import BatchBuilder
from bongsu.ingest.resource import note_resource, origin_of
from bongsu.ingest.signals import Signal
from bongsu.store.batch import RESOURCE_SCHEMA, SPAN_SCHEMA

STATUS_ERROR = 2



# Columns that hold one value per resource: kept as runs, expanded when the table is built.
_RESOURCE_COLUMNS = ("tenant", "service", "instance", "cluster", "namespace")


class SpanColumns:
    """Growing column lists for one batch of spans."""

    def __init__(self) -> None:
        self.cols: dict[str, list[Any]] = {
            name: [] for name in SPAN_SCHEMA.names if name not in _RESOURCE_COLUMNS
        }
        # (span count, tenant, service, instance, cluster, namespace) per resource
        self.runs: list[tuple[int, str, str, str, str | None, str | None]] = []
        self.resources: dict[tuple[str, str, str], list[Any]] = {}

    def __len__(self) -> int:
        return len(self.cols["ts_us"])

    def spans_table(self) -> pa.Table:
        arrays: dict[str, Any] = {}
        for i, name in enumerate(_RESOURCE_COLUMNS, start=1):
            kind = SPAN_SCHEMA.field(name).type
            # One contiguous array: DuckDB scans many small chunks far slower.
            parts = [pa.repeat(pa.scalar(run[i], kind), run[0]) for run in self.runs if run[0]]
            arrays[name] = pa.concat_arrays(parts) if parts else pa.array([], kind)
        for name, values in self.cols.items():
            arrays[name] = pa.array(values, SPAN_SCHEMA.field(name).type)
        return pa.table([arrays[name] for name in SPAN_SCHEMA.names], schema=SPAN_SCHEMA)

    def resources_table(self) -> pa.Table:
        rows = list(self.resources.values())
        return pa.Table.from_pylist(
            [dict(zip(RESOURCE_SCHEMA.names, r, strict=True)) for r in rows],
            schema=RESOURCE_SCHEMA,
        )


def decode_traces(request: Any, tenant: str, out: SpanColumns) -> int:
    """Append the spans of one ``ExportTraceServiceRequest``; returns how many."""
    c = out.cols
    c_ts, c_thi, c_tlo = c["ts_us"], c["trace_hi"], c["trace_lo"]
    c_sid, c_pid, c_name, c_kind = c["span_id"], c["parent_id"], c["name"], c["kind"]
    c_dur, c_status, c_err, c_msg = c["duration_us"], c["status"], c["is_error"], c[
        "status_message"
    ]
    c_method, c_route, c_http, c_db, c_dbname, c_stmt, c_peer, c_user = (
        c[name] for name in SLOT_NAMES
    )
    c_attrs, c_events = c["attributes"], c["events"]
    from_bytes = int.from_bytes
    column_of = _COLUMN_OF
    dumps = orjson.dumps
    mask = (1 << 64) - 1
    count = 0
    for rs in request.resource_spans:
        origin = origin_of(rs.resource)
        first_ts, last_ts = 2**63, 0
        before = count
        for ss in rs.scope_spans:
            for sp in ss.spans:
                trace = from_bytes(sp.trace_id, "big")
                parent = sp.parent_span_id
                start = sp.start_time_unix_nano
                ts_us = start // 1000
                st = sp.status
                status = st.code if 0 <= st.code <= 2 else 0
                slots: list[Any] = [None] * 8
                extra: dict[str, Any] | None = None
                for kv in sp.attributes:
                    key = kv.key
                    value = kv.value
                    # Most attributes are strings: skip the oneof lookup for them.
                    text = value.string_value
                    idx = column_of.get(key)
                    if idx is None:
                        if extra is None:
                            extra = {}
                        extra[key] = text or value_of(value)
                    elif slots[idx] is None:
                        slots[idx] = text or _column_value(idx, value)
                http_status = slots[2]
                if http_status is not None and not isinstance(http_status, int):
                    http_status = _status_code(http_status)
                c_ts.append(ts_us)
                c_thi.append(trace >> 64)
                c_tlo.append(trace & mask)
                c_sid.append(from_bytes(sp.span_id, "big"))
                c_pid.append(from_bytes(parent, "big") if parent else 0)
                c_name.append(sp.name)
                kind = sp.kind  # an open enum: values past CONSUMER are unknown kinds
                c_kind.append(kind if 0 <= kind <= 5 else 0)
                c_dur.append(max(0, (sp.end_time_unix_nano - start) // 1000))
                c_status.append(status)
                c_err.append(
                    status == STATUS_ERROR or (http_status is not None and http_status >= 500)
                )
                c_msg.append(st.message or None)
                c_method.append(slots[0])
                c_route.append(slots[1])
                c_http.append(http_status)
                c_db.append(slots[3])
                c_dbname.append(slots[4])
                c_stmt.append(slots[5])
                c_peer.append(slots[6])
                c_user.append(slots[7])
                c_attrs.append(dumps(extra, default=str).decode() if extra else None)
                c_events.append(_events_json(sp.events) if sp.events else None)
                if ts_us > last_ts:
                    last_ts = ts_us
                if ts_us < first_ts:
                    first_ts = ts_us
                count += 1
        out.runs.append((count - before, tenant, origin.service, origin.instance,
                         origin.cluster, origin.namespace))
        if last_ts:
            note_resource(out.resources, tenant, origin, first_ts, last_ts)
    return count


def _column_value(idx: int, value: Any) -> Any:
    """A non-string attribute bound for a column: an int status code, else text."""
    v = value_of(value)
    if v is None:
        return None
    return _status_code(v) if idx == 2 else str(v)


def _status_code(v: Any) -> int | None:
    try:
        code = int(v)
    except (TypeError, ValueError):
        return None
    return code if 0 <= code < 65536 else None


def _events_json(events: Any) -> str:
    return orjson.dumps(
        [
            {"name": e.name, "ts": e.time_unix_nano // 1_000_000,
             "attributes": to_dict(e.attributes)}
            for e in events
        ],
        default=str,
    ).decode()


class ReferenceBuilder(BatchBuilder):
    """A batch builder that decodes traces with the reference decoder above."""

    def _reset(self) -> None:
        super()._reset()
        self._spans = SpanColumns()  # type: ignore[assignment]

    def add(self, signal: Signal, tenant: str, payload: bytes) -> int:
        if signal is Signal.TRACES:
            traces = ExportTraceServiceRequest.FromString(payload)
            return decode_traces(traces, tenant, self._spans)  # type: ignore[arg-type]
        return super().add(signal, tenant, payload)
