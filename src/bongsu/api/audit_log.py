"""Every successful write of the API in the audit log, so a new endpoint cannot be
forgotten.

An ASGI middleware over the API app: a request under ``/api/v1/`` with any method but
GET/HEAD/OPTIONS whose answer is a 2xx gets an entry — action ``"<METHOD> <route
template>"`` (``POST /api/v1/rules``, ``PUT /api/v1/checks/{check_id}``), target the path
parameters, actor, organisation and project from the request's Principal, and the client
address — written before the answer's first byte leaves, so a client that got its answer
finds the entry. A 4xx or 5xx writes nothing.

Routes that write entries of their own, in their change's transaction (members, keys,
tokens, invitations — ``bongsu.api.org``; sign-in and the rest of ``/api/v1/auth/``),
are left to themselves: a router marks them with ``dependencies=[Depends(records_itself)]``.

Example::

    app = create_api(settings, store, auth.principal, routers=[...])
    app = audited(app, engine)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import anyio
from fastapi import FastAPI, Request
from sqlalchemy import Engine, select
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bongsu.accounts.audit import record
from bongsu.accounts.principal import Principal
from bongsu.accounts.tables import projects

log = logging.getLogger("bongsu.audit")

_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_PREFIX = "/api/v1/"
# Sign-up, sign-in, sign-out and passwords: the auth routes record what they do (a
# failed sign-in too), with the user they are about.
SELF_RECORDED = ("/api/v1/auth/",)
_MARK = "audited_by_route"


def records_itself(request: Request) -> None:
    """A route dependency: this route writes its own audit entries."""
    setattr(request.state, _MARK, True)


def audited(app: FastAPI, engine: Engine) -> FastAPI:
    """``app`` recording its successful writes in ``engine``'s audit log."""
    app.add_middleware(AuditLog, engine=engine, routes=app.router.routes)
    return app


class AuditLog:
    """The ASGI middleware (see the module docstring)."""

    def __init__(self, app: ASGIApp, engine: Engine,
                 routes: Sequence[BaseRoute] = ()) -> None:
        self.app = app
        self.engine = engine
        self.routes = routes  # the app's, to find the route when the scope does not say

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] in _READS
                or not scope["path"].startswith(_PREFIX)
                or scope["path"].startswith(SELF_RECORDED)):
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})  # shared with the routes even if a layer copies scope

        async def send_recorded(message: Message) -> None:
            if message["type"] == "http.response.start" and 200 <= message["status"] < 300:
                try:
                    await anyio.to_thread.run_sync(self._record, scope, message["status"])
                except Exception:  # the write is done: say so, and let its answer through
                    log.exception("could not record %s %s in the audit log",
                                  scope["method"], scope["path"])
            await send(message)

        await self.app(scope, receive, send_recorded)

    def _record(self, scope: Scope, status: int) -> None:
        state: dict[str, Any] = scope.get("state") or {}
        if state.get(_MARK):
            return
        principal: Principal | None = state.get("principal")
        route, params = self._route(scope)
        client = scope.get("client")
        with self.engine.begin() as con:
            org_id = principal.org_id if principal else None
            if org_id is None and principal is not None and principal.tenant:
                # single-user mode: the organisation of the project written to
                org_id = con.execute(select(projects.c.org_id).where(
                    projects.c.tenant == principal.tenant)).scalar()
            record(
                con, actor=(principal.actor or principal.kind) if principal else "anonymous",
                action=f"{scope['method']} {getattr(route, 'path', None) or scope['path']}",
                org_id=org_id,
                tenant=(principal.tenant or None) if principal else None,
                target=",".join(f"{k}={v}" for k, v in sorted(params.items())),
                detail={"path": scope["path"], "status": status, **(
                    {"params": {k: str(v) for k, v in params.items()}} if params else {})},
                ip=client[0] if client else "",
            )

    def _route(self, scope: Scope) -> tuple[BaseRoute | None, dict[str, Any]]:
        """The matched route and its path parameters."""
        if isinstance(scope.get("route"), BaseRoute):
            return scope["route"], dict(scope.get("path_params") or {})
        for route in self.routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                return route, dict(child.get("path_params") or {})
        return None, {}
