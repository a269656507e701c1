"""Trace and span ids as W3C hex text, and OTLP enum values as names."""

from __future__ import annotations

SPAN_KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer",
              5: "consumer"}
STATUSES = {0: "unset", 1: "ok", 2: "error"}


def trace_hex(hi: int, lo: int) -> str:
    """A trace id (two unsigned 64-bit halves) as 32 lower-case hex digits."""
    return f"{hi:016x}{lo:016x}"


def span_hex(span_id: int) -> str:
    """A span id as 16 lower-case hex digits."""
    return f"{span_id:016x}"


def split_trace_id(value: int) -> tuple[int, int]:
    """A 128-bit trace id as its (hi, lo) halves."""
    return value >> 64, value & 0xFFFF_FFFF_FFFF_FFFF


def status_name(status: int) -> str:
    return STATUSES.get(status, str(status))


def kind_name(kind: int) -> str:
    return SPAN_KINDS.get(kind, str(kind))
