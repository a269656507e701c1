"""The loader: the store's single writer, fed by the decoder process.

It publishes how far the ingest log is durable, loads each decoded batch together with
its log position (so a replay after a crash skips what is in), and between batches runs
the store's housekeeping: compaction of partial rollup rows, trimming of loaded log
segments, and retention.

Acknowledged means kept. A batch the store refuses (a full disk, an I/O error) is retried
with backoff, 0.1 s doubling to 5 s, and the loaded position stays where it is, so no
segment is trimmed. Meanwhile the decoder waits (it reads only what the loader publishes,
and the pipe holds about one batch), the backlog grows to ``ingest_backlog_bytes`` and the
receiver answers 503 with ``Retry-After``, and :meth:`Loader.status` says ``degraded`` and
why. The store loads rows and position in one transaction, so the batch that finally
goes in goes in once. A batch the decoder could not build is skipped (retrying cannot
help), counted and logged; so is a record it could not decode, and a region of the log
that held no valid record is copied to quarantine first.

Example::

    loader = Loader(settings, store, ingest_log)
    loader.start()          # replays whatever the log holds beyond the store's position
    ...
    loader.stop()           # loads everything acknowledged, then returns
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any

from bongsu.ingest.decoder import (
    Decoded,
    DecoderConfig,
    Message,
    Quarantined,
    Stopped,
    run_decoder,
)
from bongsu.ingest.log import IngestLog, quarantined
from bongsu.settings import Settings
from bongsu.store.base import TelemetryStore
from bongsu.store.batch import Batch

log = logging.getLogger("bongsu.loader")

_COMPACT_EVERY = 30.0
_COMPACT_LAG_US = 20_000_000
_RETRY_FIRST = 0.1  # seconds before the first retry of a refused batch; doubles each time
_RETRY_MAX = 5.0  # a recovered store waits at most this long for its next load
_DECODER_RESTART = 1.0


@dataclass(frozen=True)
class Degraded:
    """Why loading is stuck, since when (epoch seconds), and how many attempts failed."""

    cause: str
    since: float
    retries: int

    def as_json(self) -> dict[str, Any]:
        since = datetime.fromtimestamp(self.since, UTC).isoformat(timespec="milliseconds")
        return {"cause": self.cause, "since": since, "retries": self.retries}


class Loader:
    """Runs the decoder process and loads its batches from one thread."""

    def __init__(self, settings: Settings, store: TelemetryStore, ingest_log: IngestLog) -> None:
        self._settings = settings
        self._store = store
        self._log = ingest_log
        self._ctx = multiprocessing.get_context("spawn")
        # Lock-free shared memory only: a lock is a named semaphore that the resource
        # tracker would have to clean up after a kill -9.
        self._durable = self._ctx.Value("q", ingest_log.durable, lock=False)
        self._stop = self._ctx.Value("b", 0, lock=False)
        self._wake = threading.Event()  # set on stop: cuts a backoff short
        self._thread: threading.Thread | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self.loaded_lsn = store.loaded_lsn()
        self.loaded_spans = 0  # spans loaded since start
        self.load_failures = 0  # load attempts the store refused since start (each retried)
        self.unbuilt_batches = 0  # batches the decoder could not build (skipped)
        self.undecodable_records = 0  # records the decoder could not decode (skipped)
        self.quarantined_records, self.quarantined_bytes = quarantined(settings.wal_dir)
        self.degraded: Degraded | None = None
        self._stopping = False
        # What the log held at start beyond the store: reported until it is loaded.
        self._replay_to = ingest_log.durable if ingest_log.durable > self.loaded_lsn else None
        self._replay_reported = 0.0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="bongsu-loader", daemon=True)
        self._thread.start()

    def _start_decoder(self) -> None:
        receive, send = self._ctx.Pipe(duplex=False)
        config = DecoderConfig(
            log_dir=self._settings.wal_dir,
            start_lsn=self.loaded_lsn,
            batch_items=self._settings.load_batch_spans,
            batch_seconds=self._settings.load_batch_seconds,
            parent_pid=os.getpid(),
        )
        process = self._ctx.Process(
            target=run_decoder, args=(config, self._durable, self._stop, send),
            name="bongsu-decoder", daemon=True,
        )
        process.start()
        send.close()
        self._process, self._conn = process, receive

    def status(self) -> dict[str, Any]:
        """Ingest progress and health, served on the OTLP port's ``/healthz``."""
        degraded = self.degraded
        return {
            "status": "ok" if degraded is None else "degraded",
            "degraded": None if degraded is None else degraded.as_json(),
            "durable_lsn": self._log.durable,
            "loaded_lsn": self.loaded_lsn,
            "backlog_bytes": self._log.backlog(self.loaded_lsn),
            "loaded_spans": self.loaded_spans,
            "load_failures": self.load_failures,
            "unbuilt_batches": self.unbuilt_batches,
            "undecodable_records": self.undecodable_records,
            "quarantined_records": self.quarantined_records,
            "quarantined_bytes": self.quarantined_bytes,
        }

    def _run(self) -> None:
        try:
            # Started from this thread, which lives as long as loading does: the kernel
            # kills a decoder when the thread that started it ends (PR_SET_PDEATHSIG).
            self._start_decoder()
            self._loop()
        except Exception as exc:
            log.exception("the loader stopped")
            self._degrade(f"loader: {_describe(exc)}")

    def _loop(self) -> None:
        next_compact = time.monotonic() + _COMPACT_EVERY
        next_retention = time.monotonic() + 5.0
        next_expiry = time.monotonic() + 1.0
        while True:
            self._durable.value = self._log.durable
            message = self._receive()
            if isinstance(message, Stopped):
                if self._stopping:
                    return
                self._restart_decoder(message.error or "stopped unasked")
                continue
            if isinstance(message, Quarantined):
                self.quarantined_records += 1
                self.quarantined_bytes += message.copied
            elif isinstance(message, Decoded) and not self._load(message):
                return  # stopping while the store refuses: the log keeps the rest
            elif message is None and self.loaded_lsn >= self._log.durable:
                self._recovered()  # a restarted decoder that has caught up
            now = time.monotonic()
            if now >= next_expiry:
                self._housekeeping_expire_edges()
                next_expiry = now + 1.0
            if now >= next_compact:
                self._housekeeping_compact()
                next_compact = now + _COMPACT_EVERY
            if now >= next_retention:
                self._housekeeping_retention()
                next_retention = now + self._settings.retention_interval_seconds

    def _receive(self) -> Message | None:
        assert self._conn is not None and self._process is not None
        try:
            message: Message | None = self._conn.recv() if self._conn.poll(0.01) else None
        except (EOFError, OSError):
            self._process.join(1)
            return Stopped(f"exited with code {self._process.exitcode}")
        return message

    def _restart_decoder(self, error: str) -> None:
        self._degrade(f"decoder: {error}")
        log.error("the decoder process ended (%s); restarting it in %g s", error,
                  _DECODER_RESTART)
        self._wake.wait(_DECODER_RESTART)
        self._start_decoder()

    def _load(self, message: Decoded) -> bool:
        """Load one batch, retrying while the store refuses it; False if stopped first."""
        self.undecodable_records += message.undecodable  # the decoder logged each
        batch = message.batch
        if batch is None:
            self.unbuilt_batches += 1
            log.error("log positions %d to %d could not be built into a batch (%s); skipped",
                      self.loaded_lsn, message.end, message.error)
            batch = Batch()  # still loaded: it moves the position past them
        delay = _RETRY_FIRST
        while True:
            try:
                self._store.load(batch, message.end)
                break
            except Exception as exc:
                self.load_failures += 1
                self._degrade(f"store: {_describe(exc)}")
                log.error("the store refused a batch ending at %d (%s); retrying in %g s",
                          message.end, _describe(exc), delay,
                          exc_info=self.degraded is not None and self.degraded.retries == 1)
                if self._stopping:
                    log.error("stopping with %d acknowledged bytes not loaded; they stay in the"
                              " ingest log and load on the next start",
                              self._log.backlog(self.loaded_lsn))
                    return False
                self._wake.wait(delay)
                delay = min(2 * delay, _RETRY_MAX)
        self._recovered()
        self.loaded_spans += batch.spans.num_rows
        self.loaded_lsn = max(self.loaded_lsn, message.end)
        if self._replay_to is not None:
            self._report_replay()
        return True

    def _degrade(self, cause: str) -> None:
        was = self.degraded
        self.degraded = Degraded(cause, time.time() if was is None else was.since,
                                 1 if was is None else was.retries + 1)

    def _recovered(self) -> None:
        was = self.degraded
        if was is not None:
            self.degraded = None
            log.warning("loading recovered after %d failed attempts over %.1f s (%s)",
                        was.retries, time.time() - was.since, was.cause)

    def _report_replay(self) -> None:
        assert self._replay_to is not None
        left = max(0, self._replay_to - self.loaded_lsn)
        if left == 0:
            log.info("replay done: the store holds everything acknowledged before the start")
            self._replay_to = None
        elif time.monotonic() - self._replay_reported >= 5:
            log.info("replaying the ingest log: %.1f MiB left", left / 2**20)
            self._replay_reported = time.monotonic()

    def _housekeeping_expire_edges(self) -> None:
        cutoff = int((time.time() - self._settings.edge_match_seconds) * 1e6)
        try:
            self._store.expire_edges(cutoff)
        except Exception:
            log.exception("edge expiry failed")

    def _housekeeping_compact(self) -> None:
        try:
            self._store.compact(int(time.time() * 1e6) - _COMPACT_LAG_US)  # type: ignore[call-arg]
            self._log.trim(self.loaded_lsn)
        except Exception:
            log.exception("compaction failed")

    def _housekeeping_retention(self) -> None:
        cutoff = int((time.time() - self._settings.retention_days * 86_400) * 1e6)
        try:
            deleted = self._store.delete_before(cutoff)
            if deleted:
                log.info("retention deleted %d rows older than %g days", deleted,
                         self._settings.retention_days)
        except Exception:
            log.exception("retention failed")
        # Kubernetes event episodes have their own, longer retention (Kubernetes keeps an
        # Event an hour; the history is what Bongsu adds).
        event_cutoff = int((time.time() - self._settings.event_retention_days * 86_400) * 1e6)
        try:
            deleted = self._store.delete_kube_events_before(event_cutoff)
            if deleted:
                log.info("event retention deleted %d episodes older than %g days", deleted,
                         self._settings.event_retention_days)
        except Exception:
            log.exception("event retention failed")
        # Captures outlive their instance (the evidence of a pod long gone).
        capture_cutoff = int((time.time() - self._settings.capture_retention_days * 86_400) * 1e6)
        try:
            deleted = self._store.delete_captures_before(capture_cutoff)
            if deleted:
                log.info("capture retention deleted %d captures older than %g days", deleted,
                         self._settings.capture_retention_days)
        except Exception:
            log.exception("capture retention failed")
        # Day user sketches outlive the spans, so monthly figures do (bongsu.users).
        user_cutoff = int((time.time() - self._settings.user_retention_days * 86_400) * 1e6)
        try:
            self._store.delete_user_days_before(user_cutoff)
        except Exception:
            log.exception("user sketch retention failed")

    def wait_loaded(self, lsn: int, timeout: float = 10.0) -> bool:
        """Block until the store holds everything up to ``lsn`` (for tests and shutdown)."""
        deadline = time.monotonic() + timeout
        while self.loaded_lsn < lsn:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def stop(self, timeout: float = 60.0) -> None:
        """Load everything acknowledged so far, then stop the decoder and the thread.

        A store that still refuses gets one more attempt; what it refuses stays in the
        ingest log for the next start.
        """
        self._durable.value = self._log.durable
        self._stopping = True
        self._stop.value = 1
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if not self._thread.is_alive() and self._conn is not None:
                self._conn.close()  # a decoder blocked sending to a loader that gave up
        if self._process is not None:
            self._process.join(5)
            if self._process.is_alive():
                self._process.kill()


def _describe(exc: BaseException) -> str:
    """The error that started it all: a failed rollback hides the failed commit."""
    while exc.__context__ is not None and not exc.__suppress_context__:
        exc = exc.__context__
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first_line}"[:300]
