"""The web view's routes: top HTTP endpoints across services and the status distribution
over time (:mod:`bongsu.query.web`).

Example::

    app = create_api(settings, store, authenticate, routers=[web_router()])
    # GET /api/v1/web/endpoints?order=p95&limit=10    (the slowest endpoints)
"""

from __future__ import annotations

from fastapi import APIRouter

from bongsu.api import views_models as vm
from bongsu.api.context import Queries, Tenant
from bongsu.api.databases import Order
from bongsu.api.params import From, Limit20, Service, Step, To
from bongsu.api.responses import JSON
from bongsu.query import web
from bongsu.query.params import parse_limit_value


def web_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1/web", tags=["web"])

    @router.get("/endpoints", summary="Top HTTP endpoints across services",
                response_model=vm.WebEndpoints)
    def endpoints(tenant: Tenant, queries: Queries, from_: From = None, to: To = None,
                  service: Service = None, order: Order = None, limit: Limit20 = None
                  ) -> JSON:
        window = queries.window(from_, to)
        return JSON(web.endpoints(queries.reads, tenant, window, service, order or "total",
                                  parse_limit_value(limit, 20, queries.max_rows),
                                  queries.clock()))

    @router.get("/statuses", summary="HTTP status classes and codes per step",
                response_model=vm.WebStatuses)
    def statuses(tenant: Tenant, queries: Queries, from_: From = None, to: To = None,
                 service: Service = None, step: Step = None) -> JSON:
        window = queries.window(from_, to)
        return JSON(web.statuses(queries.reads, tenant, window, service, step,
                                 queries.max_rows))

    return router
