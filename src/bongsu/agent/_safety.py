"""Agent code running on the application's threads never raises into the application.

Every entry point of the agent wraps its own work and hands any exception to
:func:`swallow`, which logs it once per call site and tells registered hooks. The test
suite registers a hook that fails the test, so a swallowed bug is still a red test.

Example::

    try:
        span = begin_span(...)
    except Exception as exc:
        swallow(exc)
        span = None
"""

from __future__ import annotations

import logging
from collections.abc import Callable

__all__ = ["add_error_hook", "remove_error_hook", "swallow", "swallowed_count"]

_log = logging.getLogger("bongsu.agent")
_hooks: list[Callable[[BaseException], None]] = []
_seen: set[str] = set()
_count = [0]


def swallow(exc: BaseException) -> None:
    """Record an internal agent error without letting it reach the application."""
    _count[0] += 1
    try:
        where = _site(exc)
        if where not in _seen and len(_seen) < 1000:
            _seen.add(where)
            _log.warning("bongsu agent internal error (swallowed) at %s", where, exc_info=exc)
        for hook in list(_hooks):
            hook(exc)
    except Exception:
        pass


def swallowed_count() -> int:
    """How many internal errors were swallowed in this process."""
    return _count[0]


def add_error_hook(hook: Callable[[BaseException], None]) -> None:
    """Call ``hook(exc)`` for every swallowed internal error (tests make them fail)."""
    _hooks.append(hook)


def remove_error_hook(hook: Callable[[BaseException], None]) -> None:
    """Undo :func:`add_error_hook`."""
    if hook in _hooks:
        _hooks.remove(hook)


def _site(exc: BaseException) -> str:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return type(exc).__name__
    code = tb.tb_frame.f_code
    return f"{code.co_filename}:{tb.tb_lineno} ({type(exc).__name__})"
