"""The one background thread per process that encodes and sends everything.

Every ``flush_interval`` it drains the span and log queues in batches of ``batch_size``,
encodes them (``_otlp``) and POSTs them; woken early by four full batches of spans, it
sends whole batches only (several per POST) and leaves a partial one for later; every
``metrics_interval`` it sends runtime and endpoint metrics; it also reports in-flight
requests and polls for diagnostic commands (``_control``). A batch that fails with a
network error, 429 or 5xx is kept (already encoded) and retried with exponential backoff
(or the server's ``Retry-After``); meanwhile the queues stay bounded and drops are counted.

Example::

    sender = Sender(agent)
    sender.start()
    sender.flush(timeout=2.0)
    sender.stop(timeout=2.0)
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bongsu.agent._otlp import (
    SCOPE,
    encode_logs,
    encode_metrics,
    encode_traces,
    partial_success,
)
from bongsu.agent._safety import swallow
from bongsu.agent._transport import Transport

if TYPE_CHECKING:
    from bongsu.agent._agent import Agent

__all__ = ["Channel", "Sender"]

_log = logging.getLogger("bongsu.agent")
_PROTOBUF = "application/x-protobuf"


class Channel:
    """Delivery state of one OTLP signal: the batch being retried and counters."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.pending: bytes | None = None
        self.pending_items = 0
        self.retry_at = 0.0
        self.backoff = 0.0
        self.delivered = 0
        self.rejected = 0
        self.failures = 0


