"""The OpenAPI document as clients should read it, tidied from FastAPI's own.

- Validation failures are 400 ``{"detail": "..."}`` (``bongsu.api.errors``), never
  FastAPI's 422, so the 422 responses and their schemas are dropped.
- A query parameter cannot be JSON null, so ``anyOf: [X, null]`` on a parameter is X.

Example::

    install_openapi(app)
    app.openapi()["paths"]["/api/v1/services"]
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

_FASTAPI_ONLY = ("HTTPValidationError", "ValidationError")


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` (and ``/openapi.json``) return :func:`document`."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def document(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document, tidied (see the module docstring)."""
    doc = get_openapi(title=app.title, version=app.version, description=app.description,
                      routes=app.routes)
    for path in doc.get("paths", {}).values():
        for operation in path.values():
            operation.get("responses", {}).pop("422", None)
            for parameter in operation.get("parameters", []):
                parameter["schema"] = _not_null(parameter.get("schema", {}))
    schemas = doc.get("components", {}).get("schemas", {})
    for name in _FASTAPI_ONLY:
        schemas.pop(name, None)
    return doc


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    options = schema.get("anyOf")
    if not isinstance(options, list):
        return schema
    rest = [o for o in options if o != {"type": "null"}]
    if len(rest) != 1 or len(rest) == len(options):
        return schema
    tidy = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**rest[0], **tidy}
