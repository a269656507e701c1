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
from bongsu.agent._tracer import CLIENT, FrozenAttrs, Span, Tracer

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
    prepared: dict[Any, tuple[str, FrozenAttrs]] = field(
        default_factory=dict, compare=False, hash=False, repr=False)


def _begin(tracer: Tracer, info: DbInfo, statement: Any) -> Span:
    try:
        prepared = info.prepared.get(statement)
    except TypeError:  # an unhashable statement object (a composed query)
        prepared = None
    if prepared is None:
        prepared = _prepare(tracer, info, statement)
    db = _state.db
    if db is not None:
        in_use = db.in_use
        in_use[info.system] = in_use.get(info.system, 0) + 1
    # The attributes are shared by every call of the statement (``FrozenAttrs``): not
    # copied here, encoded once by the sender.
    return tracer.start(prepared[0], CLIENT, prepared[1])


def _prepare(tracer: Tracer, info: DbInfo, statement: Any) -> tuple[str, FrozenAttrs]:
    key = statement
    if not isinstance(statement, str):
        statement = bytes(statement).decode("utf-8", "replace") if isinstance(
            statement, (bytes, bytearray)) else str(statement)
    text = mask_sql(statement, tracer.sql_max_length) if tracer.sql_mask else statement[
        :tracer.sql_max_length]
    op = operation(statement)
    attrs = FrozenAttrs({"db.system": info.system, "db.statement": text, "db.operation": op})
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


def traced_call(info: DbInfo, statement: Any, call: Callable[..., T], *args: Any,
                **kwargs: Any) -> T:
    """``call(*args, **kwargs)`` inside a DB CLIENT span for ``statement``."""
    tracer = _state.tracer
    if tracer is None:
        return call(*args, **kwargs)
    try:  # _begin inlined: this runs once per query
        try:
            prepared = info.prepared.get(statement)
        except TypeError:  # an unhashable statement object (a composed query)
            prepared = None
        if prepared is None:
            prepared = _prepare(tracer, info, statement)
        db = _state.db
        if db is not None:
            in_use = db.in_use
            in_use[info.system] = in_use.get(info.system, 0) + 1
        span = tracer.start(prepared[0], CLIENT, prepared[1])
    except Exception as exc:
        swallow(exc)
        return call(*args, **kwargs)
    try:
        result = call(*args, **kwargs)
    except BaseException as exc:
        _finish(tracer, info, span, exc)
        raise
    try:  # _finish inlined
        db = _state.db
        if db is not None:
            in_use = db.in_use
            in_use[info.system] = in_use.get(info.system, 1) - 1
        tracer.finish(span)
    except Exception as err:
        swallow(err)
    return result


async def traced_call_async(info: DbInfo, statement: Any, call: Callable[..., Any], *args: Any,
                            **kwargs: Any) -> Any:
    """Awaitable version of :func:`traced_call`."""
    tracer = _state.tracer
    if tracer is None:
        return await call(*args, **kwargs)
    try:
        span = _begin(tracer, info, statement)
    except Exception as exc:
        swallow(exc)
        return await call(*args, **kwargs)
    try:
        result = await call(*args, **kwargs)
    except BaseException as exc:
        _finish(tracer, info, span, exc)
        raise
    _finish(tracer, info, span, None)
    return result


def _finish(tracer: Tracer, info: DbInfo, span: Span, exc: BaseException | None) -> None:
    try:
        db = _state.db
        if db is not None:
            in_use = db.in_use
            in_use[info.system] = in_use.get(info.system, 1) - 1
        if exc is not None:
            span.record_exception(exc)
        tracer.finish(span)
    except Exception as err:
        swallow(err)
