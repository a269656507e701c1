"""The read side of the telemetry store: what the query service asks every backend.

Contract every backend keeps (``tests/query/test_reads_conformance.py`` checks it):

- **Tenancy.** Every method takes a tenant and returns only that tenant's rows.
- **Windows** are half-open ``[start_us, end_us)`` in epoch microseconds. Rollup-based reads
  count a rollup slot when its *start* is inside the window; callers align windows to the
  resolution they ask for (10 s or 60 s).
- **Exact sums.** Rollup and edge rows may be partial (loads append, compaction merges);
  reads always sum them, so compaction never changes an answer.
- **Percentiles** come back as duration buckets (``bongsu.store.rollup``): the nearest-rank
  bucket, i.e. the first whose running count reaches ``q * total``.
- **Bounded.** Every read runs under the backend's time limit and row cap and raises
  :class:`bongsu.errors.QueryTimeout` / :class:`bongsu.errors.TooManyRows` past them,
  never hangs.
- **Instances.** Every rollup-based read takes an optional ``instance`` (``None``: all of
  them) and narrows its figures to that instance's transactions.
- **Sources.** Dashboards read rollups (``rollup_10s`` / ``rollup_1m``) and topology reads
  the ingest-time edge table; raw spans serve only trace search and detail, the heatmap's
  drag-select list and active users; instance names come from the latest resource each
  instance sent (the ``instances`` table). The database and web views read their own
  ingest-time rollups (per minute: statements per database and caller; HTTP endpoints per
  status code), never spans; statements are grouped by :mod:`bongsu.store.statements`.
- **Hosts.** An instance's host is its ``k8s.node.name`` when it names a ``k8s.pod.name``
  (in a container ``host.name`` is the pod), else its ``host.name``. An origin without
  ``service.name`` (the OpenTelemetry Collector sending a node's host metrics) is a host's,
  not an instance: :meth:`Reads.instances`, the group labels and the service / instance
  search leave it out.
- **Kubernetes episodes** overlap a window when ``last_seen_us >= start`` and
  ``first_seen_us < end``; lists come newest ``last_seen_us`` first without ``raw``
  (``"{}"``); only :meth:`Reads.kube_event` returns it.
- **Check results** (:meth:`Reads.check_results`): a result's ``status`` (and ``state``)
  holds from its ``ts_us`` until the next result of the same check. The runner writes an
  explicit ``unknown`` row where it did not probe in time (the server was down or
  overloaded), so a span without probes is never read as the last probe's status for
  longer than one interval; a read of a window starts with the result in force at its start.

Example::

    reads = reads_of(store, timeout_s=10, max_rows=10_000)
    for row in reads.services("default", start_us, end_us, 60, end_us - 300_000_000):
        print(row.service, row.figures.transactions)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from bongsu.kube.model import CountPoint, Episode, Kind, Severity
from bongsu.synthetics.model import CheckResult

Resolution = Literal[10, 60]
"""Rollup resolution in seconds: ``rollup_10s`` or ``rollup_1m``."""
Level = Literal["service", "instance"]
Agg = Literal["avg", "min", "max", "sum", "last"]


@dataclass(frozen=True, slots=True)
class Figures:
    """Transaction figures summed over rollup rows; percentiles as duration buckets."""

    transactions: int
    errors: int
    sum_us: int
    satisfied: int
    tolerating: int
    p50_bucket: int | None
    p95_bucket: int | None
    p99_bucket: int | None


@dataclass(frozen=True, slots=True)
class ServiceFigures:
    service: str
    figures: Figures
    instances: int
    active_users: int
    instance_ids: tuple[str, ...] = ()  # the instances counted in ``instances``, sorted


@dataclass(frozen=True, slots=True)
class GroupFigures:
    """One service's (``instance`` None) or one service x instance's figures over a window;
    percentile buckets and ``active_users`` are None unless asked for."""

    service: str
    instance: str | None
    figures: Figures
    active_users: int | None = None


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    ts_us: int
    figures: Figures


@dataclass(frozen=True, slots=True)
class UserSketchRow:
    """One service's distinct-user sketch (``bongsu.users.sketch`` bytes) of one minute or
    UTC day; a key may come in several partial rows, which the reader merges."""

    service: str
    ts_us: int
    sketch: bytes


@dataclass(frozen=True, slots=True)
class HeatmapCell:
    ts_us: int
    row: int  # heatmap row: duration bucket // HEATMAP_GROUP
    count: int
    errors: int


@dataclass(frozen=True, slots=True)
class TransactionRow:
    trace_hi: int
    trace_lo: int
    span_id: int
    ts_us: int
    name: str
    duration_us: int
    status: int
    is_error: bool
    instance: str
    http_status: int | None


@dataclass(frozen=True, slots=True)
class InstanceFigures:
    service: str
    instance: str
    last_seen_us: int
    transactions: int
    errors: int
    sum_us: int


@dataclass(frozen=True, slots=True)
class InstanceLabel:
    """The resource attributes people know an instance by (None when not sent)."""

    instance: str
    service: str
    pod: str | None  # k8s.pod.name
    host: str | None  # host.name
    pid: str | None  # process.pid


@dataclass(frozen=True, slots=True)
class EdgeFigures:
    source: str
    source_service: str
    target: str
    target_service: str
    target_kind: str  # service | database | external
    calls: int
    errors: int
    sum_us: int


@dataclass(frozen=True, slots=True)
class TraceSearch:
    start_us: int
    end_us: int
    limit: int
    service: str | None = None
    name: str | None = None
    error: bool | None = None
    min_us: int | None = None
    max_us: int | None = None
    attributes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class TraceSummary:
    trace_hi: int
    trace_lo: int
    root_service: str
    root_name: str
    start_us: int
    end_us: int
    span_count: int
    error: bool


@dataclass(frozen=True, slots=True)
class SpanRecord:
    trace_hi: int
    trace_lo: int
    span_id: int
    parent_id: int
    ts_us: int
    service: str
    instance: str
    cluster: str | None
    namespace: str | None
    name: str
    kind: int
    duration_us: int
    status: int
    is_error: bool
    http_method: str | None
    http_route: str | None
    http_status: int | None
    db_system: str | None
    db_name: str | None
    db_statement: str | None
    peer: str | None
    user_id: str | None
    status_message: str | None
    attributes: str | None  # JSON object
    events: str | None  # JSON list


@dataclass(frozen=True, slots=True)
class LogSearch:
    start_us: int
    end_us: int
    limit: int
    service: str | None = None
    trace: tuple[int, int] | None = None  # (trace_hi, trace_lo)
    min_severity: int | None = None
    text: str | None = None  # case-insensitive substring of the body


@dataclass(frozen=True, slots=True)
class LogRecord:
    ts_us: int
    trace_hi: int
    trace_lo: int
    span_id: int
    severity_number: int
    severity_text: str | None
    body: str | None
    service: str
    instance: str
    attributes: str | None  # JSON object


@dataclass(frozen=True, slots=True)
class CaptureRecord:
    """One stored diagnostic capture; ``payload`` is omitted (None) in listings."""

    id: str
    ts_us: int
    service: str
    instance: str
    kind: str
    format: str
    summary: str | None  # JSON object
    payload: str | None
    analysis: str | None = None  # JSON object (bongsu.diagnostics); None in listings
    analysis_version: str | None = None  # 'format:version' of the analyzer that wrote it


@dataclass(frozen=True, slots=True)
class MetricName:
    name: str
    kind: str
    unit: str | None
    points: int


@dataclass(frozen=True, slots=True)
class MetricSearch:
    name: str
    start_us: int
    end_us: int
    step_us: int
    agg: Agg
    service: str | None = None
    instance: str | None = None


@dataclass(frozen=True, slots=True)
class MetricPoint:
    ts_us: int
    value: float | None


@dataclass(frozen=True, slots=True)
class EventSearch:
    """Filters of :meth:`Reads.kube_events`; ``None`` means any."""

    start_us: int
    end_us: int
    limit: int
    cluster: str | None = None
    namespace: str | None = None
    kind: Kind | None = None
    reason: str | None = None
    severity: Severity | None = None
    object: str | None = None  # object name prefix ("shop-7d9f8" matches its pods)
    service: str | None = None
    pod: str | None = None
    q: str | None = None  # case-insensitive substring of summary, message or object name


@dataclass(frozen=True, slots=True)
class PodLink:
    """A pod that sent telemetry: which service and instance it runs."""

    cluster: str | None
    namespace: str | None
    pod: str
    service: str
    instance: str


@dataclass(frozen=True, slots=True)
class ClusterTrafficPoint:
    ts_us: int
    cluster: str | None  # the instance's k8s.cluster.name; None when it sent none
    transactions: int
    errors: int


@dataclass(frozen=True, slots=True)
class GroupPoint:
    """A metric's value in one step for one value of the attribute it is grouped by."""

    ts_us: int
    group: str | None  # None: the points carry no such attribute
    value: float | None


