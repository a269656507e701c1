"""The metering statement as a report: core-hours and GiB-hours requested, used and
allocated per namespace, their costs by the rate card, the idle share and the total —
``bongsu.metering.statement.statement`` over the report's window, the figures of
``GET /api/v1/metering/statement`` for a month (a monthly schedule's window is one)."""

from __future__ import annotations

from bongsu.metering.statement import statement
from bongsu.reports.kinds.performance import period_text
from bongsu.reports.model import Cell, Progress, Report, ReportError, ReportRequest, Sources
from bongsu.reports.model import Table as _Table

_COLUMNS = ["cluster", "namespace", "containers", "cpu_request_core_hours",
            "cpu_usage_core_hours", "cpu_allocated_core_hours", "memory_request_gib_hours",
            "memory_usage_gib_hours", "memory_allocated_gib_hours", "allocation_cost",
            "idle_cost", "total_cost"]


def _r(v: float) -> float:
    return round(v, 4)


class Metering:
    name = "metering"
    title = "Container metering"
    needs_service = False

    def build(self, sources: Sources, request: ReportRequest, progress: Progress) -> Report:
        m = sources.metering
        if m is None:
            raise ReportError("kind", "metering is not running on this server")
        groups, nodes, hours = m.reads.metering_totals(request.tenant, request.from_us,
                                                       request.to_us, None, "namespace")
        s = statement(groups, nodes, hours, m.rates.get(request.tenant), "namespace")
        progress(1.0)
        rows: list[list[Cell]] = []
        for line in s.lines:
            f = line.figures
            rows.append([line.cluster, line.key, line.containers, _r(f.cpu_request),
                         _r(f.cpu_usage), _r(f.cpu_allocated), _r(f.memory_request),
                         _r(f.memory_usage), _r(f.memory_allocated), _r(line.allocation_cost),
                         _r(line.idle_cost), _r(line.total_cost)])
        return Report(
            kind=self.name,
            title="Metering statement — per namespace",
            period=period_text(request.from_us, request.to_us),
            figures=[("Hours", str(s.hours)),
                     ("Allocation cost", f"{s.allocation_cost:,.2f} {s.currency}"),
                     ("Idle cost", f"{s.idle_cost:,.2f} {s.currency}"),
                     ("Capacity cost", f"{s.capacity_cost:,.2f} {s.currency}")],
            tables=[_Table("lines", "Per namespace", _COLUMNS, rows,
                           "Unassigned idle: "
                           f"{s.unassigned_idle_cost:,.2f} {s.currency}")],
        )
