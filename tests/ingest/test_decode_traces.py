"""The trace decoder builds the tables the decoder it replaced built (reference_decode.py),
on the simulator's traffic and on the edge cases of OTLP: attribute types and repeats,
out-of-range enums, a status sent twice, events, roots, empty resources, small caches."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pytest
from google.protobuf.message import DecodeError
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, Span, Status
from reference_decode import ReferenceBuilder

from bongsu.ingest.attribute_sets import AttributeSets
from bongsu.ingest.batch_builder import BatchBuilder
from bongsu.ingest.signals import Signal
from bongsu.simulate import generate
from bongsu.store.batch import Batch

NOW_NS = time.time_ns()
COLUMN_KEYS = ["http.request.method", "http.method", "http.route", "http.response.status_code",
               "http.status_code", "db.system", "db.system.name", "db.name", "db.namespace",
               "db.statement", "db.query.text", "server.address", "net.peer.name", "enduser.id"]


def build(builder: Any, payloads: list[bytes], batches: int = 1) -> list[Batch]:
    """Each payload added (in ``batches`` batches); a payload that fails to decode skipped."""
    out = []
    size = -(-len(payloads) // batches)
    for i in range(0, len(payloads), size):
        for payload in payloads[i:i + size]:
            # one that fails is counted as undecodable by the decoder process, which goes on
            with contextlib.suppress(Exception):
                builder.add(Signal.TRACES, "acme", payload)
        out.append(builder.build())
    return out


def assert_same(payloads: list[bytes], batches: int = 1, sets: AttributeSets | None = None
                ) -> list[Batch]:
    new_builder = BatchBuilder()
    if sets is not None:
        new_builder._attribute_sets = sets
    old, new = build(ReferenceBuilder(), payloads, batches), build(new_builder, payloads, batches)
    for before, after in zip(old, new, strict=True):
        assert after.spans.schema == before.spans.schema
        for name in before.spans.schema.names:
            assert after.spans[name].to_pylist() == before.spans[name].to_pylist(), name
        assert after.spans.equals(before.spans)
        assert after.resources.equals(before.resources)
    return new


def simulated(count: int) -> list[bytes]:
    start = NOW_NS - 3_600 * 10**9
    bodies = []
    for export in generate(seed=3, start_ns=start, duration_s=10**6, rate=200):
        if export.kind == "traces":
            bodies.append(export.body)
            if len(bodies) == count:
                return bodies
    return bodies


def test_the_simulators_traffic_decodes_to_the_same_tables() -> None:
    payloads = simulated(150)
    batches = assert_same(payloads, batches=3)  # the caches carry over from batch to batch
    assert sum(b.spans.num_rows for b in batches) > 10_000
    # and through caches so small that they start afresh all the time
    assert_same(payloads[:40], sets=AttributeSets(max_sets=3, max_values=5))


def any_value(value: Any) -> AnyValue:
    v = AnyValue()
    if isinstance(value, bool):
        v.bool_value = value
    elif isinstance(value, int):
        v.int_value = value
    elif isinstance(value, float):
        v.double_value = value
    elif isinstance(value, str):
        v.string_value = value
    elif isinstance(value, bytes):
        v.bytes_value = value
    elif isinstance(value, list):
        v.array_value.values.extend(any_value(x) for x in value)
    elif isinstance(value, dict):
        v.kvlist_value.values.extend(KeyValue(key=k, value=any_value(x))
                                     for k, x in value.items())
    return v  # None: an empty AnyValue


def span(i: int, attributes: Any = (), **fields: Any) -> Span:
    start = fields.get("start_time_unix_nano", NOW_NS - i * 10**6)
    defaults = {"trace_id": bytes([i % 250 + 1]) * 16, "span_id": (i + 1).to_bytes(8, "big"),
                "name": f"op {i}", "start_time_unix_nano": start,
                "end_time_unix_nano": start + 1_234_567}
    sp = Span(**{**defaults, **fields})
    sp.attributes.extend(KeyValue(key=k, value=any_value(v)) for k, v in attributes)
    return sp


def request(*resources: tuple[dict[str, Any], list[Span]]) -> bytes:
    req = ExportTraceServiceRequest()
    for attrs, spans in resources:
        rs = req.resource_spans.add()
        rs.resource.attributes.extend(KeyValue(key=k, value=any_value(v))
                                      for k, v in attrs.items())
        rs.scope_spans.add().spans.extend(spans)
    return req.SerializeToString()


SHOP = {"service.name": "shop", "service.instance.id": "shop-1", "k8s.cluster.name": "eu"}


def test_attribute_types_repeats_and_column_values() -> None:
    cases: list[list[tuple[str, Any]]] = [
        [],
        [("http.request.method", "GET"), ("http.route", "/a"), ("http.response.status_code", 200)],
        [("http.status_code", "503"), ("http.method", "POST")],  # status as text, >= 500
        [("http.status_code", "abc"), ("http.status_code", 404)],  # the first one wins
        [("http.status_code", None), ("http.status_code", 502)],  # an empty value gives way
        [("http.status_code", 70000)], [("http.status_code", -1)], [("http.status_code", True)],
        [("http.status_code", 500.7)], [("http.status_code", [500])],
        [("db.system", "postgresql"), ("db.system.name", "mysql"), ("db.statement", 5)],
        [("server.address", ""), ("net.peer.name", "db-1")],  # "" is no value for a column
        [("enduser.id", b"\x01\xff"), ("db.name", {"a": 1}), ("db.namespace", [1, "x"])],
        [("x", 1), ("y", 2.5), ("z", True), ("x", "again"), ("w", None), ("v", b"\x00")],
        [("nested", {"a": [1, {"b": None}], "c": "d"}), ("list", [1, 2.0, "three", False])],
        [("é", "ünïcode ✓"), ("", "empty key"), ("big", 2**63 - 1), ("neg", -(2**63))],
        [("float", float("inf")), ("nan", float("nan")), ("tiny", 5e-324)],
    ]
    spans = [span(i, attrs) for i, attrs in enumerate(cases)]
    assert_same([request((SHOP, spans)), request((SHOP, spans[::-1]))])


def test_enums_status_roots_events_and_times() -> None:
    spans = [
        span(0, kind=Span.SPAN_KIND_SERVER, status=Status(code=Status.STATUS_CODE_ERROR,
                                                             message="boom")),
        span(1, kind=9, status=Status(code=7, message="")),  # unknown kind and code
        span(2, kind=-3, parent_span_id=(77).to_bytes(8, "big")),
        span(3, status=Status(message="ok but said")),
        span(4, end_time_unix_nano=NOW_NS - 4 * 10**6 - 5),  # ends before it starts
        span(5, end_time_unix_nano=2**64 - 1),
        span(6, start_time_unix_nano=NOW_NS - 6 * 10**6 + 999),  # sub-microsecond digits
        span(7, trace_id=bytes(range(240, 256)), span_id=b"\xff" * 8,
             parent_span_id=b"\x80" + bytes(7)),  # high bits: unsigned halves
    ]
    event = Span.Event(name="exception", time_unix_nano=NOW_NS + 123_456_789)
    event.attributes.extend([KeyValue(key="exception.type", value=any_value("E")),
                             KeyValue(key="n", value=any_value(3))])
    spans[3].events.extend([event, Span.Event(name="empty")])
    assert_same([request((SHOP, spans))])


def field(number: int, payload: bytes) -> bytes:
    """One length-delimited protobuf field, encoded by hand."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    return bytes(out) + bytes([value])


