"""redis-py: a CLIENT span per command (sync and asyncio clients) and per pipeline.

The statement is the command name with its arguments masked (``SET ? ?``) unless
``sql_mask`` is off, when the key is kept (``GET session:42``).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from bongsu.agent import _state
from bongsu.agent._safety import swallow
from bongsu.agent._tracer import CLIENT, Span
from bongsu.agent.integrations._patching import patch

__all__ = ["install", "install_async"]


def _statement(args: tuple[Any, ...], masked: bool) -> str:
    if not args:
        return ""
    name = args[0].decode() if isinstance(args[0], bytes) else str(args[0])
    rest = args[1:]
    if not rest:
        return name
    if masked:
        return f"{name} " + " ".join(["?"] * len(rest[:20]))
    key = rest[0].decode("utf-8", "replace") if isinstance(rest[0], bytes) else str(rest[0])
    return f"{name} {key}" + " ?" * len(rest[1:20])


def _begin(client: Any, statement: str, operation: str) -> Span | None:
    tracer = _state.tracer
    if tracer is None:
        return None
    try:
        kwargs = client.connection_pool.connection_kwargs
        attrs: dict[str, Any] = {"db.system": "redis", "db.statement": statement,
                                 "db.operation": operation,
                                 "db.redis.database_index": int(kwargs.get("db", 0) or 0)}
        host = kwargs.get("host") or kwargs.get("path") or ""
        if host:
            attrs["server.address"] = str(host)
            if kwargs.get("port"):
                attrs["server.port"] = int(kwargs["port"])
        return tracer.start(operation, CLIENT, attrs)
    except Exception as exc:
        swallow(exc)
        return None


def _end(span: Span, exc: BaseException | None) -> None:
    tracer = _state.tracer
    if exc is not None:
        span.record_exception(exc)
    if tracer is not None:
        tracer.finish(span)


def _masked() -> bool:
    tracer = _state.tracer
    return tracer.sql_mask if tracer is not None else True


def _within(span: Span | None, call: Any, *args: Any, **kwargs: Any) -> Any:
    """``call(*args, **kwargs)``, ending ``span`` (when there is one) with its outcome."""
    if span is None:
        return call(*args, **kwargs)
    try:
        result = call(*args, **kwargs)
    except BaseException as exc:
        _end(span, exc)
        raise
    _end(span, None)
    return result


def install(module: ModuleType) -> None:
    def make(original: Any) -> Any:
        def execute_command(self: Any, *args: Any, **options: Any) -> Any:
            if _state.tracer is None or not args:
                return original(self, *args, **options)
            span = _begin(self, _statement(args, _masked()), str(args[0]).upper())
            return _within(span, original, self, *args, **options)
        return execute_command

    def make_pipeline(original: Any) -> Any:
        def execute(self: Any, *args: Any, **kwargs: Any) -> Any:
            if _state.tracer is None:
                return original(self, *args, **kwargs)
            masked = _masked()
            commands = [_statement(tuple(c[0]), masked) for c in self.command_stack[:50]]
            span = _begin(self, "\n".join(commands), "PIPELINE")
            return _within(span, original, self, *args, **kwargs)
        return execute

    patch(module.Redis, "execute_command", make)
    patch(module.Pipeline, "execute", make_pipeline)


def install_async(module: ModuleType) -> None:
    def make(original: Any) -> Any:
        async def execute_command(self: Any, *args: Any, **options: Any) -> Any:
            if _state.tracer is None or not args:
                return await original(self, *args, **options)
            span = _begin(self, _statement(args, _masked()), str(args[0]).upper())
            if span is None:
                return await original(self, *args, **options)
            try:
                result = await original(self, *args, **options)
            except BaseException as exc:
                _end(span, exc)
                raise
            _end(span, None)
            return result
        return execute_command

    patch(module.Redis, "execute_command", make)
