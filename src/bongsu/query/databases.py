"""The database view: databases called by the services, their statements (grouped by
fingerprint, :mod:`bongsu.store.statements`) and each statement's series and slowest
calls. Everything is read from the per-minute statement rollup written at ingest, and
the connection pools from their metric points.

A database is ``system:name@address`` (``db.system``, ``db.name`` else the address,
``server.address``), the topology's database instance; ``node`` is its service-level
node (``system:name``).

Example::

    body = databases(reads, "default", window, now_us)
    [d["p95_ms"] for d in body["databases"] if d["system"] == "postgresql"]
"""

from __future__ import annotations

from typing import Any

from bongsu.errors import InvalidQuery, NotFound, TooManyRows
from bongsu.query.figures import bucket_ms
from bongsu.query.window import Window, default_step
from bongsu.store.reads import (
    ConnectionPool,
    DatabaseFigures,
    Reads,
    StatementOrder,
    ViewResolution,
)

MINUTE_S = 60
HOUR_S = 3600
HOURLY_OVER_S = 6 * HOUR_S  # windows longer than this read the per-hour rollups
SLOW_CALLS = 10
_US = 1_000_000


def databases(reads: Reads, tenant: str, window: Window, now_us: int) -> dict[str, Any]:
    """Every database called in the window, with its callers and connection pools."""
    res = view_resolution(window)
    w = window.aligned(res)
    seconds = w.elapsed_seconds(now_us)
    callers: dict[str, list[dict[str, Any]]] = {}
    for c in reads.database_callers(tenant, w.start_us, w.end_us, res):
        callers.setdefault(c.db, []).append({
            "service": c.service, "calls": c.calls, "errors": c.errors,
            "avg_ms": c.sum_us / c.calls / 1000 if c.calls else None})
    rows = reads.databases(tenant, w.start_us, w.end_us, res)
    pools = _pools_by_db(rows, callers, reads.db_connections(tenant, w.start_us, w.end_us))
    out = []
    for d in rows:
        entry: dict[str, Any] = {
            "db": d.db, "system": d.system, "name": d.name, "address": d.address,
            "node": f"{d.system}:{d.name or d.address or d.system}",
            **_figures(d.calls, d.errors, d.sum_us, d.max_us, d.p50_bucket, d.p95_bucket,
                       seconds),
            "callers": sorted(callers.get(d.db, []),
                              key=lambda c: (-c["calls"], c["service"])),
        }
        mine = pools.get(d.db, [])
        entry["pools"] = mine
        entry["connections"] = sum(p["used"] for p in mine) if mine else None
        out.append(entry)
    return {"from": w.start_us // 1000, "to": w.end_us // 1000, "databases": out}


def statements(reads: Reads, tenant: str, db: str, window: Window, order: StatementOrder,
               limit: int, now_us: int) -> dict[str, Any]:
    """One database's top statements by ``order`` over the window."""
    res = view_resolution(window)
    w = window.aligned(res)
    seconds = w.elapsed_seconds(now_us)
    rows = reads.db_statements(tenant, db, w.start_us, w.end_us, order, limit, res)
    if not rows:
        _require_database(reads, tenant, db)
    return {
        "db": db, "order": order, "from": w.start_us // 1000, "to": w.end_us // 1000,
        "statements": [
            {"fingerprint": r.fingerprint, "text": r.text,
             **_figures(r.calls, r.errors, r.sum_us, r.max_us, r.p50_bucket, r.p95_bucket,
                        seconds),
             "slow_trace_id": r.slow_trace}
            for r in rows
        ],
    }


def statement(reads: Reads, tenant: str, db: str, fingerprint: str, window: Window,
              step_s: int | None, max_rows: int, now_us: int) -> dict[str, Any]:
    """One statement's figures per step (whole minutes) and its slowest calls."""
    text = reads.db_statement_text(tenant, db, fingerprint)
    if text is None:
        _require_database(reads, tenant, db)
        raise NotFound(f"fingerprint: {fingerprint!r} never ran on {db!r}")
    step = minute_step(window, step_s)
    res = view_resolution(window, step)
    w = window.aligned(step)
    step_us = step * _US
    slots = (w.end_us - w.start_us) // step_us
    if slots > max_rows:
        raise TooManyRows(f"step: {slots} points is over the {max_rows}-row limit; "
                          "use a larger step")
    found = {p.ts_us: p for p in reads.db_statement_series(
        tenant, db, fingerprint, w.start_us, w.end_us, step_us, res)}
    points = []
    for ts in range(w.start_us, w.end_us, step_us):
        p = found.get(ts)
        points.append({"ts": ts // 1000, **(
            _figures(p.calls, p.errors, p.sum_us, p.max_us, None, p.p95_bucket, step)
            if p else _figures(0, 0, 0, 0, None, None, step))})
    slow = reads.db_slow_calls(tenant, db, fingerprint, w.start_us, w.end_us, SLOW_CALLS,
                               res)
    return {
        "db": db, "fingerprint": fingerprint, "text": text, "step": step,
        "from": w.start_us // 1000, "to": w.end_us // 1000, "points": points,
        "slow_calls": [{"ts": s.ts_us // 1000, "service": s.service,
                        "duration_ms": s.duration_us / 1000, "trace_id": s.trace_id}
                       for s in slow],
    }


