"""Query-string values parsed by hand, so every bad value gets a 400 naming its parameter.

Example::

    assert parse_bool("errors_only", "true") is True
    parse_float("min_ms", "abc")   # InvalidQuery("min_ms: expected a number, got 'abc'")
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

from bongsu.errors import InvalidQuery

T = TypeVar("T", bound=str)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def parse_int(name: str, raw: str | None, default: int, low: int, high: int) -> int:
    """An integer in ``[low, high]``."""
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidQuery(f"{name}: expected an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise InvalidQuery(f"{name}: must be between {low} and {high}, got {value}")
    return value


# Durations above ~31 years are no real query, and in microseconds they overflow BIGINT.
MAX_MS = 1e12


def parse_float(
    name: str, raw: str | None, low: float = 0.0, high: float = MAX_MS
) -> float | None:
    """A finite number in ``[low, high]``, or None when absent."""
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InvalidQuery(f"{name}: expected a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise InvalidQuery(f"{name}: must be a finite number, got {raw!r}")
    if value < low:
        raise InvalidQuery(f"{name}: must be at least {low:g}, got {value:g}")
    if value > high:
        raise InvalidQuery(f"{name}: must be at most {high:g}, got {value:g}")
    return value


def parse_bool(name: str, raw: str | None, default: bool = False) -> bool:
    """true/false, 1/0, yes/no, on/off."""
    if raw is None:
        return default
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidQuery(f"{name}: expected true or false, got {raw!r}")


def parse_choice(name: str, raw: str | None, choices: Sequence[T], default: T) -> T:
    """One of ``choices``."""
    if raw is None:
        return default
    for choice in choices:
        if raw == choice:
            return choice
    raise InvalidQuery(f"{name}: expected one of {', '.join(choices)}, got {raw!r}")


def parse_limit(raw: str | None, default: int, max_rows: int) -> int:
    """A result limit: 1 up to the row cap (at most 1,000)."""
    return parse_int("limit", raw, min(default, max_rows), 1, min(1000, max_rows))


def parse_limit_value(value: int | None, default: int, max_rows: int) -> int:
    """A result limit already read as an integer: 1 up to the row cap (at most 1,000)."""
    return parse_limit(None if value is None else str(value), default, max_rows)


def parse_hex_id(name: str, raw: str, digits: int) -> int:
    """A W3C trace (32 hex digits) or span (16) id as an integer; all zeros is invalid."""
    text = raw.strip().lower()
    if len(text) != digits or any(c not in "0123456789abcdef" for c in text):
        raise InvalidQuery(f"{name}: expected {digits} hex digits, got {raw!r}")
    value = int(text, 16)
    if value == 0:
        raise InvalidQuery(f"{name}: an all-zero id is not valid")
    return value


def parse_attributes(raws: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """``attr=KEY:VALUE`` filters (the first colon separates key and value)."""
    pairs = []
    for raw in raws:
        key, sep, value = raw.partition(":")
        if not sep or not key.strip():
            raise InvalidQuery(f"attr: expected KEY:VALUE, got {raw!r}")
        pairs.append((key.strip(), value))
    if len(pairs) > 16:
        raise InvalidQuery("attr: at most 16 attribute filters")
    return tuple(pairs)


def ms_to_us(value: float | None) -> int | None:
    """Milliseconds as whole microseconds."""
    return None if value is None else round(value * 1000)