def raw_request(resource: dict[str, Any], *span_encodings: bytes) -> bytes:
    """A request of one resource whose spans are the given encodings, as sent."""
    rs = ResourceSpans()
    rs.resource.attributes.extend(KeyValue(key=k, value=any_value(v)) for k, v in resource.items())
    scope = b"".join(field(2, encoding) for encoding in span_encodings)
    return field(1, field(1, rs.resource.SerializeToString()) + field(2, scope))


def test_a_status_sent_twice_merges_as_protobuf_merges() -> None:
    first = span(0, status=Status(code=Status.STATUS_CODE_ERROR, message="first"))
    twice = first.SerializeToString() + field(15, Status(message="second").SerializeToString())
    payload = raw_request(SHOP, twice, span(1).SerializeToString())
    official = ExportTraceServiceRequest.FromString(payload).resource_spans[0].scope_spans[0]
    assert official.spans[0].status == Status(code=Status.STATUS_CODE_ERROR, message="second")
    (batch,) = assert_same([payload])
    assert batch.spans["status_message"].to_pylist() == ["second", None]
    assert batch.spans["is_error"].to_pylist() == [True, False]


def test_resources_empty_unnamed_repeated_and_tenants_runs() -> None:
    shop2 = {**SHOP, "service.instance.id": "shop-2"}
    payloads = [
        request((SHOP, []), ({}, [span(1)]), (SHOP, [span(2), span(3)])),
        request(({"host.name": "h", "process.pid": 12}, [span(4)]), (shop2, [span(5)]),
                (SHOP, [span(6, start_time_unix_nano=NOW_NS + 10**9)])),
        request(),
        request((SHOP, [span(7, start_time_unix_nano=0, end_time_unix_nano=0)])),
    ]
    (batch,) = assert_same(payloads)
    assert batch.spans["service"].to_pylist() == ["unknown_service", "shop", "shop",
                                                   "unknown_service", "shop", "shop", "shop"]


def test_a_record_that_cannot_be_decoded_leaves_the_batch_as_it_was() -> None:
    good = request((SHOP, [span(0)]))
    bad_key = field(1, b"\xff") + field(2, any_value("v").SerializeToString())  # not UTF-8
    broken = span(2).SerializeToString() + field(9, bad_key)
    bad = raw_request(SHOP, span(1).SerializeToString(), broken)
    builder = BatchBuilder()
    builder.add(Signal.TRACES, "acme", good)
    with pytest.raises(DecodeError):
        builder.add(Signal.TRACES, "acme", bad)
    assert len(builder._spans) == 1 and len(builder._spans.runs) == 1
    (batch,) = assert_same([good, bad, request((SHOP, [span(9)]))])
    assert batch.spans["span_id"].to_pylist() == [1, 10]


values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats()
    | st.text(max_size=8) | st.binary(max_size=4) | st.sampled_from(["500", "200", " 404 "]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                 max_size=3),
    max_leaves=6,
)
attribute_lists = st.lists(
    st.tuples(st.sampled_from([*COLUMN_KEYS, "a", "b", "http.target"]), values), max_size=6)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(attribute_lists, st.integers(-2, 8), st.integers(0, 4),
                          st.integers(-10**9, 10**9)), min_size=1, max_size=12))
def test_any_spans_decode_to_the_same_tables(cases: list[tuple[Any, int, int, int]]) -> None:
    spans = [span(i, attrs, kind=kind, status=Status(code=code, message="m" * (code % 2)),
                  end_time_unix_nano=NOW_NS - i * 10**6 + duration)
             for i, (attrs, kind, code, duration) in enumerate(cases)]
    half = len(spans) // 2
    assert_same([request((SHOP, spans[:half]), ({"service.name": "b"}, spans[half:]))],
                sets=AttributeSets(max_sets=4, max_values=8))
