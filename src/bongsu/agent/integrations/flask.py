"""Flask: every app traced through ``Flask.wsgi_app``, routes as templates
(``/orders/<int:id>`` becomes ``/orders/{id}``), unhandled exceptions on the span."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from bongsu.agent import _state
from bongsu.agent._safety import swallow
from bongsu.agent._server import template_route
from bongsu.agent.integrations import wsgi
from bongsu.agent.integrations._patching import patch

__all__ = ["install"]


def install(module: ModuleType) -> None:
    flask_class = module.Flask

    def make_wsgi_app(original: Any) -> Any:
        def wsgi_app(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
            return wsgi.call_traced(original.__get__(self), environ, start_response)
        return wsgi_app

    def make_dispatch(original: Any) -> Any:
        def full_dispatch_request(self: Any) -> Any:
            if _state.tracer is not None:
                try:
                    request = module.request
                    span = request.environ.get("bongsu.span")
                    rule = request.url_rule
                    if span is not None and rule is not None:
                        span.attrs["http.route"] = template_route(rule.rule)
                except Exception as exc:
                    swallow(exc)
            return original(self)
        return full_dispatch_request

    def make_handle_exception(original: Any) -> Any:
        def handle_exception(self: Any, e: Exception) -> Any:
            if _state.tracer is not None:
                try:
                    span = module.request.environ.get("bongsu.span")
                    if span is not None:
                        span.record_exception(e)
                except Exception as exc:
                    swallow(exc)
            return original(self, e)
        return handle_exception

    patch(flask_class, "wsgi_app", make_wsgi_app)
    patch(flask_class, "full_dispatch_request", make_dispatch)
    patch(flask_class, "handle_exception", make_handle_exception)
