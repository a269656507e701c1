"""Caller -> callee edges found at ingest, so topology never self-joins spans.

A CLIENT or PRODUCER span waits (``match_seconds``) for the SERVER or CONSUMER span whose
parent it is; the pair is an edge between two services. A client span to a database
(``db.system``) is an edge to the database at once; one that finds no server span in time
is an edge to the external host it named (``server.address``). State lives in the single
decoder process; after a restart, pairs split across the restart are not matched.

Example::

    edges = EdgeMatcher(match_seconds=30)
    edges.client("default", 7, 1, 0, "frontend", "fe-1", 1200, False, None, None, "orders")
    edges.server("default", 7, 1, "orders", "orders-1", False)
    table = edges.drain()      # one service edge frontend -> orders
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from bongsu.store.batch import EDGE_SCHEMA

_Key = tuple[str, int, int]
_Client = tuple[float, int, str, str, int, bool, str]
_EdgeKey = tuple[str, int, str, str, str, str, str]

_MINUTE_US = 60_000_000


class EdgeMatcher:
    """Pairs client spans with server spans and aggregates edges per minute."""

    def __init__(
        self,
        match_seconds: float = 30.0,
        max_pending: int = 2_000_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._match_seconds = match_seconds
        self._max_pending = max_pending
        self._clock = clock
        # (tenant, trace_lo, span_id) -> (deadline, ts_us, service, instance, dur, err, peer)
        self._clients: dict[_Key, _Client] = {}
        # (tenant, trace_lo, parent_id) -> (deadline, service, instance, err)
        self._servers: dict[_Key, tuple[float, str, str, bool]] = {}
        self._agg: dict[_EdgeKey, list[int]] = {}

    def client(
        self,
        tenant: str,
        trace_lo: int,
        span_id: int,
        ts_us: int,
        service: str,
        instance: str,
        duration_us: int,
        error: bool,
        db_system: str | None,
        db_name: str | None,
        peer: str | None,
    ) -> None:
        """Record one CLIENT or PRODUCER span."""
        if db_system:
            target = f"{db_system}:{db_name or peer or db_system}"
            target_instance = f"{target}@{peer}" if peer else target
            self._add(tenant, ts_us, service, instance, target, target_instance, "database",
                      duration_us, error)
            return
        key = (tenant, trace_lo, span_id)
        server = self._servers.pop(key, None)
        if server is not None:
            self._add(tenant, ts_us, service, instance, server[1], server[2], "service",
                      duration_us, error or server[3])
            return
        deadline = self._clock() + self._match_seconds
        self._clients[key] = (deadline, ts_us, service, instance, duration_us, error, peer or "")
        if len(self._clients) > self._max_pending:
            self._expire_oldest(self._clients)

    def server(
        self, tenant: str, trace_lo: int, parent_id: int, service: str, instance: str,
        error: bool,
    ) -> None:
        """Record one SERVER or CONSUMER span that has a parent."""
        key = (tenant, trace_lo, parent_id)
        client = self._clients.pop(key, None)
        if client is not None:
            _, ts_us, src, src_instance, duration_us, client_error, _peer = client
            self._add(tenant, ts_us, src, src_instance, service, instance, "service",
                      duration_us, client_error or error)
            return
        self._servers[key] = (self._clock() + self._match_seconds, service, instance, error)
        if len(self._servers) > self._max_pending:
            self._expire_oldest(self._servers)

    def expire(self) -> None:
        """Turn client spans that found no server span in time into external edges."""
        now = self._clock()
        for key in [k for k, c in self._clients.items() if c[0] <= now]:
            _, ts_us, service, instance, duration_us, error, peer = self._clients.pop(key)
            target = peer or "unknown"
            self._add(key[0], ts_us, service, instance, target, target, "external",
                      duration_us, error)
        for key in [k for k, s in self._servers.items() if s[0] <= now]:
            del self._servers[key]

    @property
    def pending(self) -> int:
        return len(self._clients) + len(self._servers)

    def drain(self) -> pa.Table:
        """The edges aggregated since the last drain, as an EDGE_SCHEMA table."""
        agg, self._agg = self._agg, {}
        cols: list[list[object]] = [[] for _ in EDGE_SCHEMA.names]
        for key, (calls, errors, sum_us) in agg.items():
            for i, v in enumerate((*key, calls, errors, sum_us)):
                cols[i].append(v)
        return pa.Table.from_arrays(
            [pa.array(c, f.type) for c, f in zip(cols, EDGE_SCHEMA, strict=True)],
            schema=EDGE_SCHEMA,
        )

    def _add(
        self, tenant: str, ts_us: int, source: str, source_instance: str, target: str,
        target_instance: str, kind: str, duration_us: int, error: bool,
    ) -> None:
        minute = ts_us // _MINUTE_US * _MINUTE_US
        key = (tenant, minute, source, source_instance, target, target_instance, kind)
        entry = self._agg.get(key)
        if entry is None:
            self._agg[key] = [1, int(error), duration_us]
        else:
            entry[0] += 1
            entry[1] += error
            entry[2] += duration_us

    def _expire_oldest(self, pending: dict[_Key, Any]) -> None:
        # Insertion order is arrival order: drop the oldest tenth at once.
        for key in list(pending)[: max(1, len(pending) // 10)]:
            del pending[key]
