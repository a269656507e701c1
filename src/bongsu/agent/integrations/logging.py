"""logging: trace and span ids in every record; optional export of records as OTLP logs.

Each record gets ``trace_id``, ``span_id`` (empty strings outside a span, so a format
such as ``"%(trace_id)s %(message)s"`` always works) and the OpenTelemetry names
``otelTraceID`` / ``otelSpanID`` / ``otelServiceName``.
"""

from __future__ import annotations

import logging
import threading
import traceback
from types import ModuleType
from typing import Any

from bongsu.agent import _state
from bongsu.agent._otlp import LogItem
from bongsu.agent._safety import swallow
from bongsu.agent._tracer import CURRENT

__all__ = ["OtlpLogHandler", "install"]


def install(module: ModuleType) -> None:
    agent = _state.agent
    if agent is None:
        return
    settings = agent.settings
    if settings.log_correlation:
        _install_factory()
    if settings.logs_export:
        root = logging.getLogger()
        if not any(isinstance(h, OtlpLogHandler) for h in root.handlers):
            root.addHandler(OtlpLogHandler(logging.getLevelName(settings.logs_level.upper())))


def _install_factory() -> None:
    previous = logging.getLogRecordFactory()
    if getattr(previous, "__bongsu__", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        span = CURRENT.get()
        if span is None:
            record.trace_id = record.span_id = record.otelTraceID = record.otelSpanID = ""
        else:
            record.trace_id = record.otelTraceID = f"{span.trace_id:032x}"
            record.span_id = record.otelSpanID = f"{span.span_id:016x}"
        agent = _state.agent
        record.otelServiceName = agent.resource["service.name"] if agent is not None else ""
        return record

    factory.__bongsu__ = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def severity_number(levelno: int) -> int:
    """OpenTelemetry severity number of a logging level (DEBUG 5 … CRITICAL 21)."""
    if levelno >= 50:
        return 21
    if levelno >= 40:
        return 17
    if levelno >= 30:
        return 13
    if levelno >= 20:
        return 9
    return 5 if levelno >= 10 else 1


class OtlpLogHandler(logging.Handler):
    """Queues records for the sender thread (bounded; drops counted)."""

    def emit(self, record: logging.LogRecord) -> None:
        agent = _state.agent
        if agent is None or record.name.startswith("bongsu.agent"):
            return
        if threading.current_thread().name == "bongsu-agent":
            return
        try:
            attrs: dict[str, Any] = {"logger.name": record.name,
                                     "code.function": record.funcName,
                                     "code.lineno": record.lineno}
            if record.exc_info and record.exc_info[1] is not None:
                exc = record.exc_info[1]
                attrs["exception.type"] = type(exc).__name__
                attrs["exception.message"] = str(exc)
                attrs["exception.stacktrace"] = "".join(traceback.format_exception(exc))[-8192:]
            span = CURRENT.get()
            item = LogItem(int(record.created * 1e9), severity_number(record.levelno),
                           record.levelname, record.getMessage(), attrs,
                           span.trace_id if span else 0, span.span_id if span else 0)
            if agent.sender is None:
                agent.ensure_sender()
            queue = agent.logs
            if len(queue) < agent.settings.queue_size:
                queue.append(item)
                if len(queue) == agent.settings.batch_size:
                    agent.tracer.wake.set()
            else:
                agent.logs_dropped += 1
        except Exception as exc:
            swallow(exc)
