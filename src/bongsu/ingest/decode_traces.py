"""OTLP traces into span columns, touching each span's fields once.

The loop below is the ingest hot path (~10 µs/span in Python, FACTS.md): keep it flat.
Attributes with a column of their own (semantic conventions, old and new names) are not
repeated in the JSON ``attributes`` text.
"""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa

from bongsu.ingest.attributes import to_dict, value_of
from bongsu.ingest.resource import origin_of
from bongsu.store.batch import RESOURCE_SCHEMA, SPAN_SCHEMA

STATUS_ERROR = 2

# attribute -> index into the per-span slot list below
_COLUMN_OF = {
    "http.request.method": 0,
    "http.method": 0,
    "http.route": 1,
    "http.response.status_code": 2,
    "http.status_code": 2,
    "db.system": 3,
    "db.system.name": 3,
    "db.name": 4,
    "db.namespace": 4,
    "db.statement": 5,
    "db.query.text": 5,
    "server.address": 6,
    "net.peer.name": 6,
    "enduser.id": 7,
}
SLOT_NAMES = ("http_method", "http_route", "http_status", "db_system", "db_name",
              "db_statement", "peer", "user_id")


class SpanColumns:
    """Growing column lists for one batch of spans."""

    def __init__(self) -> None:
        self.cols: dict[str, list[Any]] = {name: [] for name in SPAN_SCHEMA.names}
        self.resources: dict[tuple[str, str, str], list[Any]] = {}

    def __len__(self) -> int:
        return len(self.cols["ts_us"])

    def spans_table(self) -> pa.Table:
        return pa.Table.from_pydict(self.cols, schema=SPAN_SCHEMA)

    def resources_table(self) -> pa.Table:
        rows = list(self.resources.values())
        return pa.Table.from_pylist(
            [dict(zip(RESOURCE_SCHEMA.names, r, strict=True)) for r in rows],
            schema=RESOURCE_SCHEMA,
        )


def decode_traces(request: Any, tenant: str, out: SpanColumns) -> int:
    """Append the spans of one ``ExportTraceServiceRequest``; returns how many."""
    c = out.cols
    c_tenant, c_ts, c_thi, c_tlo = c["tenant"], c["ts_us"], c["trace_hi"], c["trace_lo"]
    c_sid, c_pid, c_svc, c_inst = c["span_id"], c["parent_id"], c["service"], c["instance"]
    c_cluster, c_ns, c_name, c_kind = c["cluster"], c["namespace"], c["name"], c["kind"]
    c_dur, c_status, c_err, c_msg = c["duration_us"], c["status"], c["is_error"], c[
        "status_message"
    ]
    c_attrs, c_events = c["attributes"], c["events"]
    slot_cols = [c[name] for name in SLOT_NAMES]
    from_bytes = int.from_bytes
    column_of = _COLUMN_OF
    dumps = orjson.dumps
    count = 0
    for rs in request.resource_spans:
        origin = origin_of(rs.resource)
        service, instance = origin.service, origin.instance
        cluster, namespace = origin.cluster, origin.namespace
        first_ts, last_ts = 2**63, 0
        for ss in rs.scope_spans:
            for sp in ss.spans:
                tid = sp.trace_id
                thi = from_bytes(tid[:8], "big")
                tlo = from_bytes(tid[8:], "big")
                sid = from_bytes(sp.span_id, "big")
                pid = from_bytes(sp.parent_span_id, "big") if sp.parent_span_id else 0
                start = sp.start_time_unix_nano
                ts_us = start // 1000
                dur = max(0, (sp.end_time_unix_nano - start) // 1000)
                kind = sp.kind
                status = sp.status.code
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
                        slots[idx] = text or value_of(value)
                http_status = slots[2]
                if http_status is not None:
                    try:
                        http_status = int(http_status)
                    except (TypeError, ValueError):
                        http_status = None
                    if http_status is not None and not 0 <= http_status < 65536:
                        http_status = None
                    slots[2] = http_status
                for i in (0, 1, 3, 4, 5, 6, 7):
                    if slots[i] is not None and not isinstance(slots[i], str):
                        slots[i] = str(slots[i])
                error = status == STATUS_ERROR or (http_status is not None and http_status >= 500)
                c_tenant.append(tenant)
                c_ts.append(ts_us)
                c_thi.append(thi)
                c_tlo.append(tlo)
                c_sid.append(sid)
                c_pid.append(pid)
                c_svc.append(service)
                c_inst.append(instance)
                c_cluster.append(cluster)
                c_ns.append(namespace)
                c_name.append(sp.name)
                c_kind.append(kind)
                c_dur.append(dur)
                c_status.append(status)
                c_err.append(error)
                c_msg.append(sp.status.message or None)
                for col, value in zip(slot_cols, slots, strict=True):
                    col.append(value)
                c_attrs.append(dumps(extra, default=str).decode() if extra else None)
                c_events.append(_events_json(sp.events) if sp.events else None)
                if ts_us > last_ts:
                    last_ts = ts_us
                if ts_us < first_ts:
                    first_ts = ts_us
                count += 1
        if last_ts:
            note_resource(out.resources, tenant, origin, first_ts, last_ts)
    return count


def note_resource(
    resources: dict[tuple[str, str, str], list[Any]], tenant: str, origin: Any,
    first_us: int, last_us: int,
) -> None:
    """Remember the first and last sighting of one instance for the ``instances`` table."""
    key = (tenant, origin.service, origin.instance)
    seen = resources.get(key)
    if seen is None:
        resources[key] = [tenant, origin.service, origin.instance, origin.cluster,
                          origin.namespace, origin.host, first_us, last_us,
                          origin.resource_json]
    else:
        seen[6] = min(seen[6], first_us)
        if last_us >= seen[7]:
            seen[7] = last_us
            seen[8] = origin.resource_json


def _events_json(events: Any) -> str:
    return orjson.dumps(
        [
            {"name": e.name, "ts": e.time_unix_nano // 1_000_000,
             "attributes": to_dict(e.attributes)}
            for e in events
        ],
        default=str,
    ).decode()
