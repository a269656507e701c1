"""The search box's route: services, instances, pods, hosts, endpoints, databases, events
and trace ids matching a text (:mod:`bongsu.query.search`).

Example::

    app = create_api(settings, store, authenticate, routers=[search_router()])
    # GET /api/v1/search?q=orders&limit=10
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from bongsu.api import hosts_models as hm
from bongsu.api.context import Queries, Tenant
from bongsu.api.params import _checked
from bongsu.api.responses import JSON
from bongsu.query import search
from bongsu.query.params import parse_int

Text = Annotated[str, Query(min_length=1, max_length=search.MAX_TEXT,
                            description="Text to find (case-insensitive; 32 hex digits "
                                        "also finds the trace)")]
SearchLimit = Annotated[
    Annotated[int, Field(ge=1, le=search.MAX_LIMIT)] | None,
    _checked(lambda raw: parse_int("limit", raw, 0, 1, search.MAX_LIMIT)),
    Query(description="Most results: 1 to 50. Default 10.")]


def search_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["search"])

    @router.get("/search", summary="Find services, instances, pods, hosts, endpoints, "
                "databases, events and traces", response_model=hm.Search)
    def find(q: Text, tenant: Tenant, queries: Queries, limit: SearchLimit = None) -> JSON:
        return JSON(search.search(queries.reads, tenant, q, limit or 10, queries.clock()))

    return router