def view_resolution(window: Window, step_s: int | None = None) -> ViewResolution:
    """The view rollup to read: per hour for windows over 6 hours (when the step is whole
    hours), else per minute."""
    if window.seconds > HOURLY_OVER_S and (step_s is None or step_s % HOUR_S == 0):
        return 3600
    return 60


def minute_step(window: Window, step_s: int | None) -> int:
    """A step for the view rollups: the one asked for (a multiple of 60 s), else the
    default step rounded up to whole minutes (whole hours for windows over 6 hours)."""
    if step_s is None:
        unit = HOUR_S if window.seconds > HOURLY_OVER_S else MINUTE_S
        return max(unit, -(-default_step(window) // unit) * unit)
    if step_s % MINUTE_S:
        raise InvalidQuery(f"step: must be a multiple of 60 seconds here, got {step_s}")
    return step_s


def _figures(calls: int, errors: int, sum_us: int, max_us: int, p50: int | None,
             p95: int | None, seconds: float) -> dict[str, Any]:
    return {
        "calls": calls,
        "calls_per_s": calls / seconds if seconds > 0 else 0.0,
        "errors": errors,
        "error_rate": errors / calls if calls else None,
        "total_ms": sum_us / 1000,
        "avg_ms": sum_us / calls / 1000 if calls else None,
        "p50_ms": bucket_ms(p50),
        "p95_ms": bucket_ms(p95),
        "max_ms": max_us / 1000 if calls else None,
    }


def _pools_by_db(rows: list[DatabaseFigures], callers: dict[str, list[dict[str, Any]]],
                 pools: list[ConnectionPool]) -> dict[str, list[dict[str, Any]]]:
    """Each pool under the database its name mentions (db.name or server.address), else
    under the one database its service calls, if it calls only one; others are left out."""
    called: dict[str, list[str]] = {}
    for db, cs in callers.items():
        for c in cs:
            called.setdefault(c["service"], []).append(db)
    out: dict[str, list[dict[str, Any]]] = {}
    for p in pools:
        named = [d.db for d in rows if p.pool and any(
            v and v in p.pool for v in (d.name, d.address))]
        target = named[0] if len(named) == 1 else None
        if target is None and not named and len(called.get(p.service, [])) == 1:
            target = called[p.service][0]
        if target is not None:
            out.setdefault(target, []).append({
                "service": p.service, "pool": p.pool, "used": p.used, "peak": p.peak,
                "instances": p.instances})
    return out


def _require_database(reads: Reads, tenant: str, db: str) -> None:
    if not reads.database_exists(tenant, db):
        raise NotFound(f"db: {db!r} was never called (or its rows are past retention)")
