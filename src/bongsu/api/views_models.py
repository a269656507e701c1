"""Response bodies of the database and web views (``/api/v1/databases…``,
``/api/v1/web…``). Units as in :mod:`bongsu.api.models`: ``*_ms`` milliseconds, ``ts`` /
``from`` / ``to`` epoch milliseconds, ``*_per_s`` and ``tps`` per second, ``error_rate``
a fraction 0-1. Percentiles are nearest-rank duration buckets, within 4.4 %.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from bongsu.api.models import Model


def _f(description: str, **kw: Any) -> Any:
    return Field(description=description, **kw)


_FROM = ("Window start (aligned down to the minute; to the hour for windows over 6 h), "
         "epoch ms")
_TO = ("Window end (exclusive, aligned up to the minute; to the hour for windows over "
       "6 h), epoch ms")
Order = Literal["total", "calls", "p95", "errors"]


class DbCallFigures(Model):
    calls: int = _f("Client calls (CLIENT / PRODUCER spans with db.system), count")
    calls_per_s: float = _f("Calls per second over the elapsed part of the window or step")
    errors: int = _f("Calls with status ERROR, count")
    error_rate: float | None = _f("errors / calls, fraction 0-1; null without calls")
    total_ms: float = _f("Summed duration of the calls, ms (exact)")
    avg_ms: float | None = _f("Mean duration, ms (exact); null without calls")
    p50_ms: float | None = _f("Median duration, ms (nearest-rank bucket, within 4.4 %)")
    p95_ms: float | None = _f("95th percentile duration, ms (within 4.4 %)")
    max_ms: float | None = _f("Longest call, ms (exact); null without calls")


class DbCaller(Model):
    service: str = _f("The calling service (service.name)")
    calls: int = _f("Its calls to the database, count")
    errors: int = _f("Of which failed, count")
    avg_ms: float | None = _f("Mean duration of its calls, ms")


class DbPool(Model):
    service: str = _f("The service owning the pool")
    pool: str = _f("Pool name (db.client.connection.pool.name or pool.name); empty if none")
    used: float = _f("Connections in use (state=used) at the latest point of each instance "
                     "in the window, summed over instances, count")
    peak: float = _f("Highest point of each instance in the window, summed, count")
    instances: int = _f("Instances reporting the pool, count")


class Database(DbCallFigures):
    db: str = _f("Database id: db.system:db.name (else the address)@server.address; the "
                 "topology's database instance node")
    system: str = _f("db.system (postgresql, mysql, redis …)")
    name: str | None = _f("db.name / db.namespace; null when the spans named none")
    address: str | None = _f("server.address; null when the spans named none")
    node: str = _f("The topology's service-level database node id (system:name)")
    callers: list[DbCaller] = _f("The services calling it, most calls first")
    pools: list[DbPool] = _f("Connection pools of its callers from their connection metrics: "
                           "a pool whose name mentions the db name or address, else the "
                           "pools of a caller that calls only this database")
    connections: float | None = _f("Connections in use over those pools, count; null when "
                                   "no pool metrics were found")


class Databases(Model):
    from_: int = _f(_FROM, alias="from")
    to: int = _f(_TO)
    databases: list[Database] = _f("Every database called in the window, by id")


class DbStatement(DbCallFigures):
    fingerprint: str = _f("16 hex digits: MD5 prefix of the normalised text")
    text: str | None = _f("Normalised statement: literals and placeholders as ?, IN-lists "
                          "as IN (?), whitespace and keyword case normalised")
    slow_trace_id: str = _f("Trace id (32 hex digits) of the slowest call in the window")


class DbStatements(Model):
    db: str = _f("The database id")
    order: Order = _f("Ranking: total time, calls, p95 or errors (descending)")
    from_: int = _f(_FROM, alias="from")
    to: int = _f(_TO)
    statements: list[DbStatement] = _f("The top statements by order")


class DbStatementPoint(DbCallFigures):
    ts: int = _f("Step start, epoch ms")


class DbSlowCall(Model):
    ts: int = _f("Start of the minute the call began in (of the hour, for windows over "
                 "6 h), epoch ms")
    service: str = _f("The calling service")
    duration_ms: float = _f("The call's duration, ms (exact)")
    trace_id: str = _f("Its trace id, 32 hex digits (GET /api/v1/traces/{trace_id})")


class DbStatementDetail(Model):
    db: str = _f("The database id")
    fingerprint: str = _f("The statement's fingerprint")
    text: str = _f("The normalised statement")
    step: int = _f("Seconds per point (a multiple of 60; default whole minutes, whole hours "
                   "for windows over 6 h)")
    from_: int = _f(_FROM, alias="from")
    to: int = _f(_TO)
    points: list[DbStatementPoint] = _f("Figures per step, oldest first (zeros without calls;"
                                      " p50_ms is null in points)")
    slow_calls: list[DbSlowCall] = _f("Sample slow calls, slowest first: the slowest call of "
                                    "each minute x caller x duration bucket, one per trace, "
                                    "at most 10")


class WebEndpoint(Model):
    service: str = _f("The service serving it")
    endpoint: str = _f("METHOD http.route (the route template), else the span name")
    calls: int = _f("HTTP server spans, count")
    tps: float = _f("Calls per second over the elapsed part of the window")
    errors: int = _f("Calls with status ERROR or HTTP status >= 500, count")
    error_rate: float | None = _f("errors / calls, fraction 0-1; null without calls")
    status_4xx: int = _f("Calls answered 4xx, count")
    status_5xx: int = _f("Calls answered 5xx, count")
    total_ms: float = _f("Summed duration, ms (exact)")
    avg_ms: float | None = _f("Mean duration, ms (exact)")
    p50_ms: float | None = _f("Median duration, ms (within 4.4 %)")
    p95_ms: float | None = _f("95th percentile duration, ms (within 4.4 %)")


class WebEndpoints(Model):
    order: Order = _f("Ranking: total time, calls, p95 (slowest) or errors (descending)")
    service: str | None = _f("The service asked for; null: every service")
    from_: int = _f(_FROM, alias="from")
    to: int = _f(_TO)
    endpoints: list[WebEndpoint] = _f("The top endpoints by order")


_CLASSES = ("Calls per status class: 1xx, 2xx, 3xx, 4xx, 5xx and other (no or an "
            "out-of-range code), count")
_CODES = "Calls per exact status code (\"none\": the span had no code), count"


class WebStatusPoint(Model):
    ts: int = _f("Step start, epoch ms")
    total: int = _f("HTTP server spans in the step, count")
    classes: dict[str, int] = _f(_CLASSES)
    codes: dict[str, int] = _f(_CODES)


class WebStatuses(Model):
    service: str | None = _f("The service asked for; null: every service")
    step: int = _f("Seconds per point (a multiple of 60; default whole minutes, whole hours "
                   "for windows over 6 h)")
    from_: int = _f(_FROM, alias="from")
    to: int = _f(_TO)
    total: int = _f("HTTP server spans in the window, count")
    classes: dict[str, int] = _f(_CLASSES + " (window totals)")
    codes: dict[str, int] = _f(_CODES + " (window totals)")
    points: list[WebStatusPoint] = _f("Per step, oldest first")
