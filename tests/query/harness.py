"""Loading known telemetry into a store, and serving the API for real, for the tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from bongsu.errors import Unauthorized
from bongsu.ingest.batch_builder import BatchBuilder
from bongsu.ingest.signals import Signal
from bongsu.settings import Settings
from bongsu.store.duckdb import DuckDBStore
from query.dataset import APDEX_T_MS, RESOURCES, Shop
from query.otlp import logs_request, metrics_request, traces_request

OVERRIDES = ",".join(f"{k}={v:g}" for k, v in APDEX_T_MS.items())
KEYS = {"Bearer acme-key": "acme", None: "default"}


def open_duckdb(path: Path) -> Any:
    return DuckDBStore.open(path, apdex_t_ms=500.0, apdex_overrides=APDEX_T_MS)


# Every backend the read contract is checked against; add ClickHouse here when it exists.
BACKENDS: dict[str, Callable[[Path], Any]] = {"duckdb": open_duckdb}


def resolve_tenant(authorization: str | None) -> str:
    if authorization in KEYS:
        return KEYS[authorization]
    raise Unauthorized("unknown ingest key")


def load(store: Any, tenant: str, shop: Shop, chunks: int, lsn: int) -> int:
    """Load a shop in ``chunks`` loads (whole traces each), so rollup rows are partial."""
    trace_ids = sorted({s.trace_id for s in shop.spans})
    for k in range(chunks):
        part = set(trace_ids[k::chunks])
        builder = BatchBuilder()
        builder.add(Signal.TRACES, tenant,
                    traces_request([s for s in shop.spans if s.trace_id in part], RESOURCES))
        if k == 0:
            builder.add(Signal.LOGS, tenant, logs_request(shop.logs, RESOURCES))
            builder.add(Signal.METRICS, tenant, metrics_request(shop.points, RESOURCES))
        lsn += 1
        assert store.load(builder.build(), lsn)
        store.expire_edges(2**62)  # every call still unmatched is to an external host
    return lsn


@dataclass
class Loaded:
    store: Any
    shop: Shop  # tenant "default"
    acme: Shop  # tenant "acme": same service names, other figures
    sdk_spans: list[Any]  # ReadableSpans sent through the OpenTelemetry SDK
    settings: Settings


def serve(app: Any) -> Iterator[str]:
    """Run ``app`` under uvicorn on a free loopback port in a thread; yields its URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


