"""The outbox's dispatcher: delivers queued notifications, retrying with backoff.

Contract: a notification is marked delivered only after its channel said so, and one the
channel refused for good (or that ran out of attempts) is marked failed with the error —
never dropped unsaid. A crash between sending and marking means one more send of the
same notification with the same idempotency key (at least once, deduplicable by the
key); a crash before sending loses nothing, since the row was committed with the
decision that made it. Run one dispatcher per metadata database: replicas sharing one
pass ``active`` (the lease, :mod:`bongsu.meta.lease`), asked before each round and each send.

Retries wait ``base_backoff_s * 2**(attempt-1)`` capped at ``max_backoff_s``, times a
jitter in [0.5, 1), so receivers coming back from an outage are not hit in lockstep.

Example::

    dispatcher = Dispatcher(store, default_registry(), notifier=notifier, history=repo,
                            console_url="https://bongsu.example.net")
    evaluator = Evaluator(..., listeners=[dispatcher.on_transitions])
    dispatcher.start()
    ...
    dispatcher.stop()
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence

from bongsu.alerts.channels import ChannelRegistry, SendContext, SendResult
from bongsu.alerts.model import Notification, Transition
from bongsu.alerts.notify.notifier import History, Notifier
from bongsu.alerts.notify.store import NotifyStore

log = logging.getLogger("bongsu.alerts.outbox")


class Dispatcher:
    """Sends what the outbox has due, on a thread of its own or one round at a time."""

    def __init__(
        self,
        store: NotifyStore,
        registry: ChannelRegistry,
        *,
        notifier: Notifier | None = None,
        history: History | None = None,
        console_url: str = "",
        poll_s: float = 1.0,
        max_attempts: int = 12,
        base_backoff_s: float = 2.0,
        max_backoff_s: float = 600.0,
        batch: int = 100,
        retention_s: float = 7 * 86400.0,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        active: Callable[[], bool] = lambda: True,
    ) -> None:
        self._store = store
        self._registry = registry
        self._notifier = notifier
        self._history = history
        self._context = SendContext(console_url)
        self._poll_s = poll_s
        self._max_attempts = max_attempts
        self._base = base_backoff_s
        self._cap = max_backoff_s
        self._batch = batch
        # Settled rows are kept a week: long enough that a replayed decision still finds
        # its key, and the table stays the size of a week of notifications.
        self._retention_us = int(retention_s * 1e6)
        self._pruned_us = 0
        self._clock = clock
        self._rng = rng or random.Random()
        self._active = active
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.errors = 0  # rounds that failed as a whole (the database was unreachable …)
        if history is not None and notifier is None:
            raise ValueError("a history to drain needs a notifier to hand it to")

    def backoff_s(self, attempts: int) -> float:
        """How long to wait after the ``attempts``-th failed attempt."""
        delay = min(self._cap, self._base * 2.0 ** max(0, attempts - 1))
        return delay * (0.5 + self._rng.random() / 2)

    def run_once(self) -> int:
        """One round: hand the history's new transitions to the notifier, tick its groups,
        then try every due notification once. Returns how many were delivered.
        """
        now_us = int(self._clock() * 1e6)
        if self._notifier is not None:
            if self._history is not None:
                self._notifier.drain(self._history, now_us)
            self._notifier.tick(now_us)
        if now_us - self._pruned_us >= 3600 * 1_000_000:
            self._store.prune(now_us - self._retention_us)
            self._pruned_us = now_us
        delivered = 0
        for notification in self._store.due(now_us, self._batch):
            if self._stop.is_set() or not self._active():
                break
            delivered += self._deliver(notification)
        return delivered

    def _deliver(self, notification: Notification) -> int:
        attempts = notification.attempts + 1
        result = self._attempt(notification)
        now_us = int(self._clock() * 1e6)
        if result.ok:
            self._store.mark_delivered(notification.key, now_us, attempts)
            return 1
        error = result.error or "failed"
        if result.retryable and attempts < self._max_attempts:
            wait_us = int(self.backoff_s(attempts) * 1e6)
            self._store.mark_retry(notification.key, attempts, now_us + wait_us, error)
        else:
            log.warning("notification %s given up after %d attempts: %s",
                        notification.key, attempts, error)
            self._store.mark_failed(notification.key, now_us, attempts, error)
        return 0

    def _attempt(self, notification: Notification) -> SendResult:
        channel = self._store.channel(notification.channel_id)
        if channel is None:
            return SendResult.permanent(f"channel {notification.channel_id!r} does not exist")
        if not channel.enabled:
            return SendResult.permanent(f"channel {channel.name!r} is turned off")
        kind = self._registry.get(channel.type)
        if kind is None:
            return SendResult.permanent(f"no channel type {channel.type!r} is registered")
        try:
            return kind.send(channel, notification, self._context)
        except Exception as error:  # a channel type's bug must not stop the outbox
            log.exception("channel type %s raised from send", channel.type)
            return SendResult.retry(f"{channel.type} raised {type(error).__name__}: {error}")

    def on_transitions(self, transitions: Sequence[Transition]) -> None:
        """An evaluator listener: the transitions are in the history already; look now."""
        self.wake()

    def wake(self) -> None:
        """Look at the outbox now (after queuing something) instead of at the next poll."""
        self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="bongsu-outbox",
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop after the attempt in flight (a channel's own timeout bounds it)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                delivered = self.run_once() if self._active() else 0
            except Exception:
                self.errors += 1
                log.exception("outbox round failed")
                delivered = 0
            if delivered < self._batch:
                self._wake.wait(self._poll_s)
                self._wake.clear()


__all__ = ["Dispatcher"]
