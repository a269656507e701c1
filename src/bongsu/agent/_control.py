"""The control channel beside the OTLP endpoint: active requests out, commands in.

Paths (same base URL as ``/v1/traces``):

- ``POST /v1/bongsu/agent/active-requests`` with ``{"service", "instance", "host", "pid",
  "time_unix_nano", "requests": [...]}`` every ``active_interval`` seconds;
- ``GET /v1/bongsu/agent/commands?service=S&instance=I`` every ``control_interval``
  seconds, answered ``200 {"commands": [{"id", "kind", "args"}]}`` or ``204``;
- ``POST /v1/bongsu/agent/results`` with ``{"service", "instance", "command_id", "kind",
  "ok", "result", "error"}``.

A 404/405 (a plain OpenTelemetry collector) turns the path off quietly for
``_OFF_SECONDS``; network errors just wait for the next round. A command with a window
(``args.window_s`` > 0: tracemalloc for up to a minute) runs on a thread of its own, one
at a time, and posts its result when done, so spans keep flowing meanwhile.

A result is never dropped on a network error: the server took the command off its queue
when the agent polled, so an answer lost on the way leaves the capture pending for good.
A request that gets no answer is sent once more at once on a new connection (servers
close kept-alive connections left idle: uvicorn after 5 s, about as long as a memory
capture of a traced app takes, and the next request on it fails without being read);
a result still not taken waits in ``unsent`` and goes before the next poll, up to
``_RESULT_TRIES`` times. A result the server refuses (413: too large) is replaced by a
failed one saying why, so the capture ends instead of staying pending.

Example::

    control = Control(agent, transport)
    sender.periodic.append(control.tick)
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from bongsu.agent._files import capture_files
from bongsu.agent._memory import capture_memory
from bongsu.agent._network import capture_network
from bongsu.agent._processes import capture_processes
from bongsu.agent._safety import swallow
from bongsu.agent._threads import capture_threads
from bongsu.agent._transport import Reply, Transport

if TYPE_CHECKING:
    from bongsu.agent._agent import Agent

__all__ = ["COMMANDS", "Control"]

_log = logging.getLogger("bongsu.agent")
_OFF_SECONDS = 300.0
_IDLE_S = 1.0  # a command ran longer: its answer goes on a new connection
_RESULT_TRIES = 6  # rounds a result is offered while the server does not answer
_MAX_UNSENT = 20
_JSON = "application/json"
ACTIVE_PATH = "/v1/bongsu/agent/active-requests"
COMMANDS_PATH = "/v1/bongsu/agent/commands"
RESULTS_PATH = "/v1/bongsu/agent/results"

def _capture_threads(agent: Agent, args: dict[str, Any]) -> dict[str, Any]:
    return capture_threads(agent.active)


def _capture_memory(agent: Agent, args: dict[str, Any]) -> dict[str, Any]:
    return capture_memory(args)  # args.window_s: a tracemalloc window (run aside, see run)


def _capture_network(agent: Agent, args: dict[str, Any]) -> dict[str, Any]:
    return capture_network()


def _capture_files(agent: Agent, args: dict[str, Any]) -> dict[str, Any]:
    return capture_files()


def _capture_processes(agent: Agent, args: dict[str, Any]) -> dict[str, Any]:
    return capture_processes()


COMMANDS: dict[str, Callable[[Agent, dict[str, Any]], dict[str, Any]]] = {
    "capture_threads": _capture_threads,
    "capture_memory": _capture_memory,
    "capture_network": _capture_network,
    "capture_files": _capture_files,
    "capture_processes": _capture_processes,
}
"""Command kinds the agent answers; the diagnostics work registers more here."""


class Control:
    """Reports in-flight requests and runs server commands, from the sender thread."""

    def __init__(self, agent: Agent, transport: Transport) -> None:
        self.agent = agent
        self.transport = transport
        now = time.monotonic()
        self.next_active = now + agent.settings.active_interval
        self.next_poll = now + min(1.0, agent.settings.control_interval)
        self.off_until: dict[str, float] = {}
        self.commands_run = 0
        self.aside: threading.Thread | None = None  # the capture with a window, if any
        # [result, tries]: answers the server has not taken yet, oldest first; the window's
        # thread appends, the sender thread sends (deque appends and pops are atomic).
        self.unsent: deque[list[Any]] = deque()
        self.results_dropped = 0

    def tick(self, now: float) -> None:
        settings = self.agent.settings
        if now >= self.next_active:
            self.next_active = now + settings.active_interval
            self.report_active(now)
        if settings.control and now >= self.next_poll:
            self.next_poll = now + settings.control_interval
            if self.unsent:
                self.send_results()
            self.poll(now)

    def _identity(self) -> dict[str, Any]:
        r = self.agent.resource
        return {"service": r["service.name"], "instance": r["service.instance.id"],
                "host": r.get("host.name", ""), "pid": r.get("process.pid", 0)}

    def _call(self, now: float, method: str, path: str, body: Any = None) -> bytes | None:
        if self.off_until.get(path, 0.0) > now:
            return None
        reply = self._request(method, path, body)
        if reply.status in (404, 405, 501):
            self.off_until[path] = now + _OFF_SECONDS
            return None
        return reply.body if reply.ok else None

    def _request(self, method: str, path: str, body: Any = None) -> Reply:
        data = json.dumps(body).encode() if body is not None else None
        reply = self.transport.request(method, path, data, _JSON)
        if reply.status == 0 and not reply.error.startswith("TimeoutError"):
            # Most likely a kept-alive connection the server closed while it sat idle: the
            # request was not read (the transport closed it), so once more on a new one.
            reply = self.transport.request(method, path, data, _JSON)
        return reply

    def report_active(self, now: float) -> None:
        body = self._identity()
        body["time_unix_nano"] = time.time_ns()
        active = self.agent.active
        body["requests"] = active.snapshot(body["time_unix_nano"]) if active is not None else []
        self._call(now, "POST", ACTIVE_PATH, body)

    def poll(self, now: float) -> None:
        ident = self._identity()
        query = urlencode({"service": ident["service"], "instance": ident["instance"]})
        data = self._call(now, "GET", f"{COMMANDS_PATH}?{query}")
        if not data:
            return
        try:
            commands = json.loads(data).get("commands", [])
        except (ValueError, AttributeError):
            return
        for command in commands[:10]:
            self.run(now, command)

    def run(self, now: float, command: dict[str, Any]) -> None:
        kind = str(command.get("kind", ""))
        result: dict[str, Any] = {**self._identity(), "command_id": command.get("id"),
                                  "kind": kind, "ok": False, "result": None, "error": ""}
        handler = COMMANDS.get(kind)
        args = dict(command.get("args") or {})
        if handler is None:
            result["error"] = f"unknown command kind {kind!r}"
        elif _windowed(args):
            if self.aside is None or not self.aside.is_alive():
                # A window lasts up to a minute: not on the sender thread, whose spans
                # would queue (and drop past queue_size) meanwhile.
                self.aside = threading.Thread(target=self._run_aside,
                                              args=(handler, args, result),
                                              name="bongsu-capture-window", daemon=True)
                self.aside.start()
                return
            result["error"] = "a capture with a window is already running"
        else:
            started = time.monotonic()
            self._answer(handler, args, result)
            if time.monotonic() - started > _IDLE_S:
                self.transport.close()  # idle all along: the server may have closed it
        self.commands_run += 1
        self.unsent.append([result, 0])
        self.send_results()

    def send_results(self) -> None:
        """Post the answers not taken yet, oldest first (on the sender thread)."""
        while len(self.unsent) > _MAX_UNSENT:
            self.unsent.popleft()
            self.results_dropped += 1
        while self.unsent:
            entry = self.unsent.popleft()
            result, tries = entry[0], entry[1] + 1
            reply = self._request("POST", RESULTS_PATH, result)
            if reply.retryable:  # no answer, or the server is busy: the next round
                if tries < _RESULT_TRIES:
                    self.unsent.appendleft([result, tries])
                else:
                    self.results_dropped += 1
                    _log.warning("bongsu: the answer to command %s was not taken after %s "
                                 "tries: %s %s", result.get("command_id"), tries,
                                 reply.status, reply.error)
                return
            if 400 <= reply.status < 500 and reply.status != 404 and result["ok"]:
                # Refused as sent (413: too large): a failed answer ends the capture.
                self.unsent.appendleft([_refused(result, reply), tries])
            # 2xx, or 404: the server does not know the command (answered, or restarted)

    def _answer(self, handler: Callable[[Agent, dict[str, Any]], dict[str, Any]],
                args: dict[str, Any], result: dict[str, Any]) -> None:
        try:
            result["result"] = handler(self.agent, args)
            result["ok"] = True
        except Exception as exc:
            result["error"] = f"{type(exc).__name__}: {exc}"

    def _run_aside(self, handler: Callable[[Agent, dict[str, Any]], dict[str, Any]],
                   args: dict[str, Any], result: dict[str, Any]) -> None:
        try:
            self._answer(handler, args, result)
            settings = self.agent.settings
            # A connection of its own: the sender thread's is not shared across threads.
            transport = Transport(settings.endpoint, settings.export_headers(),
                                  settings.export_timeout, settings.gzip_bodies())
            try:
                reply = transport.request("POST", RESULTS_PATH, json.dumps(result).encode(),
                                          _JSON)
            finally:
                transport.close()
            self.commands_run += 1
            if not reply.ok and reply.status != 404:
                self.unsent.append([result, 1])  # the sender offers it again next poll
        except Exception as exc:
            swallow(exc)


def _windowed(args: dict[str, Any]) -> bool:
    window = args.get("window_s")
    return isinstance(window, (int, float)) and not isinstance(window, bool) and window > 0


def _refused(result: dict[str, Any], reply: Reply) -> dict[str, Any]:
    detail = reply.body[:200].decode("utf-8", "replace")
    return {**result, "ok": False, "result": None,
            "error": f"the server refused the capture: HTTP {reply.status} {detail}".strip()}
