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
from bongsu.api import models
from bongsu.api.context import Queries, Tenant
from bongsu.api.params import ErrorsOnly, From, Limit100, MaxMs, MinMs, Step, To
from bongsu.api.responses import JSON
from bongsu.errors import InvalidQuery
from bongsu.query import dashboard, groups
from bongsu.query.params import ms_to_us, parse_limit_value
from bongsu.query.service import QueryService
from bongsu.query.window import Window, default_step

MAX_SERVICES = 50
_NO_LIMIT_US = 2**62
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


def chosen_services(queries: QueryService, tenant: str, window: Window, services: str | None,
                    label: str | None) -> list[str]:
    """The group's services: the list given, or those carrying the label in the window."""
    if (services is None) == (label is None):
        raise InvalidQuery("services, label: give exactly one of services (a list) "
                           "or label (key:value)")
    if services is not None:
        return parse_services(services)
    key, value = parse_label(label or "")
    return groups.by_label(queries.reads, tenant, window, key, value)


def groups_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["groups"])

    @router.get("/groups", summary="Several services' tiles, series and topology",
                response_model=hm.Group)
    def group(tenant: Tenant, queries: Queries, from_: From = None, to: To = None,
              services: Services = None, label: Label = None, step: Step = None) -> JSON:
        window = queries.window(from_, to)
        chosen = chosen_services(queries, tenant, window, services, label)
        step_s = default_step(window) if step is None else step
        return JSON(groups.group(queries.reads, tenant, window, step_s, queries.max_rows,
                                 queries.clock(), queries.services(tenant, window), chosen))

    @router.get("/groups/heatmap", summary="The group's T-Map: its services' heatmaps as one",
                response_model=hm.GroupHeatmap)
    def heatmap(tenant: Tenant, queries: Queries, from_: From = None, to: To = None,
                services: Services = None, label: Label = None, step: Step = None) -> JSON:
        window = queries.window(from_, to)
        chosen = chosen_services(queries, tenant, window, services, label)
        step_s = default_step(window) if step is None else step
        return JSON(dashboard.combined_heatmap(queries.reads, tenant, chosen, window, step_s,
                                               queries.max_rows))

    @router.get("/groups/transactions",
                summary="Transactions in a selection of the group's T-Map, of every service",
                response_model=models.Transactions)
    def transactions(tenant: Tenant, queries: Queries, from_: From = None, to: To = None,
                     services: Services = None, label: Label = None, min_ms: MinMs = None,
                     max_ms: MaxMs = None, errors_only: ErrorsOnly = None,
                     limit: Limit100 = None) -> JSON:
        window = queries.window(from_, to)
        low = ms_to_us(min_ms) or 0
        high = ms_to_us(max_ms)
        if high is not None and high < low:
            raise InvalidQuery("max_ms: must not be below min_ms")
        chosen = chosen_services(queries, tenant, window, services, label)
        return JSON(dashboard.combined_transactions(
            queries.reads, tenant, chosen, window, low, _NO_LIMIT_US if high is None else high,
            bool(errors_only), parse_limit_value(limit, 100, queries.max_rows)))

    @router.get("/groups/labels", summary="The namespace, cluster and team values there are",
                response_model=hm.GroupLabels)
    def labels(tenant: Tenant, queries: Queries, from_: From = None, to: To = None) -> JSON:
        window = queries.window(from_, to)
        return JSON(groups.labels(queries.reads, tenant, window))

    return router
