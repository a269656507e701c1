"""The agent of one process: settings, resource, tracer, registries and the sender.

Example::

    agent = Agent(AgentSettings.from_env({}, service_name="shop"))
    agent.start()
    ...
    agent.shutdown()
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import uuid
from collections import deque

from bongsu.agent import _state
from bongsu.agent._active import ActiveRequests
from bongsu.agent._control import Control
from bongsu.agent._dbstats import DbConnections
from bongsu.agent._endpoints import EndpointStats
from bongsu.agent._otlp import LogItem, Metric, resource_bytes
from bongsu.agent._resource import detect_resource
from bongsu.agent._runtime import GcTimer, collect_runtime
from bongsu.agent._safety import swallow, swallowed_count
from bongsu.agent._sender import Sender
from bongsu.agent._settings import AgentSettings
from bongsu.agent._tracer import Tracer
from bongsu.agent._users import UserKeys
from bongsu.agent._watchdog import Watchdog

__all__ = ["Agent"]

_fork_hook_registered = False


class Agent:
    """Everything the agent keeps for one process."""

    def __init__(self, settings: AgentSettings) -> None:
        self.settings = settings
        self.resource = detect_resource(settings)
        self.resource_bytes = resource_bytes(self.resource)
        self.tracer = Tracer(settings)
        self.active = ActiveRequests()
        self.endpoints = EndpointStats()
        self.db = DbConnections()
        self.logs: deque[LogItem] = deque()
        self.logs_dropped = 0
        self.gc_timer = GcTimer()
        self.start_ns = time.time_ns()
        self.sender: Sender | None = None
        self.control: Control | None = None
        self.watchdog: Watchdog | None = None
        self._sender_lock = threading.Lock()
        self.started = False

    def start(self) -> None:
        """Publish this agent to the hot path, start the sender, hook fork and exit."""
        global _fork_hook_registered
        _state.agent, _state.tracer = self, self.tracer
        _state.active, _state.endpoints, _state.db = self.active, self.endpoints, self.db
        keys = UserKeys(self.settings.user_key, self.settings.user_salt)
        _state.users = keys or None
        self.gc_timer.install()
        if self.settings.debug:
            _debug_logging()
        if self.settings.watchdog:
            self.watchdog = Watchdog(self)
            if self.settings.watchdog_sigterm:
                self.watchdog.install_sigterm()
        self._arm_sender()
        atexit.register(self.shutdown)
        if not _fork_hook_registered and hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=_after_fork_in_child)
            _fork_hook_registered = True
        self.started = True

    def _arm_sender(self) -> None:
        # The sender thread starts with the process's first span (or log record), so a
        # supervisor that only forks workers (gunicorn's master, uvicorn's, Celery's)
        # never runs a thread across fork() and never reports as an idle instance.
        if self.settings.metrics_idle:
            self._start_sender()
        else:
            self.tracer.on_first_span = self.ensure_sender

    def ensure_sender(self) -> None:
        """Start the sender thread if it is not running yet."""
        with self._sender_lock:
            if self.sender is None and self.started:
                self._start_sender()

    def _start_sender(self) -> None:
        self.sender = Sender(self)
        self.control = Control(self, self.sender.transport)
        self.sender.periodic.append(self.control.tick)
        self.sender.start()
        if self.watchdog is not None:  # its thread, like the sender's, never crosses fork()
            self.watchdog.start()

    def after_fork(self) -> None:
        """In a forked child: a new instance, empty queues, a sender thread of its own."""
        self.resource = dict(self.resource)
        self.resource["service.instance.id"] = str(uuid.uuid4())
        self.resource["process.pid"] = os.getpid()
        self.resource_bytes = resource_bytes(self.resource)
        self.tracer.after_fork()
        self.active.items.clear()
        self.endpoints.after_fork()
        self.db.in_use.clear()
        self.logs = deque()
        self.start_ns = time.time_ns()
        self.sender = self.control = None
        if self.watchdog is not None:
            self.watchdog.after_fork()
        self._sender_lock = threading.Lock()
        self._arm_sender()

    def flush(self, timeout: float = 5.0) -> bool:
        """Send everything queued now; True when it was all delivered."""
        if self.sender is None:
            return not self.tracer.queue and not self.logs  # nothing was ever traced
        return self.sender.flush(timeout)

    def shutdown(self, timeout: float = 3.0) -> None:
        """Send what is left, stop the sender and unpublish this agent."""
        if not self.started:
            return
        self.started = False
        atexit.unregister(self.shutdown)
        try:
            if self.watchdog is not None:
                self.watchdog.stop()
            if self.sender is not None:
                self.sender.stop(timeout)
            self.gc_timer.uninstall()
        except Exception as exc:
            swallow(exc)
        if _state.agent is self:
            _state.agent = _state.tracer = None
            _state.active = _state.endpoints = _state.db = _state.users = None

    def collect_metrics(self) -> list[Metric]:
        """Runtime, endpoint and the agent's own metrics, sampled now."""
        delta = self.settings.metrics_temporality == "delta"
        metrics = collect_runtime(self.gc_timer, len(self.active), self.db.counts())
        metrics += self.endpoints.collect(delta)
        sender = self.sender
        if sender is not None:
            t = self.tracer
            metrics.append(Metric("bongsu.agent.spans", "sum", "{span}",
                                  "Spans finished, delivered, dropped (queue full) or refused.", [
                ({"state": "created"}, t.created),
                ({"state": "delivered"}, sender.traces.delivered),
                ({"state": "dropped"}, t.dropped),
                ({"state": "rejected"}, sender.traces.rejected)]))
            metrics.append(Metric("bongsu.agent.logs", "sum", "{record}", "Log records.", [
                ({"state": "delivered"}, sender.logs.delivered),
                ({"state": "dropped"}, self.logs_dropped)]))
            metrics.append(Metric("bongsu.agent.export.failures", "sum", "{request}",
                                  "Export requests that failed and were retried.",
                                  [({}, sender.traces.failures + sender.logs.failures
                                    + sender.metrics.failures)]))
            metrics.append(Metric("bongsu.agent.internal_errors", "sum", "{error}",
                                  "Agent bugs swallowed.", [({}, swallowed_count())]))
        return metrics


def _debug_logging() -> None:
    log = logging.getLogger("bongsu.agent")
    if not any(getattr(h, "_bongsu", False) for h in log.handlers):
        handler = logging.StreamHandler()
        handler._bongsu = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(name)s %(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.DEBUG)


def _after_fork_in_child() -> None:
    agent = _state.agent
    if agent is None or not agent.started:
        return
    try:
        agent.after_fork()
    except Exception as exc:
        swallow(exc)


def current_thread_is_sender() -> bool:
    """True on the agent's own thread (its HTTP calls must not be traced)."""
    return threading.current_thread().name == "bongsu-agent"
