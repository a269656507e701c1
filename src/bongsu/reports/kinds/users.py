"""The service users report: DAU / WAU / MAU and active users at the period's end, and
distinct users per UTC day — ``bongsu.users.users_report``, the figures of
``GET /api/v1/users`` for the same window (an estimate says its error bound)."""

from __future__ import annotations

from bongsu.reports.kinds.performance import day, period_text
from bongsu.reports.model import Cell, Progress, Report, ReportRequest, Sources, Table
from bongsu.users.counts import Count, users_report


def _shown(c: Count) -> str:
    if c.exact:
        return f"{c.users:,}"
    return f"≈ {c.users:,} (±{(c.error_bound or 0) * 100:.2f} %)"


class Users:
    name = "users"
    title = "Service users"
    needs_service = False

    def build(self, sources: Sources, request: ReportRequest, progress: Progress) -> Report:
        r = users_report(sources.queries.reads, request.tenant, request.service,
                         request.from_us, request.to_us)
        progress(1.0)
        daily: list[list[Cell]] = [[day(p.ts_us // 1000), p.count.users,
                                    "yes" if p.count.exact else "estimate"] for p in r.daily]
        return Report(
            kind=self.name,
            title=f"Service users — {request.service or 'all services'}",
            period=period_text(request.from_us, request.to_us),
            figures=[("DAU", _shown(r.dau)), ("WAU", _shown(r.wau)), ("MAU", _shown(r.mau)),
                     ("Active (5 min)", _shown(r.active))],
            tables=[Table("daily", "Distinct users per UTC day", ["day", "users", "exact"],
                          daily)],
        )