class Sender:
    """Drains the agent's queues from one daemon thread."""

    def __init__(self, agent: Agent) -> None:
        s = agent.settings
        self.agent = agent
        self.transport = Transport(
            s.endpoint, s.export_headers(), s.export_timeout, s.gzip_bodies())
        self.traces = Channel("/v1/traces")
        self.logs = Channel("/v1/logs")
        self.metrics = Channel("/v1/metrics")
        self.interval = s.flush_interval
        self.drain_all_at = time.monotonic() + self.interval  # partial batches wait ≤ this
        self.next_metrics = time.monotonic() + s.metrics_interval
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._flushes: deque[threading.Event] = deque()
        self.periodic: list[Callable[[float], None]] = []

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="bongsu-agent", daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def flush(self, timeout: float = 5.0) -> bool:
        """Ask the thread to send what is queued now; True when all of it was delivered."""
        if not self.alive():
            return False
        done = threading.Event()
        self._flushes.append(done)
        self.agent.tracer.wake.set()
        done.wait(timeout)
        return done.is_set() and self.idle()

    def idle(self) -> bool:
        pending = self.traces.pending or self.logs.pending
        return not pending and not self.agent.tracer.queue and not self.agent.logs

    def stop(self, timeout: float = 3.0) -> None:
        """Send what is left (one attempt, final metrics included) and end the thread."""
        self._stopping = True
        self.agent.tracer.wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            wake = self.agent.tracer.wake
            woken = wake.wait(self.interval)
            wake.clear()
            if self._stopping:
                break
            now = time.monotonic()
            # Woken because a batch filled: send whole batches only and leave the rest for
            # the next one. Draining to empty made ~100 small posts of ~200 µs CPU each
            # under load instead of a few full ones. Flushes and the timer send everything.
            flushes = len(self._flushes)  # later ones wait for the next (full) round
            everything = not woken or flushes > 0 or now >= self.drain_all_at
            try:
                self.tick(now, everything)
            except Exception as exc:  # the thread must survive its own bugs
                swallow(exc)
            for _ in range(flushes):
                self._flushes.popleft().set()
        try:
            now = time.monotonic()
            for channel in (self.traces, self.logs, self.metrics):
                channel.retry_at = 0.0
            self.send_spans(now)
            self.send_logs(now)
            self.send_metrics(now)
        except Exception as exc:
            swallow(exc)
        finally:
            while self._flushes:
                self._flushes.popleft().set()
            self.transport.close()

    def tick(self, now: float, everything: bool = True) -> None:
        if everything:
            self.drain_all_at = now + self.interval
        self.send_spans(now, everything)
        self.send_logs(now, everything)
        if now >= self.next_metrics:
            self.next_metrics = now + self.agent.settings.metrics_interval
            self.send_metrics(now)
        for task in self.periodic:
            task(now)

    def send_spans(self, now: float, everything: bool = True) -> None:
        agent = self.agent

        def encode(batch: list[Any]) -> bytes:
            agent.endpoints.record_spans(batch)  # each batch is encoded exactly once
            return encode_traces(agent.resource_bytes, SCOPE, batch)

        self._drain(self.traces, agent.tracer.queue, now, encode, everything)

    def send_logs(self, now: float, everything: bool = True) -> None:
        agent = self.agent
        self._drain(self.logs, agent.logs, now,
                    lambda batch: encode_logs(agent.resource_bytes, SCOPE, batch), everything)

    def send_metrics(self, now: float) -> None:
        if not self.agent.tracer.created and not self.agent.settings.metrics_idle:
            return  # a supervisor process: its workers are the instances that matter
        channel = self.metrics
        if channel.pending is not None and not self._retry(channel, now):
            return  # metrics are cumulative by default: a newer body replaces the lost one
        agent = self.agent
        body = encode_metrics(agent.resource_bytes, SCOPE, agent.collect_metrics(),
                              agent.start_ns, time.time_ns())
        self._post(channel, body, 1, now)

    def _drain(self, channel: Channel, queue: deque[Any], now: float,
               encode: Callable[[list[Any]], bytes], everything: bool = True) -> None:
        if channel.pending is not None and not self._retry(channel, now):
            return
        size = self.agent.settings.batch_size
        half_full = self.agent.settings.queue_size // 2
        while len(queue) >= (1 if everything else size):
            # Under a backlog, coalesce up to 4 batches per request (16 once the queue is
            # half full): each blocking call of a round trip costs the sender a GIL hand-off
            # (up to 5 ms) that a busy app thread makes it wait, so fewer, larger posts are
            # what keeps up with a flood (~140k spans/s from one thread here).
            backlog = len(queue)
            most = 16 if backlog >= half_full else 4
            count = size if backlog < 2 * size else min(backlog, most * size)
            if not everything:
                count -= count % size
            batch: list[Any] = []
            append, popleft = batch.append, queue.popleft
            try:
                for _ in range(count):
                    append(popleft())
            except IndexError:
                pass
            if not self._post(channel, encode(batch), len(batch), now):
                return

    def _retry(self, channel: Channel, now: float) -> bool:
        if now < channel.retry_at or channel.pending is None:
            return False
        return self._post(channel, channel.pending, channel.pending_items, now)

    def _post(self, channel: Channel, body: bytes, items: int, now: float) -> bool:
        """Send one body; False when it is kept for a later retry."""
        reply = self.transport.request("POST", channel.path, body, _PROTOBUF)
        if self.agent.settings.debug:
            _log.debug("bongsu export %s: %s items -> %s %s", channel.path, items, reply.status,
                       reply.error)
        if reply.ok:
            rejected, message = partial_success(reply.body) if reply.body else (0, "")
            if rejected:
                channel.rejected += rejected
                items -= rejected
                _log.warning("bongsu export to %s: %s items refused: %s", channel.path,
                             rejected, message)
            channel.delivered += items
            channel.pending = None
            channel.backoff = 0.0
            return True
        if reply.retryable and not self._stopping:
            channel.pending, channel.pending_items = body, items
            channel.failures += 1
            channel.backoff = min(max(channel.backoff * 2, 0.5), 30.0)
            channel.retry_at = now + (reply.retry_after if reply.retry_after is not None
                                      else channel.backoff)
            return False
        channel.rejected += items  # permanent refusal (400, 401, 413 …): retrying cannot help
        channel.pending = None
        if reply.status:
            _log.warning("bongsu export to %s refused: HTTP %s %s", channel.path, reply.status,
                         reply.body[:200])
        return True
