"""aiohttp client: a CLIENT span per ``ClientSession._request``, ``traceparent`` sent."""

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
        async def _request(self: Any, method: str, str_or_url: Any, **kwargs: Any) -> Any:
            tracer = _state.tracer
            span = None
            if tracer is not None:
                try:
                    url = str(str_or_url)
                    base = getattr(self, "_base_url", None)
                    if base is not None and "://" not in url:
                        url = str(base.join(module.URL(url)))
                    span = begin_http(tracer, method, url)
                    if span is not None:
                        headers = dict(kwargs.get("headers") or {})
                        headers.update(outgoing_headers(span))
                        kwargs["headers"] = headers
                except Exception as exc:
                    swallow(exc)
                    span = None
            if span is None or tracer is None:
                return await original(self, method, str_or_url, **kwargs)
            token = CURRENT.set(span)
            try:
                response = await original(self, method, str_or_url, **kwargs)
            except BaseException as exc:
                end_http(tracer, span, 0, exc)
                raise
            finally:
                CURRENT.reset(token)
            try:
                end_http(tracer, span, int(response.status), None)
            except Exception as exc:
                swallow(exc)
            return response
        return _request

    patch(module.ClientSession, "_request", make)
