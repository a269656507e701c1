"""Container metering routes: hourly figures rolled up, the monthly statement (JSON or CSV),
the rate card, and a recompute of chosen hours (``bongsu.metering``).

``GET /api/v1/metering`` and the statement read stored hourly rows; the job writes them on
the lease holder every ``BONGSU_METERING_INTERVAL_SECONDS``, and ``POST
/api/v1/metering/recompute`` does it at once for a window (at most 48 hours, of which the
points are still kept). Costs are computed on read from the current rate card, so a new
price shows in every statement, past months included.

Example::

    app = create_api(settings, store, authenticator.principal, routers=[metering_router(backend)])
    # GET /api/v1/metering/statement?month=2026-11&group_by=team&format=csv
"""

from __future__ import annotations

import csv
import io
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Response
from pydantic import Field

from bongsu.api.context import Tenant
from bongsu.api.models import Model
from bongsu.api.params import From, To, _checked
from bongsu.api.responses import JSON
from bongsu.errors import InvalidQuery, StoreError
from bongsu.metering.rates import Rate, RateCard
from bongsu.metering.rollup import GROUP_BYS, Figures, GroupBy, roll_up
from bongsu.metering.service import MeteringService
from bongsu.metering.statement import Line, Statement, month_window, statement
from bongsu.query.params import parse_choice
from bongsu.query.window import parse_time
from bongsu.store.metering import HOUR_US

DEFAULT_WINDOW_US = 24 * HOUR_US
MAX_RECOMPUTE_HOURS = 48
MAX_WINDOW_US = 400 * 24 * HOUR_US


def _d(text: str, **kw: Any) -> Any:
    return Field(description=text, **kw)


GroupByParam = Annotated[
    Literal["namespace", "workload", "team", "cluster"] | None,
    _checked(lambda raw: parse_choice("group_by", raw, GROUP_BYS, "namespace")),
    Query(description="Rows per namespace, workload (namespace/name), team (the pod label "
                      "BONGSU_METERING_TEAM_LABEL) or cluster. Default namespace.")]
ClusterParam = Annotated[str | None, Query(description="Only this cluster (its --kube NAME)")]
Month = Annotated[str, Query(description="The month, YYYY-MM (UTC)", examples=["2026-11"])]
Format = Annotated[
    Literal["json", "csv"] | None,
    _checked(lambda raw: parse_choice("format", raw, ("json", "csv"), "json")),
    Query(description="json (default) or csv: one line per group, then the idle and total "
                      "lines")]

# -- models -------------------------------------------------------------------------------


class FiguresOut(Model):
    cpu_request: float = _d("Core-hours requested")
    cpu_usage: float = _d("Core-hours used (metrics.k8s.io)")
    cpu_allocated: float = _d("Core-hours allocated: max(request, usage) per container "
                              "and minute")
    memory_request: float = _d("GiB-hours requested")
    memory_usage: float = _d("GiB-hours used (working set)")
    memory_allocated: float = _d("GiB-hours allocated: max(request, usage)")


class GroupOut(Model):
    cluster: str = _d("Cluster; empty when grouped by team (a team spans clusters)")
    key: str = _d("Namespace, namespace/workload, team label value ('' = none) or cluster")
    containers: int = _d("Distinct containers counted")
    figures: FiguresOut = _d("The group's core-hours and GiB-hours over the window")


class NodeOut(Model):
    cluster: str = _d("Cluster the node belongs to (its --kube NAME)")
    node: str = _d("Node name, as the cluster lists it")
    cpu_capacity: float = _d("Core-hours of capacity: allocated + idle")
    cpu_allocated: float = _d("Core-hours allocated to its containers")
    cpu_idle: float = _d("Core-hours idle: max(capacity - allocated, 0) per hour")
    memory_capacity: float = _d("GiB-hours of capacity: allocated + idle")
    memory_allocated: float = _d("GiB-hours of memory allocated to its containers")
    memory_idle: float = _d("GiB-hours idle: max(capacity - allocated, 0) per hour")


