"""A small hand-written OTLP protobuf encoder (traces, metrics, logs).

The agent must not import ``protobuf`` or ``opentelemetry``; the OTLP messages it sends
are simple enough to write field by field. Field numbers follow
``opentelemetry/proto/{trace,metrics,logs,common,resource}/v1/*.proto``; the tests
decode every message with the official ``opentelemetry-proto`` classes.

Runs on the sender thread only. Encoded key/value pairs are cached because the same few
(``http.request.method`` = ``GET``) repeat in every span: a hit costs ~0.1 µs against
~1.5 µs to encode.

Example::

    body = encode_traces(resource_bytes({"service.name": "shop"}), SCOPE, [span])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from struct import Struct
from typing import Any

from bongsu import __version__
from bongsu.agent._tracer import FrozenAttrs

__all__ = [
    "SCOPE",
    "HistogramPoint",
    "LogItem",
    "Metric",
    "any_value",
    "encode_logs",
    "encode_metrics",
    "encode_spans",
    "encode_traces",
    "key_value",
    "resource_bytes",
    "scope_bytes",
]

_Q = Struct("<Q").pack
_D = Struct("<d").pack
_VARINTS = []
for _i in range(1 << 14):
    _b = bytearray()
    _n = _i
    while _n > 0x7F:
        _b.append((_n & 0x7F) | 0x80)
        _n >>= 7
    _b.append(_n)
    _VARINTS.append(bytes(_b))
del _i, _b, _n


def _varint(n: int) -> bytes:
    if 0 <= n < 16384:
        return _VARINTS[n]
    n &= 0xFFFFFFFFFFFFFFFF  # int64 two's complement for negatives
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _ld(tag: bytes, payload: bytes) -> bytes:
    n = len(payload)
    return tag + (_VARINTS[n] if n < 16384 else _varint(n)) + payload


def _string(tag: bytes, text: str) -> bytes:
    return _ld(tag, text.encode("utf-8", "replace"))


def any_value(value: Any) -> bytes:
    """An encoded ``AnyValue`` message."""
    if isinstance(value, str):
        return _string(b"\x0a", value)
    if isinstance(value, bool):
        return b"\x10\x01" if value else b"\x10\x00"
    if isinstance(value, int):
        return b"\x18" + _varint(value)
    if isinstance(value, float):
        return b"\x21" + _D(value)
    if isinstance(value, bytes):
        return _ld(b"\x3a", value)
    if isinstance(value, (list, tuple)):
        return _ld(b"\x2a", b"".join(_ld(b"\x0a", any_value(v)) for v in value))
    if isinstance(value, Mapping):
        return _ld(b"\x32", b"".join(_ld(b"\x0a", key_value(str(k), v)) for k, v in value.items()))
    return _string(b"\x0a", str(value))


def key_value(key: str, value: Any) -> bytes:
    """An encoded ``KeyValue`` message."""
    return _string(b"\x0a", key) + _ld(b"\x12", any_value(value))


_KV_CACHES: dict[bytes, dict[tuple[str, Any], bytes]] = {}


def _attrs(tag: bytes, attrs: Mapping[str, Any]) -> list[bytes]:
    cache = _KV_CACHES.get(tag)
    if cache is None:
        cache = _KV_CACHES[tag] = {}  # one per field tag: the tag is part of the bytes
    out = []
    for item in attrs.items():
        kind = type(item[1])
        if kind is str or kind is int:  # exact types: True == 1 and 1.0 == 1 must not collide
            encoded = cache.get(item)
            if encoded is None:
                encoded = _ld(tag, key_value(*item))
                if len(cache) >= 20000:
                    cache.clear()
                cache[item] = encoded
        else:
            encoded = _ld(tag, key_value(*item))
        out.append(encoded)
    return out


def resource_bytes(attrs: Mapping[str, Any]) -> bytes:
    """An encoded ``Resource`` message."""
    return b"".join(_ld(b"\x0a", key_value(k, v)) for k, v in attrs.items())


def scope_bytes(name: str, version: str) -> bytes:
    """An encoded ``InstrumentationScope`` message."""
    return _string(b"\x0a", name) + _string(b"\x12", version)


SCOPE = scope_bytes("bongsu.agent", __version__)


_IDS = Struct(">HQQHQ").pack  # trace_id (field 1) and span_id (field 2), tags included
_IDS_PARENT = Struct(">HQQHQHQ").pack  # ... and parent_span_id (field 4)
_TIMES = Struct("<BBBQBQ").pack  # kind (6), start (7), end (8)
_NAMES: dict[str, bytes] = {}
_M64 = (1 << 64) - 1


def _name(name: str) -> bytes:
    encoded = _NAMES.get(name)
    if encoded is None:
        encoded = _string(b"\x2a", name)
        if len(_NAMES) >= 5000:
            _NAMES.clear()
        _NAMES[name] = encoded
    return encoded


def _all_attrs(tag: bytes, attrs: Mapping[str, Any]) -> bytes:
    # A span's whole attribute set repeats too (same route, method, status): one lookup.
    try:
        key = (tag, *attrs, *attrs.values())  # flatter (cheaper) than a tuple of items
        encoded = _SETS.get(key)
    except TypeError:  # an unhashable value (a list)
        return b"".join(_attrs(tag, attrs))
    if encoded is None:
        encoded = b"".join(_attrs(tag, attrs))
        if len(_SETS) >= 20000:
            _SETS.clear()
        _SETS[key] = encoded
    return encoded


_SETS: dict[tuple[Any, ...], bytes] = {}


def encode_spans(spans: Iterable[Any]) -> list[bytes]:
    """``ScopeSpans.spans`` (field 2) for agent spans (see ``_tracer.Span``): pieces to join."""
    # Fields are written out of numeric order where that saves a step (the ids, parent id
    # and times each in one struct call); protobuf parsers accept any order.
    out: list[bytes] = []
    names = _NAMES
    for s in spans:
        trace_id = s.trace_id
        if s.parent_id:
            head = _IDS_PARENT(0x0A10, trace_id >> 64, trace_id & _M64, 0x1208, s.span_id,
                               0x2208, s.parent_id)
        else:
            head = _IDS(0x0A10, trace_id >> 64, trace_id & _M64, 0x1208, s.span_id)
        attrs = s.attrs
        if type(attrs) is FrozenAttrs:  # shared by every call of a DB statement
            encoded = attrs.encoded
            if encoded is None:
                encoded = attrs.encoded = b"".join(_attrs(b"\x4a", attrs))
        else:
            encoded = _all_attrs(b"\x4a", attrs)
        body = b"".join((head, names.get(s.name) or _name(s.name),
                         _TIMES(0x30, s.kind, 0x39, s.start, 0x41, s.end), encoded))
        if s.tracestate:
            body += _string(b"\x1a", s.tracestate)
        if s.events:
            for ts, name, event_attrs in s.events:
                event = b"\x09" + _Q(ts) + _string(b"\x12", name) + b"".join(
                    _ld(b"\x1a", key_value(k, v)) for k, v in event_attrs.items())  # not cached
                body += _ld(b"\x5a", event)
        if s.status:
            status = b"\x18" + _VARINTS[s.status]
            if s.status_message:
                status = _string(b"\x12", s.status_message[:1024]) + status
            body += _ld(b"\x7a", status)
        n = len(body)
        out += (b"\x12", _VARINTS[n] if n < 16384 else _varint(n), body)
    return out


def encode_traces(resource: bytes, scope: bytes, spans: Iterable[Any]) -> bytes:
    """An ``ExportTraceServiceRequest`` body."""
    scope_spans = _ld(b"\x0a", scope) + b"".join(encode_spans(spans))
    resource_spans = _ld(b"\x0a", resource) + _ld(b"\x12", scope_spans)
    return _ld(b"\x0a", resource_spans)


@dataclass
class HistogramPoint:
    """One histogram data point; ``counts`` has ``len(bounds) + 1`` buckets."""

    attrs: Mapping[str, Any]
    count: int
    total: float
    counts: Sequence[int]
    bounds: Sequence[float]
    minimum: float | None = None
    maximum: float | None = None


@dataclass
class Metric:
    """One metric: ``kind`` is ``gauge``, ``sum`` or ``histogram``.

    ``points`` holds ``(attrs, value)`` pairs for gauges and sums, ``HistogramPoint``s for
    histograms.
    """

    name: str
    kind: str
    unit: str = ""
    description: str = ""
    points: list[Any] = field(default_factory=list)
    monotonic: bool = True
    delta: bool = False


def _number_point(attrs: Mapping[str, Any], value: float, start: int, now: int) -> bytes:
    body = b"\x11" + _Q(start) + b"\x19" + _Q(now)
    if isinstance(value, int) and not isinstance(value, bool):
        body += b"\x31" + _Q(value & 0xFFFFFFFFFFFFFFFF)
    else:
        body += b"\x21" + _D(float(value))
    return body + b"".join(_attrs(b"\x3a", attrs))


def _histogram_point(p: HistogramPoint, start: int, now: int) -> bytes:
    body = [b"\x11", _Q(start), b"\x19", _Q(now), b"\x21", _Q(p.count), b"\x29", _D(p.total),
            _ld(b"\x32", b"".join(_Q(c) for c in p.counts)),
            _ld(b"\x3a", b"".join(_D(b) for b in p.bounds))]
    body += _attrs(b"\x4a", p.attrs)
    if p.minimum is not None and p.maximum is not None:
        body += (b"\x59", _D(p.minimum), b"\x61", _D(p.maximum))
    return b"".join(body)


def encode_metrics(
    resource: bytes, scope: bytes, metrics: Iterable[Metric], start: int, now: int
) -> bytes:
    """An ``ExportMetricsServiceRequest`` body."""
    encoded = []
    for m in metrics:
        head = _string(b"\x0a", m.name) + _string(b"\x12", m.description) + _string(
            b"\x1a", m.unit)
        temporality = b"\x10\x01" if m.delta else b"\x10\x02"
        if m.kind == "histogram":
            points = b"".join(_ld(b"\x0a", _histogram_point(p, start, now)) for p in m.points)
            data = _ld(b"\x4a", points + temporality)
        else:
            points = b"".join(_ld(b"\x0a", _number_point(a, v, start, now)) for a, v in m.points)
            if m.kind == "gauge":
                data = _ld(b"\x2a", points)
            else:
                data = _ld(b"\x3a", points + temporality + (
                    b"\x18\x01" if m.monotonic else b""))
        encoded.append(_ld(b"\x12", head + data))
    scope_metrics = _ld(b"\x0a", scope) + b"".join(encoded)
    return _ld(b"\x0a", _ld(b"\x0a", resource) + _ld(b"\x12", scope_metrics))


@dataclass
class LogItem:
    """One log record waiting to be sent."""

    time: int
    severity_number: int
    severity_text: str
    body: str
    attrs: dict[str, Any]
    trace_id: int = 0
    span_id: int = 0


def encode_logs(resource: bytes, scope: bytes, logs: Iterable[LogItem]) -> bytes:
    """An ``ExportLogsServiceRequest`` body."""
    records = []
    for r in logs:
        parts = [b"\x09", _Q(r.time), b"\x59", _Q(r.time), b"\x10", _varint(r.severity_number),
                 _string(b"\x1a", r.severity_text), _ld(b"\x2a", any_value(r.body))]
        parts += _attrs(b"\x32", r.attrs)
        if r.trace_id:
            parts += (b"\x45", b"\x01\x00\x00\x00", b"\x4a\x10", r.trace_id.to_bytes(16, "big"),
                      b"\x52\x08", r.span_id.to_bytes(8, "big"))
        records.append(_ld(b"\x12", b"".join(parts)))
    scope_logs = _ld(b"\x0a", scope) + b"".join(records)
    return _ld(b"\x0a", _ld(b"\x0a", resource) + _ld(b"\x12", scope_logs))


def partial_success(body: bytes) -> tuple[int, str]:
    """``(rejected, error_message)`` from an Export*ServiceResponse (0, "" when absent)."""
    inner = _field(body, 1)
    if inner is None:
        return 0, ""
    rejected, message = 0, ""
    pos = 0
    while pos < len(inner):
        key, pos = _read_varint(inner, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(inner, pos)
            if number == 1:
                rejected = value
        elif wire == 2:
            size, pos = _read_varint(inner, pos)
            if number == 2:
                message = inner[pos:pos + size].decode("utf-8", "replace")
            pos += size
        else:
            break
    return rejected, message


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while pos < len(data):
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
    return result, pos


def _field(data: bytes, wanted: int) -> bytes | None:
    pos = 0
    try:
        while pos < len(data):
            key, pos = _read_varint(data, pos)
            number, wire = key >> 3, key & 7
            if wire != 2:
                return None
            size, pos = _read_varint(data, pos)
            if number == wanted:
                return data[pos:pos + size]
            pos += size
    except IndexError:
        return None
    return None
