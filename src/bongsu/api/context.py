"""What every route needs: the caller's tenant and the query service.

Routers added through :func:`bongsu.api.create_api` (agent control, alerts …) use the same
dependencies, so they are scoped to the caller's tenant the same way.

Example::

    router = APIRouter()

    @router.get("/api/v1/things")
    def things(tenant: Tenant, queries: Queries) -> dict[str, Any]: ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from bongsu.query import QueryService


@dataclass(frozen=True)
class ApiContext:
    queries: QueryService
    resolve_tenant: Callable[[str | None], str]


def _context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.bongsu
    return context


def current_tenant(request: Request) -> str:
    """The caller's tenant from ``Authorization: Bearer KEY`` (raises Unauthorized)."""
    return _context(request).resolve_tenant(request.headers.get("authorization"))


async def query_service(request: Request) -> QueryService:
    """The query service of the app handling ``request`` (async: no threadpool hop)."""
    return _context(request).queries


Tenant = Annotated[str, Depends(current_tenant)]
Queries = Annotated[QueryService, Depends(query_service)]
