"""The database view's routes: databases with their figures, callers and connections; a
database's top statements; one statement's series and sample slow traces
(:mod:`bongsu.query.databases`).

Example::

    app = create_api(settings, store, authenticate, routers=[databases_router()])
    # GET /api/v1/databases/postgresql:shop@db-1/statements?order=p95&limit=10
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from bongsu.api import views_models as vm
from bongsu.api.context import Queries, Tenant
from bongsu.api.models import ErrorBody
from bongsu.api.params import From, Limit20, Step, To, _checked
from bongsu.api.responses import JSON
from bongsu.query import databases
from bongsu.query.params import parse_choice, parse_limit_value

ORDERS: tuple[Literal["total", "calls", "p95", "errors"], ...] = (
    "total", "calls", "p95", "errors")
Order = Annotated[
    Literal["total", "calls", "p95", "errors"] | None,
    _checked(lambda raw: parse_choice("order", raw, ORDERS, "total")),
    Query(description="Ranking, descending: total (time), calls, p95, errors. Default total."),
]
Db = Annotated[str, Path(min_length=1, max_length=512,
                         description="Database id as listed: system:name@address")]
Fingerprint = Annotated[str, Path(pattern="^[0-9a-f]{16}$",
                                  description="Statement fingerprint, 16 hex digits")]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "The database (or statement) was never called"}}


def databases_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["databases"])

    @router.get("/databases", summary="Every database called, with figures, callers and "
                "connections", response_model=vm.Databases)
    def database_list(tenant: Tenant, queries: Queries, from_: From = None,
                      to: To = None) -> JSON:
        window = queries.window(from_, to)
        return JSON(databases.databases(queries.reads, tenant, window, queries.clock()))

    @router.get("/databases/{db}/statements", summary="A database's top statements",
                response_model=vm.DbStatements, responses=_NOT_FOUND)
    def statements(db: Db, tenant: Tenant, queries: Queries, from_: From = None,
                   to: To = None, order: Order = None, limit: Limit20 = None) -> JSON:
        window = queries.window(from_, to)
        return JSON(databases.statements(
            queries.reads, tenant, db, window, order or "total",
            parse_limit_value(limit, 20, queries.max_rows), queries.clock()))

    @router.get("/databases/{db}/statements/{fingerprint}",
                summary="One statement's figures per step and sample slow traces",
                response_model=vm.DbStatementDetail, responses=_NOT_FOUND)
    def statement(db: Db, fingerprint: Fingerprint, tenant: Tenant, queries: Queries,
                  from_: From = None, to: To = None, step: Step = None) -> JSON:
        window = queries.window(from_, to)
        return JSON(databases.statement(queries.reads, tenant, db, fingerprint, window, step,
                                        queries.max_rows, queries.clock()))

    return router
