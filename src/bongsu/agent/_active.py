"""The registry of in-flight server requests (the real-time "active requests" view).

Adding and removing are single dict operations (atomic under the GIL); the sender thread
takes a snapshot every few seconds.

Example::

    active = ActiveRequests()
    active.add(span)
    [item] = active.snapshot(now_ns=span.start + 5_000_000)
    assert item["elapsed_ms"] == 5.0
"""

from __future__ import annotations

import threading
from typing import Any

from bongsu.agent._tracer import Span

__all__ = ["ActiveRequests"]


class ActiveRequests:
    """Server spans that have started and not finished, by span id."""

    def __init__(self) -> None:
        self.items: dict[int, Span] = {}

    def add(self, span: Span) -> None:
        self.items[span.span_id] = span

    def remove(self, span: Span) -> None:
        self.items.pop(span.span_id, None)

    def __len__(self) -> int:
        return len(self.items)

    def by_thread(self) -> dict[int, Span]:
        """The request each thread is serving (async requests share their loop's thread)."""
        return {s.thread_id: s for s in list(self.items.values())}

    def snapshot(self, now_ns: int) -> list[dict[str, Any]]:
        """JSON-ready description of every in-flight request, longest running first."""
        names = {t.ident: t.name for t in threading.enumerate()}
        out = []
        for s in sorted(list(self.items.values()), key=lambda s: s.start):
            out.append(describe(s, now_ns, names.get(s.thread_id, "")))
        return out


def describe(s: Span, now_ns: int, thread_name: str = "") -> dict[str, Any]:
    """One in-flight request as JSON."""
    a = s.attrs
    path = str(a.get("url.path", ""))
    query = a.get("url.query")
    return {
        "trace_id": f"{s.trace_id:032x}",
        "span_id": f"{s.span_id:016x}",
        "method": a.get("http.request.method", ""),
        "url": f"{path}?{query}" if query else path,
        "route": a.get("http.route", ""),
        "start_unix_nano": s.start,
        "elapsed_ms": round((now_ns - s.start) / 1e6, 3),
        "thread_id": s.thread_id,
        "thread_name": thread_name,
        "sampled": s.sampled,
    }
