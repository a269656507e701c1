"""My dashboard: the caller's own pinned panels in the project they are working in.

Panels are personal, so a viewer may pin, move and remove their own (the routes take the
``Caller`` and check the project themselves rather than the ``Tenant`` dependency, which
wants an editor for writes). The owner is the signed-in user, the user of an API token,
or the one user of a single-user server; a service account's token has no dashboard
(403). Another user's panel id is a 404, as is an id of another project.

- ``GET /api/v1/dashboards/mine``: the panels, in order;
- ``POST /api/v1/dashboards/mine/panels``: pin one (201), below all the others;
- ``PUT /api/v1/dashboards/mine/layout``: every panel's place and size at once, in the
  order to keep (one transaction; overlaps are stored as given: the console moves
  panels out of each other's way before it saves);
- ``PATCH`` / ``DELETE /api/v1/dashboards/mine/panels/{id}``: rename, re-parameterise,
  unpin.

Example::

    router = dashboards_router(PanelStore(engine))
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Response

from bongsu.accounts.principal import Principal
from bongsu.accounts.roles import Role
from bongsu.api.context import Caller
from bongsu.api.dashboards_models import LayoutIn, PanelIn, PanelOut, PanelPatch, Panels
from bongsu.api.models import ErrorBody
from bongsu.api.responses import JSON
from bongsu.dashboards.panels import NewPanel, Panel, PanelStore, Place
from bongsu.errors import Forbidden, StoreError

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such panel on your dashboard"}}
FULL: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "The dashboard has 50 panels, or 200 rows"}}
PanelId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The panel's id")]


def owner_of(caller: Principal) -> tuple[str, str]:
    """Whose dashboard a request reads and writes, and in which project."""
    caller.require(Role.VIEWER)
    if not caller.tenant:
        raise Forbidden("no project: you belong to no organisation with a project")
    if caller.kind == "single-user":
        return "single-user", caller.tenant
    if caller.user_id is None:
        raise Forbidden("a service account's token has no dashboard of its own: pin with "
                        "a user's session or token")
    return f"user:{caller.user_id}", caller.tenant


def panel_view(p: Panel) -> dict[str, object]:
    return {"id": p.id, "kind": p.kind, "title": p.title, "params": p.params, "x": p.x,
            "y": p.y, "w": p.w, "h": p.h, "order": p.order,
            "created_ms": p.created_us // 1000, "updated_ms": p.updated_us // 1000}


def dashboards_router(store: PanelStore | None = None) -> APIRouter:
    """The routes over ``store`` (None: the schema's app, which never calls them)."""
    router = APIRouter(prefix="/api/v1/dashboards/mine", tags=["dashboards"])

    def panels() -> PanelStore:
        if store is None:
            raise StoreError("the dashboards are not set up")
        return store

    @router.get("", response_model=Panels, summary="Your pinned panels in this project")
    def mine(caller: Caller) -> JSON:
        owner, tenant = owner_of(caller)
        return JSON({"panels": [panel_view(p) for p in panels().list(owner, tenant)]})

    @router.post("/panels", response_model=PanelOut, status_code=201, responses=FULL,
                 summary="Pin a panel (placed below the others; at most 50)")
    def pin(caller: Caller, body: Annotated[PanelIn, Body()]) -> JSON:
        owner, tenant = owner_of(caller)
        made = panels().add(owner, tenant, NewPanel(body.kind, body.title, body.params,
                                                    body.w, body.h))
        return JSON(panel_view(made), status_code=201)

    @router.put("/layout", response_model=Panels, responses=NOT_FOUND,
                summary="Place and order every panel at once (one transaction)")
    def layout(caller: Caller, body: Annotated[LayoutIn, Body()]) -> JSON:
        owner, tenant = owner_of(caller)
        places = [Place(p.id, p.x, p.y, p.w, p.h) for p in body.panels]
        return JSON({"panels": [panel_view(p) for p in panels().layout(owner, tenant,
                                                                        places)]})

    @router.patch("/panels/{panel_id}", response_model=PanelOut, responses=NOT_FOUND,
                  summary="Rename a panel or replace its parameters")
    def patch(caller: Caller, panel_id: PanelId, body: Annotated[PanelPatch, Body()]) -> JSON:
        owner, tenant = owner_of(caller)
        return JSON(panel_view(panels().update(owner, tenant, panel_id, body.title,
                                               body.params)))

    @router.delete("/panels/{panel_id}", status_code=204, response_class=Response,
                   responses=NOT_FOUND, summary="Unpin a panel")
    def unpin(caller: Caller, panel_id: PanelId) -> Response:
        owner, tenant = owner_of(caller)
        panels().remove(owner, tenant, panel_id)
        return Response(status_code=204)

    return router
