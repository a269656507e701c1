"""The query API as a FastAPI app: v1 routes, health, OpenAPI, and the web console.

Example::

    app = create_api(settings, store, keys.resolve)
    uvicorn.run(app, port=settings.port)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from bongsu import __version__
from bongsu.api import dashboard, metrics, traces
from bongsu.api.context import ApiContext
from bongsu.api.errors import install_error_handlers
from bongsu.query import QueryService
from bongsu.settings import Settings
from bongsu.store.reads import reads_of

# The v1 routers, in the order they are matched. Other parts (agent control, alerts) pass
# theirs to create_api(routers=...) and use bongsu.api.context's Tenant / Queries.
V1_ROUTERS: tuple[APIRouter, ...] = (dashboard.router, traces.router, metrics.router)


def create_api(
    settings: Settings,
    store: Any,
    resolve_tenant: Callable[[str | None], str],
    routers: Sequence[APIRouter] = (),
    queries: QueryService | None = None,
    console: bool = True,
) -> FastAPI:
    """The API app over ``store``; ``resolve_tenant`` maps an Authorization header to a
    tenant or raises :class:`bongsu.errors.Unauthorized`. ``console=False`` leaves the
    web console's static files unmounted."""
    if queries is None:
        reads = reads_of(store, settings.query_timeout_seconds, settings.query_max_rows)
        queries = QueryService(reads, settings)
    app = FastAPI(
        title="Bongsu query API",
        version=__version__,
        description=(
            "APM figures from the Bongsu store. Rates and APDEX are fractions 0-1, "
            "durations milliseconds, timestamps epoch milliseconds."
        ),
    )
    app.state.bongsu = ApiContext(queries, resolve_tenant)
    install_error_handlers(app)

    @app.get("/healthz", tags=["health"], summary="Liveness: the store answers a query")
    def healthz() -> JSONResponse:
        queries.reads.ping()
        return JSONResponse({"status": "ok", "version": __version__})

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
