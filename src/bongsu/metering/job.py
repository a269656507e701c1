"""The metering job: every interval, on the lease holder only, each watched cluster's
current hour and the hour before it are recomputed and replace their stored rows.

The previous hour is recomputed too so its last minutes (written after the job's last run
inside it) are counted; an hour is final once the job has run after it ended. Recomputing
is idempotent (one row per container and hour), so a standby that takes the lease over
simply recomputes the same hours. A failed round is logged and counted, never fatal.

Example::

    job = MeteringJob(meter, hub, "default", "team", interval_s=300, active=keeper.active)
    job.start()
    job.recompute(hour_us)   # the API's POST /api/v1/metering/recompute
    job.stop()
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from bongsu.kube.model import KubeView
from bongsu.metering.hours import hour_rows
from bongsu.store.metering import HOUR_US, Metering

log = logging.getLogger("bongsu.metering.job")


class MeteringJob:
    """Recomputes metering hours on a schedule (see the module docstring)."""

    def __init__(self, meter: Metering, view: KubeView, tenant: str, team_label: str,
                 interval_s: float, active: Callable[[], bool] = lambda: True) -> None:
        self._meter, self._view, self.tenant = meter, view, tenant
        self.team_label = team_label
        self._interval_s = interval_s
        self._active = active
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one recompute at a time (the thread or the API)
        self.rounds = 0
        self.failures = 0
        self.last_error: str | None = None
        self.last_round_s: float | None = None  # seconds the last round took

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="bongsu-metering", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            if not self._active():
                continue
            now = time.time_ns() // 1000 // HOUR_US * HOUR_US
            try:
                self.recompute([now - HOUR_US, now])
            except Exception as exc:  # a store or view failure: the next round retries
                self.failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("metering round failed: %s", self.last_error)

    def clusters(self) -> list[str]:
        return [c.name for c in self._view.clusters(self.tenant)]

    def recompute(self, hours: Iterable[int], cluster: str | None = None) -> int:
        """Recompute ``hours`` (their starts) of every cluster, or of ``cluster``; returns
        the container rows stored."""
        started = time.monotonic()
        stored = 0
        with self._lock:
            for name in [cluster] if cluster else self.clusters():
                for hour in hours:
                    containers, nodes = hour_rows(self._meter, self._view, self.tenant, name,
                                                  hour, self.team_label)
                    if not containers and not nodes:
                        continue  # no points left (past retention): the stored rows stay
                    self._meter.save_metering_hour(self.tenant, name, hour, containers, nodes)
                    stored += len(containers)
            self.rounds += 1
            self.last_error = None
            self.last_round_s = time.monotonic() - started
        return stored