class CapacityOut(Model):
    cpu_allocated: float = _d("Core-hours allocated, every container")
    cpu_idle: float = _d("Core-hours idle, every node")
    cpu_capacity: float = _d("cpu_allocated + cpu_idle")
    memory_allocated: float = _d("GiB-hours allocated, every container")
    memory_idle: float = _d("GiB-hours idle, every node")
    memory_capacity: float = _d("memory_allocated + memory_idle")


class MeteringOut(Model):
    start: int = _d("First hour, epoch ms")
    end: int = _d("End of the last hour (exclusive), epoch ms")
    group_by: GroupBy = _d("What each group is: namespace, workload, team or cluster")
    hours: int = _d("Hours with rows")
    groups: list[GroupOut] = _d("Largest allocation first")
    totals: FiguresOut = _d("Core-hours and GiB-hours of every container, all groups summed")
    nodes: list[NodeOut] = _d("Each node's capacity, allocation and idle over the window")
    capacity: CapacityOut = _d("Allocated, idle and capacity summed over every node")


class RateIn(Model):
    currency: str = _d("ISO 4217 code, three capital letters", pattern="^[A-Z]{3}$")
    cpu_core_hour: float = _d("Price of one core for one hour", ge=0, le=1e9)
    memory_gib_hour: float = _d("Price of one GiB of memory for one hour", ge=0, le=1e9)


class RateCardIn(Model):
    default: RateIn = _d("The rate of every cluster without one of its own")
    clusters: dict[Annotated[str, Field(min_length=1, max_length=256)], RateIn] = _d(
        "Rates per cluster name", default_factory=dict)


class StatementLineOut(Model):
    cluster: str = _d("Cluster; empty when grouped by team (a team spans clusters)")
    key: str = _d("Namespace, namespace/workload, team label value ('' = none) or cluster")
    containers: int = _d("Distinct containers counted")
    figures: FiguresOut = _d("The line's core-hours and GiB-hours over the month")
    request_cost: float = _d("Cost of the requested core- and GiB-hours")
    usage_cost: float = _d("Cost of the used core- and GiB-hours")
    allocation_cost: float = _d("Cost of the allocated core- and GiB-hours")
    idle_cost: float = _d("Its share of its cluster's idle cost (by allocation cost)")
    total_cost: float = _d("allocation_cost + idle_cost")


class StatementOut(Model):
    month: str = _d("The month, YYYY-MM (UTC)")
    group_by: GroupBy = _d("What each line is: namespace, workload, team or cluster")
    currency: str = _d("ISO 4217 code of every cost (the clusters' rates share one)")
    hours: int = _d("Hours of the month with rows")
    lines: list[StatementLineOut] = _d("Largest total first")
    totals: FiguresOut = _d("Core-hours and GiB-hours of every container, all lines summed")
    cpu_idle: float = _d("Idle core-hours, every node")
    memory_idle: float = _d("Idle GiB-hours, every node")
    request_cost: float = _d("Cost of the requested core- and GiB-hours, sum of the lines")
    usage_cost: float = _d("Cost of the used core- and GiB-hours, sum of the lines")
    allocation_cost: float = _d("Cost of the allocated core- and GiB-hours, sum of the "
                                "lines")
    idle_cost: float = _d("Cost of the idle core- and GiB-hours of every node, each at its "
                          "cluster's rate")
    unassigned_idle_cost: float = _d("Idle cost of clusters with no allocation at all")
    capacity_cost: float = _d("allocation_cost + idle_cost = sum(lines.total_cost) + "
                              "unassigned_idle_cost")
    rates: dict[str, RateIn] = _d("The rate used for each cluster")


class RecomputeOut(Model):
    hours: int = _d("Hours recomputed (per cluster)")
    clusters: list[str] = _d("Clusters recomputed: the one asked for, else every watched "
                             "cluster (empty when this server's job meters another tenant)")
    rows: int = _d("Container rows stored")
    seconds: float = _d("Time the recompute took")


# -- routes -------------------------------------------------------------------------------


