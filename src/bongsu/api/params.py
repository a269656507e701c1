"""Typed, bounded query parameters, and the rule that no endpoint takes an unknown one.

Each parameter is an ``Annotated`` type: the ``Query`` part (type, bounds, description)
is what ``/openapi.json`` documents; a before-validator runs the ``bongsu.query.params``
parser first, so a bad value is still a 400 whose message names the parameter
(``"step: must be a positive multiple of 10 seconds, got 15"``).

Example::

    @router.get("/things")
    def things(step: Step = None, limit: Limit100 = None) -> JSON: ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import Path, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from bongsu.errors import InvalidQuery
from bongsu.query.ids import trace_hex
from bongsu.query.metrics import AGGS
from bongsu.query.params import (
    MAX_MS,
    parse_bool,
    parse_choice,
    parse_float,
    parse_hex_id,
    parse_int,
)
from bongsu.query.topology import LEVELS
from bongsu.query.window import MAX_STEP_S, check_step

BAD_PARAMETER = "bad_parameter"
"""The pydantic error type of a value a ``bongsu.query.params`` parser refused; its
message is the parser's, parameter name first."""

MAX_LIMIT = 1000
# The console asks for figures over its whole range (7 days at most), so up to a step's 31 days.
MAX_RATE_WINDOW_S = MAX_STEP_S
TRACE_ID_PATTERN = "^[0-9a-fA-F]{32}$"


def _checked(parse: Callable[[str], Any]) -> Any:
    """A before-validator running ``parse`` on the raw text (InvalidQuery -> 400)."""

    def check(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return parse(value)
        except InvalidQuery as exc:
            raise PydanticCustomError(BAD_PARAMETER, "{detail}", {"detail": exc.message}
                                      ) from None

    return BeforeValidator(check)


def _limit(raw: str) -> int:
    return parse_int("limit", raw, 0, 1, MAX_LIMIT)


def _rate_window(raw: str) -> int:
    seconds = parse_int("window", raw, 60, 10, MAX_RATE_WINDOW_S)
    if seconds % 10:
        raise InvalidQuery(f"window: must be a multiple of 10 seconds, got {seconds}")
    return seconds


def _trace_id(name: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = parse_hex_id(name, raw, 32)
        return trace_hex(value >> 64, value & (2**64 - 1))

    return parse


_WINDOW = " ISO-8601 (UTC without an offset) or epoch ms."
From = Annotated[str | None, Query(
    alias="from", description="Window start, inclusive:" + _WINDOW + " Default: to - 15 min.")]
To = Annotated[str | None, Query(
    description="Window end, exclusive:" + _WINDOW + " Default: now.")]
# Bounds sit on the inner type: on the optional they would reach the schema as raw keys.
Step = Annotated[Annotated[int, Field(ge=10, le=MAX_STEP_S, multiple_of=10)] | None,
                 _checked(check_step), Query(
    description="Seconds per point: a positive multiple of 10, at most 31 days. Default: the "
                "smallest of 10, 30, 60, 120, 300 … giving at most 120 points.")]
Service = Annotated[str | None, Query(description="Only this service (service.name)")]
Instance = Annotated[str | None, Query(
    description="Only this instance (service.instance.id): figures count its "
                "transactions only")]
_LIMIT = "Most rows to return: 1 to min(1000, the row cap)."
_Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT)]
Limit20 = Annotated[_Limit | None, _checked(_limit), Query(description=_LIMIT + " Default 20.")]
Limit100 = Annotated[_Limit | None, _checked(_limit), Query(
    description=_LIMIT + " Default 100.")]
_Ms = Annotated[float, Field(ge=0, le=MAX_MS)]
MinMs = Annotated[_Ms | None, _checked(lambda raw: parse_float("min_ms", raw)), Query(
    description="Shortest duration to include, ms (inclusive)")]
MaxMs = Annotated[_Ms | None, _checked(lambda raw: parse_float("max_ms", raw)), Query(
    description="Longest duration to include, ms (inclusive)")]
ErrorsOnly = Annotated[bool | None, _checked(lambda raw: parse_bool("errors_only", raw)),
                       Query(description="Only failed transactions (true/false, 1/0, "
                                         "yes/no, on/off). Default false.")]
RateWindow = Annotated[
    Annotated[int, Field(ge=10, le=MAX_RATE_WINDOW_S, multiple_of=10)] | None,
    _checked(_rate_window), Query(
    description="Seconds of recent traffic (ending at the last whole 10 s slot) for "
                "transactions, tps, avg_ms and error_rate: a multiple of 10. Default 60.")]
Level = Annotated[
    Literal["service", "instance"] | None,
    _checked(lambda raw: parse_choice("level", raw, LEVELS, "service")),
    Query(description="Node granularity. Default service."),
]
TraceStatus = Annotated[
    Literal["error", "ok"] | None,
    _checked(lambda raw: parse_choice("status", raw, ("error", "ok"), "ok")),
    Query(description="Only traces with (error) or without (ok) a failed matching span"),
]
AggName = Annotated[
    Literal["avg", "min", "max", "sum", "last"] | None,
    _checked(lambda raw: parse_choice("agg", raw, AGGS, "avg")),
    Query(description="Aggregation per step. Default avg."),
]
Severity = Annotated[str | None, Query(
    description="Minimum severity: trace, debug, info, warn, error, fatal, or an OTLP "
                "severity number 1-24")]
_TraceId = Annotated[str, Field(pattern=TRACE_ID_PATTERN)]
TraceIdQuery = Annotated[_TraceId | None, _checked(_trace_id("trace_id")), Query(
    description="Only this trace's records (32 hex digits)")]
TraceIdPath = Annotated[_TraceId, _checked(_trace_id("trace_id")), Path(
    description="Trace id, 32 hex digits")]
Attributes = Annotated[list[str] | None, Query(
    description="KEY:VALUE (the first colon splits); repeatable, at most 16, all must match")]
SpanName = Annotated[str | None, Query(description="Only traces with a span of this name")]
CAPTURE_KINDS = ("threads", "memory", "network", "files", "processes")  # models.CaptureKind
Kind = Annotated[
    Literal["threads", "memory", "network", "files", "processes"] | None,
    _checked(lambda raw: parse_choice("kind", raw, CAPTURE_KINDS, "threads")),
    Query(description="Only captures of this kind"),
]
CaptureId = Annotated[str, Query(min_length=1, max_length=64, description="A capture id")]


# ``openapi_extra={EXTRA_PARAMETERS: True}`` on a route that must take parameters it does
# not declare: a redirect back from another party (an OIDC provider adds its own).
EXTRA_PARAMETERS = "x-takes-extra-parameters"


def reject_unknown_parameters(request: Request) -> None:
    """400 naming every query parameter the matched route does not declare.

    FastAPI drops undeclared parameters silently, so a client sending one (the console's
    ``instance=`` once) got whole-service figures back and no hint why.
    """
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or (route.openapi_extra or {}).get(EXTRA_PARAMETERS):
        return
    declared = _query_names(route.dependant)
    unknown = sorted(set(request.query_params) - declared)
    if unknown:
        takes = ", ".join(sorted(declared)) or "no query parameters"
        noun = "an unknown query parameter" if len(unknown) == 1 else "unknown query parameters"
        raise InvalidQuery(f"{', '.join(unknown)}: {noun}; this endpoint takes {takes}")


def _query_names(dependant: Dependant) -> set[str]:
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names
