"""The gate: the hub watches only while this replica holds its lease.

Replicas sharing one metadata database each build a hub (its clusters are listed on every
replica), but only the holder of the lease watches: the gate looks at ``active()`` every
``poll_s`` and starts the hub when it turns true, pauses it (every watch disconnected, the
episodes found written) when it turns false. The lease is the metering job's (see
:mod:`bongsu.server`): the job reads the watches' view and the points they store.

Example::

    gate = WatchGate(hub, keeper.active)
    gate.start()      # returns at once; the hub connects when the lease is held
    gate.close()      # stops watching, then closes the hub
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from bongsu.kube.hub import KubeHub

log = logging.getLogger("bongsu.kube.gate")


class WatchGate:
    """Starts and pauses ``hub`` as ``active()`` says (see the module docstring)."""

    def __init__(self, hub: KubeHub, active: Callable[[], bool], poll_s: float = 0.25) -> None:
        self.hub = hub
        self._active = active
        self._poll_s = poll_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one change of state at a time (the thread or close)
        self.watching = False
        self.starts = 0  # times this replica started watching

    def start(self) -> None:
        """Follow the lease on a thread of its own (none when nothing is configured)."""
        if not self.hub.watching:
            return
        self.follow()  # at once: a lone replica that holds the lease watches from here on
        self._thread = threading.Thread(target=self._run, name="bongsu-kube-gate", daemon=True)
        self._thread.start()

    def follow(self) -> None:
        """One look at the lease: start or pause the hub if it changed hands."""
        with self._lock:
            if self._stop.is_set():
                return
            active = self._active()
            if active and not self.watching:
                log.info("kube: this replica holds the lease; watching")
                self.hub.start()
                self.watching = True
                self.starts += 1
            elif not active and self.watching:
                log.warning("kube: the lease is lost; every watch disconnected")
                self.hub.pause()
                self.watching = False

    def close(self) -> None:
        """Stop following, then close the hub (its pending episodes are written)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None
        with self._lock:
            self.watching = False
            self.hub.close()

    def _run(self) -> None:
        while not self._stop.wait(self._poll_s):
            try:
                self.follow()
            except Exception:  # a hub that fails to start tries again at the next look
                log.exception("kube: could not follow the lease")


__all__ = ["WatchGate"]