def metering_router(backend: MeteringService | None = None) -> APIRouter:
    """The metering routes over ``backend`` (None: the schema's app, which never calls one)."""
    router = APIRouter(prefix="/api/v1/metering", tags=["metering"])

    def parts() -> MeteringService:
        if backend is None:
            raise StoreError("metering is not running")
        return backend

    @router.get("", summary="Core-hours and GiB-hours requested, used and allocated per "
                            "group, with the nodes' capacity and idle",
                response_model=MeteringOut)
    def figures(tenant: Tenant, from_: From = None, to: To = None,
                group_by: GroupByParam = None, cluster: ClusterParam = None) -> JSON:
        start, end = _hours(from_, to)
        by: GroupBy = group_by or "namespace"
        r = roll_up(*parts().reads.metering_totals(tenant, start, end, cluster, by), by)
        return JSON({
            "start": start // 1000, "end": end // 1000, "group_by": by, "hours": r.hours,
            "groups": [{"cluster": g.cluster, "key": g.key, "containers": g.containers,
                        "figures": _figures(g.figures)} for g in r.groups],
            "totals": _figures(r.totals),
            "nodes": [{"cluster": n.cluster, "node": n.node, "cpu_capacity": n.cpu_capacity,
                       "cpu_allocated": n.cpu_allocated, "cpu_idle": n.cpu_idle,
                       "memory_capacity": n.memory_capacity,
                       "memory_allocated": n.memory_allocated, "memory_idle": n.memory_idle}
                      for n in r.nodes],
            "capacity": {"cpu_allocated": r.totals.cpu_allocated, "cpu_idle": r.cpu_idle,
                         "cpu_capacity": r.cpu_capacity,
                         "memory_allocated": r.totals.memory_allocated,
                         "memory_idle": r.memory_idle, "memory_capacity": r.memory_capacity},
        })

    @router.get("/statement", summary="A month's statement: hours and cost by request, usage "
                                      "and allocation per group, idle shares, totals",
                response_model=StatementOut,
                responses={200: {"content": {"text/csv": {}},
                                 "description": "JSON, or CSV with format=csv"}})
    def month_statement(tenant: Tenant, month: Month, group_by: GroupByParam = None,
                        cluster: ClusterParam = None, format: Format = None) -> Response:
        start, end = month_window(month)
        by: GroupBy = group_by or "namespace"
        b = parts()
        s = statement(*b.reads.metering_totals(tenant, start, end, cluster, by),
                      b.rates.get(tenant), by)
        if format == "csv":
            return Response(_csv(s), media_type="text/csv; charset=utf-8", headers={
                "Content-Disposition": f'attachment; filename="metering-{month}-{by}.csv"'})
        return JSON({"month": month, "group_by": by, **_statement(s)})

    @router.get("/rates", summary="The rate card", response_model=RateCardIn)
    def get_rates(tenant: Tenant) -> JSON:
        return JSON(_card(parts().rates.get(tenant)))

    @router.put("/rates", summary="Replace the rate card (every cluster's rate)",
                response_model=RateCardIn)
    def put_rates(tenant: Tenant, body: Annotated[RateCardIn, Body()]) -> JSON:
        card = RateCard(_rate(body.default),
                        {name: _rate(r) for name, r in sorted(body.clusters.items())})
        return JSON(_card(parts().rates.put(tenant, card)))

    @router.post("/recompute", summary="Recompute the hours of a window now (at most 48)",
                 response_model=RecomputeOut)
    def recompute(tenant: Tenant, from_: From = None, to: To = None,
                  cluster: ClusterParam = None) -> JSON:
        start, end = _hours(from_, to, default_us=HOUR_US)
        hours = list(range(start, end, HOUR_US))
        if len(hours) > MAX_RECOMPUTE_HOURS:
            raise InvalidQuery(f"from: at most {MAX_RECOMPUTE_HOURS} hours at once, "
                               f"got {len(hours)}")
        job = parts().job
        if tenant != job.tenant:
            return JSON({"hours": 0, "clusters": [], "rows": 0, "seconds": 0.0})
        names = job.clusters()
        if cluster is not None and cluster not in names:
            raise InvalidQuery(f"cluster: {cluster!r} is not a watched cluster")
        started = time.monotonic()
        rows = job.recompute(hours, cluster)
        return JSON({"hours": len(hours), "clusters": [cluster] if cluster else names,
                     "rows": rows, "seconds": round(time.monotonic() - started, 3)})

    return router


