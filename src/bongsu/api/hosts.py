"""The host view's routes: every host with its figures, one host's series and instances
(:mod:`bongsu.query.hosts`).

Example::

    app = create_api(settings, store, authenticate, routers=[hosts_router()])
    # GET /api/v1/hosts/seoul-k8s-worker-01?from=...&step=60
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from bongsu.api import hosts_models as hm
from bongsu.api.context import Queries, Tenant
from bongsu.api.models import ErrorBody
from bongsu.api.params import From, Step, To
from bongsu.api.responses import JSON
from bongsu.query import hosts

HostName = Annotated[str, Path(min_length=1, max_length=512,
                               description="host.name of the node, as listed")]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "Nothing was ever seen on that host"}}


def hosts_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["hosts"])

    @router.get("/hosts", summary="Every host with CPU, memory, load, disk, network and "
                "its instances", response_model=hm.Hosts)
    def host_list(tenant: Tenant, queries: Queries, from_: From = None,
                  to: To = None) -> JSON:
        window = queries.window(from_, to)
        return JSON(hosts.hosts(queries.reads, tenant, window))

    @router.get("/hosts/{host}", summary="One host's series per step and its instances",
                response_model=hm.HostDetail, responses=_NOT_FOUND)
    def host_detail(host: HostName, tenant: Tenant, queries: Queries, from_: From = None,
                    to: To = None, step: Step = None) -> JSON:
        window = queries.window(from_, to)
        return JSON(hosts.host(queries.reads, tenant, host, window, step, queries.max_rows))

    return router
