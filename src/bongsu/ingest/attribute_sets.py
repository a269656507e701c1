"""What a span's attribute list becomes: its column values and the JSON text of the rest.

Attributes with a column of their own (semantic conventions, old and new names) are not
repeated in the JSON ``attributes`` text. A list is decoded once per distinct encoding
(the tuple of its raw ``KeyValue`` encodings, see :mod:`bongsu.ingest.lean_traces`) and
each ``KeyValue`` once per distinct encoding; both caches are bounded and start afresh
when full. On the simulator's spans 93 % of the lists are seen before; with a distinct
value in every list (a request id per span) every list misses, and decode + build still
cost ~0.65-0.7x the decoder that walked the official classes (bench/ingest_paths.py's
reference).

Example::

    sets = AttributeSets()
    method, route, status, *_ = sets.get(tuple(span.attributes))
"""

from __future__ import annotations

from typing import Any

import orjson
from opentelemetry.proto.common.v1.common_pb2 import KeyValue

from bongsu.ingest.attributes import value_of

COLUMN_OF = {
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
"""Attribute name -> index of its span column in :data:`SLOT_NAMES`."""
SLOT_NAMES = ("http_method", "http_route", "http_status", "db_system", "db_name",
              "db_statement", "peer", "user_id")
"""The span columns filled from attributes, in the order of :data:`AttributeSet`."""

AttributeSet = tuple[Any, ...]
"""The eight :data:`SLOT_NAMES` values, the JSON text of the other attributes (or None),
and whether the HTTP status is 500 or more."""

# A distinct list costs ~0.5 kB held (its key and values): 32k of them ~16 MiB.
MAX_SETS = 32_768
MAX_VALUES = 32_768


class AttributeSets:
    """Decoded attribute lists by their encodings, bounded (see the module docstring)."""

    def __init__(self, max_sets: int = MAX_SETS, max_values: int = MAX_VALUES) -> None:
        self._sets: dict[tuple[bytes, ...], AttributeSet] = {}
        self._values: dict[bytes, tuple[str, int | None, Any]] = {}
        self._max_sets = max_sets
        self._max_values = max_values

    def get(self, encodings: tuple[bytes, ...]) -> AttributeSet:
        """The columns of the attribute list whose ``KeyValue`` encodings these are."""
        found = self._sets.get(encodings)
        if found is None:
            found = self._decode(encodings)
            if len(self._sets) >= self._max_sets:
                self._sets.clear()
            self._sets[encodings] = found
        return found

    def _decode(self, encodings: tuple[bytes, ...]) -> AttributeSet:
        # The first value of a column attribute wins, the last one of any other.
        slots: list[Any] = [None] * 8
        extra: dict[str, Any] | None = None
        values = self._values
        for encoding in encodings:
            decoded = values.get(encoding)
            if decoded is None:
                decoded = _key_value(encoding)
                if len(values) >= self._max_values:
                    values.clear()
                values[encoding] = decoded
            key, idx, value = decoded
            if idx is None:
                if extra is None:
                    extra = {}
                extra[key] = value
            elif slots[idx] is None:
                slots[idx] = value
        http_status = slots[2]
        if http_status is not None and not isinstance(http_status, int):
            http_status = status_code(http_status)
        slots[2] = http_status
        attributes = orjson.dumps(extra, default=str).decode() if extra else None
        return (*slots, attributes, http_status is not None and http_status >= 500)


def _key_value(encoding: bytes) -> tuple[str, int | None, Any]:
    """(key, column index or None, the value that column or the JSON text takes)."""
    kv = KeyValue.FromString(encoding)
    key, value = kv.key, kv.value
    # Most attributes are strings: skip the oneof lookup for them.
    text = value.string_value
    idx = COLUMN_OF.get(key)
    if idx is None:
        return key, None, text or value_of(value)
    return key, idx, text or _column_value(idx, value)


def _column_value(idx: int, value: Any) -> Any:
    """A non-string attribute bound for a column: an int status code, else text."""
    v = value_of(value)
    if v is None:
        return None
    return status_code(v) if idx == 2 else str(v)


def status_code(v: Any) -> int | None:
    """An HTTP status code as an int, None when it is not one."""
    try:
        code = int(v)
    except (TypeError, ValueError):
        return None
    return code if 0 <= code < 65536 else None
