"""The support outbox: delivers stored requests through the configured channel, retrying.

Same contract as the alert outbox (:mod:`bongsu.alerts.notify.outbox`), for requests: a
request is ``sent`` only after its channel said so; one refused for good, or out of
attempts, is ``failed`` with the error; a retryable failure waits
``base_backoff_s * 2**(attempt-1)`` (capped, times a jitter in [0.5, 1)). With no channel
configured (``BONGSU_SUPPORT_CHANNEL`` empty or naming none of the tenant's channels) a
request stays ``new``, unqueued, with that reason as its error; ``PATCH status=new``
queues it again. Runs where ``active`` says so (the lease ``support``).

Example::

    outbox = SupportOutbox(repo, notify.channels, default_senders(), "support")
    outbox.start(); outbox.wake(); ...; outbox.stop()
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable

from bongsu.alerts.channels import SendContext, SendResult
from bongsu.alerts.model import Channel
from bongsu.support.delivery import Senders
from bongsu.support.model import SupportRequest
from bongsu.support.repo import SupportRepo

log = logging.getLogger("bongsu.support.outbox")


class SupportOutbox:
    """Sends due requests, on a thread of its own or one round at a time."""

    def __init__(
        self,
        repo: SupportRepo,
        channels: Callable[[str], list[Channel]],
        senders: Senders,
        channel: str,
        *,
        console_url: str = "",
        poll_s: float = 1.0,
        max_attempts: int = 10,
        base_backoff_s: float = 2.0,
        max_backoff_s: float = 300.0,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        active: Callable[[], bool] = lambda: True,
    ) -> None:
        self._repo = repo
        self._channels = channels
        self._senders = senders
        self._channel = channel
        self._context = SendContext(console_url)
        self._poll_s = poll_s
        self._max_attempts = max_attempts
        self._base = base_backoff_s
        self._cap = max_backoff_s
        self._clock = clock
        self._rng = rng or random.Random()
        self._active = active
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.errors = 0  # rounds that failed as a whole (the database was unreachable …)

    def channel_for(self, tenant: str) -> Channel | None:
        """The tenant's channel named (or with the id) ``BONGSU_SUPPORT_CHANNEL``."""
        if not self._channel:
            return None
        for c in self._channels(tenant):
            if self._channel in (c.id, c.name):
                return c
        return None

    def backoff_s(self, attempts: int) -> float:
        delay = min(self._cap, self._base * 2.0 ** max(0, attempts - 1))
        return delay * (0.5 + self._rng.random() / 2)

    def run_once(self, batch: int = 20) -> int:
        """Try every due request once; how many were sent."""
        sent = 0
        for request in self._repo.due(int(self._clock() * 1e6), batch):
            if self._stop.is_set() or not self._active():
                break
            sent += self._deliver(request)
        return sent

    def _deliver(self, request: SupportRequest) -> int:
        channel = self.channel_for(request.tenant)
        if channel is None:
            self._repo.mark_unsent(request.id, "no support channel: set BONGSU_SUPPORT_CHANNEL"
                                   f" to a channel's name or id (now {self._channel!r})")
            return 0
        attempts = request.attempts + 1
        if not channel.enabled:
            result = SendResult.permanent(f"channel {channel.name!r} is turned off")
        else:
            png = self._repo.screenshot_by_id(request.id)
            result = self._senders.send(channel, request, png, self._context)
        now_us = int(self._clock() * 1e6)
        if result.ok:
            self._repo.mark_sent(request.id, now_us, attempts, channel.name)
            return 1
        error = result.error or "failed"
        if result.retryable and attempts < self._max_attempts:
            wait_us = int(self.backoff_s(attempts) * 1e6)
            self._repo.mark_retry(request.id, attempts, now_us + wait_us, error, channel.name)
        else:
            log.warning("support request %s not sent after %d attempts: %s",
                        request.id, attempts, error)
            self._repo.mark_failed(request.id, now_us, attempts, error, channel.name)
        return 0

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="bongsu-support",
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self._active():
                    self.run_once()
            except Exception:
                self.errors += 1
                log.exception("support outbox round failed")
            self._wake.wait(self._poll_s)
            self._wake.clear()


__all__ = ["SupportOutbox"]
