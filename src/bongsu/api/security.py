"""Safe defaults of the API port: the Host header checked, security headers on every
answer.

- **Host**: Starlette's ``TrustedHostMiddleware`` over ``BONGSU_ALLOWED_HOSTS``, so a web
  page on another name that resolves to this server (DNS rebinding) gets a 400, never the
  console or the API. Empty (the default): ``localhost``, ``127.0.0.1``, ``::1`` and
  ``BONGSU_HOST`` when it is a specific address — an IP literal cannot be rebound. A
  server people reach by name lists that name; ``*`` turns the check off. ``/healthz``
  answers any Host (probes dial the pod's address).
- **Headers**: a CSP with no inline script (the console is one module script; ECharts
  sets inline styles, so ``style-src`` allows them), no framing, no referrer, no MIME
  sniffing; answers under ``/api/v1/auth/`` are never cached.

Example::

    install_security(app, settings)
"""

from __future__ import annotations

import ipaddress

from fastapi import FastAPI
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bongsu.settings import Settings

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; frame-ancestors 'none'; base-uri 'none'; "
       "form-action 'self'")
HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
_NO_STORE = (b"cache-control", b"no-store")
_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")


def allowed_hosts(settings: Settings) -> list[str]:
    """The Host names the API answers to (see the module docstring)."""
    named = [h.strip() for h in settings.allowed_hosts.split(",") if h.strip()]
    if named:
        return named
    hosts = list(_LOOPBACK_NAMES)
    try:
        address = ipaddress.ip_address(settings.host)
    except ValueError:  # a name to bind: it is not known to be this server's only name
        return hosts
    if not address.is_unspecified and settings.host not in hosts:
        hosts.append(settings.host if address.version == 4 else f"[{settings.host}]")
    return hosts


class HostCheck(TrustedHostMiddleware):
    """Starlette's Host check, except for ``/healthz``: a probe (a kubelet's, a load
    balancer's) names the address it dialled, and the liveness answer holds nothing a
    rebound page could use."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") == "/healthz":
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


class SecurityHeaders:
    """ASGI middleware: adds :data:`HEADERS` to every HTTP answer (and ``no-store`` to
    the auth endpoints'), keeping any the app set itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = str(scope.get("path", "")).startswith("/api/v1/auth/")
        extra = [*HEADERS, _NO_STORE] if no_store else HEADERS

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(n, v) for n, v in message.get("headers", [])
                           if not (no_store and n.lower() == b"cache-control")]
                present = {n.lower() for n, _ in headers}
                headers += [(n, v) for n, v in extra if n not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def install_security(app: FastAPI, settings: Settings) -> None:
    """The headers outermost (a refused Host's 400 gets them too), then the Host check."""
    app.add_middleware(HostCheck, allowed_hosts=allowed_hosts(settings))
    app.add_middleware(SecurityHeaders)


def secured(settings: Settings, app: FastAPI) -> FastAPI:
    """``app`` with :func:`install_security` applied."""
    install_security(app, settings)
    return app
