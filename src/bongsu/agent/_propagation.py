"""W3C Trace Context (``traceparent``, ``tracestate``) and ``baggage`` headers.

Example::

    parent = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    assert parent is not None and parent[2] is True
    assert format_traceparent(*parent).endswith("-01")
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

__all__ = [
    "format_baggage",
    "format_traceparent",
    "parse_baggage",
    "parse_traceparent",
    "redact_query",
]

_HEX = frozenset("0123456789abcdef")
_SECRET = re.compile(  # the secret word as a whole key or a _/- separated part of one
    r"(?i)((?:^|[&;])(?:[^=&;]*[_-])?(?:password|passwd|pwd|secret|token|api[_-]?key|"
    r"signature|sig|credentials?|auth|session(?:id)?|awsaccesskeyid)(?:[_-][^=&;]*)?=)[^&;]*")
_MAX_BAGGAGE = 8192


def parse_traceparent(value: str | None) -> tuple[int, int, bool] | None:
    """``(trace_id, parent_span_id, sampled)`` from a traceparent header, or None if invalid."""
    if not value or len(value) < 55:
        return None
    value = value.strip().lower()
    if len(value) < 55 or value[2] != "-" or value[35] != "-" or value[52] != "-":
        return None
    version = value[:2]
    if version == "ff" or (version == "00" and len(value) != 55) or not _HEX.issuperset(version):
        return None
    if len(value) > 55 and value[55] != "-":
        return None
    trace_hex, span_hex, flags_hex = value[3:35], value[36:52], value[53:55]
    if not (_HEX.issuperset(trace_hex) and _HEX.issuperset(span_hex)
            and _HEX.issuperset(flags_hex)):
        return None
    trace_id, span_id = int(trace_hex, 16), int(span_hex, 16)
    if trace_id == 0 or span_id == 0:
        return None
    return trace_id, span_id, bool(int(flags_hex, 16) & 1)


def format_traceparent(trace_id: int, span_id: int, sampled: bool) -> str:
    """The traceparent header naming ``span_id`` as the parent."""
    return f"00-{trace_id:032x}-{span_id:016x}-{'01' if sampled else '00'}"


def parse_baggage(value: str | None) -> dict[str, str]:
    """Entries of a baggage header (properties after ``;`` are dropped)."""
    result: dict[str, str] = {}
    if not value or len(value) > _MAX_BAGGAGE:
        return result
    for member in value.split(","):
        key, sep, rest = member.partition("=")
        if sep and key.strip():
            result[unquote(key.strip())] = unquote(rest.split(";", 1)[0].strip())
    return result


def format_baggage(entries: dict[str, str]) -> str:
    """A baggage header for ``entries``."""
    return ",".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in entries.items())


def redact_query(query: str) -> str:
    """``query`` with the values of secret-looking parameters replaced by ``REDACTED``."""
    return _SECRET.sub(r"\1REDACTED", query) if "=" in query else query
