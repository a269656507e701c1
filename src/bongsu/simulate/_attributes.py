"""OTLP attribute values, built once and reused.

Generation appends the same few thousand key/value pairs millions of times; building a
``KeyValue`` costs about as much as the rest of a span, so each distinct pair is built
once per generator and copied from then on.

Example::

    attrs = AttributeCache()
    span.attributes.append(attrs.get("http.request.method", "GET"))
"""

from __future__ import annotations

from collections.abc import Iterable

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span

Value = str | bool | int | float


def key_value(key: str, value: Value) -> KeyValue:
    """One OTLP attribute; ``bool`` is checked before ``int`` because it is one."""
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=value))


class AttributeCache:
    """Hands out shared ``KeyValue`` messages; callers copy them, never mutate them."""

    def __init__(self) -> None:
        self._pairs: dict[tuple[str, Value], KeyValue] = {}
        self._fragments: dict[tuple[str, Value], bytes] = {}

    def get(self, key: str, value: Value) -> KeyValue:
        pair = (key, value)
        kv = self._pairs.get(pair)
        if kv is None:
            kv = self._pairs[pair] = key_value(key, value)
        return kv

    def in_span(self, key: str, value: Value) -> bytes:
        """The attribute as a serialized ``Span`` fragment, for ``Span.MergeFromString``.

        Merging bytes copies an attribute in ~0.15 µs, a third of ``attributes.append``.
        """
        pair = (key, value)
        fragment = self._fragments.get(pair)
        if fragment is None:
            fragment = Span(attributes=[self.get(key, value)]).SerializeToString()
            self._fragments[pair] = fragment
        return fragment

    def many(self, pairs: Iterable[tuple[str, Value]]) -> list[KeyValue]:
        return [self.get(k, v) for k, v in pairs]


def resource(pairs: Iterable[tuple[str, Value]]) -> Resource:
    return Resource(attributes=[key_value(k, v) for k, v in pairs])


def scope(language: str) -> InstrumentationScope:
    """The instrumentation scope a real SDK of that language would report."""
    name = {
        "python": "opentelemetry.instrumentation.asgi",
        "java": "io.opentelemetry.spring-webmvc-6.0",
        "go": "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",
    }.get(language, "bongsu.simulate")
    return InstrumentationScope(name=name, version="0.48b0" if language == "python" else "2.9.0")
