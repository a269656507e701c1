"""The Bongsu agent for Python applications.

One call instruments a process (or use ``bongsu run -- CMD`` for no code change)::

    import bongsu.agent
    bongsu.agent.init(service_name="orders")      # BONGSU_* / OTEL_* variables also work
    app = bongsu.agent.instrument_wsgi(app)       # Flask/Django/Starlette: automatic

Spans, runtime metrics and (optionally) logs go to an OTLP/HTTP receiver from one
background thread per process. The agent never raises into the application.
``import bongsu.agent`` imports only the standard library.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bongsu.agent import _locks, _state
from bongsu.agent._agent import Agent
from bongsu.agent._cli import cli_run
from bongsu.agent._safety import swallow
from bongsu.agent._settings import AgentSettings, SettingError
from bongsu.agent._tracer import CURRENT, INTERNAL, Span
from bongsu.agent.integrations import install_all
from bongsu.agent.integrations.asgi import ASGIApp, TracedASGI
from bongsu.agent.integrations.wsgi import TracedWSGI, WSGIApp

__all__ = [
    "AgentSettings",
    "SettingError",
    "Span",
    "cli_run",
    "current_span",
    "flush",
    "init",
    "instrument_asgi",
    "instrument_wsgi",
    "shutdown",
    "span",
]

_init_lock = threading.Lock()


def init(**settings: Any) -> Agent | None:
    """Start the agent in this process (once); keyword arguments override the environment."""
    with _init_lock:
        if _state.agent is not None:
            return _state.agent
        config = AgentSettings.from_env(**settings)
        if not config.enabled:
            return None
        agent = Agent(config)
        agent.start()
        if config.track_locks:
            _locks.install()
        install_all(config.disabled())
        return agent


def shutdown(timeout: float = 3.0) -> None:
    """Send what is queued and stop the agent; hooks become pass-throughs."""
    agent = _state.agent
    if agent is not None:
        agent.shutdown(timeout)
    _locks.uninstall()


def flush(timeout: float = 5.0) -> bool:
    """Send everything queued now; True when all of it was delivered."""
    agent = _state.agent
    return agent.flush(timeout) if agent is not None else False


def instrument_wsgi(app: WSGIApp) -> WSGIApp:
    """Wrap a WSGI application so every request is traced."""
    return TracedWSGI(app)


def instrument_asgi(app: ASGIApp) -> ASGIApp:
    """Wrap an ASGI application so every HTTP request is traced."""
    return TracedASGI(app)


def current_span() -> Span | None:
    """The span of the current request or operation, if any."""
    return CURRENT.get()


@contextmanager
def span(name: str, **attributes: Any) -> Iterator[Span | None]:
    """Trace a block of code as an INTERNAL span (exceptions are recorded and re-raised)."""
    tracer = _state.tracer
    if tracer is None:
        yield None
        return
    try:
        started = tracer.start(name, INTERNAL, dict(attributes))
        token = CURRENT.set(started)
    except Exception as exc:
        swallow(exc)
        yield None
        return
    try:
        yield started
    except BaseException as exc:
        started.record_exception(exc)
        raise
    finally:
        CURRENT.reset(token)
        tracer.finish(started)
