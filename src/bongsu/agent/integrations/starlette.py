"""Starlette and FastAPI: every application traced; the route template (``/orders/{id}``)
is read from the scope the router fills in (see ``asgi.route_of``)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from bongsu.agent.integrations import asgi
from bongsu.agent.integrations._patching import patch

__all__ = ["install"]


def install(module: ModuleType) -> None:
    def make(original: Any) -> Any:
        async def __call__(self: Any, scope: Any, receive: Any, send: Any) -> None:
            await asgi.call_traced(original.__get__(self), scope, receive, send)
        return __call__

    patch(module.Starlette, "__call__", make)
