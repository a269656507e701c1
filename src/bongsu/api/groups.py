"""The group dashboard's routes: several services' tiles, series and topology, chosen by
a list or a label; and the label values there are (:mod:`bongsu.query.groups`).

Example::

    app = create_api(settings, store, authenticate, routers=[groups_router()])
    # GET /api/v1/groups?label=namespace:shop      GET /api/v1/groups?services=a,b
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from bongsu.api import hosts_models as hm
from bongsu.api.context import Queries, Tenant
from bongsu.api.params import From, Step, To
from bongsu.api.responses import JSON
from bongsu.errors import InvalidQuery
from bongsu.query import groups
from bongsu.query.window import default_step

MAX_SERVICES = 50
Services = Annotated[str | None, Query(
    max_length=5000, description="Comma-separated service names (at most 50); "
                                 "give this or label")]
Label = Annotated[str | None, Query(
    max_length=600, description="key:value with key namespace, cluster or team, e.g. "
                                "namespace:shop; give this or services")]


def parse_services(raw: str) -> list[str]:
    """The services of ``services=a,b,c`` in order, duplicates dropped."""
    names = list(dict.fromkeys(n.strip() for n in raw.split(",") if n.strip()))
    if not names:
        raise InvalidQuery("services: name at least one service")
    if len(names) > MAX_SERVICES:
        raise InvalidQuery(f"services: at most {MAX_SERVICES}, got {len(names)}")
    return names


def parse_label(raw: str) -> tuple[groups.LabelKey, str]:
    """``key:value`` of ``label=``."""
    key, sep, value = raw.partition(":")
    for choice in groups.LABEL_KEYS:
        if key == choice and sep and value:
            return choice, value
    raise InvalidQuery(f"label: expected namespace:VALUE, cluster:VALUE or team:VALUE, "
                       f"got {raw!r}")


def groups_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["groups"])

    @router.get("/groups", summary="Several services' tiles, series and topology",
                response_model=hm.Group)
    def group(tenant: Tenant, queries: Queries, from_: From = None, to: To = None,
              services: Services = None, label: Label = None, step: Step = None) -> JSON:
        if (services is None) == (label is None):
            raise InvalidQuery("services, label: give exactly one of services (a list) "
                               "or label (key:value)")
        window = queries.window(from_, to)
        if services is not None:
            chosen = parse_services(services)
        else:
            key, value = parse_label(label or "")
            chosen = groups.by_label(queries.reads, tenant, window, key, value)
        step_s = default_step(window) if step is None else step
        return JSON(groups.group(queries.reads, tenant, window, step_s, queries.max_rows,
                                 queries.clock(), queries.services(tenant, window), chosen))

    @router.get("/groups/labels", summary="The namespace, cluster and team values there are",
                response_model=hm.GroupLabels)
    def labels(tenant: Tenant, queries: Queries, from_: From = None, to: To = None) -> JSON:
        window = queries.window(from_, to)
        return JSON(groups.labels(queries.reads, tenant, window))

    return router
