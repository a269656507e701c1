"""OTLP ``AnyValue`` / ``KeyValue`` lists as plain Python values."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def value_of(v: Any) -> Any:
    """The Python value held by one OTLP ``AnyValue``."""
    which = v.WhichOneof("value")
    if which == "string_value":
        return v.string_value
    if which == "int_value":
        return v.int_value
    if which == "double_value":
        return v.double_value
    if which == "bool_value":
        return v.bool_value
    if which == "array_value":
        return [value_of(x) for x in v.array_value.values]
    if which == "kvlist_value":
        return to_dict(v.kvlist_value.values)
    if which == "bytes_value":
        return v.bytes_value.hex()
    return None


def to_dict(kvs: Iterable[Any]) -> dict[str, Any]:
    """A ``KeyValue`` list as a dict (last one wins on repeated keys)."""
    return {kv.key: value_of(kv.value) for kv in kvs}
