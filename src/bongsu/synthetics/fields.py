"""Reading a check's fields with errors that name them (``target.timeout_s: ...``).

Example::

    timeout = number(target, "timeout_s", "target", default=10, low=0.1, high=60)
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from bongsu.errors import RuleError

_MISSING = object()


def _at(at: str, key: str) -> str:
    return f"{at}.{key}" if at else key


def number(data: Mapping[str, Any], key: str, at: str, default: Any = _MISSING, *,
           low: float | None = None, high: float | None = None) -> float:
    """A finite number within ``[low, high]``."""
    raw = data.get(key, default)
    if raw is _MISSING:
        raise RuleError(_at(at, key), "required")
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw != raw:
        raise RuleError(_at(at, key), f"must be a number, got {raw!r}")
    if low is not None and raw < low:
        raise RuleError(_at(at, key), f"must be at least {low:g}, got {raw:g}")
    if high is not None and raw > high:
        raise RuleError(_at(at, key), f"must be at most {high:g}, got {raw:g}")
    return float(raw)


def text(data: Mapping[str, Any], key: str, at: str, default: Any = _MISSING,
         max_len: int = 2048) -> str:
    """A string (``default`` when absent; required without one)."""
    raw = data.get(key, default)
    if raw is _MISSING:
        raise RuleError(_at(at, key), "required")
    if not isinstance(raw, str):
        raise RuleError(_at(at, key), f"must be a string, got {raw!r}")
    if len(raw) > max_len:
        raise RuleError(_at(at, key), f"must be at most {max_len} characters")
    return raw


def flag(data: Mapping[str, Any], key: str, at: str, default: bool) -> bool:
    raw = data.get(key, default)
    if not isinstance(raw, bool):
        raise RuleError(_at(at, key), f"must be true or false, got {raw!r}")
    return raw


def no_unknown(data: Mapping[str, Any], known: Collection[str], at: str) -> None:
    """Refuse keys nobody reads (a typo must not silently do nothing)."""
    for key in data:
        if key not in known:
            raise RuleError(_at(at, str(key)),
                            f"unknown field; known: {', '.join(sorted(known))}")
