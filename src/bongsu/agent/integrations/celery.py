"""Celery: PRODUCER spans when a task is sent (``traceparent`` travels in the message
headers), CONSUMER spans when a worker runs it, failures recorded. Uses Celery's signals."""

from __future__ import annotations

from contextlib import suppress
from contextvars import Token
from types import ModuleType
from typing import Any

from bongsu.agent import _state
from bongsu.agent._propagation import format_traceparent, parse_traceparent
from bongsu.agent._safety import swallow
from bongsu.agent._tracer import CONSUMER, CURRENT, PRODUCER, Span

__all__ = ["install"]

_published: dict[str, Span] = {}
_running: dict[str, tuple[Span, Token[Span | None]]] = {}
_LIMIT = 10_000


def install(module: ModuleType) -> None:
    from celery import signals

    signals.before_task_publish.connect(_before_publish, weak=False, dispatch_uid="bongsu")
    signals.after_task_publish.connect(_after_publish, weak=False, dispatch_uid="bongsu")
    signals.task_prerun.connect(_prerun, weak=False, dispatch_uid="bongsu")
    signals.task_postrun.connect(_postrun, weak=False, dispatch_uid="bongsu")
    signals.task_failure.connect(_failure, weak=False, dispatch_uid="bongsu")


def _task_id(headers: Any, body: Any) -> str:
    if isinstance(headers, dict) and headers.get("id"):
        return str(headers["id"])
    if isinstance(body, dict):
        return str(body.get("id", ""))
    return ""


def _before_publish(sender: Any = None, body: Any = None, headers: Any = None,
                    routing_key: str = "", **kwargs: Any) -> None:
    tracer = _state.tracer
    if tracer is None or not isinstance(headers, dict):
        return
    try:
        name = str(sender or headers.get("task", "task"))
        span = tracer.start(f"{name} publish", PRODUCER, {
            "messaging.system": "celery", "messaging.operation": "publish",
            "messaging.destination.name": routing_key or "celery",
            "messaging.message.id": _task_id(headers, body), "celery.task_name": name})
        headers["traceparent"] = format_traceparent(span.trace_id, span.span_id, span.sampled)
        if span.tracestate:
            headers["tracestate"] = span.tracestate
        if len(_published) < _LIMIT:
            _published[_task_id(headers, body)] = span
    except Exception as exc:
        swallow(exc)


def _after_publish(sender: Any = None, body: Any = None, headers: Any = None,
                   **kwargs: Any) -> None:
    span = _published.pop(_task_id(headers, body), None)
    tracer = _state.tracer
    if span is not None and tracer is not None:
        tracer.finish(span)


def _prerun(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    tracer = _state.tracer
    if tracer is None or task is None:
        return
    try:
        request = task.request
        remote = parse_traceparent(getattr(request, "traceparent", None) or (
            (getattr(request, "headers", None) or {}).get("traceparent")))
        attrs = {"messaging.system": "celery", "messaging.operation": "process",
                 "messaging.message.id": task_id, "celery.task_name": task.name,
                 "messaging.destination.name": str(
                     (getattr(request, "delivery_info", None) or {}).get("routing_key") or "")}
        span = tracer.start(f"{task.name} process", CONSUMER, attrs, remote=remote) if remote \
            else tracer.start(f"{task.name} process", CONSUMER, attrs)
        if len(_running) < _LIMIT:
            _running[task_id] = (span, CURRENT.set(span))
    except Exception as exc:
        swallow(exc)


def _failure(task_id: str = "", exception: BaseException | None = None, **kwargs: Any) -> None:
    entry = _running.get(task_id)
    if entry is not None and exception is not None:
        entry[0].record_exception(exception)


def _postrun(task_id: str = "", state: str = "", **kwargs: Any) -> None:
    entry = _running.pop(task_id, None)
    tracer = _state.tracer
    if entry is None:
        return
    span, token = entry
    with suppress(ValueError):  # reset from another context: the span still ends
        CURRENT.reset(token)
    if state:
        span.attrs["celery.state"] = state
    if tracer is not None:
        tracer.finish(span)
