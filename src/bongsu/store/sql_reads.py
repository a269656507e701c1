"""The read side of every SQL backend (:class:`bongsu.store.reads.Reads`), written once:
parameters, the choice of table and fragment, rows mapped to records.

A backend subclasses :class:`SQLReads` and gives what differs between SQL dialects: where
its statements come from (:meth:`SQLReads._sql`, one ``.sql`` file per read in the
backend's ``sql/`` directory), how it runs one (:meth:`SQLReads._run`, under the store's
time limit and row cap), how a bound parameter is written (:meth:`SQLReads._p`) and the
few expressions the reads compose (a JSON attribute, a case-blind substring, aggregates).
The ``.sql`` files of every backend return the same columns in the same order, with the
same explicit tie-breaks, so every backend gives the same rows. Only fixed text is
formatted into SQL; every value is a bound parameter.

Example::

    class MyReads(SQLReads):
        def _sql(self, name: str) -> str: ...
        def _run(self, statement: str, params: dict[str, Any]) -> list[tuple[Any, ...]]: ...
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

from bongsu.kube import metric_names as kube_metrics
from bongsu.kube.model import CountPoint, Episode
from bongsu.store.reads import (
    Agg,
    BucketRow,
    BucketSearch,
    CaptureRecord,
    ClusterTrafficPoint,
    ConnectionPool,
    DatabaseCaller,
    DatabaseFigures,
    EdgeFigures,
    EndpointFigures,
    EndpointOrder,
    EventMatch,
    EventSearch,
    Figures,
    GroupFigures,
    GroupLabels,
    GroupPoint,
    HeatmapCell,
    HostInstance,
    HostMetricStat,
    HostMetricStep,
    IngressFigures,
    InstanceFigures,
    InstanceLabel,
    Level,
    LogRecord,
    LogSearch,
    MetricName,
    MetricPoint,
    MetricSearch,
    NameMatch,
    PodLink,
    Resolution,
    SeriesPoint,
    ServiceFigures,
    SeverityCount,
    SlowCall,
    SpanRecord,
    StatementFigures,
    StatementOrder,
    StatementPoint,
    StatusPoint,
    TraceSearch,
    TraceSummary,
    TransactionRow,
    UserSketchRow,
    ViewResolution,
)
from bongsu.store.rollup import HEATMAP_GROUP
from bongsu.synthetics.model import CheckResult

ROLLUP_TABLES: dict[int, str] = {10: "rollup_10s", 60: "rollup_1m"}

# Attribute names held in span columns (the decoder's semantic-convention mapping), so a
# search on them reads the column rather than the JSON text; a number column is compared
# as text, as the attribute's value is given.
ATTRIBUTE_COLUMNS: dict[str, str] = {
    "http.request.method": "http_method",
    "http.method": "http_method",
    "http.route": "http_route",
    "http.response.status_code": "http_status",
    "http.status_code": "http_status",
    "db.system": "db_system",
    "db.system.name": "db_system",
    "db.name": "db_name",
    "db.namespace": "db_name",
    "db.statement": "db_statement",
    "db.query.text": "db_statement",
    "server.address": "peer",
    "net.peer.name": "peer",
    "enduser.id": "user_id",
    "service.name": "service",
    "service.instance.id": "instance",
    "k8s.cluster.name": "cluster",
    "k8s.namespace.name": "namespace",
}
NUMBER_COLUMNS = frozenset({"http_status"})

_MINUTE_US = 60_000_000
_DB_TABLES: dict[int, str] = {60: "db_statements_1m", 3600: "db_statements_1h"}
_WEB_TABLES: dict[int, str] = {60: "web_1m", 3600: "web_1h"}
# Ranking expressions of db_statements.sql / web_endpoints.sql (ties: fingerprint / names).
_STATEMENT_ORDER: dict[str, str] = {"total": "f.s DESC", "calls": "f.n DESC",
                                    "p95": "f.p95 DESC, f.s DESC", "errors": "f.e DESC, f.n DESC"}
_ENDPOINT_ORDER: dict[str, str] = {"total": "s DESC", "calls": "n DESC",
                                   "p95": "p95 DESC, s DESC", "errors": "e DESC, n DESC"}


class SQLReads:
    """:class:`bongsu.store.reads.Reads` over SQL, bounded by ``timeout_s`` and ``max_rows``;
    a subclass gives the backend's statements, runner and dialect."""

    # Aggregates of metric_series.sql over a step's points (columns v, value, sum, count,
    # ts_us), and of the series of a group (kube_metric_by_attribute.sql, metric_buckets.sql:
    # each series is one value v at ts_us). Ties of "last" go to the larger value.
    METRIC_AGGS: ClassVar[Mapping[str, str]]
    GROUP_AGGS: ClassVar[Mapping[str, str]]
    NULL_TEXT: ClassVar[str]  # a NULL of the text type
    # figures_by*.sql: keeps the instances the instances table saw in [seen_start, seen_end).
    SEEN: ClassVar[str]

    def __init__(self, store: Any, timeout_s: float, max_rows: int) -> None:
        self._store = store
        self._timeout_s = timeout_s
        self._max_rows = max_rows

    # -- what a backend gives ----------------------------------------------------------------

    def _sql(self, name: str) -> str:
        """The text of the backend's ``sql/<name>.sql``."""
        raise NotImplementedError

    def _run(self, statement: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """The rows of one statement, under the time limit and the row cap."""
        return self._store.run(  # type: ignore[no-any-return]
            statement, params, self._timeout_s, self._max_rows)

    @staticmethod
    def _p(name: str) -> str:
        """The bound parameter ``name`` as the dialect writes it."""
        raise NotImplementedError

    @classmethod
    def _attribute(cls, column: str, param: str) -> str:
        """The text value of the attribute named by parameter ``param`` in JSON ``column``."""
        raise NotImplementedError

    @staticmethod
    def _key(key: str) -> str:
        """The parameter value that names attribute ``key`` for :meth:`_attribute`."""
        raise NotImplementedError

    @staticmethod
    def _text(column: str) -> str:
        """A number column as text."""
        raise NotImplementedError

    @classmethod
    def _contains(cls, column: str, param: str) -> str:
        """Whether ``column`` holds parameter ``param``, ignoring case."""
        raise NotImplementedError

    @classmethod
    def _starts_with(cls, column: str, param: str) -> str:
        """Whether ``column`` starts with parameter ``param``."""
        raise NotImplementedError

    @classmethod
    def _in_list(cls, column: str, param: str) -> str:
        """Whether ``column`` is an element of the list parameter ``param``."""
        raise NotImplementedError

    @staticmethod
    def _blob(value: Any) -> bytes:
        """A binary column's value as read back."""
        return bytes(value)

    def _edge_params(self) -> dict[str, Any]:
        """Parameters the backend's edges_*.sql take besides tenant and window."""
        return {}

    def _users(self, key: str) -> str:
        """figures_by*.sql's ``{users}``: the distinct users per group since users_start."""
        p = self._p
        return f""",
u AS (
    SELECT {key}, count(DISTINCT user_id) AS users
    FROM spans
    WHERE tenant = {p("tenant")} AND ts_us >= {p("users_start")} AND ts_us < {p("end")}
      AND user_id IS NOT NULL
    GROUP BY {key}
)"""

    # -- the reads -----------------------------------------------------------------------

    def ping(self) -> None:
        self._run("SELECT 1", {})

    def service_exists(self, tenant: str, service: str) -> bool:
        rows = self._run(self._sql("service_exists"), {"tenant": tenant, "service": service})
        return bool(rows)

    def services(
        self, tenant: str, start_us: int, end_us: int, resolution: Resolution,
        users_since_us: int, instance: str | None = None,
    ) -> list[ServiceFigures]:
        rows = self._run(
            self._sql("services").format(rollup=ROLLUP_TABLES[resolution]),
            {"tenant": tenant, "start": start_us, "end": end_us, "users_start": users_since_us,
             "instance": instance},
        )
        return [
            ServiceFigures(r[0], _figures(r[1:9]), int(r[9]), int(r[10]), tuple(r[11] or ()))
            for r in rows
        ]

    def figures_by(
        self, tenant: str, start_us: int, end_us: int, resolution: Resolution, by: Level,
        percentiles: bool = False, users_since_us: int | None = None,
        seen: tuple[int, int] | None = None,
    ) -> list[GroupFigures]:
        key = "service" if by == "service" else "service, instance"
        params: dict[str, Any] = {"tenant": tenant, "start": start_us, "end": end_us}
        users = users_since_us is not None
        if users:
            params["users_start"] = users_since_us
        if seen is not None and by == "instance":
            params["seen_start"], params["seen_end"] = seen
        statement = self._sql("figures_by_buckets" if percentiles else "figures_by").format(
            key=key, rollup=ROLLUP_TABLES[resolution],
            instance="f.instance" if by == "instance" else "NULL",
            users=self._users(key) if users else "",
            users_join=f" LEFT JOIN u USING ({key})" if users else "",
            users_column="coalesce(u.users, 0)" if users else "NULL",
            seen=self.SEEN if "seen_start" in params else "",
        )
        return [
            GroupFigures(r[0], r[1], _figures(r[2:10]), None if r[10] is None else int(r[10]))
            for r in self._run(statement, params)
        ]

    def service_series(
        self, tenant: str, service: str, start_us: int, end_us: int, resolution: Resolution,
        step_us: int, instance: str | None = None,
    ) -> list[SeriesPoint]:
        rows = self._run(
            self._sql("service_series").format(rollup=ROLLUP_TABLES[resolution]),
            {"tenant": tenant, "service": service, "start": start_us, "end": end_us,
             "step": step_us, "instance": instance},
        )
        return [SeriesPoint(int(r[0]), _figures(r[1:9])) for r in rows]

    def heatmap(
        self, tenant: str, service: str, start_us: int, end_us: int, resolution: Resolution,
        step_us: int, instance: str | None = None,
    ) -> list[HeatmapCell]:
        rows = self._run(
            self._sql("heatmap").format(rollup=ROLLUP_TABLES[resolution], group=HEATMAP_GROUP),
            {"tenant": tenant, "service": service, "start": start_us, "end": end_us,
             "step": step_us, "instance": instance},
        )
        return [HeatmapCell(int(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in rows]

    def transactions(
        self, tenant: str, service: str, start_us: int, end_us: int, min_us: int, max_us: int,
        errors_only: bool, limit: int, instance: str | None = None,
    ) -> list[TransactionRow]:
        rows = self._run(
            self._sql("transactions"),
            {"tenant": tenant, "service": service, "start": start_us, "end": end_us,
             "min_us": min_us, "max_us": max_us, "errors_only": errors_only, "limit": limit,
             "instance": instance},
        )
        return [TransactionRow(*r) for r in rows]

    def instance_labels(self, tenant: str, instances: Sequence[str]) -> list[InstanceLabel]:
        if not instances:
            return []  # an empty list parameter has no element type to bind
        rows = self._run(self._sql("instance_labels"), {"tenant": tenant, "ids": list(instances)})
        return [InstanceLabel(*r) for r in rows]

    def instances(
        self, tenant: str, service: str | None, start_us: int, end_us: int, rate_start_us: int
    ) -> list[InstanceFigures]:
        rows = self._run(
            self._sql("instances"),
            {"tenant": tenant, "service": service, "start": start_us, "end": end_us,
             "rate_start": rate_start_us},
        )
        return [
            InstanceFigures(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5]))
            for r in rows
        ]

    def edges(self, tenant: str, start_us: int, end_us: int, level: Level) -> list[EdgeFigures]:
        rows = self._run(
            self._sql(f"edges_{level}"),
            {"tenant": tenant, "start": start_us, "end": end_us, **self._edge_params()},
        )
        return [
            EdgeFigures(r[0], r[1], r[2], r[3], r[4], int(r[5]), int(r[6]), int(r[7]))
            for r in rows
        ]

    def find_traces(self, tenant: str, search: TraceSearch) -> list[TraceSummary]:
        p = self._p
        where = _Filters(tenant=tenant, start=search.start_us, end=search.end_us,
                         limit=search.limit)
        if search.service is not None:
            where.add(f"service = {p('service')}", service=search.service)
        if search.name is not None:
            where.add(f"name = {p('name')}", name=search.name)
        if search.error is not None:
            where.add("is_error" if search.error else "NOT is_error")
        if search.min_us is not None:
            where.add(f"duration_us >= {p('min_us')}", min_us=search.min_us)
        if search.max_us is not None:
            where.add(f"duration_us <= {p('max_us')}", max_us=search.max_us)
        for i, (key, value) in enumerate(search.attributes):
            column = ATTRIBUTE_COLUMNS.get(key)
            if column is None:
                where.add(f"{self._attribute('attributes', f'path{i}')} = {p(f'value{i}')}",
                          **{f"path{i}": self._key(key), f"value{i}": value})
            else:
                text = self._text(column) if column in NUMBER_COLUMNS else column
                where.add(f"{text} = {p(f'value{i}')}", **{f"value{i}": value})
        statement = self._sql("trace_search").format(filters=where.sql())
        rows = self._run(statement, where.params)
        return [
            TraceSummary(r[0], r[1], r[2], r[3], int(r[4]), int(r[5]), int(r[6]), bool(r[7]))
            for r in rows
        ]

    def trace_spans(self, tenant: str, trace_hi: int, trace_lo: int) -> list[SpanRecord]:
        rows = self._run(
            self._sql("trace_spans"), {"tenant": tenant, "trace_hi": trace_hi, "trace_lo": trace_lo}
        )
        return [SpanRecord(*r) for r in rows]

    def logs(self, tenant: str, search: LogSearch) -> list[LogRecord]:
        p = self._p
        where = _Filters(tenant=tenant, start=search.start_us, end=search.end_us,
                         limit=search.limit)
        if search.service is not None:
            where.add(f"service = {p('service')}", service=search.service)
        if search.trace is not None:
            trace_hi, trace_lo = search.trace
            where.add(f"trace_hi = {p('trace_hi')} AND trace_lo = {p('trace_lo')}",
                      trace_hi=trace_hi, trace_lo=trace_lo)
        if search.min_severity is not None:
            where.add(f"severity_number >= {p('severity')}", severity=search.min_severity)
        if search.text is not None:
            where.add(self._contains("body", "text"), text=search.text)
        statement = self._sql("logs").format(filters=where.sql())
        return [LogRecord(*r) for r in self._run(statement, where.params)]

    def captures(self, tenant: str, service: str | None, instance: str | None,
                 kind: str | None, limit: int, start_us: int | None = None,
                 end_us: int | None = None) -> list[CaptureRecord]:
        rows = self._run(
            self._sql("captures"),
            {"tenant": tenant, "service": service, "instance": instance, "kind": kind,
             "limit": limit, "start": start_us, "end": end_us},
        )
        return [CaptureRecord(*r) for r in rows]

    def capture(self, tenant: str, capture_id: str) -> CaptureRecord | None:
        rows = self._run(self._sql("capture"), {"tenant": tenant, "id": capture_id})
        return CaptureRecord(*rows[0]) if rows else None

    def user_sketches(
        self, tenant: str, width: Literal["minute", "day"], start_us: int, end_us: int,
        service: str | None = None, every_us: int | None = None, within_us: int = 0,
    ) -> list[UserSketchRow]:
        table = "users_1m" if width == "minute" else "users_1d"
        rows = self._run(
            self._sql("user_sketches").format(table=table),
            {"tenant": tenant, "start": start_us, "end": end_us, "service": service,
             "every": every_us, "within": within_us},
        )
        return [UserSketchRow(r[0], r[1], self._blob(r[2])) for r in rows]

    def check_results(self, tenant: str, check_id: str, start_us: int, end_us: int,
                      limit: int) -> list[CheckResult]:
        rows = self._run(self._sql("check_results"), {"tenant": tenant, "check_id": check_id,
                                                "start": start_us, "end": end_us,
                                                "limit": limit})
        return [CheckResult(*r) for r in rows]

    def latest_check_results(self, tenant: str, check_ids: Sequence[str] | None
                             ) -> list[CheckResult]:
        params: dict[str, Any] = {"tenant": tenant}
        ids = ""
        if check_ids is not None:
            if not check_ids:
                return []  # an empty list parameter has no element type to bind
            ids = f" AND {self._in_list('check_id', 'ids')}"
            params["ids"] = list(check_ids)
        rows = self._run(self._sql("check_latest").format(ids=ids), params)
        return [CheckResult(*r) for r in rows]

    def metric_names(self, tenant: str, start_us: int, end_us: int) -> list[MetricName]:
        rows = self._run(
            self._sql("metric_names"), {"tenant": tenant, "start": start_us, "end": end_us}
        )
        return [MetricName(r[0], r[1], r[2], int(r[3])) for r in rows]

    def metric_series(self, tenant: str, search: MetricSearch) -> list[MetricPoint]:
        rows = self._run(
            self._sql("metric_series").format(agg=self.METRIC_AGGS[search.agg]),
            {"tenant": tenant, "name": search.name, "start": search.start_us,
             "end": search.end_us, "step": search.step_us, "service": search.service,
             "instance": search.instance},
        )
        return [MetricPoint(int(r[0]), None if r[1] is None else float(r[1])) for r in rows]

    def kube_events(self, tenant: str, search: EventSearch) -> list[Episode]:
        p = self._p
        where = _Filters(tenant=tenant, start=search.start_us, end=search.end_us,
                         limit=search.limit)
        for column in ("cluster", "namespace", "kind", "reason", "severity", "service", "pod"):
            value = getattr(search, column)
            if value is not None:
                where.add(f"{column} = {p(column)}", **{column: value})
        if search.object is not None:
            where.add(self._starts_with("object_name", "object"), object=search.object)
        if search.q is not None:
            where.add("(" + " OR ".join(self._contains(c, "q")
                                        for c in ("summary", "message", "object_name")) + ")",
                      q=search.q)
        rows = self._run(self._sql("kube_events").format(filters=where.sql()), where.params)
        return [_episode(r) for r in rows]

    def kube_event(self, tenant: str, id: str) -> tuple[Episode, list[CountPoint]] | None:
        params = {"tenant": tenant, "id": id}
        rows = self._run(self._sql("kube_event"), params)
        if not rows:
            return None
        counts = self._run(self._sql("kube_event_counts"), params)
        return _episode(rows[0]), [CountPoint(int(ts), int(n)) for ts, n in counts]

    def kube_recent_episodes(self, tenant: str, cluster: str, since_us: int) -> list[Episode]:
        rows = self._run(self._sql("kube_recent"),
                         {"tenant": tenant, "cluster": cluster, "since": since_us})
        return [_episode(r) for r in rows]

    def kube_severity_counts(self, tenant: str, start_us: int, end_us: int
                             ) -> list[SeverityCount]:
        rows = self._run(self._sql("kube_severity_counts"),
                         {"tenant": tenant, "start": start_us, "end": end_us})
        return [SeverityCount(r[0], r[1], int(r[2])) for r in rows]

    def ingress_traffic(self, tenant: str, start_us: int, end_us: int, cluster: str | None,
                        namespace: str | None) -> list[IngressFigures]:
        names = {"requests": kube_metrics.INGRESS_REQUESTS, "e4xx": kube_metrics.INGRESS_4XX,
                 "e5xx": kube_metrics.INGRESS_5XX,
                 "latency_avg": kube_metrics.INGRESS_LATENCY_AVG,
                 "latency_p95": kube_metrics.INGRESS_LATENCY_P95}
        rows = self._run(self._sql("kube_ingress_traffic"), {
            "tenant": tenant, "start": start_us, "end": end_us, "cluster": cluster,
            "namespace": namespace, "names": list(names.values()), **names})
        return [IngressFigures(*r[:7], *(None if v is None else float(v) for v in r[7:]))
                for r in rows]

    def pod_links(self, tenant: str, since_us: int) -> list[PodLink]:
        rows = self._run(self._sql("kube_pod_links"), {"tenant": tenant, "since": since_us})
        return [PodLink(*r) for r in rows]

    def cluster_traffic(
        self, tenant: str, service: str | None, start_us: int, end_us: int, step_us: int
    ) -> list[ClusterTrafficPoint]:
        rollup = ROLLUP_TABLES[60 if step_us % _MINUTE_US == 0 else 10]
        rows = self._run(
            self._sql("kube_cluster_traffic").format(rollup=rollup),
            {"tenant": tenant, "service": service, "start": start_us, "end": end_us,
             "step": step_us},
        )
        return [ClusterTrafficPoint(int(r[0]), r[1], int(r[2]), int(r[3])) for r in rows]

    def metric_by_attribute(
        self, tenant: str, name: str, attribute: str, start_us: int, end_us: int,
        step_us: int, agg: Agg, service: str | None = None,
        filters: Mapping[str, str] | None = None,
    ) -> list[GroupPoint]:
        where = _Filters(tenant=tenant, name=name, start=start_us, end=end_us, step=step_us,
                         service=service, path=self._key(attribute))
        for i, (key, value) in enumerate(sorted((filters or {}).items())):
            where.add(f"{self._attribute('attributes', f'fpath{i}')} = {self._p(f'fvalue{i}')}",
                      **{f"fpath{i}": self._key(key), f"fvalue{i}": value})
        statement = self._sql("kube_metric_by_attribute").format(filters=where.sql(),
                                                           agg=self.GROUP_AGGS[agg])
        rows = self._run(statement, where.params)
        return [GroupPoint(int(r[0]), r[1], None if r[2] is None else float(r[2]))
                for r in rows]

    def metric_buckets(self, tenant: str, search: BucketSearch) -> list[BucketRow]:
        where = _Filters(tenant=tenant, name=search.name, start=search.start_us,
                         end=search.end_us, step=search.step_us, bucket=search.bucket_us,
                         service=search.service, instance=search.instance,
                         groups=search.max_groups)
        for i, (key, value) in enumerate(sorted(search.filters)):
            where.add(f"{self._attribute('attributes', f'fpath{i}')} = {self._p(f'fvalue{i}')}",
                      **{f"fpath{i}": self._key(key), f"fvalue{i}": value})
        if search.group_by in ("service", "instance"):
            group = search.group_by
        elif search.group_by is None:
            group = self.NULL_TEXT
        else:
            group = self._attribute("attributes", "path")
            where.params["path"] = self._key(search.group_by)
        statement = self._sql("metric_buckets").format(filters=where.sql(), group=group,
                                                 agg=self.GROUP_AGGS[search.agg])
        return [BucketRow(int(r[0]), r[1], float(r[2]), float(r[3]), float(r[4]), int(r[5]))
                for r in self._run(statement, where.params)]

    def transaction_buckets(self, tenant: str, search: BucketSearch) -> list[BucketRow]:
        if search.group_by not in ("service", "instance", None):
            raise ValueError(f"group_by: service, instance or None, not {search.group_by!r}")
        group = search.group_by or self.NULL_TEXT
        rows = self._run(self._sql("transaction_buckets").format(group=group), {
            "tenant": tenant, "start": search.start_us, "end": search.end_us,
            "step": search.step_us, "bucket": search.bucket_us, "service": search.service,
            "instance": search.instance, "groups": search.max_groups,
            "seconds": search.step_us / 1e6})
        return [BucketRow(int(r[0]), r[1], float(r[2]), float(r[3]), float(r[4]), int(r[5]))
                for r in rows]

    # -- database and web views (rollups of migrations/0009) -----------------------------

    def databases(self, tenant: str, start_us: int, end_us: int,
                  resolution: ViewResolution = 60) -> list[DatabaseFigures]:
        rows = self._run(self._sql("db_list").format(table=_DB_TABLES[resolution]),
                         {"tenant": tenant, "start": start_us, "end": end_us})
        return [DatabaseFigures(r[0], r[1], r[2], r[3], int(r[4]), int(r[5]), int(r[6]),
                                int(r[7]), _bucket(r[8]), _bucket(r[9])) for r in rows]

    def database_callers(self, tenant: str, start_us: int, end_us: int,
                         resolution: ViewResolution = 60) -> list[DatabaseCaller]:
        rows = self._run(self._sql("db_callers").format(table=_DB_TABLES[resolution]),
                         {"tenant": tenant, "start": start_us, "end": end_us})
        return [DatabaseCaller(r[0], r[1], int(r[2]), int(r[3]), int(r[4])) for r in rows]

    def database_exists(self, tenant: str, db: str) -> bool:
        return bool(self._run(self._sql("database_exists"), {"tenant": tenant, "db": db}))

    def db_statements(self, tenant: str, db: str, start_us: int, end_us: int,
                      order: StatementOrder, limit: int, resolution: ViewResolution = 60
                      ) -> list[StatementFigures]:
        rows = self._run(self._sql("db_statements").format(order=_STATEMENT_ORDER[order],
                                                      table=_DB_TABLES[resolution]),
                         {"tenant": tenant, "db": db, "start": start_us, "end": end_us,
                          "limit": limit})
        return [StatementFigures(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5]),
                                 _bucket(r[6]), _bucket(r[7]), r[8]) for r in rows]

    def db_statement_text(self, tenant: str, db: str, fingerprint: str) -> str | None:
        rows = self._run(self._sql("db_statement_text"),
                         {"tenant": tenant, "db": db, "fingerprint": fingerprint})
        return str(rows[0][0]) if rows else None

    def db_statement_series(self, tenant: str, db: str, fingerprint: str, start_us: int,
                            end_us: int, step_us: int, resolution: ViewResolution = 60
                            ) -> list[StatementPoint]:
        rows = self._run(self._sql("db_statement_series").format(table=_DB_TABLES[resolution]),
                         {"tenant": tenant, "db": db, "fingerprint": fingerprint,
                          "start": start_us, "end": end_us, "step": step_us})
        return [StatementPoint(int(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4]),
                               _bucket(r[5])) for r in rows]

    def db_slow_calls(self, tenant: str, db: str, fingerprint: str, start_us: int,
                      end_us: int, limit: int, resolution: ViewResolution = 60
                      ) -> list[SlowCall]:
        rows = self._run(self._sql("db_slow_calls").format(table=_DB_TABLES[resolution]),
                         {"tenant": tenant, "db": db, "fingerprint": fingerprint,
                          "start": start_us, "end": end_us, "limit": limit})
        return [SlowCall(int(r[0]), r[1], int(r[2]), r[3]) for r in rows]

    def db_connections(self, tenant: str, start_us: int, end_us: int
                       ) -> list[ConnectionPool]:
        rows = self._run(self._sql("db_connections"),
                         {"tenant": tenant, "start": start_us, "end": end_us})
        return [ConnectionPool(r[0], r[1], float(r[2]), float(r[3]), int(r[4]))
                for r in rows]

    def web_endpoints(self, tenant: str, start_us: int, end_us: int, service: str | None,
                      order: EndpointOrder, limit: int, resolution: ViewResolution = 60
                      ) -> list[EndpointFigures]:
        rows = self._run(self._sql("web_endpoints").format(order=_ENDPOINT_ORDER[order],
                                                     table=_WEB_TABLES[resolution]),
                         {"tenant": tenant, "start": start_us, "end": end_us,
                          "service": service, "limit": limit})
        return [EndpointFigures(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5]),
                                int(r[6]), _bucket(r[7]), _bucket(r[8])) for r in rows]

    def web_statuses(self, tenant: str, start_us: int, end_us: int, step_us: int,
                     service: str | None, resolution: ViewResolution = 60
                     ) -> list[StatusPoint]:
        rows = self._run(self._sql("web_statuses").format(table=_WEB_TABLES[resolution]),
                         {"tenant": tenant, "start": start_us, "end": end_us,
                          "step": step_us, "service": service})
        return [StatusPoint(int(r[0]), None if r[1] is None else int(r[1]), int(r[2]))
                for r in rows]

    def host_instances(self, tenant: str, start_us: int, end_us: int,
                       host: str | None = None) -> list[HostInstance]:
        rows = self._run(self._sql("host_instances"),
                         {"tenant": tenant, "start": start_us, "end": end_us, "host": host})
        return [HostInstance(r[0], r[1], r[2], r[3], r[4], r[5], int(r[6])) for r in rows]

    def host_exists(self, tenant: str, host: str) -> bool:
        return bool(self._run(self._sql("host_exists"), {"tenant": tenant, "host": host}))

    def host_metric_stats(self, tenant: str, start_us: int, end_us: int,
                          names: Sequence[str], host: str | None = None
                          ) -> list[HostMetricStat]:
        rows = self._run(self._sql("host_metric_stats"),
                         {"tenant": tenant, "start": start_us, "end": end_us,
                          "names": list(names), "host": host})
        return [HostMetricStat(r[0], r[1], r[2], r[3], r[4], int(r[5]), r[6], int(r[7]),
                               r[8], r[9], int(r[10])) for r in rows]

    def host_metric_steps(self, tenant: str, host: str, start_us: int, end_us: int,
                          step_us: int, names: Sequence[str]) -> list[HostMetricStep]:
        rows = self._run(self._sql("host_metric_steps"),
                         {"tenant": tenant, "host": host, "start": start_us, "end": end_us,
                          "step": step_us, "names": list(names)})
        return [HostMetricStep(r[0], r[1], r[2], r[3], int(r[4]), int(r[5]), r[6])
                for r in rows]

    def group_labels(self, tenant: str, start_us: int, end_us: int) -> list[GroupLabels]:
        rows = self._run(self._sql("group_labels"),
                         {"tenant": tenant, "start": start_us, "end": end_us})
        return [GroupLabels(*r) for r in rows]

    def search_names(self, tenant: str, text: str, since_us: int, limit: int
                     ) -> list[NameMatch]:
        params = {"tenant": tenant, "q": text, "since": since_us, "limit": limit}
        names = [NameMatch(r[0], r[1], r[2], r[3], int(r[4]))
                 for r in self._run(self._sql("search_names"), params)]
        views = [NameMatch(r[0], r[1], r[2], None, int(r[3]))
                 for r in self._run(self._sql("search_views"), params)]
        return sorted(names + views, key=lambda m: (m.rank, len(m.label), m.kind, m.label))

    def search_events(self, tenant: str, text: str, since_us: int, limit: int
                      ) -> list[EventMatch]:
        rows = self._run(self._sql("search_events"),
                         {"tenant": tenant, "q": text, "since": since_us, "limit": limit})
        return [EventMatch(r[0], r[1], r[2], r[3], r[4], r[5], r[6], int(r[7])) for r in rows]


