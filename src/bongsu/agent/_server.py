"""Begin and end a server span; shared by the WSGI and ASGI integrations.

Example::

    span = begin_server(tracer, {"http.request.method": "GET", "url.path": "/orders/7"}, None)
    span.attrs["http.route"] = "/orders/{id}"
    end_server(tracer, span, 200, None)
    assert span.name == "GET /orders/{id}"
"""

from __future__ import annotations

import re
from threading import get_ident
from typing import Any

from bongsu.agent import _state
from bongsu.agent._propagation import parse_baggage, parse_traceparent, redact_query
from bongsu.agent._tracer import SERVER, Span, Tracer

__all__ = ["begin_server", "end_server", "template_route"]

_PARAM = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


def begin_server(
    tracer: Tracer,
    attrs: dict[str, Any],
    traceparent: str | None,
    tracestate: str | None = None,
    baggage: str | None = None,
) -> Span:
    """Start a SERVER span continuing the caller's trace, and list it as in flight.

    ``attrs`` holds at least ``http.request.method`` and ``url.path``.
    """
    query = attrs.get("url.query")
    if query:
        attrs["url.query"] = redact_query(query)
    remote = parse_traceparent(traceparent) if traceparent else None
    if remote is not None:
        span = tracer.start(attrs["http.request.method"], SERVER, attrs, remote=remote)
        if tracestate:
            span.tracestate = tracestate[:512]
    else:
        span = tracer.start(attrs["http.request.method"], SERVER, attrs)
    if baggage:
        span.baggage = parse_baggage(baggage)
    span.thread_id = get_ident()
    active = _state.active
    if active is not None:
        active.items[span.span_id] = span
    return span


def end_server(tracer: Tracer, span: Span, status: int, exc: BaseException | None) -> None:
    """Finish a SERVER span: status, errors, name from the route, endpoint metrics."""
    attrs = span.attrs
    method = attrs["http.request.method"]
    route = attrs.get("http.route", "")
    error = ""
    if status:
        attrs["http.response.status_code"] = status
    if exc is not None:
        span.record_exception(exc)
        error = attrs["error.type"]
    elif status >= 500:
        span.set_error()
        error = attrs["error.type"] = str(status)
    elif "error.type" in attrs:  # a framework reported an exception it turned into a page
        error = attrs["error.type"]
    if route:
        span.name = method + " " + route
    active = _state.active
    if active is not None:
        active.items.pop(span.span_id, None)
    if not tracer.finish(span):  # a queued span is recorded by the sender (record_spans)
        endpoints = _state.endpoints
        if endpoints is not None:
            endpoints.record(method, route, status, error, (span.end - span.start) / 1e9)


def template_route(rule: str) -> str:
    """Turn a Werkzeug/Django rule (``/orders/<int:id>``) into ``/orders/{id}``."""
    if "<" not in rule:
        return rule
    return _PARAM.sub(r"{\1}", rule)
