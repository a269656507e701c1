"""Integrations: one module per library, each installed when its library is imported.

Built-in integrations register the same way a third party's would::

    register("mylib", "mylib.client", install_mylib)

``install(module)`` is called once, with the imported module, right after the module
finishes loading (or at once if it already has). A library that is never imported
costs nothing.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from types import ModuleType

from bongsu.agent._imports import when_imported

__all__ = ["BUILTIN", "install_all", "register", "registered"]

Installer = Callable[[ModuleType], None]

# integration name -> {module that triggers it: "bongsu.agent.integrations.X:function"}
BUILTIN: dict[str, dict[str, str]] = {
    "flask": {"flask": "flask:install"},
    "django": {
        "django.core.handlers.wsgi": "django:install_wsgi",
        "django.core.handlers.asgi": "django:install_asgi",
        "django.core.handlers.base": "django:install_base",
    },
    "starlette": {"starlette.applications": "starlette:install"},
    "requests": {"requests.sessions": "requests:install"},
    "httpx": {"httpx": "httpx:install"},
    "urllib3": {"urllib3.connectionpool": "urllib3:install"},
    "aiohttp": {"aiohttp.client": "aiohttp:install"},
    "sqlite3": {"sqlite3": "sqlite3:install"},
    "psycopg": {"psycopg": "psycopg:install"},
    "pymysql": {"pymysql": "pymysql:install"},
    "redis": {"redis.client": "redis:install", "redis.asyncio.client": "redis:install_async"},
    "logging": {"logging": "logging:install"},
    "celery": {"celery": "celery:install"},
}

_extra: dict[str, dict[str, Installer]] = {}
_armed: set[tuple[str, str]] = set()


def register(name: str, module: str, installer: Installer) -> None:
    """Add an integration: ``installer(module)`` runs once ``module`` is imported."""
    _extra.setdefault(name, {})[module] = installer


def registered() -> list[str]:
    """Names of every known integration."""
    return sorted({*BUILTIN, *_extra})


def install_all(disabled: set[str]) -> None:
    """Arrange for every integration not in ``disabled`` to install on import."""
    for name, hooks in BUILTIN.items():
        if name in disabled:
            continue
        for module, target in hooks.items():
            if module in sys.modules or (module, target) not in _armed:
                _armed.add((module, target))  # pending once; installers are idempotent
                when_imported(module, _lazy(target))
    for name, extra in _extra.items():
        if name not in disabled:
            for module, installer in extra.items():
                if module in sys.modules or (module, name) not in _armed:
                    _armed.add((module, name))
                    when_imported(module, installer)


def _lazy(target: str) -> Installer:
    integration, _, function = target.partition(":")

    def install(module: ModuleType) -> None:
        own = importlib.import_module(f"bongsu.agent.integrations.{integration}")
        getattr(own, function)(module)

    return install
