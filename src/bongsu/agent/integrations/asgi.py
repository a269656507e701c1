"""ASGI: a SERVER span per HTTP request; Starlette/FastAPI route templates from the scope.

Example::

    app = TracedASGI(app)        # or bongsu.agent.instrument_asgi(app)
"""

from __future__ import annotations

from asyncio import current_task
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from bongsu.agent import _state
from bongsu.agent._safety import swallow
from bongsu.agent._server import begin_server, end_server
from bongsu.agent._tracer import CURRENT, SERVER, Span, Tracer

__all__ = ["TracedASGI", "call_traced"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def call_traced(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Run an ASGI app inside a SERVER span (or straight through when there is no agent)."""
    if type(app) is TracedASGI:  # called as TracedASGI.__call__: ``app`` is the middleware
        app = app.app
    tracer = _state.tracer
    if tracer is None or scope["type"] != "http" or "bongsu.span" in scope:
        await app(scope, receive, send)
        return
    current = CURRENT.get()
    if current is not None and current.kind == SERVER:
        await app(scope, receive, send)
        return
    try:
        span = _begin(tracer, scope)
    except Exception as exc:
        swallow(exc)
        await app(scope, receive, send)
        return
    status = 0

    def traced_send(message: MutableMapping[str, Any]) -> Awaitable[None]:
        # A plain function handing back send's awaitable: no coroutine of its own per message.
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        return send(message)

    token = CURRENT.set(span)
    try:
        await app(scope, receive, traced_send)
    except BaseException as exc:
        _end(tracer, span, scope, status or 500, exc)
        raise
    finally:
        CURRENT.reset(token)
    try:  # _end inlined
        if "route" in scope and "http.route" not in span.attrs:
            route = route_of(scope)
            if route:
                span.attrs["http.route"] = route
        end_server(tracer, span, status, None)
    except Exception as err:
        swallow(err)


class TracedASGI:
    """ASGI middleware tracing every HTTP request to ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    # call_traced itself, which unwraps ``self``: one coroutine per request, not two (and
    # still a coroutine function for servers that check, like uvicorn's ASGI 2/3 guess).
    __call__ = call_traced


_WANTED = {b"traceparent": 0, b"tracestate": 1, b"baggage": 2, b"host": 3, b"user-agent": 4}


def _begin(tracer: Tracer, scope: Scope) -> Span:
    found: list[str | None] = [None, None, None, None, None]
    wanted = _WANTED
    for name, value in scope.get("headers") or ():  # browsers send 10-20: one lookup each
        index = wanted.get(name)
        if index is not None:
            found[index] = value.decode("latin-1")
    attrs: dict[str, Any] = {
        "http.request.method": scope["method"],
        "url.path": scope["path"],
        "url.scheme": scope.get("scheme") or "http",
    }
    if found[3]:
        attrs["server.address"] = found[3]
    if found[4]:
        attrs["user_agent.original"] = found[4]
    query = scope.get("query_string")
    if query:
        attrs["url.query"] = query.decode("latin-1")
    client = scope.get("client")
    if client:
        attrs["client.address"] = client[0]
    users = _state.users
    if users is not None:  # the app's own enduser.id, set later, replaces it
        user = users.asgi(scope)
        if user:
            attrs["enduser.id"] = user
    span = begin_server(tracer, attrs, found[0], found[1], found[2])
    span.task = current_task()
    scope["bongsu.span"] = span
    return span


def _end(tracer: Tracer, span: Span, scope: Scope, status: int, exc: BaseException | None) -> None:
    try:
        if "route" in scope and "http.route" not in span.attrs:
            route = route_of(scope)
            if route:
                span.attrs["http.route"] = route
        end_server(tracer, span, status, exc)
    except Exception as err:
        swallow(err)


def route_of(scope: Scope) -> str:
    """The matched route template Starlette/FastAPI left in the scope (``/orders/{id}``)."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    if not isinstance(path, str):
        return ""
    mounted = str(scope.get("root_path", ""))[len(str(scope.get("app_root_path", ""))):]
    return mounted + path
