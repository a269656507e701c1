"""Begin and end a CLIENT span for an outgoing HTTP request, with W3C headers to send.

Shared by the requests, httpx, urllib3 and aiohttp integrations. A call made while a
CLIENT span is current (requests calling urllib3, a retry) is not traced twice.

Example::

    span = begin_http(tracer, "GET", "http://pay:8000/charge")
    headers.update(outgoing_headers(span))
    end_http(tracer, span, 200, None)
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from bongsu.agent._propagation import format_baggage, format_traceparent, redact_query
from bongsu.agent._tracer import CLIENT, CURRENT, ERROR, Span, Tracer

__all__ = ["begin_http", "end_http", "outgoing_headers"]


def begin_http(tracer: Tracer, method: str, url: str) -> Span | None:
    """A started CLIENT span, or None when an outer client call is already traced."""
    parent = CURRENT.get()
    if parent is not None and parent.kind == CLIENT:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.username or parts.password:  # never export credentials
        netloc = host + (f":{parts.port}" if parts.port else "")
        url = parts._replace(netloc=netloc).geturl()
    if parts.query:
        url = url.replace(parts.query, redact_query(parts.query), 1)
    attrs: dict[str, Any] = {"http.request.method": method.upper(), "url.full": url,
                             "server.address": host}
    port = parts.port or (443 if parts.scheme == "https" else 80)
    attrs["server.port"] = port
    return tracer.start(method.upper(), CLIENT, attrs, parent=parent)


def outgoing_headers(span: Span) -> dict[str, str]:
    """``traceparent`` (and ``tracestate`` / ``baggage`` when present) naming ``span``."""
    headers = {"traceparent": format_traceparent(span.trace_id, span.span_id, span.sampled)}
    if span.tracestate:
        headers["tracestate"] = span.tracestate
    if span.baggage:
        headers["baggage"] = format_baggage(span.baggage)
    return headers


def end_http(tracer: Tracer, span: Span, status: int, exc: BaseException | None) -> None:
    """Finish a CLIENT span: 4xx/5xx and exceptions are errors (5xx keeps the trace)."""
    if status:
        span.attrs["http.response.status_code"] = status
    if exc is not None:
        span.record_exception(exc)
    elif status >= 500:
        span.set_error()
        span.attrs["error.type"] = str(status)
    elif status >= 400:
        span.status = ERROR
        span.attrs["error.type"] = str(status)
    tracer.finish(span)
