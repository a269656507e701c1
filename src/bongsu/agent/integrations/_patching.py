"""Replace a library's function once, keeping the original reachable.

Example::

    patch(sqlite3, "connect", lambda original: traced_connect(original))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["original", "patch"]

_MARK = "__bongsu_original__"


def patch(owner: Any, name: str, make: Callable[[Any], Any]) -> bool:
    """Set ``owner.name = make(original)`` unless already patched; True if patched now."""
    current = getattr(owner, name, None)
    if current is None or getattr(current, _MARK, None) is not None:
        return False
    replacement = make(current)
    try:
        setattr(replacement, _MARK, current)
        replacement.__name__ = getattr(current, "__name__", name)
        replacement.__qualname__ = getattr(current, "__qualname__", name)
        replacement.__doc__ = getattr(current, "__doc__", None)
    except (AttributeError, TypeError):
        pass
    setattr(owner, name, replacement)
    return True


def original(owner: Any, name: str) -> Any:
    """The unpatched attribute."""
    current = getattr(owner, name)
    return getattr(current, _MARK, current)
