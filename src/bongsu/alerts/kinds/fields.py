"""Reading a rule spec's fields with errors that name them (``spec.op: ...``).

Example::

    op = choice(spec, "op", OPS)
    window_s = number(spec, "window_s", default=300, low=10)
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Mapping
from typing import Any

from bongsu.errors import RuleError

OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
}
_MISSING = object()


def number(spec: Mapping[str, Any], key: str, default: Any = _MISSING, *,
           low: float | None = None, high: float | None = None) -> float:
    """A finite number, within ``[low, high]`` when given."""
    raw = spec.get(key, default)
    if raw is _MISSING:
        raise RuleError(f"spec.{key}", "required")
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw != raw:
        raise RuleError(f"spec.{key}", f"expected a number, got {raw!r}")
    if low is not None and raw < low:
        raise RuleError(f"spec.{key}", f"must be at least {low:g}, got {raw:g}")
    if high is not None and raw > high:
        raise RuleError(f"spec.{key}", f"must be at most {high:g}, got {raw:g}")
    return float(raw)


def text(spec: Mapping[str, Any], key: str, default: Any = _MISSING) -> str | None:
    """A non-empty string (or the default, which may be None)."""
    raw = spec.get(key, default)
    if raw is _MISSING:
        raise RuleError(f"spec.{key}", "required")
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw.strip():
        raise RuleError(f"spec.{key}", f"expected a non-empty string, got {raw!r}")
    return raw.strip()


def choice(spec: Mapping[str, Any], key: str, allowed: Collection[str],
           default: Any = _MISSING) -> str:
    """One of ``allowed``."""
    raw = spec.get(key, default)
    if raw is _MISSING:
        raise RuleError(f"spec.{key}", f"required; one of {', '.join(allowed)}")
    if raw not in allowed:
        raise RuleError(f"spec.{key}", f"expected one of {', '.join(allowed)}, got {raw!r}")
    return str(raw)


def no_unknown(spec: Mapping[str, Any], known: Collection[str]) -> None:
    """Refuse keys the kind does not know (a typo must not silently do nothing)."""
    for key in spec:
        if key not in known:
            raise RuleError(f"spec.{key}", f"unknown field; known: {', '.join(sorted(known))}")
