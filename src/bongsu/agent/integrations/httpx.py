"""httpx: a CLIENT span per ``Client.send`` / ``AsyncClient.send``, ``traceparent`` sent."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from bongsu.agent import _state
from bongsu.agent._http_client import begin_http, end_http, outgoing_headers
from bongsu.agent._safety import swallow
from bongsu.agent._tracer import CURRENT, Span
from bongsu.agent.integrations._patching import patch

__all__ = ["install"]


def _begin(request: Any) -> Span | None:
    tracer = _state.tracer
    if tracer is None:
        return None
    try:
        span = begin_http(tracer, request.method, str(request.url))
        if span is not None:
            request.headers.update(outgoing_headers(span))
        return span
    except Exception as exc:
        swallow(exc)
        return None


def _end(span: Span, status: int, exc: BaseException | None) -> None:
    tracer = _state.tracer
    if tracer is None:
        return
    try:
        end_http(tracer, span, status, exc)
    except Exception as err:
        swallow(err)


def install(module: ModuleType) -> None:
    def make_sync(original: Any) -> Any:
        def send(self: Any, request: Any, **kwargs: Any) -> Any:
            span = _begin(request)
            if span is None:
                return original(self, request, **kwargs)
            token = CURRENT.set(span)
            try:
                response = original(self, request, **kwargs)
            except BaseException as exc:
                _end(span, 0, exc)
                raise
            finally:
                CURRENT.reset(token)
            _end(span, response.status_code, None)
            return response
        return send

    def make_async(original: Any) -> Any:
        async def send(self: Any, request: Any, **kwargs: Any) -> Any:
            span = _begin(request)
            if span is None:
                return await original(self, request, **kwargs)
            token = CURRENT.set(span)
            try:
                response = await original(self, request, **kwargs)
            except BaseException as exc:
                _end(span, 0, exc)
                raise
            finally:
                CURRENT.reset(token)
            _end(span, response.status_code, None)
            return response
        return send

    patch(module.Client, "send", make_sync)
    patch(module.AsyncClient, "send", make_async)
