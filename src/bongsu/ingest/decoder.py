"""The decoder process: reads the ingest log, decodes it, and sends store batches back.

Decoding costs ~10 µs a span in Python (FACTS.md), so it runs in a process of its own
while the server process answers requests and loads batches into the store; each side
gets a core. The decoder reads only what the server has made durable (a shared counter),
and sends ``(end_lsn, Batch)`` pairs (Arrow tables pickle as buffers) through a pipe.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from pathlib import Path

from bongsu.ingest.batch_builder import BatchBuilder
from bongsu.ingest.log import read_records
from bongsu.store.batch import Batch

log = logging.getLogger("bongsu.decoder")

_POLL_SECONDS = 0.02


@dataclass(frozen=True)
class DecoderConfig:
    log_dir: Path
    start_lsn: int
    batch_items: int
    batch_seconds: float


def _build(builder: BatchBuilder) -> Batch | None:
    """The batch, or None when it cannot be built (logged; its position still advances so
    one poisonous record cannot stall ingest for good)."""
    try:
        return builder.build()
    except Exception:
        log.exception("a batch could not be built; its records are dropped")
        return None


def run_decoder(
    config: DecoderConfig, durable: Synchronized, stop: Event, out: Connection  # type: ignore[type-arg]
) -> None:
    """Process entry point: decode ``(start_lsn, durable]`` as it grows, until ``stop``."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s decoder %(message)s")
    builder = BatchBuilder()
    position = config.start_lsn
    first_item_at: float | None = None
    try:
        while True:
            stopping = stop.is_set()
            target = durable.value
            if target > position:
                for end, signal, tenant, payload in read_records(config.log_dir, position, target):
                    try:
                        builder.add(signal, tenant, payload)
                    except Exception:  # validated on receipt; a decoder bug must not stall ingest
                        log.exception("record ending at %d could not be decoded; skipped", end)
                    position = end
                    if first_item_at is None:
                        first_item_at = time.monotonic()
                    if builder.items >= config.batch_items:
                        out.send((position, _build(builder)))
                        first_item_at = None
            now = time.monotonic()
            if first_item_at is not None and (
                stopping or (target <= position and now - first_item_at >= config.batch_seconds)
            ):
                out.send((position, _build(builder)))
                first_item_at = None
            if stopping and target <= position:
                return
            if target <= position:
                time.sleep(_POLL_SECONDS)
    finally:
        out.send(("done", None))
        out.close()
