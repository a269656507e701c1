"""Lean OTLP trace messages: the decoder's view of a logged ``ExportTraceServiceRequest``.

They read the same bytes as the official classes, with the same field numbers, but a
span's attributes, events and status stay raw: ``repeated bytes``, one element per
occurrence on the wire. Walking official ``KeyValue`` messages costs ~1.8 µs per
attribute here (a wrapper for the pair, one for its value, then the value); a raw element
costs one ``bytes`` object, and the same attribute bytes recur across spans (the
simulator's 1.3M attributes hold 4,858 distinct encodings, its 205k spans 14,405
distinct attribute lists), so :mod:`bongsu.ingest.decode_traces` decodes each distinct
encoding once, with the official classes.

Why this is the same data: a repeated message field's occurrences are its elements, so
each attribute or event element is exactly one official message; and the occurrences of
a singular message field (``status``) merge as their concatenation parses, so
``Status.FromString(b"".join(span.status))`` is the official span's status. Unknown
fields are skipped as the official classes skip them. The receiver has already parsed
every logged payload with the official classes (:mod:`bongsu.ingest.validate`), so what
these do not check (UTF-8 inside attributes, the fields they leave out) was checked.

Example::

    request = LeanTraceRequest.FromString(payload)
    for rs in request.resource_spans:      # rs.resource is the official Resource
        for ss in rs.scope_spans:
            for span in ss.spans: span.attributes   # a list of KeyValue encodings
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from opentelemetry.proto.resource.v1 import resource_pb2

_F = descriptor_pb2.FieldDescriptorProto
_PACKAGE = "bongsu.ingest.lean"

# (message, [(field, number, type, repeated, message type or None)]); the numbers are
# those of opentelemetry/proto/trace/v1/trace.proto.
_MESSAGES: list[tuple[str, list[tuple[str, int, int, bool, str | None]]]] = [
    ("Request", [("resource_spans", 1, _F.TYPE_MESSAGE, True, f".{_PACKAGE}.ResourceSpans")]),
    ("ResourceSpans", [
        ("resource", 1, _F.TYPE_MESSAGE, False, ".opentelemetry.proto.resource.v1.Resource"),
        ("scope_spans", 2, _F.TYPE_MESSAGE, True, f".{_PACKAGE}.ScopeSpans"),
    ]),
    ("ScopeSpans", [("spans", 2, _F.TYPE_MESSAGE, True, f".{_PACKAGE}.Span")]),
    ("Span", [
        ("trace_id", 1, _F.TYPE_BYTES, False, None),
        ("span_id", 2, _F.TYPE_BYTES, False, None),
        ("parent_span_id", 4, _F.TYPE_BYTES, False, None),
        ("name", 5, _F.TYPE_STRING, False, None),
        ("kind", 6, _F.TYPE_INT32, False, None),  # an open enum reads as its int32
        ("start_time_unix_nano", 7, _F.TYPE_FIXED64, False, None),
        ("end_time_unix_nano", 8, _F.TYPE_FIXED64, False, None),
        ("attributes", 9, _F.TYPE_BYTES, True, None),  # KeyValue encodings
        ("events", 11, _F.TYPE_BYTES, True, None),  # Span.Event encodings
        ("status", 15, _F.TYPE_BYTES, True, None),  # Status occurrences, to be merged
    ]),
]


def _build() -> Any:
    resource_pb2.DESCRIPTOR  # noqa: B018 - the Resource type must be in the pool first
    file = descriptor_pb2.FileDescriptorProto(
        name="bongsu/ingest/lean_traces.proto", package=_PACKAGE, syntax="proto3",
        dependency=[resource_pb2.DESCRIPTOR.name],
    )
    for name, fields in _MESSAGES:
        message = file.message_type.add(name=name)
        for field, number, kind, repeated, type_name in fields:
            message.field.add(
                name=field, number=number, type=kind,  # type: ignore[arg-type]
                label=_F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL,
                **({"type_name": type_name} if type_name else {}),
            )
    pool = descriptor_pool.Default()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{_PACKAGE}.Request"))


LeanTraceRequest: Any = _build()
"""Parses an ``ExportTraceServiceRequest`` payload into the lean messages above."""

__all__ = ["LeanTraceRequest"]
