"""The decoder process: reads the ingest log, decodes it, and sends store batches back.

Decoding costs ~10 µs a span in Python (FACTS.md), so it runs in a process of its own
while the server process answers requests and loads batches into the store; each side
gets a core. The decoder reads only what the server has made durable (a shared counter),
and sends messages through a pipe: :class:`Decoded` batches (Arrow tables pickle as
buffers), :class:`Quarantined` regions of the log, and a last :class:`Stopped`. The pipe
holds about one batch, so a loader that cannot load holds the decoder back.

The decoder never outlives the server: on Linux the kernel kills it when the thread that
started it ends (``PR_SET_PDEATHSIG``), ``kill -9`` of the server included; elsewhere it
notices within one poll that its parent is gone, or its next send fails.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path

from bongsu.ingest.batch_builder import BatchBuilder
from bongsu.ingest.log import Corrupt, quarantine, scan
from bongsu.store.batch import Batch

log = logging.getLogger("bongsu.decoder")

_POLL_SECONDS = 0.02
# The decoder runs at a lower CPU priority than the server: it uses ~30% of a core at
# 30,000 spans/s, and a query that shares a core with it should not wait its turn. It
# only gives way when both cores are busy, and a backlog it leaves is bounded and shed.
NICENESS = 10
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


@dataclass(frozen=True)
class DecoderConfig:
    log_dir: Path
    start_lsn: int
    batch_items: int
    batch_seconds: float
    parent_pid: int


@dataclass(frozen=True)
class Decoded:
    """Everything up to log position ``end``, as one batch for the store.

    ``batch`` is None when it could not be built (a decoder bug, logged with ``error``);
    ``undecodable`` counts records in it that could not be decoded and were left out.
    """

    end: int
    batch: Batch | None
    undecodable: int = 0
    error: str | None = None


@dataclass(frozen=True)
class Quarantined:
    """Log bytes ``[start, end)`` held no valid record; ``copied`` of them are in ``path``."""

    start: int
    end: int
    path: str
    copied: int


@dataclass(frozen=True)
class Stopped:
    """The decoder's last message: ``error`` is None when it was asked to stop."""

    error: str | None


Message = Decoded | Quarantined | Stopped


class _Pending:
    """Records decoded since the last batch was sent."""

    def __init__(self) -> None:
        self.builder = BatchBuilder()
        self.since: float | None = None  # when the first of them was read
        self.undecodable = 0

    def note(self) -> None:
        if self.since is None:
            self.since = time.monotonic()

    def take(self, end: int) -> Decoded:
        undecodable, self.undecodable, self.since = self.undecodable, 0, None
        try:
            return Decoded(end, self.builder.build(), undecodable)
        except Exception as exc:  # a decoder bug: retrying the same records cannot help
            log.exception("a batch ending at %d could not be built", end)
            self.builder = BatchBuilder()
            return Decoded(end, None, undecodable, f"{type(exc).__name__}: {exc}")


def run_decoder(
    config: DecoderConfig,
    durable: Synchronized,  # type: ignore[type-arg]
    stop: Synchronized,  # type: ignore[type-arg]
    out: Connection,
) -> None:
    """Process entry point: decode ``(start_lsn, durable]`` as it grows, until ``stop``."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s decoder %(message)s")
    _die_with_parent(config.parent_pid)
    lower_priority()
    try:
        _decode(config, durable, stop, out)
        last = Stopped(None)
    except (BrokenPipeError, ConnectionResetError):
        return  # the loader is gone: nobody to tell
    except Exception as exc:
        log.exception("the decoder failed")
        last = Stopped(f"{type(exc).__name__}: {exc}")
    try:
        out.send(last)
        out.close()
    except OSError:
        pass


def _decode(
    config: DecoderConfig,
    durable: Synchronized,  # type: ignore[type-arg]
    stop: Synchronized,  # type: ignore[type-arg]
    out: Connection,
) -> None:
    pending = _Pending()
    position = config.start_lsn
    while True:
        stopping = bool(stop.value)
        target = durable.value
        if target > position:
            for item in scan(config.log_dir, position, target):
                if isinstance(item, Corrupt):
                    copied = _quarantine(config.log_dir, item)
                    if copied is not None:
                        out.send(copied)
                    position = item.end
                else:
                    end, signal_, tenant, payload = item
                    try:
                        pending.builder.add(signal_, tenant, payload)
                    except Exception:  # validated on receipt; a decoder bug must not stall
                        log.exception("record ending at %d could not be decoded; skipped", end)
                        pending.undecodable += 1
                    position = end
                pending.note()  # a quarantined region moves the position too: send it
                if pending.builder.items >= config.batch_items:
                    out.send(pending.take(position))
        if pending.since is not None and (
            stopping
            or (target <= position and time.monotonic() - pending.since >= config.batch_seconds)
        ):
            out.send(pending.take(position))
        if stopping and target <= position:
            return
        if target <= position:
            if os.getppid() != config.parent_pid:
                return  # the server died (where PR_SET_PDEATHSIG is not available)
            time.sleep(_POLL_SECONDS)


def _quarantine(log_dir: Path, region: Corrupt) -> Quarantined | None:
    """Copy ``region`` aside; None when an earlier decoder did (and reported it)."""
    path = quarantine(log_dir, region)
    if path is None:
        return None
    log.error("positions %d to %d of %s hold no valid record: %d bytes copied to %s",
              region.start, region.end, region.segment, len(region.data), path)
    return Quarantined(region.start, region.end, str(path), len(region.data))


def lower_priority() -> None:
    """Give this process's CPU time way to the server's (``NICENESS`` steps lower)."""
    try:
        os.nice(NICENESS)
    except OSError as exc:  # not allowed here: run at the server's priority
        log.warning("could not lower the priority of process %d: %s", os.getpid(), exc)


def _die_with_parent(parent_pid: int) -> None:
    """Have Linux SIGKILL this process when the thread that started it ends."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            log.warning("prctl(PR_SET_PDEATHSIG) failed: %s", os.strerror(ctypes.get_errno()))
    if os.getppid() != parent_pid:  # it died before the request took effect
        os._exit(0)
