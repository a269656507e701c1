"""The query API as a FastAPI app: v1 routes, health, OpenAPI, and the web console.

Example::

    app = create_api(settings, store, authenticator.principal)
    uvicorn.run(app, port=settings.port)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from bongsu import __version__
from bongsu.accounts.principal import Authenticate
from bongsu.api import dashboard, metrics, models, traces
from bongsu.api.context import ApiContext
from bongsu.api.errors import install_error_handlers
from bongsu.api.openapi import install_openapi
from bongsu.api.params import reject_unknown_parameters
from bongsu.api.responses import JSON
from bongsu.query import QueryService
from bongsu.settings import Settings
from bongsu.store.reads import reads_of

# The v1 routers, in the order they are matched. Other parts (agent control, alerts) pass
# theirs to create_api(routers=...) and use bongsu.api.context's Tenant / Queries.
V1_ROUTERS: tuple[APIRouter, ...] = (dashboard.router, traces.router, metrics.router)

# Statuses any route may answer with, all as {"detail": "..."}.
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": models.ErrorBody,
          "description": "A bad or unknown parameter (the message names it), or a result "
                         "over the row cap"},
    401: {"model": models.ErrorBody,
          "description": "Not signed in, or an unknown, expired or revoked token"},
    403: {"model": models.ErrorBody,
          "description": "The caller's role or credential may not do this (an ingest key "
                         "on a read, a viewer writing, an organisation whose trial ended)"},
    503: {"model": models.ErrorBody, "description": "The store is unavailable"},
    504: {"model": models.ErrorBody, "description": "The query ran past its time limit"},
}


def create_api(
    settings: Settings,
    store: Any,
    authenticate: Authenticate,
    routers: Sequence[APIRouter] = (),
    queries: QueryService | None = None,
    console: bool = True,
) -> FastAPI:
    """The API app over ``store``; ``authenticate`` maps a request to its
    :class:`~bongsu.accounts.principal.Principal` or raises
    :class:`bongsu.errors.Unauthorized`. ``console=False`` leaves the web console's static
    files unmounted."""
    if queries is None:
        reads = reads_of(store, settings.query_timeout_seconds, settings.query_max_rows)
        queries = QueryService(reads, settings)
    app = FastAPI(
        title="Bongsu query API",
        version=__version__,
        description=(
            "APM figures from the Bongsu store. Rates and APDEX are fractions 0-1, "
            "durations milliseconds, timestamps epoch milliseconds. A query parameter "
            "the endpoint does not declare is a 400."
        ),
        dependencies=[Depends(reject_unknown_parameters)],
        responses=ERRORS,
        default_response_class=JSON,
    )
    app.state.bongsu = ApiContext(queries, authenticate)
    install_error_handlers(app)
    install_openapi(app)

    @app.get("/healthz", tags=["health"], summary="Liveness: the store answers a query",
             response_model=models.Health)
    def healthz() -> JSON:
        queries.reads.ping()
        return JSON({"status": "ok", "version": __version__})

    for router in (*V1_ROUTERS, *routers):
        app.include_router(router)
    static = _console_dir() if console else None
    if static is not None:
        app.mount("/", StaticFiles(directory=static, html=True), name="console")
    return app


def _console_dir() -> Path | None:
    """The built web console, if the web package and its bundle are there."""
    try:
        from bongsu.web import static_dir
    except ImportError:
        return None
    found = static_dir() if callable(static_dir) else static_dir
    return Path(found) if found is not None else None
