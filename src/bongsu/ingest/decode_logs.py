"""OTLP logs into log record columns, keeping their trace and span ids."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from bongsu.ingest.attributes import to_dict, value_of
from bongsu.ingest.resource import note_resource, origin_of
from bongsu.store.batch import LOG_SCHEMA


class LogColumns:
    """Growing column lists for one batch of log records."""

    def __init__(self) -> None:
        self.cols: dict[str, list[Any]] = {name: [] for name in LOG_SCHEMA.names}

    def __len__(self) -> int:
        return len(self.cols["ts_us"])

    def table(self) -> pa.Table:
        return pa.Table.from_pydict(self.cols, schema=LOG_SCHEMA)


def decode_logs(
    request: Any, tenant: str, out: LogColumns, resources: dict[Any, list[Any]]
) -> int:
    """Append the records of one ``ExportLogsServiceRequest``; returns how many."""
    c = out.cols
    count = 0
    for rl in request.resource_logs:
        origin = origin_of(rl.resource)
        first_ts, last_ts = 2**63, 0
        for sl in rl.scope_logs:
            for rec in sl.log_records:
                ts_us = (rec.time_unix_nano or rec.observed_time_unix_nano) // 1000
                last_ts = max(last_ts, ts_us)
                first_ts = min(first_ts, ts_us)
                tid = rec.trace_id
                body = value_of(rec.body) if rec.HasField("body") else None
                attrs = to_dict(rec.attributes)
                c["tenant"].append(tenant)
                c["ts_us"].append(ts_us)
                c["trace_hi"].append(int.from_bytes(tid[:8], "big") if tid else 0)
                c["trace_lo"].append(int.from_bytes(tid[8:], "big") if tid else 0)
                c["span_id"].append(int.from_bytes(rec.span_id, "big") if rec.span_id else 0)
                severity = rec.severity_number  # an open enum: 1-24 are defined
                c["severity_number"].append(severity if 0 <= severity <= 24 else 0)
                c["severity_text"].append(rec.severity_text or None)
                c["body"].append(
                    body if isinstance(body, str) or body is None
                    else json.dumps(body, default=str)
                )
                c["service"].append(origin.service)
                c["instance"].append(origin.instance)
                c["attributes"].append(json.dumps(attrs, default=str) if attrs else None)
                count += 1
        if last_ts:
            note_resource(resources, tenant, origin, first_ts, last_ts)
    return count
