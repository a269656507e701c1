"""Spans and the hot path: start, finish, sample, append to a bounded queue.

A span is a slotted record; nothing is encoded on the application's thread. The
sampling decision for a new trace is made first, from the trace id (so every service
using the same ratio agrees, like OpenTelemetry's ``TraceIdRatioBased``). Spans of
unsampled traces are held on their local root and sent only if the root turns out to
have an error or to be slow; the endpoint metrics count every request either way.

Example::

    tracer = Tracer(AgentSettings.from_env({}))
    span = tracer.start("work", INTERNAL, {})
    token = CURRENT.set(span)
    try:
        ...
    finally:
        CURRENT.reset(token)
        tracer.finish(span)
"""

from __future__ import annotations

import threading
import traceback
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar
from random import getrandbits
from time import time_ns
from typing import Any

from bongsu.agent._safety import swallow
from bongsu.agent._settings import AgentSettings

__all__ = [
    "CLIENT",
    "CONSUMER",
    "CURRENT",
    "ERROR",
    "INTERNAL",
    "PRODUCER",
    "SERVER",
    "FrozenAttrs",
    "Span",
    "Tracer",
]

INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER = 1, 2, 3, 4, 5
UNSET, OK, ERROR = 0, 1, 2
_MASK64 = (1 << 64) - 1
_MAX_HELD_CHILDREN = 256

CURRENT: ContextVar[Span | None] = ContextVar("bongsu_span", default=None)


class FrozenAttrs(dict[str, Any]):
    """Attributes shared by many spans (a prepared DB statement's): never mutated.

    The sender encodes them once and keeps the bytes in ``encoded``; a span that must
    change its attributes copies them first (see :meth:`Span.record_exception`).
    """

    __slots__ = ("encoded",)

    def __init__(self, items: dict[str, Any]) -> None:
        super().__init__(items)
        self.encoded: bytes | None = None


class Span:
    """One operation. Fields mirror the OTLP ``Span`` message."""

    __slots__ = (
        "attrs", "baggage", "children", "end", "events", "keep", "kind", "name", "parent_id",
        "root", "sampled", "span_id", "start", "status", "status_message", "task",
        "thread_id", "trace_id", "tracestate",
    )

    def __init__(
        self,
        name: str,
        kind: int,
        attrs: dict[str, Any],
        trace_id: int = 0,
        parent_id: int = 0,
        sampled: bool = True,
        root: Span | None = None,
        tracestate: str = "",
        baggage: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.kind = kind
        self.attrs = attrs
        self.trace_id = trace_id
        self.parent_id = parent_id
        self.sampled = sampled
        self.root: Span = self if root is None else root
        self.tracestate = tracestate
        self.baggage = baggage
        self.span_id = getrandbits(64) or 1
        self.events: list[tuple[int, str, dict[str, Any]]] | None = None
        self.children: list[Span] | None = None
        self.status = UNSET
        self.status_message = ""
        self.keep = False
        self.end = 0
        self.thread_id = 0
        self.task: Any = None  # the asyncio task serving an ASGI request
        self.start = 0

    def set_error(self, message: str = "") -> None:
        """Mark the span failed (status ERROR) without an exception."""
        self.status = ERROR
        self.status_message = message
        self.root.keep = True

    def record_exception(self, exc: BaseException) -> None:
        """Mark the span failed and add an ``exception`` event with type, message, stack."""
        self.set_error(f"{type(exc).__name__}: {exc}")
        kind = type(exc)
        name = kind.__qualname__ if kind.__module__ == "builtins" else (
            f"{kind.__module__}.{kind.__qualname__}")
        event = {
            "exception.type": name,
            "exception.message": str(exc),
            "exception.stacktrace": "".join(traceback.format_exception(exc))[-8192:],
        }
        if self.events is None:
            self.events = []
        self.events.append((time_ns(), "exception", event))
        if type(self.attrs) is FrozenAttrs:
            self.attrs = dict(self.attrs)
        self.attrs.setdefault("error.type", name)


class Tracer:
    """Creates spans and queues the finished ones for the sender thread."""

    def __init__(self, settings: AgentSettings) -> None:
        self.threshold = int(settings.sample_ratio * (1 << 64))
        self.keep_errors = settings.keep_errors
        self.slow_ns = int(settings.slow_ms * 1e6) if settings.slow_ms > 0 else 1 << 62
        self.capacity = settings.queue_size
        # The queue length that wakes the sender: four batches, sent as one post. Waking
        # at every batch cost ~10% more CPU on a busy process (GIL hand-offs); the
        # flush interval still bounds how long a span waits.
        self.wake_at = min(4 * settings.batch_size, max(settings.queue_size // 2, 1))
        self.queue: deque[Span] = deque()
        self.wake = threading.Event()
        self.dropped = 0
        self.created = 0
        self.on_first_span: Callable[[], None] | None = None
        self.sql_mask = settings.sql_mask
        self.sql_max_length = settings.sql_max_length

    def after_fork(self) -> None:
        """Forget the parent's queue; the child sends only its own spans."""
        self.queue = deque()
        self.wake = threading.Event()
        self.dropped = 0
        self.created = 0

    def start(
        self,
        name: str,
        kind: int,
        attrs: dict[str, Any],
        parent: Span | None = None,
        remote: tuple[int, int, bool] | None = None,
    ) -> Span:
        """A started span, child of ``parent``, else of ``remote``, else of the current one."""
        if self.on_first_span is not None:
            self._first_span()
        if parent is None and remote is None:
            parent = CURRENT.get()
        if parent is not None:
            span = Span(name, kind, attrs, parent.trace_id, parent.span_id, parent.sampled,
                        parent.root, parent.tracestate, parent.baggage)
        elif remote is not None:
            span = Span(name, kind, attrs, *remote)
        else:
            trace_id = getrandbits(128) or 1
            span = Span(name, kind, attrs, trace_id, 0, (trace_id & _MASK64) < self.threshold)
        span.start = time_ns()
        return span

    def _first_span(self) -> None:
        starter, self.on_first_span = self.on_first_span, None
        if starter is not None:
            try:
                starter()
            except Exception as exc:
                swallow(exc)

    def finish(self, span: Span) -> bool:
        """End ``span`` now and queue it (or hold it on its root); True if it was queued."""
        span.end = end = time_ns()
        self.created += 1
        if span.sampled:  # _push inlined: this is the path of nearly every span
            queue = self.queue
            if len(queue) < self.capacity:
                queue.append(span)
                if len(queue) == self.wake_at:
                    self.wake.set()
                return True
            self.dropped += 1
            return False
        root = span.root
        queued = False
        if root is span:
            if (self.keep_errors and span.keep) or end - span.start >= self.slow_ns:
                queued = self._push(span)
                for child in span.children or ():
                    self._push(child)
            span.children = None
        elif root.end == 0:
            held = root.children
            if held is None:
                root.children = [span]
            elif len(held) < _MAX_HELD_CHILDREN:
                held.append(span)
        return queued

    def _push(self, span: Span) -> bool:
        queue = self.queue
        if len(queue) < self.capacity:
            queue.append(span)
            if len(queue) == self.wake_at:
                self.wake.set()
            return True
        self.dropped += 1  # read by the sender; a rare lost increment is acceptable
        return False
