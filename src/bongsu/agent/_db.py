"""Begin and end a CLIENT span for a database call; shared by the DB integrations.

Example::

    info = DbInfo("sqlite", "app.db", "", 0)
    result = traced_call(info, "SELECT 1", cursor.execute, "SELECT 1")
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bongsu.agent import _state
from bongsu.agent._safety import swallow
from bongsu.agent._sql import mask_sql, operation
from bongsu.agent._tracer import CLIENT, Span, Tracer

__all__ = ["DbInfo", "traced_call"]

T = TypeVar("T")


@dataclass(frozen=True)
class DbInfo:
    """Where a connection goes: ``db.system``, database name, server address and port."""

    system: str
    name: str
    host: str
    port: int
    # statement -> (span name, attributes): the same few statements repeat on a connection
    prepared: dict[Any, tuple[str, dict[str, Any]]] = field(
        default_factory=dict, compare=False, hash=False, repr=False)


def _begin(info: DbInfo, statement: Any) -> Span | None:
    tracer = _state.tracer
    if tracer is None:
        return None
    try:
        prepared = info.prepared.get(statement)
    except TypeError:  # an unhashable statement object (a composed query)
        prepared = None
    if prepared is None:
        prepared = _prepare(tracer, info, statement)
    db = _state.db
    if db is not None:
        db.begin(info.system)
    return tracer.start(prepared[0], CLIENT, prepared[1].copy())


def _prepare(tracer: Tracer, info: DbInfo, statement: Any) -> tuple[str, dict[str, Any]]:
    key = statement
    if not isinstance(statement, str):
        statement = bytes(statement).decode("utf-8", "replace") if isinstance(
            statement, (bytes, bytearray)) else str(statement)
    text = mask_sql(statement, tracer.sql_max_length) if tracer.sql_mask else statement[
        :tracer.sql_max_length]
    op = operation(statement)
    attrs: dict[str, Any] = {"db.system": info.system, "db.statement": text,
                             "db.operation": op}
    if info.name:
        attrs["db.name"] = info.name
    if info.host:
        attrs["server.address"] = info.host
        if info.port:
            attrs["server.port"] = info.port
    prepared = (f"{op} {info.name}" if info.name else op, attrs)
    if len(info.prepared) >= 500:
        info.prepared.clear()
    with suppress(TypeError):  # an unhashable statement object
        info.prepared[key] = prepared
    return prepared


def _end(info: DbInfo, span: Span, exc: BaseException | None) -> None:
    tracer = _state.tracer
    db = _state.db
    if db is not None:
        db.end(info.system)
    if exc is not None:
        span.record_exception(exc)
    if tracer is not None:
        tracer.finish(span)


def traced_call(info: DbInfo, statement: Any, call: Callable[..., T], *args: Any,
                **kwargs: Any) -> T:
    """``call(*args, **kwargs)`` inside a DB CLIENT span for ``statement``."""
    try:
        span = _begin(info, statement)
    except Exception as exc:
        swallow(exc)
        span = None
    if span is None:
        return call(*args, **kwargs)
    try:
        result = call(*args, **kwargs)
    except BaseException as exc:
        _finish(info, span, exc)
        raise
    _finish(info, span, None)
    return result


async def traced_call_async(info: DbInfo, statement: Any, call: Callable[..., Any], *args: Any,
                            **kwargs: Any) -> Any:
    """Awaitable version of :func:`traced_call`."""
    try:
        span = _begin(info, statement)
    except Exception as exc:
        swallow(exc)
        span = None
    if span is None:
        return await call(*args, **kwargs)
    try:
        result = await call(*args, **kwargs)
    except BaseException as exc:
        _finish(info, span, exc)
        raise
    _finish(info, span, None)
    return result


def _finish(info: DbInfo, span: Span, exc: BaseException | None) -> None:
    try:
        _end(info, span, exc)
    except Exception as err:
        swallow(err)