@dataclass(frozen=True, slots=True)
class BucketSearch:
    """Filters and shape of :meth:`Reads.metric_buckets`; ``None`` means any.

    ``group_by``: ``"service"``, ``"instance"``, a point attribute key, or None (one group).
    """

    name: str
    start_us: int
    end_us: int
    step_us: int  # each series counts once a step, by its latest point
    bucket_us: int  # step values are summarised per bucket (a day: 86,400 s)
    agg: Agg  # combines a group's series within a step
    max_groups: int
    service: str | None = None
    instance: str | None = None
    group_by: str | None = None
    filters: tuple[tuple[str, str], ...] = ()  # point attributes that must equal these


@dataclass(frozen=True, slots=True)
class BucketRow:
    """One group's step values in one bucket: their min, mean and max, and how many."""

    ts_us: int
    group: str | None  # None: no grouping, or the points carry no such attribute
    min: float
    avg: float
    max: float
    steps: int


@dataclass(frozen=True, slots=True)
class SeverityCount:
    cluster: str
    severity: Severity
    episodes: int


@dataclass(frozen=True, slots=True)
class IngressFigures:
    """One ingress route's traffic over a window, from the scraped ``ingress.*`` points
    (``bongsu.kube.metric_names``): the mean of what each scrape interval wrote."""

    cluster: str | None
    namespace: str | None
    ingress: str | None  # Ingress or Route name; None for an exporter that names none
    host: str | None
    path: str | None
    k8s_service: str | None  # the Kubernetes Service routed to
    service: str  # the Bongsu service the points were written for
    requests_per_s: float | None
    errors_4xx_per_s: float | None
    errors_5xx_per_s: float | None
    latency_avg_ms: float | None
    latency_p95_ms: float | None


