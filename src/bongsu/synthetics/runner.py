"""The runner: due checks probed on a small bounded pool, their results stored.

One thread looks every ``tick_s`` for checks that are due (from the repository, re-read
every ``refresh_s``) and hands them to a pool of ``workers`` threads; a check already
being probed is not handed again, so a slow target holds one worker, never the API or the
other checks beyond the pool. Each probe is bounded by its target's ``timeout_s``.

It works only while ``active()`` (the holder of the ``checks`` lease among replicas).

Unknown, never down, for what the server did not run: when a probe *starts* later than
one interval after it was due (the server was down, not the lease holder, or overloaded),
an ``unknown`` result is written at the time it was due, then the probe runs. A check's
first due time after a (re)start is its last stored result's time plus its interval, so a
server stopped for an hour writes one ``unknown`` row covering that hour (results hold
until the next one: see :mod:`bongsu.store.reads`). Unknown results do not count toward
the thresholds (:mod:`bongsu.synthetics.state`); the streak is kept in memory, so after a
restart a check keeps its stored state and counts its streak afresh.

No check twice in one interval across a takeover: when another replica held the lease
after this store's last result of a check (``handover()``, :class:`bongsu.meta.lease.Handover`;
its results are in its own store when the replicas' stores are apart), the check is
first due one interval after the last moment that replica can have probed it.

Example::

    runner = Runner(CheckRepo(engine), store, reads, workers=4, active=keeper.active)
    runner.start()
    result = runner.run_now(check)   # the API's "Run now"
    runner.stop()
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from bongsu.meta.lease import Handover
from bongsu.store.base import TelemetryStore
from bongsu.store.reads import Reads
from bongsu.synthetics.conditions import judge
from bongsu.synthetics.model import Check, CheckResult, Outcome, Status
from bongsu.synthetics.repo import CheckRepo
from bongsu.synthetics.state import Track
from bongsu.synthetics.types import check_type

log = logging.getLogger("bongsu.synthetics")
_US = 1_000_000
RETENTION_EVERY_S = 3600.0


def probe(check: Check) -> tuple[Status, Outcome, str | None]:
    """Probe ``check`` once: (status, outcome, failed condition)."""
    kind = check_type(check.type)
    try:
        outcome = kind.probe(check.target)
    except Exception as exc:  # a type's bug is the check's error, never the runner's end
        log.exception("check %s: probe of type %s failed", check.id, check.type)
        outcome = Outcome(0.0, error=f"probe failed: {type(exc).__name__}: {exc}")
    failed = judge(check.conditions, check.combine, outcome)
    status: Status = "down" if outcome.error is not None or failed is not None else "up"
    return status, outcome, failed


@dataclass(slots=True)
class _Entry:
    check: Check
    track: Track
    due_us: int
    running: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


class Runner:
    """Runs due checks while ``active()``; see the module docstring."""

    def __init__(self, repo: CheckRepo, store: TelemetryStore, reads: Reads, *,
                 workers: int = 4, active: Callable[[], bool] = lambda: True,
                 retention_s: float | None = None, tick_s: float = 0.5,
                 refresh_s: float = 2.0, clock: Callable[[], float] = time.time,
                 handover: Callable[[], Handover | None] = lambda: None) -> None:
        self._repo, self._store, self._reads = repo, store, reads
        self._handover = handover
        self._active, self._clock = active, clock
        self._retention_s = retention_s
        self._tick_s, self._refresh_s = tick_s, refresh_s
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bongsu-check")
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refreshed = 0.0
        self._retained = 0.0
        # Results wait here to be stored together (a group commit): one DuckDB commit is
        # ~12 ms, and a write per probe capped a 4-worker pool at ~70 probes/s.
        self._pending: list[CheckResult] = []
        self._pending_lock = threading.Lock()
        self._flush_lock = threading.Lock()

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="bongsu-checks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._flush()

    def changed(self) -> None:
        """A check was saved or deleted: re-read them at the next tick."""
        self._refreshed = 0.0

    # -- work ---------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.wait(self._tick_s):
            try:
                self.tick()
            except Exception:  # a database hiccup must not end the runner
                log.exception("synthetic check runner tick failed")

    def tick(self) -> None:
        """One round: refresh the checks if due, hand due ones to the pool, retention."""
        if not self._active():
            with self._lock:
                self._entries.clear()  # a new holder starts from the stored results
            return
        now = self._clock()
        if now - self._refreshed >= self._refresh_s:
            self._refresh()
            self._refreshed = now
        now_us = int(self._clock() * _US)  # after the refresh: a check it added is due now
        with self._lock:
            due = [e for e in self._entries.values() if not e.running and e.due_us <= now_us]
            for entry in due:
                entry.running = True
        for entry in due:
            self._pool.submit(self._run_due, entry)
        self._flush()
        if self._retention_s is not None and now - self._retained >= RETENTION_EVERY_S:
            self._retained = now
            self._store.delete_check_results_before(int((now - self._retention_s) * _US))

    def _refresh(self) -> None:
        checks = {(c.tenant, c.id): c for c in self._repo.list(enabled_only=True)}
        with self._lock:
            for key in [k for k in self._entries if k not in checks]:
                del self._entries[key]
            new = [c for k, c in checks.items() if k not in self._entries]
            for key, check in checks.items():
                entry = self._entries.get(key)
                if entry is not None and entry.check.updated_us != check.updated_us:
                    entry.due_us = min(entry.due_us, int(self._clock() * _US))
                    entry.check = check
        for tenant in sorted({c.tenant for c in new}):
            ids = [c.id for c in new if c.tenant == tenant]
            latest = {r.check_id: r for r in self._reads.latest_check_results(tenant, ids)}
            for check in new:
                if check.tenant == tenant:
                    self._add(check, latest.get(check.id))

    def _add(self, check: Check, last: CheckResult | None) -> None:
        """Track a check from its last stored result: its state, and due one interval
        after that result (now when it has none)."""
        track, due_us = Track(), int(self._clock() * _US)
        if last is not None:
            # An unknown last row (the check was disabled): no state to go on.
            track.state = last.state
            due_us = last.ts_us + int(check.interval_s * _US)
        handover = self._handover()
        if handover is not None and (last is None or last.ts_us < handover.since_us):
            due_us = max(due_us, handover.until_us + int(check.interval_s * _US))
        with self._lock:
            self._entries.setdefault((check.tenant, check.id), _Entry(check, track, due_us))

    def _run_due(self, entry: _Entry) -> None:
        try:
            with entry.lock:
                self._probe_and_store(entry, late_check=True)
            self._flush(wait=False)
        except Exception:
            log.exception("check %s: run failed", entry.check.id)
        finally:
            with self._lock:
                entry.running = False

    def _probe_and_store(self, entry: _Entry, *, late_check: bool) -> CheckResult:
        check = entry.check
        interval_us = int(check.interval_s * _US)
        started_us = int(self._clock() * _US)
        rows: list[CheckResult] = []
        if late_check and started_us - entry.due_us > interval_us:
            rows.append(CheckResult(
                tenant=check.tenant, check_id=check.id, ts_us=entry.due_us, status="unknown",
                state="unknown", error=(f"not probed from {_clock_text(entry.due_us)}: the "
                                        "server was down or overloaded"),
                name=check.name, target=_target(check)))
        status, outcome, failed = probe(check)
        state = entry.track.add(status, failure_threshold=check.failure_threshold,
                                success_threshold=check.success_threshold)
        result = CheckResult(
            tenant=check.tenant, check_id=check.id, ts_us=started_us, status=status,
            state=state, duration_ms=outcome.duration_ms, status_code=outcome.status_code,
            failed_condition=failed, error=outcome.error,
            tls_days_left=(round(outcome.tls_days_left, 3)
                           if outcome.tls_days_left is not None else None),
            name=check.name, target=_target(check))
        rows.append(result)
        with self._pending_lock:
            self._pending.extend(rows)
        entry.due_us = started_us + interval_us
        return result

    def _flush(self, *, wait: bool = True) -> None:
        """Store the results waiting, in the order they were made, a write at a time; a
        worker (``wait=False``) leaves it to the one already writing, who takes what
        arrived meanwhile in its next write (and the tick stores any left)."""
        if not self._flush_lock.acquire(blocking=wait):
            return
        try:
            while True:
                with self._pending_lock:
                    rows, self._pending = self._pending, []
                if not rows:
                    return
                try:
                    self._store.save_check_results(rows)
                except Exception:  # the store is failing: these are lost, and said so
                    log.exception("could not store %d check results", len(rows))
                    return
        finally:
            self._flush_lock.release()

    def paused(self, check: Check, reason: str) -> None:
        """Write an ``unknown`` row for a check that stops being probed (disabled), so its
        last result does not hold (nor keep an alert firing) while nobody looks."""
        with self._pending_lock:
            self._pending.append(CheckResult(
                tenant=check.tenant, check_id=check.id, ts_us=int(self._clock() * _US),
                status="unknown", state="unknown", error=reason, name=check.name,
                target=_target(check)))
        self._flush()
        self.changed()

    def run_now(self, check: Check) -> CheckResult:
        """Probe ``check`` now and store the result (it counts toward the thresholds like a
        scheduled one and moves the next scheduled probe one interval on). On a replica
        that is not the lease holder the result is answered but not stored."""
        if not self._active():
            status, outcome, failed = probe(check)
            return CheckResult(
                tenant=check.tenant, check_id=check.id, ts_us=int(self._clock() * _US),
                status=status, state="unknown", duration_ms=outcome.duration_ms,
                status_code=outcome.status_code, failed_condition=failed, error=outcome.error,
                tls_days_left=outcome.tls_days_left, name=check.name, target=_target(check))
        key = (check.tenant, check.id)
        with self._lock:
            entry = self._entries.get(key)
        if entry is None:
            self._add(check, next(iter(self._reads.latest_check_results(
                check.tenant, [check.id])), None))
            with self._lock:
                entry = self._entries[key]
        with entry.lock:
            entry.check = check
            result = self._probe_and_store(entry, late_check=False)
        self._flush()
        return result


def _target(check: Check) -> str:
    return check_type(check.type).describe(check.target)


def _clock_text(ts_us: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts_us / _US))
