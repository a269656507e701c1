"""The JSON response every v1 route returns: the query service's dict, rendered by orjson.

Routes declare a :mod:`bongsu.api.models` model for the OpenAPI document and return this
directly, so FastAPI neither validates nor re-encodes the body: orjson renders a
10,000-cell heatmap in ~1 ms, ``json.dumps`` in ~10 ms, Pydantic validation takes ~18 ms.

Example::

    return JSON(queries.heatmap(tenant, service, window, step_s))
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from fastapi.responses import JSONResponse


class JSON(JSONResponse):
    """orjson-rendered JSON; ``json.dumps`` for what orjson refuses (integers past 64 bits
    in an agent's capture payload)."""

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content)
        except TypeError:
            return json.dumps(content, ensure_ascii=False, allow_nan=False,
                              separators=(",", ":")).encode("utf-8")