ViewResolution = Literal[60, 3600]
"""The database and web views' rollups: per minute (``*_1m``) or per hour (``*_1h``)."""
StatementOrder = Literal["total", "calls", "p95", "errors"]
"""How the database view ranks statements: total time, calls, p95 bucket, errors."""
EndpointOrder = Literal["total", "calls", "p95", "errors"]


@dataclass(frozen=True, slots=True)
class DatabaseFigures:
    """One database's client calls over a window (``db_statements_1m``); ``db`` is the
    topology's database instance id, ``system:name@address``."""

    db: str
    system: str
    name: str | None
    address: str | None
    calls: int
    errors: int
    sum_us: int
    max_us: int
    p50_bucket: int | None
    p95_bucket: int | None


@dataclass(frozen=True, slots=True)
class DatabaseCaller:
    """The calls one service made to one database over a window."""

    db: str
    service: str
    calls: int
    errors: int
    sum_us: int


@dataclass(frozen=True, slots=True)
class StatementFigures:
    """One statement fingerprint's calls to one database over a window; ``slow_trace`` is
    the trace (32 hex digits) of its slowest call."""

    fingerprint: str
    text: str | None
    calls: int
    errors: int
    sum_us: int
    max_us: int
    p50_bucket: int | None
    p95_bucket: int | None
    slow_trace: str


@dataclass(frozen=True, slots=True)
class StatementPoint:
    """One step of a statement's calls (steps without calls are absent)."""

    ts_us: int
    calls: int
    errors: int
    sum_us: int
    max_us: int
    p95_bucket: int | None


@dataclass(frozen=True, slots=True)
class SlowCall:
    """A statement's slowest call of one rollup row: its minute (or hour), caller,
    duration, trace."""

    ts_us: int
    service: str
    duration_us: int
    trace_id: str


