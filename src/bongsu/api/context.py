"""What every route needs: who is calling, their tenant, and the query service.

Routers added through :func:`bongsu.api.create_api` (agent control, alerts …) use the same
dependencies, so they are scoped to the caller's project and role the same way:

- ``Tenant``: the caller's project (the store's tenant). Reading needs the viewer role;
  a route answering any other method than GET needs editor, and an organisation whose
  trial has ended may only read.
- ``Caller``: the whole :class:`~bongsu.accounts.principal.Principal`, for routes that
  check a role of their own (``caller.require(Role.ADMIN)``).

Example::

    router = APIRouter()

    @router.get("/api/v1/things")
    def things(tenant: Tenant, queries: Queries) -> dict[str, Any]: ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from bongsu.accounts.principal import Authenticate, Principal
from bongsu.accounts.roles import Role
from bongsu.errors import Forbidden
from bongsu.query import QueryService

_READS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class ApiContext:
    queries: QueryService
    authenticate: Authenticate


def _context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.bongsu
    return context


def current_principal(request: Request) -> Principal:
    """Who is calling (raises Unauthorized; the same object for every dependency of one
    request)."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is None:
        cached = _context(request).authenticate(request)
        request.state.principal = cached
    return cached


def current_tenant(request: Request) -> str:
    """The caller's project, after checking that their role may use this method."""
    principal = current_principal(request)
    principal.require(Role.VIEWER if request.method in _READS else Role.EDITOR)
    if not principal.tenant:
        raise Forbidden("no project to read: you belong to no organisation with a project "
                        "(accept an invitation, or create an organisation)")
    return principal.tenant


async def query_service(request: Request) -> QueryService:
    """The query service of the app handling ``request`` (async: no threadpool hop)."""
    return _context(request).queries


Tenant = Annotated[str, Depends(current_tenant)]
Caller = Annotated[Principal, Depends(current_principal)]
Queries = Annotated[QueryService, Depends(query_service)]
