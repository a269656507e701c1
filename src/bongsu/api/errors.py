"""Bongsu errors as JSON ``{"detail": ...}`` responses with their HTTP status.

Request validation failures (typed query parameters, the capture request body) are 400s
too, one ``"name: problem"`` per bad field, joined by ``"; "``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from bongsu.api.params import BAD_PARAMETER
from bongsu.errors import (
    QueryError,
    RateLimited,
    RuleError,
    StoreError,
    StoreUnavailable,
    Unauthorized,
)


def install_error_handlers(app: FastAPI) -> None:
    """Map the error hierarchy onto responses; nothing a caller sends gives a 500."""

    @app.exception_handler(QueryError)
    def query_error(request: Request, exc: QueryError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return JSONResponse({"detail": exc.message}, status_code=exc.status, headers=headers)

    @app.exception_handler(RuleError)
    def rule_error(request: Request, exc: RuleError) -> JSONResponse:
        # An alert rule, silence, channel or route refused: "field: problem".
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(Unauthorized)
    def unauthorized(request: Request, exc: Unauthorized) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.message}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )

    @app.exception_handler(StoreError)
    def store_error(request: Request, exc: StoreError) -> JSONResponse:
        headers = ({"Retry-After": str(exc.retry_after)}
                   if isinstance(exc, StoreUnavailable) else None)
        return JSONResponse({"detail": f"store unavailable: {exc}"}, status_code=503,
                            headers=headers)

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [validation_message(error) for error in exc.errors()]
        return JSONResponse({"detail": "; ".join(dict.fromkeys(problems))}, status_code=400)


def validation_message(error: dict[str, Any]) -> str:
    """One pydantic error as ``"name: problem"``."""
    where = ".".join(str(p) for p in error.get("loc", ())[1:]) or "request"
    kind = error.get("type")
    if kind == BAD_PARAMETER:
        return str(error.get("msg"))  # the parser's message, which names the parameter
    if kind == "missing":
        return f"{where}: required"
    if kind == "literal_error":
        expected = (error.get("ctx") or {}).get("expected", "")
        return f"{where}: one of {expected}, got {error.get('input')!r}"
    return f"{where}: {error.get('msg', 'invalid')}"