@dataclass(frozen=True, slots=True)
class ConnectionPool:
    """Connections in use of one service's pool (``db.client.connection.count`` /
    ``db.client.connections.usage`` points with state ``used``): the sum over its
    instances of each one's latest point in the window, and of each one's peak."""

    service: str
    pool: str
    used: float
    peak: float
    instances: int


@dataclass(frozen=True, slots=True)
class EndpointFigures:
    """One service x endpoint's HTTP server spans over a window (``web_1m``)."""

    service: str
    endpoint: str
    calls: int
    errors: int
    client_errors: int  # status 4xx
    server_errors: int  # status 5xx
    sum_us: int
    p50_bucket: int | None
    p95_bucket: int | None


@dataclass(frozen=True, slots=True)
class StatusPoint:
    """HTTP server spans of one step with one response status code (None: no code)."""

    ts_us: int
    status: int | None
    count: int


@dataclass(frozen=True, slots=True)
class HostInstance:
    """An instance seen on a host: a pod's node (``k8s.node.name``), else ``host.name``."""

    service: str
    instance: str
    host: str
    pod: str | None
    cluster: str | None
    namespace: str | None
    last_seen_us: int


@dataclass(frozen=True, slots=True)
class HostMetricStat:
    """One series (service, instance, metric, attribute set) of a host over a window: its
    first and last point, mean and count (value: gauge / sum value, histogram mean)."""

    host: str
    service: str
    instance: str
    name: str
    attributes: str | None  # JSON object
    first_us: int
    first: float | None
    last_us: int
    last: float | None
    avg: float | None
    points: int


@dataclass(frozen=True, slots=True)
class HostMetricStep:
    """One series' latest point in one epoch-aligned step."""

    service: str
    instance: str
    name: str
    attributes: str | None  # JSON object
    ts_us: int  # the step's start
    point_us: int  # the point's own time
    value: float | None


@dataclass(frozen=True, slots=True)
class GroupLabels:
    """A service's grouping labels as one of its instances (seen in a window) sent them."""

    service: str
    cluster: str | None
    namespace: str | None
    team: str | None  # k8s.pod.labels.team, else a team resource attribute


SearchKind = Literal["service", "instance", "pod", "host", "endpoint", "database"]


@dataclass(frozen=True, slots=True)
class NameMatch:
    """A name containing the search text; rank 0 exact, 1 prefix, 2 substring
    (case-insensitive)."""

    kind: SearchKind
    label: str
    service: str | None
    instance: str | None
    rank: int


@dataclass(frozen=True, slots=True)
class EventMatch:
    """A Kubernetes episode whose object name, reason or summary contains the text."""

    id: str
    object_kind: str
    object_name: str
    reason: str
    summary: str
    cluster: str
    namespace: str
    rank: int


