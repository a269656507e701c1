"""The loader: the store's single writer, fed by the decoder process.

It publishes how far the ingest log is durable, loads each decoded batch together with
its log position (so a replay after a crash skips what is in), and between batches runs
the store's housekeeping: compaction of partial rollup rows, trimming of loaded log
segments, and retention.

Example::

    loader = Loader(settings, store, ingest_log)
    loader.start()          # replays whatever the log holds beyond the store's position
    ...
    loader.stop()           # loads everything acknowledged, then returns
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from multiprocessing.connection import Connection

from bongsu.ingest.decoder import DecoderConfig, run_decoder
from bongsu.ingest.log import IngestLog
from bongsu.settings import Settings
from bongsu.store.base import TelemetryStore
from bongsu.store.batch import Batch

log = logging.getLogger("bongsu.loader")

_COMPACT_EVERY = 30.0
_COMPACT_LAG_US = 20_000_000


class Loader:
    """Runs the decoder process and loads its batches from one thread."""

    def __init__(self, settings: Settings, store: TelemetryStore, ingest_log: IngestLog) -> None:
        self._settings = settings
        self._store = store
        self._log = ingest_log
        self._ctx = multiprocessing.get_context("spawn")
        self._durable = self._ctx.Value("q", ingest_log.durable, lock=False)
        self._stop = self._ctx.Event()
        self._thread: threading.Thread | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self.loaded_lsn = store.loaded_lsn()
        self.loaded_spans = 0  # spans loaded since start
        self.load_failures = 0
        self._stopping = False
        # What the log held at start beyond the store: reported until it is loaded.
        self._replay_to = ingest_log.durable if ingest_log.durable > self.loaded_lsn else None
        self._replay_reported = 0.0

    def start(self) -> None:
        self._start_decoder()
        self._thread = threading.Thread(target=self._run, name="bongsu-loader", daemon=True)
        self._thread.start()

    def _start_decoder(self) -> None:
        receive, send = self._ctx.Pipe(duplex=False)
        config = DecoderConfig(
            log_dir=self._settings.wal_dir,
            start_lsn=self.loaded_lsn,
            batch_items=self._settings.load_batch_spans,
            batch_seconds=self._settings.load_batch_seconds,
        )
        process = self._ctx.Process(
            target=run_decoder, args=(config, self._durable, self._stop, send),
            name="bongsu-decoder", daemon=True,
        )
        process.start()
        send.close()
        self._process, self._conn = process, receive

    def status(self) -> dict[str, int]:
        """Ingest progress, served on the OTLP port's ``/healthz``."""
        return {
            "durable_lsn": self._log.durable,
            "loaded_lsn": self.loaded_lsn,
            "backlog_bytes": self._log.backlog(self.loaded_lsn),
            "loaded_spans": self.loaded_spans,
            "load_failures": self.load_failures,
        }

    def _run(self) -> None:
        next_compact = time.monotonic() + _COMPACT_EVERY
        next_retention = time.monotonic() + 5.0
        next_expiry = time.monotonic() + 1.0
        while True:
            self._durable.value = self._log.durable
            assert self._conn is not None
            try:
                ready = self._conn.poll(0.01)
                message = self._conn.recv() if ready else None
            except EOFError:
                message = ("done", None)
            if message is not None:
                lsn, batch = message
                if lsn == "done":
                    if self._stopping:
                        return
                    log.error("the decoder process ended; restarting it in 1 s")
                    time.sleep(1.0)
                    self._start_decoder()
                    continue
                self._load(lsn, batch)
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

    def _load(self, lsn: int | None, batch: Batch | None) -> None:
        try:
            if batch is None:  # the decoder could not build it: move past it
                self.load_failures += 1
                batch = Batch()
            self._store.load(batch, lsn)
            self.loaded_spans += batch.spans.num_rows
        except Exception:
            self.load_failures += 1
            log.exception("a batch ending at %s could not be loaded", lsn)
        if lsn is not None:
            self.loaded_lsn = max(self.loaded_lsn, lsn)
        if self._replay_to is not None:
            self._report_replay()

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

    def wait_loaded(self, lsn: int, timeout: float = 10.0) -> bool:
        """Block until the store holds everything up to ``lsn`` (for tests and shutdown)."""
        deadline = time.monotonic() + timeout
        while self.loaded_lsn < lsn:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def stop(self, timeout: float = 60.0) -> None:
        """Load everything acknowledged so far, then stop the decoder and the thread."""
        self._durable.value = self._log.durable
        self._stopping = True
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._process is not None:
            self._process.join(5)
            if self._process.is_alive():
                self._process.kill()