def _bucket(value: Any) -> int | None:
    return None if value is None else int(value)


def _episode(r: tuple[Any, ...]) -> Episode:
    return Episode(
        id=r[0], tenant=r[1], cluster=r[2], namespace=r[3], object_kind=r[4],
        object_name=r[5], kind=r[6], reason=r[7], severity=r[8], summary=r[9], message=r[10],
        count=int(r[11]), first_seen_us=int(r[12]), last_seen_us=int(r[13]), component=r[14],
        source=r[15], service=r[16], pod=r[17], container=r[18], node=r[19], raw=r[20],
    )


def _figures(r: tuple[Any, ...]) -> Figures:
    return Figures(
        transactions=int(r[0]), errors=int(r[1]), sum_us=int(r[2]), satisfied=int(r[3]),
        tolerating=int(r[4]),
        p50_bucket=None if r[5] is None else int(r[5]),
        p95_bucket=None if r[6] is None else int(r[6]),
        p99_bucket=None if r[7] is None else int(r[7]),
    )


class _Filters:
    """Optional SQL conditions and their bound parameters, for a template's ``{filters}``.

    Only fixed clause text is formatted into SQL; every value is a bound parameter.
    """

    def __init__(self, **params: Any) -> None:
        self.params: dict[str, Any] = params
        self._clauses: list[str] = []

    def add(self, clause: str, **params: Any) -> None:
        self._clauses.append(clause)
        self.params.update(params)

    def sql(self) -> str:
        return "".join(f" AND {c}" for c in self._clauses)
