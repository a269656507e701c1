"""The performance report: per service and UTC day, TPS, error rate, p95 and APDEX; the
slowest endpoints and the top errors; notable Kubernetes events and alerts.

The daily figures are the query service's ``service_series`` at a one-day step, so they
equal what ``GET /api/v1/services/{service}/series?step=86400`` answers for the window.
Slowest endpoints are the transactions at or above the window's p95 grouped by name;
top errors the error transactions grouped by name and HTTP status — both read through
``Reads.transactions`` with the API's row cap (a cut-short read says so in its table note).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

from bongsu.query.window import Window
from bongsu.reports.model import Cell, Progress, Report, ReportRequest, Sources, Table
from bongsu.store.reads import EventSearch
from bongsu.store.rollup import bucket_low_us, bucket_of

DAY_S = 86_400
TOP = 10
NOTABLE = ("critical", "warning")
_FOREVER_US = 10**15


def day(ts_ms: int) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, UTC).strftime("%Y-%m-%d")


def stamp(us: int) -> str:
    return datetime.fromtimestamp(us / 1e6, UTC).strftime("%Y-%m-%d %H:%M")


def period_text(from_us: int, to_us: int) -> str:
    return f"{stamp(from_us)} to {stamp(to_us)} UTC"


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


class Performance:
    name = "performance"
    title = "Performance"
    needs_service = False

    def build(self, sources: Sources, request: ReportRequest, progress: Progress) -> Report:
        queries = sources.queries
        window = Window(request.from_us, request.to_us)
        overview = queries.services(request.tenant, window)["services"]
        names = [s["name"] for s in overview]
        if request.service is not None:
            names = [request.service]
        totals = {s["name"]: s for s in overview}
        daily: list[list[Cell]] = []
        slow: list[list[Cell]] = []
        errors: list[list[Cell]] = []
        cap = queries.max_rows
        cut: list[str] = []
        for i, service in enumerate(names):
            series = queries.service_series(request.tenant, service, window, DAY_S)
            for p in series["points"]:
                daily.append([service, day(p["ts"]), p["transactions"], _r(p["tps"], 3),
                              p["errors"], _r(p["error_rate"], 4), _r(p["p95_ms"], 1),
                              _r(p["apdex"], 3)])
            p95 = (totals.get(service) or {}).get("p95_ms")
            slow_rows, slow_cut = self._slowest(sources, request, service, p95, cap)
            slow += slow_rows
            err_rows, err_cut = self._errors(sources, request, service, cap)
            errors += err_rows
            if slow_cut or err_cut:
                cut.append(service)
            progress((i + 1) / (len(names) + 1))
        slow = sorted(slow, key=lambda r: (-float(r[3] or 0), str(r[0]), str(r[1])))[:TOP]
        errors = sorted(errors, key=lambda r: (-int(r[3] or 0), str(r[0]), str(r[1])))[:TOP]
        events = self._events(sources, request)
        alerts = self._alerts(sources, request)
        progress(1.0)
        total = [totals[n] for n in names if n in totals]
        tx = sum(s["transactions"] for s in total)
        err = sum(s["errors"] for s in total)
        note = (f"At most {cap} transactions read per service; cut short for "
                f"{', '.join(cut)}." if cut else "")
        subject = request.service or "all services"
        return Report(
            kind=self.name,
            title=f"Performance report — {subject}",
            period=period_text(request.from_us, request.to_us),
            figures=[("Services", str(len(names))), ("Transactions", f"{tx:,}"),
                     ("Errors", f"{err:,}"),
                     ("Error rate", f"{(err / tx if tx else 0.0) * 100:.2f} %")],
            tables=[
                Table("daily", "Per service and day",
                      ["service", "day", "transactions", "tps", "errors", "error_rate",
                       "p95_ms", "apdex"], daily),
                Table("slowest", "Slowest endpoints (transactions in or above their "
                      "service's p95 bucket)",
                      ["service", "endpoint", "slow_transactions", "max_ms", "avg_ms"],
                      slow, note),
                Table("errors", "Top errors", ["service", "endpoint", "http_status",
                                               "errors"], errors, note),
                Table("events", "Notable Kubernetes events (critical and warning)",
                      ["first_seen", "severity", "cluster", "namespace", "object", "reason",
                       "count", "summary"], events),
                Table("alerts", "Alerts", ["at", "rule", "state", "service", "summary"],
                      alerts),
            ],
        )

    def _slowest(self, sources: Sources, request: ReportRequest, service: str,
                 p95_ms: float | None, cap: int) -> tuple[list[list[Cell]], bool]:
        if p95_ms is None:
            return [], False
        # The p95 is a bucket's midpoint: read from the bucket's lower bound, so the
        # transactions that made the p95 are in.
        low_us = int(bucket_low_us(bucket_of(p95_ms * 1000)))
        rows = sources.queries.reads.transactions(
            request.tenant, service, request.from_us, request.to_us, low_us, _FOREVER_US,
            False, cap)
        by: dict[str, list[float]] = defaultdict(list)
        for r in rows:
            by[r.name].append(r.duration_us / 1000)
        ranked = sorted(by.items(), key=lambda kv: (-max(kv[1]), kv[0]))[:TOP]
        return [[service, name, len(d), round(max(d), 1), round(sum(d) / len(d), 1)]
                for name, d in ranked], len(rows) >= cap

    def _errors(self, sources: Sources, request: ReportRequest, service: str,
                cap: int) -> tuple[list[list[Cell]], bool]:
        rows = sources.queries.reads.transactions(
            request.tenant, service, request.from_us, request.to_us, 0, _FOREVER_US, True, cap)
        counts = Counter((r.name, r.http_status) for r in rows)
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1] or 0))[:TOP]
        return [[service, name, status, n] for (name, status), n in ranked], len(rows) >= cap

    def _events(self, sources: Sources, request: ReportRequest) -> list[list[Cell]]:
        search = EventSearch(request.from_us, request.to_us, 500, service=request.service)
        found: list[dict[str, Any]] = [
            e for e in sources.queries.kube_events(request.tenant, search)["events"]
            if e["severity"] in NOTABLE][:50]
        return [[stamp(e["first_seen"] * 1000), e["severity"], e["cluster"], e["namespace"],
                 f"{e['object_kind']}/{e['object_name']}", e["reason"], e["count"],
                 e["summary"]] for e in found]

    def _alerts(self, sources: Sources, request: ReportRequest) -> list[list[Cell]]:
        if sources.alerts is None:
            return []
        names = {r.id: r.name for r in sources.alerts.list_rules(request.tenant)}
        entries = sources.alerts.history(request.tenant, request.from_us, limit=200,
                                         until_us=request.to_us - 1, service=request.service)
        out: list[list[Cell]] = []
        for e in reversed(entries):  # oldest first, as a report reads
            inst = e.transition.instance
            out.append([stamp(e.transition.at_us), names.get(inst.rule_id, inst.rule_id),
                        str(e.transition.new), inst.labels.get("service", ""),
                        inst.summary])
        return out
