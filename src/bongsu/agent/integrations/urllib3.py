"""urllib3: a CLIENT span per ``HTTPConnectionPool.urlopen`` (requests' own calls are
already traced one level up and are not traced twice)."""

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
        def urlopen(self: Any, method: str, url: str, body: Any = None, headers: Any = None,
                    *args: Any, **kwargs: Any) -> Any:
            tracer = _state.tracer
            span = None
            if tracer is not None:
                try:
                    full = url if "://" in url else (
                        f"{self.scheme}://{self.host}:{self.port}{url}")
                    span = begin_http(tracer, method, full)
                    if span is not None:
                        headers = dict(headers if headers is not None else self.headers)
                        headers.update(outgoing_headers(span))
                except Exception as exc:
                    swallow(exc)
                    span = None
            if span is None or tracer is None:
                return original(self, method, url, body, headers, *args, **kwargs)
            token = CURRENT.set(span)
            try:
                response = original(self, method, url, body, headers, *args, **kwargs)
            except BaseException as exc:
                end_http(tracer, span, 0, exc)
                raise
            finally:
                CURRENT.reset(token)
            try:
                end_http(tracer, span, int(getattr(response, "status", 0) or 0), None)
            except Exception as exc:
                swallow(exc)
            return response
        return urlopen

    patch(module.HTTPConnectionPool, "urlopen", make)
