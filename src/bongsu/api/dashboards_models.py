"""Request and response bodies of "my dashboard" (``bongsu.api.dashboards``).

Grid units: ``x`` and ``w`` in columns of a 12-column grid, ``y`` and ``h`` in rows.
"""

from __future__ import annotations

from pydantic import ConfigDict

from bongsu.api.body import BodyModel
from bongsu.api.models import Model, _f

_PARAMS = ("What the kind needs, an object of strings (service, instance, …): at most 16 "
           "entries, 256 characters each, 2,048 bytes in all")


class PanelOut(Model):
    id: int = _f("The panel's id")
    kind: str = _f("The console's panel kind, e.g. dashboard.tps or topology.map")
    title: str = _f("The panel's title")
    params: dict[str, str] = _f(_PARAMS)
    x: int = _f("Column of its left edge, 0-11 (grid columns)")
    y: int = _f("Row of its top edge, from 0 (grid rows)")
    w: int = _f("Width, 1-12 grid columns")
    h: int = _f("Height, 1-12 grid rows")
    order: int = _f("Its place in the dashboard's order, from 0")
    created_ms: int = _f("When it was pinned, epoch ms")
    updated_ms: int = _f("When it was last moved or changed, epoch ms")


class Panels(Model):
    panels: list[PanelOut] = _f("The caller's panels in this project, in their order "
                                "(at most 50)")


class PanelIn(BodyModel):
    """A panel to pin; it is placed below all the others, at the left."""

    model_config = ConfigDict(extra="forbid")
    kind: str = _f("The console's panel kind, e.g. dashboard.tps (lowercase words joined "
                   "by dots, at most 64 characters)", max_length=64)
    title: str = _f("Its title, 1-200 characters", max_length=200)
    params: dict[str, str] = _f(_PARAMS, default_factory=dict)
    w: int = _f("Width, 1-12 grid columns", default=4, strict=True)
    h: int = _f("Height, 1-12 grid rows", default=3, strict=True)


class PanelPatch(BodyModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = _f("A new title, 1-200 characters", default=None, max_length=200)
    params: dict[str, str] | None = _f("New parameters (replace the old ones): " + _PARAMS,
                                       default=None)


class PlaceIn(BodyModel):
    model_config = ConfigDict(extra="forbid")
    id: int = _f("A panel of the caller's dashboard", strict=True)
    x: int = _f("Column of its left edge: 0 to 12 - w (grid columns)", strict=True)
    y: int = _f("Row of its top edge: 0 to 200 - h (grid rows)", strict=True)
    w: int = _f("Width, 1-12 grid columns", strict=True)
    h: int = _f("Height, 1-12 grid rows", strict=True)


class LayoutIn(BodyModel):
    """Every panel of the dashboard, in the order to keep (overlaps are stored as given)."""

    model_config = ConfigDict(extra="forbid")
    panels: list[PlaceIn] = _f("Every panel of the caller's dashboard, each once, in order",
                               max_length=50)
