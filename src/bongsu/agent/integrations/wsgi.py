"""WSGI: a SERVER span per request, its status, errors and the in-flight registry.

Example::

    app = TracedWSGI(app)        # or bongsu.agent.instrument_wsgi(app)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from bongsu.agent import _state
from bongsu.agent._safety import swallow
from bongsu.agent._server import begin_server, end_server
from bongsu.agent._tracer import CURRENT, SERVER, Span, Tracer

__all__ = ["TracedWSGI", "call_traced"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class TracedWSGI:
    """WSGI middleware tracing every request to ``app``."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return call_traced(self.app, environ, start_response)


def call_traced(
    app: Callable[..., Any], environ: dict[str, Any], start_response: Callable[..., Any]
) -> Any:
    """Call a WSGI app inside a SERVER span (or straight through when there is no agent)."""
    tracer = _state.tracer
    if tracer is None:
        return app(environ, start_response)
    current = CURRENT.get()
    if current is not None and current.kind == SERVER:  # already traced further out
        return app(environ, start_response)
    try:
        span = _begin(tracer, environ)
    except Exception as exc:
        swallow(exc)
        return app(environ, start_response)
    token = CURRENT.set(span)
    status = [0]

    def traced_start_response(code: str, headers: Any, exc_info: Any = None) -> Any:
        with contextlib.suppress(ValueError, TypeError):
            status[0] = int(code[:3])
        return start_response(code, headers, exc_info)

    try:
        result = app(environ, traced_start_response)
    except BaseException as exc:
        CURRENT.reset(token)
        _end(tracer, span, status[0] or 500, exc)
        raise
    CURRENT.reset(token)
    if type(result) is list:  # the whole body is already produced
        try:  # _end inlined
            end_server(tracer, span, status[0], None)
        except Exception as err:
            swallow(err)
        return result
    return _Body(result, tracer, span, status)


def _begin(tracer: Tracer, environ: dict[str, Any]) -> Span:
    get = environ.get
    attrs: dict[str, Any] = {
        "http.request.method": get("REQUEST_METHOD", "GET"),
        "url.path": get("SCRIPT_NAME", "") + get("PATH_INFO", "") or "/",
        "url.scheme": get("wsgi.url_scheme", "http"),
        "server.address": get("HTTP_HOST") or get("SERVER_NAME", ""),
    }
    query = get("QUERY_STRING")
    if query:
        attrs["url.query"] = query
    agent = get("HTTP_USER_AGENT")
    if agent:
        attrs["user_agent.original"] = agent
    client = get("REMOTE_ADDR")
    if client:
        attrs["client.address"] = client
    users = _state.users
    if users is not None:  # the app's own enduser.id, set later, replaces it
        user = users.wsgi(environ)
        if user:
            attrs["enduser.id"] = user
    span = begin_server(tracer, attrs, get("HTTP_TRACEPARENT"), get("HTTP_TRACESTATE"),
                        get("HTTP_BAGGAGE"))
    environ["bongsu.span"] = span
    return span


def _end(tracer: Tracer, span: Span, status: int, exc: BaseException | None) -> None:
    try:
        end_server(tracer, span, status, exc)
    except Exception as err:
        swallow(err)


class _Body:
    """The response iterable; the span ends when the server closes it."""

    def __init__(self, body: Iterable[bytes], tracer: Tracer, span: Span, status: list[int]):
        self.body = body
        self.tracer = tracer
        self.span = span
        self.status = status
        self.error: BaseException | None = None

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self.body
        except BaseException as exc:
            self.error = exc
            raise

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            if self.span.end == 0:
                _end(self.tracer, self.span, self.status[0] or (500 if self.error else 0),
                     self.error)
