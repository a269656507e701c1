"""requests: a CLIENT span per ``Session.send`` with ``traceparent`` sent along."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from bongsu.agent import _state
from bongsu.agent._http_client import begin_http, end_http, outgoing_headers
from bongsu.agent._safety import swallow
from bongsu.agent._tracer import CURRENT
from bongsu.agent.integrations._patching import patch

__all__ = ["install"]


def install(module: ModuleType) -> None:
    def make(original: Any) -> Any:
        def send(self: Any, request: Any, **kwargs: Any) -> Any:
            tracer = _state.tracer
            if tracer is None:
                return original(self, request, **kwargs)
            try:
                span = begin_http(tracer, request.method or "GET", request.url or "")
                if span is not None:
                    request.headers.update(outgoing_headers(span))
            except Exception as exc:
                swallow(exc)
                span = None
            if span is None:
                return original(self, request, **kwargs)
            token = CURRENT.set(span)
            try:
                response = original(self, request, **kwargs)
            except BaseException as exc:
                CURRENT.reset(token)
                end_http(tracer, span, 0, exc)
                raise
            CURRENT.reset(token)
            try:
                end_http(tracer, span, response.status_code, None)
            except Exception as exc:
                swallow(exc)
            return response
        return send

    patch(module.Session, "send", make)