def _hours(raw_from: str | None, raw_to: str | None,
           default_us: int = DEFAULT_WINDOW_US) -> tuple[int, int]:
    """The window widened to whole hours; ``from`` defaults to ``to`` minus ``default_us``."""
    end = parse_time("to", raw_to) if raw_to is not None else time.time_ns() // 1000
    start = parse_time("from", raw_from) if raw_from is not None else end - default_us
    if start >= end:
        raise InvalidQuery("from: must be before to")
    if end - start > MAX_WINDOW_US:
        raise InvalidQuery("from: the window is longer than 400 days")
    return start // HOUR_US * HOUR_US, -(-end // HOUR_US) * HOUR_US


def _figures(f: Figures) -> dict[str, float]:
    return {"cpu_request": f.cpu_request, "cpu_usage": f.cpu_usage,
            "cpu_allocated": f.cpu_allocated, "memory_request": f.memory_request,
            "memory_usage": f.memory_usage, "memory_allocated": f.memory_allocated}


def _rate(r: RateIn) -> Rate:
    return Rate(r.currency, r.cpu_core_hour, r.memory_gib_hour)


def _rate_out(r: Rate) -> dict[str, Any]:
    return {"currency": r.currency, "cpu_core_hour": r.cpu_core_hour,
            "memory_gib_hour": r.memory_gib_hour}


def _card(card: RateCard) -> dict[str, Any]:
    return {"default": _rate_out(card.default),
            "clusters": {name: _rate_out(r) for name, r in card.clusters.items()}}


def _line(line: Line) -> dict[str, Any]:
    return {"cluster": line.cluster, "key": line.key, "containers": line.containers,
            "figures": _figures(line.figures), "request_cost": line.request_cost,
            "usage_cost": line.usage_cost, "allocation_cost": line.allocation_cost,
            "idle_cost": line.idle_cost, "total_cost": line.total_cost}


def _statement(s: Statement) -> dict[str, Any]:
    return {"currency": s.currency, "hours": s.hours, "lines": [_line(x) for x in s.lines],
            "totals": _figures(s.totals), "cpu_idle": s.cpu_idle, "memory_idle": s.memory_idle,
            "request_cost": s.request_cost, "usage_cost": s.usage_cost,
            "allocation_cost": s.allocation_cost, "idle_cost": s.idle_cost,
            "unassigned_idle_cost": s.unassigned_idle_cost, "capacity_cost": s.capacity_cost,
            "rates": {name: _rate_out(r) for name, r in s.rates.items()}}


_CSV_COLUMNS = ("cluster", "group", "containers", "cpu_request_core_hours",
                "cpu_usage_core_hours", "cpu_allocated_core_hours", "memory_request_gib_hours",
                "memory_usage_gib_hours", "memory_allocated_gib_hours", "request_cost",
                "usage_cost", "allocation_cost", "idle_cost", "total_cost", "currency")


def _csv(s: Statement) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(_CSV_COLUMNS)
    for x in s.lines:
        f = x.figures
        w.writerow([x.cluster, x.key, x.containers, *_round(
            f.cpu_request, f.cpu_usage, f.cpu_allocated, f.memory_request, f.memory_usage,
            f.memory_allocated, x.request_cost, x.usage_cost, x.allocation_cost, x.idle_cost,
            x.total_cost), s.currency])
    w.writerow(["", "(idle, unassigned)", "", *[""] * 6, "", "", "",
                *_round(s.unassigned_idle_cost, s.unassigned_idle_cost), s.currency])
    t = s.totals
    w.writerow(["", "(total)", sum(x.containers for x in s.lines), *_round(
        t.cpu_request, t.cpu_usage, t.cpu_allocated, t.memory_request, t.memory_usage,
        t.memory_allocated, s.request_cost, s.usage_cost, s.allocation_cost, s.idle_cost,
        s.capacity_cost), s.currency])
    return out.getvalue()


def _round(*values: float) -> list[str]:
    return [f"{v:.6f}" for v in values]
