"""Reading Kubernetes JSON that may be odd: typed accessors that never raise.

Objects come from a watch stream as decoded JSON; any field can be missing, ``null`` or of
the wrong type (a fuzzed or hand-written fixture, an older API version). Every accessor
returns a default instead of raising, so one odd object never stops a watch loop.

Example::

    >>> meta = mapping({"metadata": {"name": "web-0"}}, "metadata")
    >>> text(meta, "name"), text(meta, "uid")
    ('web-0', '')
    >>> timestamp_us("2026-12-01T10:42:05Z")
    1796121725000000
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def mapping(obj: object, *path: str) -> Mapping[str, Any]:
    """The mapping at ``path`` inside ``obj``, or an empty one."""
    current: object = obj
    for key in path:
        if not isinstance(current, Mapping):
            return {}
        current = current.get(key)
    return current if isinstance(current, Mapping) else {}


def items(obj: object, key: str) -> list[Mapping[str, Any]]:
    """The mappings of the list ``obj[key]`` (non-mapping entries skipped)."""
    value = obj.get(key) if isinstance(obj, Mapping) else None
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        return []
    return [entry for entry in value if isinstance(entry, Mapping)]


def text(obj: object, key: str, default: str = "") -> str:
    """``obj[key]`` as a string; numbers are rendered, anything else gives ``default``."""
    value = obj.get(key) if isinstance(obj, Mapping) else None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return default


def integer(obj: object, key: str) -> int | None:
    """``obj[key]`` as an int (an integral float or a numeric string counts), else None."""
    value = obj.get(key) if isinstance(obj, Mapping) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def string_map(obj: object, key: str) -> dict[str, str]:
    """``obj[key]`` as a str → str dict (labels, annotations); other entries dropped."""
    value = mapping(obj, key)
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def timestamp_us(value: object) -> int | None:
    """An RFC 3339 time (``Time`` or ``MicroTime``) as epoch microseconds; None if unusable.

    A zone-less time is taken as UTC (the API server always writes ``Z``); times at or
    before the epoch (Go's zero time ``0001-01-01T00:00:00Z``) are treated as absent.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # Exact integer arithmetic: a float timestamp loses the last microsecond digit.
    micros = (moment - _EPOCH) // timedelta(microseconds=1)
    return micros if micros > 0 else None


def condition(obj: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    """The ``status.conditions`` entry of type ``kind``, or an empty mapping."""
    for entry in items(mapping(obj, "status"), "conditions"):
        if entry.get("type") == kind:
            return entry
    return {}


def latest_managed_time_us(obj: Mapping[str, Any]) -> int | None:
    """The newest ``metadata.managedFields[].time``: when the object was last written."""
    times = [timestamp_us(entry.get("time")) for entry in items(mapping(obj, "metadata"),
                                                                   "managedFields")]
    known = [t for t in times if t is not None]
    return max(known) if known else None


def to_json(value: object) -> str:
    """``value`` as compact JSON (the ``raw`` of an episode); ``"{}"`` if it cannot be."""
    try:
        return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)
    except (TypeError, ValueError):  # a non-str key or a circular fuzzed value
        return "{}"
