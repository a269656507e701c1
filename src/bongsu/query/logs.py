"""Log search: by service, trace, minimum severity and text.

Example::

    body = search_logs(reads, "default", LogSearch(start_us, end_us, 100, text="timeout"))
"""

from __future__ import annotations

import json
from typing import Any

from bongsu.errors import InvalidQuery
from bongsu.query.ids import span_hex, trace_hex
from bongsu.query.names import instance_names
from bongsu.store.reads import LogRecord, LogSearch, Reads

# OTLP SeverityNumber ranges start at these values.
SEVERITIES = {"trace": 1, "debug": 5, "info": 9, "warn": 13, "warning": 13, "error": 17,
              "fatal": 21}


def parse_severity(raw: str | None) -> int | None:
    """A minimum severity: a name (``warn``) or an OTLP severity number 1-24."""
    if raw is None:
        return None
    text = raw.strip().lower()
    if text.isascii() and text.isdigit() and 1 <= int(text) <= 24:  # not "²"
        return int(text)
    if text in SEVERITIES:
        return SEVERITIES[text]
    raise InvalidQuery(
        f"severity: expected trace, debug, info, warn, error, fatal or 1-24, got {raw!r}"
    )


def search_logs(reads: Reads, tenant: str, search: LogSearch) -> dict[str, Any]:
    """Matching log records, newest first."""
    rows = reads.logs(tenant, search)
    names = instance_names(reads, tenant, (r.instance for r in rows))
    return {"logs": [log_json(r, names) for r in rows]}


def log_json(r: LogRecord, names: dict[str, str]) -> dict[str, Any]:
    """One log record as the API gives it; ``names`` maps instance ids to display names."""
    has_trace = bool(r.trace_hi or r.trace_lo)
    return {
        "ts": r.ts_us / 1000,
        "trace_id": trace_hex(r.trace_hi, r.trace_lo) if has_trace else None,
        "span_id": span_hex(r.span_id) if r.span_id else None,
        "severity": r.severity_text,
        "severity_number": r.severity_number,
        "body": r.body,
        "service": r.service,
        "instance": r.instance,
        "instance_name": names.get(r.instance, r.instance),
        "attributes": json.loads(r.attributes) if r.attributes else {},
    }