class Reads(Protocol):
    """Read half of the store contract (see the module docstring)."""

    def ping(self) -> None:
        """Raise if the store cannot answer a trivial query."""
        ...

    def service_exists(self, tenant: str, service: str) -> bool:
        """Whether the service ever reported anything (any signal, any time)."""
        ...

    def services(
        self, tenant: str, start_us: int, end_us: int, resolution: Resolution,
        users_since_us: int, instance: str | None = None,
    ) -> list[ServiceFigures]:
        """Per-service figures over the window, with the instances serving them and distinct
        ``enduser.id`` values seen in ``[users_since_us, end_us)``; ordered by service.
        With ``instance``, only the services that instance served, with its figures."""
        ...

    def service_series(
        self, tenant: str, service: str, start_us: int, end_us: int, resolution: Resolution,
        step_us: int, instance: str | None = None,
    ) -> list[SeriesPoint]:
        """One service's figures per epoch-aligned step (steps with no data left out)."""
        ...

    def heatmap(
        self, tenant: str, service: str, start_us: int, end_us: int, resolution: Resolution,
        step_us: int, instance: str | None = None,
    ) -> list[HeatmapCell]:
        """Transaction counts per epoch-aligned step and heatmap row (non-empty cells)."""
        ...

    def transactions(
        self, tenant: str, service: str, start_us: int, end_us: int, min_us: int, max_us: int,
        errors_only: bool, limit: int, instance: str | None = None,
    ) -> list[TransactionRow]:
        """Transactions of a service that started in the window with a duration in
        ``[min_us, max_us]``; newest first."""
        ...

    def instance_labels(self, tenant: str, instances: Sequence[str]) -> list[InstanceLabel]:
        """The latest resource labels of the named instances (of any service; ids never seen
        are left out); ordered by instance, the most recently seen first."""
        ...

    def instances(
        self, tenant: str, service: str | None, start_us: int, end_us: int, rate_start_us: int
    ) -> list[InstanceFigures]:
        """Instances seen in the window with their transactions in
        ``[rate_start_us, end_us)`` (10 s resolution); ordered by service, instance."""
        ...

    def edges(self, tenant: str, start_us: int, end_us: int, level: Level) -> list[EdgeFigures]:
        """Caller -> callee edges over the window (60 s resolution)."""
        ...

    def find_traces(self, tenant: str, search: TraceSearch) -> list[TraceSummary]:
        """Traces having a span that started in the window and matches every filter;
        newest first, at most ``search.limit``."""
        ...

    def trace_spans(self, tenant: str, trace_hi: int, trace_lo: int) -> list[SpanRecord]:
        """Every span of one trace in start order (empty when unknown)."""
        ...

    def logs(self, tenant: str, search: LogSearch) -> list[LogRecord]:
        """Log records matching every filter; newest first, at most ``search.limit``."""
        ...

    def metric_names(self, tenant: str, start_us: int, end_us: int) -> list[MetricName]:
        """Metric names with points in the window, ordered by name."""
        ...

    def captures(self, tenant: str, service: str | None, instance: str | None,
                 kind: str | None, limit: int, start_us: int | None = None,
                 end_us: int | None = None) -> list[CaptureRecord]:
        """Stored captures matching every filter, taken in ``[start_us, end_us)`` (None: no
        bound), newest first, without payloads and analyses."""
        ...

    def capture(self, tenant: str, capture_id: str) -> CaptureRecord | None:
        """One stored capture with its payload and analysis, or None."""
        ...

    def user_sketches(
        self, tenant: str, width: Literal["minute", "day"], start_us: int, end_us: int,
        service: str | None = None, every_us: int | None = None, within_us: int = 0,
    ) -> list[UserSketchRow]:
        """User sketch rows of minutes (or UTC days) starting in the window, every service's
        without ``service``, ordered by service and time, partial rows as stored. With
        ``every_us``, only rows starting less than ``within_us`` before one of the points
        ``end_us``, ``end_us - every_us``, ``end_us - 2 * every_us`` …, so a series of
        sliding windows reads only the rows its points need."""
        ...

    def metric_series(self, tenant: str, search: MetricSearch) -> list[MetricPoint]:
        """One metric aggregated per epoch-aligned step (steps with no points left out)."""
        ...

    def kube_events(self, tenant: str, search: EventSearch) -> list[Episode]:
        """Episodes overlapping the window that match every filter; newest ``last_seen_us``
        first (then by id), at most ``search.limit``, ``raw`` omitted."""
        ...

    def kube_event(self, tenant: str, id: str) -> tuple[Episode, list[CountPoint]] | None:
        """One episode with its raw object and its count points in time order, or None."""
        ...

    def kube_recent_episodes(self, tenant: str, cluster: str, since_us: int) -> list[Episode]:
        """A cluster's episodes last seen at or after ``since_us`` (``raw`` omitted), newest
        first: what a watcher loads at start so it announces nothing twice."""
        ...

    def kube_severity_counts(self, tenant: str, start_us: int, end_us: int
                             ) -> list[SeverityCount]:
        """Episodes overlapping the window per cluster and severity (non-zero counts),
        ordered by cluster, severity."""
        ...

    def ingress_traffic(self, tenant: str, start_us: int, end_us: int, cluster: str | None,
                        namespace: str | None) -> list[IngressFigures]:
        """Per route (cluster, namespace, ingress, host, path, Kubernetes Service, service)
        with ingress points in the window, its mean rates and latencies; ordered by those
        fields (None last)."""
        ...

    def pod_links(self, tenant: str, since_us: int) -> list[PodLink]:
        """Instances seen since ``since_us`` whose latest resource names a ``k8s.pod.name``;
        ordered by cluster, namespace, pod, the most recently seen first."""
        ...

    def cluster_traffic(
        self, tenant: str, service: str | None, start_us: int, end_us: int, step_us: int
    ) -> list[ClusterTrafficPoint]:
        """Transactions and errors per epoch-aligned step and cluster of the instance that
        served them (``service`` None: every service). The 1-minute rollup when ``step_us``
        is a whole number of minutes, else the 10-second one; ordered by step, cluster
        (None last); empty steps left out."""
        ...

    def metric_by_attribute(
        self, tenant: str, name: str, attribute: str, start_us: int, end_us: int,
        step_us: int, agg: Agg, service: str | None = None,
        filters: Mapping[str, str] | None = None,
    ) -> list[GroupPoint]:
        """One metric per epoch-aligned step and value of the point attribute ``attribute``.

        In each step every series (service, instance and attribute set) counts once, by
        its latest point; ``agg`` then combines the series of a group (``sum``: replicas
        per cluster; ``last``: the latest point of the group). ``filters`` keep only points
        whose attributes equal the given values. Ordered by step, group (None last).
        """
        ...

    def metric_buckets(self, tenant: str, search: BucketSearch) -> list[BucketRow]:
        """One metric per epoch-aligned bucket and group, from its per-step values.

        In each step every series (service, instance and attribute set) counts once, by its
        latest point; ``agg`` combines a group's series into the step's value; each bucket
        row gives the min, mean and max of its steps' values. Only the first
        ``search.max_groups`` groups in group order (None last) are read. Ordered by group
        (None last), bucket.
        """
        ...

    def transaction_buckets(self, tenant: str, search: BucketSearch) -> list[BucketRow]:
        """Transactions per second per epoch-aligned bucket and group, from the 1-minute
        rollup: each step's value is its transactions over the step's seconds; steps with
        none are left out (callers count them as 0). ``group_by`` is ``"service"``,
        ``"instance"`` or None; ``name``, ``agg`` and ``filters`` are not used. Groups and
        order as :meth:`metric_buckets`."""
        ...

    def figures_by(
        self, tenant: str, start_us: int, end_us: int, resolution: Resolution, by: Level,
        percentiles: bool = False, users_since_us: int | None = None,
        seen: tuple[int, int] | None = None,
    ) -> list[GroupFigures]:
        """Figures per service (``by="service"``) or per service and instance over the
        window in one read, computing only what is asked: the percentile buckets with
        ``percentiles``, distinct ``enduser.id`` values in ``[users_since_us, end_us)`` per
        group with ``users_since_us`` (0 for a group with none). Groups are those with
        rollup rows in the window; with ``seen``, only pairs the ``instances`` table saw in
        that window (what :meth:`instances` lists). Each group's figures equal what
        :meth:`services` gives for it (per instance: with ``instance``). Ordered by service,
        instance."""
        ...

    def check_results(self, tenant: str, check_id: str, start_us: int, end_us: int,
                      limit: int) -> list[CheckResult]:
        """One check's results with ``ts_us`` in the window, oldest first (at most
        ``limit``), preceded by the latest result before ``start_us`` when there is one (the
        status in force at the window's start; it holds until the next result)."""
        ...

    def latest_check_results(self, tenant: str, check_ids: Sequence[str] | None
                             ) -> list[CheckResult]:
        """The latest result of each check asked for (every check with None), by id; a
        check without results is left out."""
        ...

    def databases(self, tenant: str, start_us: int, end_us: int,
                  resolution: ViewResolution = 60) -> list[DatabaseFigures]:
        """Every database called in the window (from the statement rollup of
        ``resolution``, like every view read below), by ``db``."""
        ...

    def database_callers(self, tenant: str, start_us: int, end_us: int,
                         resolution: ViewResolution = 60) -> list[DatabaseCaller]:
        """Calls per database and calling service in the window, by db then service."""
        ...

    def database_exists(self, tenant: str, db: str) -> bool:
        """Whether ``db`` was called at any time the rollup still holds."""
        ...

    def db_statements(self, tenant: str, db: str, start_us: int, end_us: int,
                      order: StatementOrder, limit: int, resolution: ViewResolution = 60
                      ) -> list[StatementFigures]:
        """One database's statements over the window, the first ``limit`` by ``order``
        (descending; ties by fingerprint)."""
        ...

    def db_statement_text(self, tenant: str, db: str, fingerprint: str) -> str | None:
        """The normalised text of a fingerprint the rollup holds for ``db``; None when
        ``db`` never ran it (or its rows are gone)."""
        ...

    def db_statement_series(self, tenant: str, db: str, fingerprint: str, start_us: int,
                            end_us: int, step_us: int, resolution: ViewResolution = 60
                            ) -> list[StatementPoint]:
        """One statement's calls per step (a multiple of ``resolution``), oldest first."""
        ...

    def db_slow_calls(self, tenant: str, db: str, fingerprint: str, start_us: int,
                      end_us: int, limit: int, resolution: ViewResolution = 60
                      ) -> list[SlowCall]:
        """The slowest call of each rollup row of one statement, the ``limit`` slowest with
        distinct traces, slowest first."""
        ...

    def db_connections(self, tenant: str, start_us: int, end_us: int
                       ) -> list[ConnectionPool]:
        """Connection pools with a used-connections point in the window, by service, pool."""
        ...

    def web_endpoints(self, tenant: str, start_us: int, end_us: int, service: str | None,
                      order: EndpointOrder, limit: int, resolution: ViewResolution = 60
                      ) -> list[EndpointFigures]:
        """HTTP endpoints over the window (every service, or one), the first ``limit`` by
        ``order`` (descending; ties by service, endpoint)."""
        ...

    def web_statuses(self, tenant: str, start_us: int, end_us: int, step_us: int,
                     service: str | None, resolution: ViewResolution = 60
                     ) -> list[StatusPoint]:
        """HTTP server spans per step (a multiple of ``resolution``) and status code, oldest
        first; codes ascending, no code last."""
        ...


    def host_instances(self, tenant: str, start_us: int, end_us: int,
                       host: str | None = None) -> list[HostInstance]:
        """Instances seen in the window with their host (a pod's ``k8s.node.name``, else
        ``host.name``; instances with neither are left out), by host, service, instance."""
        ...

    def host_exists(self, tenant: str, host: str) -> bool:
        """Whether any instance the ``instances`` table holds ran on ``host``."""
        ...

    def host_metric_stats(self, tenant: str, start_us: int, end_us: int,
                          names: Sequence[str], host: str | None = None
                          ) -> list[HostMetricStat]:
        """Per host and series of the named metrics in the window, the first and last
        point; ordered by host, service, instance, name, attributes."""
        ...

    def host_metric_steps(self, tenant: str, host: str, start_us: int, end_us: int,
                          step_us: int, names: Sequence[str]) -> list[HostMetricStep]:
        """One host's series of the named metrics, each one's latest point per step;
        ordered by series then step."""
        ...

    def group_labels(self, tenant: str, start_us: int, end_us: int) -> list[GroupLabels]:
        """Distinct (service, cluster, namespace, team) of instances seen in the window."""
        ...

    def search_names(self, tenant: str, text: str, since_us: int, limit: int
                     ) -> list[NameMatch]:
        """Services, instances, pods and hosts seen since ``since_us``, endpoints and
        databases with rollup rows since then, whose name contains ``text`` (lower case);
        at most ``limit`` per kind, best rank first, then shorter names."""
        ...

    def search_events(self, tenant: str, text: str, since_us: int, limit: int
                      ) -> list[EventMatch]:
        """Episodes last seen since ``since_us`` whose object name, reason or summary
        contains ``text`` (lower case); best rank first, then newest."""
        ...

def reads_of(store: Any, timeout_s: float, max_rows: int) -> Reads:
    """The :class:`Reads` of a telemetry store (its ``reads`` method), or ``store`` itself
    if it is one."""
    if hasattr(store, "find_traces"):
        return store  # type: ignore[no-any-return]
    if hasattr(store, "reads"):
        return store.reads(timeout_s, max_rows)  # type: ignore[no-any-return]
    raise TypeError(f"no read side for a store of type {type(store).__name__}")
