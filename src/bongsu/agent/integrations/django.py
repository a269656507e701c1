"""Django: WSGI and ASGI handlers traced, routes from the URL resolver (``/orders/{pk}/``),
unhandled view exceptions from the ``got_request_exception`` signal."""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

from bongsu.agent import _state
from bongsu.agent._safety import swallow
from bongsu.agent._server import template_route
from bongsu.agent._tracer import CURRENT, SERVER, Span
from bongsu.agent.integrations import asgi, wsgi
from bongsu.agent.integrations._patching import patch

__all__ = ["install_asgi", "install_base", "install_wsgi"]


def install_wsgi(module: ModuleType) -> None:
    def make(original: Any) -> Any:
        def __call__(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
            return wsgi.call_traced(original.__get__(self), environ, start_response)
        return __call__

    patch(module.WSGIHandler, "__call__", make)


def install_asgi(module: ModuleType) -> None:
    def make(original: Any) -> Any:
        async def __call__(self: Any, scope: Any, receive: Any, send: Any) -> None:
            await asgi.call_traced(original.__get__(self), scope, receive, send)
        return __call__

    patch(module.ASGIHandler, "__call__", make)


def _server_span(request: Any) -> Span | None:
    meta = getattr(request, "META", None) or {}
    span = meta.get("bongsu.span")
    if span is None:
        span = (getattr(request, "scope", None) or {}).get("bongsu.span")
    if span is None:
        current = CURRENT.get()
        span = current.root if current is not None and current.root.kind == SERVER else None
    return span if isinstance(span, Span) else None


def install_base(module: ModuleType) -> None:
    def make(original: Any) -> Any:
        def resolve_request(self: Any, request: Any) -> Any:
            match = original(self, request)
            if _state.tracer is not None:
                try:
                    span = _server_span(request)
                    route = getattr(match, "route", None)
                    if span is not None and route:
                        span.attrs["http.route"] = "/" + template_route(route).lstrip("^")
                except Exception as exc:
                    swallow(exc)
            return match
        return resolve_request

    patch(module.BaseHandler, "resolve_request", make)
    from django.core.signals import got_request_exception

    got_request_exception.connect(_on_exception, weak=False, dispatch_uid="bongsu.agent")


def _on_exception(sender: Any, request: Any = None, **kwargs: Any) -> None:
    if _state.tracer is None:
        return
    try:
        exc = sys.exc_info()[1]
        span = _server_span(request)
        if span is not None and exc is not None:
            span.record_exception(exc)
    except Exception as err:
        swallow(err)
