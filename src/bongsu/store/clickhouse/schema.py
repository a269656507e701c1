"""The ClickHouse telemetry schema: tables as data, rendered as single-node or cluster DDL.

Every table keeps the DuckDB table's name, columns and meaning (``store/duckdb/migrations``)
with types mapped (VARCHAR -> String / Nullable(String), BIGINT -> Int64, UBIGINT -> UInt64,
BOOLEAN -> Bool, DOUBLE[] -> Array(Float64), BLOB -> String), so read SQL ports by dialect
only. Repeated short text is ``LowCardinality``; ``ts_us`` is Delta/DoubleDelta + ZSTD; free
text is ZSTD. Times are epoch microseconds, as in DuckDB.

How the tables differ from DuckDB's, and how reads must follow:

- **Partial rows everywhere, summed at read.** ``rollup_10s``, ``rollup_1m``, ``edges_1m``,
  ``web_1m``/``web_1h`` are ``SummingMergeTree`` (background merges add rows of one key);
  ``db_statements_1m``/``_1h`` are ``MergeTree`` (``max_us`` / ``slow_trace``: read
  ``max(max_us)``, ``argMax(slow_trace, max_us)``). Reads already ``sum()``; never ``FINAL``.
- **Edges** (no pending tables, no DELETEs). A load appends the batch's client halves to
  ``edge_clients`` (CLIENT/PRODUCER spans without ``db_system``: tenant, trace_lo, span_id,
  ts_us, service, instance, duration_us, is_error, peer, arrived_us = load wall time) and
  server halves to ``edge_servers`` (SERVER/CONSUMER spans with a parent: tenant, trace_lo,
  parent_id, service, instance, is_error, arrived_us). Database calls and ``Batch.edges``
  go to ``edges_1m`` at load, as in DuckDB. ``expire_edges(cutoff)`` *settles* the client
  halves that arrived in ``(last settled_us, cutoff]``: it records ``cutoff`` in
  ``edge_settled`` (per log id; read ``max(settled_us)``), then joins those halves with
  ``edge_servers`` and inserts the matched pairs (``target_kind = 'service'``) and the
  unmatched ones (``'external'``, target = ``coalesce(peer, 'unknown')``) into
  ``edges_1m`` once (token ``{log_id}:edges:{lo}:{hi}``; after a restart the last window
  is inserted again, a no-op unless a crash came between). **Reads of edges** are
  ``edges_1m`` UNION ALL the live matches: client halves with
  ``arrived_us > settled_us`` joined with ``edge_servers`` on
  ``(tenant, trace_lo, span_id = parent_id)`` as ``'service'`` rows at the client's
  minute (calls 1, errors ``c.is_error OR s.is_error``, sum_us ``c.duration_us``);
  live unmatched client halves are not shown yet (DuckDB keeps them pending too).
  ``edges_live_sql()`` below is that query, to be reused.
- **instances**: append-only, one row per (tenant, service, instance) per load; read
  ``GROUP BY tenant, service, instance`` with ``min(first_seen_us)``,
  ``max(last_seen_us)``, ``argMax(cluster|namespace|host|resource, (last_seen_us, seq))``.
  ``seq`` (UInt64, insert order) breaks ties: the latest load wins as in DuckDB.
  The view ``instances_latest`` is that query: reads select from it.
- **kube_events**: append-only, one row per saved sighting, plus ``seq``; an episode is
  ``GROUP BY tenant, id`` with ``max(count)``, ``min(first_seen_us)``,
  ``max(last_seen_us)``, ``argMax(x, (last_seen_us, seq))`` for the text columns (kind,
  severity, summary, message, component, source, raw and cluster, namespace,
  object_kind, object_name, reason) and ``argMaxIf(x, (last_seen_us, seq), x IS NOT NULL)``
  for service, pod, container, node. ``link_kube_episodes`` appends a row with the service
  and ``last_seen_us = 0`` (so it never wins the text). The view ``kube_episodes`` is
  that query: reads select from it. ``kube_event_counts`` is a
  ``ReplacingMergeTree``: read ``SELECT DISTINCT``.
- **db_statement_text**: ``ReplacingMergeTree`` by (tenant, fingerprint); read ``any(text)``
  grouped by fingerprint.
- **metering_containers / metering_nodes** gain ``saved_us``: an hour is replaced by a new
  version, its rows written first and then its ``(tenant, cluster, hour_us, saved_us)`` in
  ``metering_saves``; read only the rows of that table's ``max(saved_us)`` per (tenant,
  cluster, hour_us), so a save cut short leaves the previous version in force and an hour
  saved with no node keeps none of the old ones (older versions are deleted after the
  write, lightweight).
- **ingest_position** holds ``(log_id, lsn)`` rows: read ``max(lsn)`` per log id.
- ``users_1m`` / ``users_1d`` are as in DuckDB (sketch bytes in a String); reads merge the
  sketches of a key in Python (``bongsu.users.rollup.merge_blobs``).

Idempotence: every insert of ``load(batch, lsn)`` carries ``insert_deduplication_token =
f"{log_id}:{lsn}:{table}"`` and every MergeTree table keeps
``non_replicated_deduplication_window`` (cluster DDL: ``replicated_deduplication_window``)
blocks, so replaying a position after a crash stores nothing twice.

Example::

    for statement in ddl(retention_days=7):                 # one server
        client.command(statement)
    for statement in ddl(retention_days=7, cluster="prod"):  # ON CLUSTER, Replicated +
        print(statement + ";")                                # Distributed tables
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

__all__ = ["TABLES", "VIEWS", "Column", "Table", "by_name", "create", "ddl",
           "edges_live_sql"]

DEDUP_WINDOW = 10_000  # blocks per table whose tokens are kept (a load inserts one each)

# Column type shorthands.
_LC = "LowCardinality(String)"
_LCN = "LowCardinality(Nullable(String))"
_TEXT = "String CODEC(ZSTD(3))"
_TEXTN = "Nullable(String) CODEC(ZSTD(3))"
_TS = "Int64 CODEC(Delta, ZSTD(1))"
_TS_ROLLUP = "Int64 CODEC(DoubleDelta, ZSTD(1))"
_I64 = "Int64 CODEC(T64, ZSTD(1))"
_ID = "UInt64"  # random ids do not compress
_DAY = "toDateTime(intDiv({col}, 1000000))"


@dataclass(frozen=True)
class Column:
    """One column: name and ClickHouse type (codec included)."""

    name: str
    type: str


@dataclass(frozen=True)
class Table:
    """One table. ``ttl_column`` (epoch µs) gets ``TTL … + retention`` when it is telemetry;
    ``user_ttl_column`` the day sketches' own retention (``user_retention_days``)."""

    name: str
    columns: tuple[Column, ...]
    order_by: str
    engine: str = "MergeTree"  # MergeTree | SummingMergeTree | ReplacingMergeTree
    partition_by: str | None = None
    ttl_column: str | None = None
    settings: dict[str, str] = field(default_factory=dict)
    user_ttl_column: str | None = None


def _cols(*pairs: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(n, t) for n, t in pairs)


def _by_day(col: str = "ts_us") -> str:
    return f"toYYYYMMDD({_DAY.format(col=col)})"


_ROLLUP = _cols(
    ("tenant", _LC), ("ts_us", _TS_ROLLUP), ("service", _LC), ("instance", _LC),
    ("name", _LC), ("bucket", "Int16"), ("count", _I64), ("errors", _I64),
    ("sum_us", _I64), ("satisfied", _I64), ("tolerating", _I64),
)
_EDGES = _cols(
    ("tenant", _LC), ("ts_us", _TS_ROLLUP), ("source", _LC), ("source_instance", _LC),
    ("target", _LC), ("target_instance", _LC), ("target_kind", _LC), ("calls", _I64),
    ("errors", _I64), ("sum_us", _I64),
)
_DB_STATEMENTS = _cols(
    ("tenant", _LC), ("ts_us", _TS_ROLLUP), ("db", _LC), ("db_system", _LC),
    ("db_name", _LCN), ("address", _LCN), ("fingerprint", _LC), ("service", _LC),
    ("bucket", "Int16"), ("count", _I64), ("errors", _I64), ("sum_us", _I64),
    ("max_us", _I64), ("slow_trace", "String"),
)
_WEB = _cols(
    ("tenant", _LC), ("ts_us", _TS_ROLLUP), ("service", _LC), ("endpoint", _LC),
    ("status", "Nullable(UInt16)"), ("bucket", "Int16"), ("count", _I64), ("errors", _I64),
    ("sum_us", _I64),
)
_USERS = _cols(("tenant", _LC), ("ts_us", _TS_ROLLUP), ("service", _LC), ("sketch", "String"))
_NULLABLE_KEYS = {"allow_nullable_key": "1"}

TABLES: tuple[Table, ...] = (
    Table("spans", _cols(
        ("tenant", _LC), ("ts_us", _TS), ("trace_hi", _ID), ("trace_lo", _ID),
        ("span_id", _ID), ("parent_id", _ID), ("service", _LC), ("instance", _LC),
        ("cluster", _LCN), ("namespace", _LCN), ("name", _LC), ("kind", "UInt8"),
        ("duration_us", _I64), ("status", "UInt8"), ("is_error", "Bool"),
        ("http_method", _LCN), ("http_route", _LCN), ("http_status", "Nullable(UInt16)"),
        ("db_system", _LCN), ("db_name", _LCN), ("db_statement", _TEXTN), ("peer", _LCN),
        ("user_id", "Nullable(String) CODEC(ZSTD(1))"), ("status_message", _TEXTN),
        ("attributes", _TEXTN), ("events", _TEXTN),
    ), order_by="tenant, service, ts_us", partition_by=_by_day(), ttl_column="ts_us"),
    Table("rollup_10s", _ROLLUP, "tenant, service, instance, name, ts_us, bucket",
          "SummingMergeTree", _by_day(), "ts_us"),
    Table("rollup_1m", _ROLLUP, "tenant, service, instance, name, ts_us, bucket",
          "SummingMergeTree", _by_day(), "ts_us"),
    Table("edges_1m", _EDGES,
          "tenant, ts_us, source, source_instance, target, target_instance, target_kind",
          "SummingMergeTree", _by_day(), "ts_us"),
    Table("edge_clients", _cols(
        ("tenant", _LC), ("trace_lo", _ID), ("span_id", _ID), ("ts_us", _TS),
        ("service", _LC), ("instance", _LC), ("duration_us", _I64), ("is_error", "Bool"),
        ("peer", _LCN), ("arrived_us", _TS),
    ), order_by="tenant, arrived_us", partition_by=_by_day("arrived_us"),
        ttl_column="arrived_us"),
    Table("edge_servers", _cols(
        ("tenant", _LC), ("trace_lo", _ID), ("parent_id", _ID), ("service", _LC),
        ("instance", _LC), ("is_error", "Bool"), ("arrived_us", _TS),
    ), order_by="tenant, trace_lo, parent_id", partition_by=_by_day("arrived_us"),
        ttl_column="arrived_us"),
    Table("edge_settled", _cols(("log_id", _LC), ("settled_us", "Int64")),
          order_by="log_id, settled_us"),
    Table("instances", _cols(
        ("tenant", _LC), ("service", _LC), ("instance", _LC), ("cluster", _LCN),
        ("namespace", _LCN), ("host", _LCN), ("first_seen_us", "Int64"),
        ("last_seen_us", "Int64"), ("resource", _TEXTN), ("seq", "UInt64"),
    ), order_by="tenant, service, instance, last_seen_us", ttl_column="last_seen_us"),
    Table("metric_points", _cols(
        ("tenant", _LC), ("ts_us", _TS), ("service", _LC), ("instance", _LC),
        ("name", _LC), ("kind", _LC), ("unit", _LCN), ("value", "Nullable(Float64)"),
        ("count", "Nullable(UInt64)"), ("sum", "Nullable(Float64)"),
        ("min", "Nullable(Float64)"), ("max", "Nullable(Float64)"),
        ("bounds", "Array(Float64)"), ("bucket_counts", "Array(UInt64)"),
        ("attributes", _TEXTN),
    ), order_by="tenant, service, name, ts_us", partition_by=_by_day(), ttl_column="ts_us"),
    Table("logs", _cols(
        ("tenant", _LC), ("ts_us", _TS), ("trace_hi", _ID), ("trace_lo", _ID),
        ("span_id", _ID), ("severity_number", "UInt8"), ("severity_text", _LCN),
        ("body", _TEXTN), ("service", _LC), ("instance", _LC), ("attributes", _TEXTN),
    ), order_by="tenant, service, ts_us", partition_by=_by_day(), ttl_column="ts_us"),
    Table("captures", _cols(
        ("tenant", _LC), ("ts_us", _TS), ("id", "String"), ("service", _LC),
        ("instance", _LC), ("kind", _LC), ("format", _LC), ("payload", _TEXT),
        ("summary", _TEXTN), ("analysis", _TEXTN), ("analysis_version", _LCN),
    ), order_by="tenant, ts_us, id"),
    Table("kube_events", _cols(
        ("tenant", _LC), ("id", "String"), ("cluster", _LC), ("namespace", _LC),
        ("object_kind", _LC), ("object_name", "String"), ("kind", _LC), ("reason", _LC),
        ("severity", _LC), ("summary", _TEXT), ("message", _TEXT), ("count", "Int64"),
        ("first_seen_us", "Int64"), ("last_seen_us", "Int64"), ("component", _LC),
        ("source", _LC), ("service", _LCN), ("pod", "Nullable(String)"),
        ("container", _LCN), ("node", _LCN), ("raw", _TEXT), ("seq", "UInt64"),
    ), order_by="tenant, id, last_seen_us"),
    Table("kube_event_counts", _cols(
        ("tenant", _LC), ("id", "String"), ("ts_us", "Int64"), ("count", "Int64"),
    ), order_by="tenant, id, ts_us, count", engine="ReplacingMergeTree"),
    Table("metering_containers", _cols(
        ("tenant", _LC), ("cluster", _LC), ("hour_us", "Int64"), ("namespace", _LC),
        ("pod", "String"), ("container", _LC), ("node", _LC), ("workload_kind", _LC),
        ("workload", _LC), ("team", _LC), ("minutes", "Int32"), ("cpu_request", "Float64"),
        ("cpu_usage", "Float64"), ("cpu_allocated", "Float64"),
        ("memory_request", "Float64"), ("memory_usage", "Float64"),
        ("memory_allocated", "Float64"), ("saved_us", "Int64"),
    ), order_by="tenant, cluster, hour_us, saved_us"),
    Table("metering_nodes", _cols(
        ("tenant", _LC), ("cluster", _LC), ("hour_us", "Int64"), ("node", _LC),
        ("minutes", "Int32"), ("cpu_capacity", "Float64"), ("memory_capacity", "Float64"),
        ("saved_us", "Int64"),
    ), order_by="tenant, cluster, hour_us, saved_us"),
    Table("metering_saves", _cols(
        ("tenant", _LC), ("cluster", _LC), ("hour_us", "Int64"), ("saved_us", "Int64"),
    ), order_by="tenant, cluster, hour_us, saved_us"),
    Table("check_results", _cols(
        ("tenant", _LC), ("check_id", _LC), ("ts_us", _TS), ("status", _LC),
        ("state", _LC), ("duration_ms", "Nullable(Float64)"),
        ("status_code", "Nullable(Int32)"), ("failed_condition", _TEXTN),
        ("error", _TEXTN), ("tls_days_left", "Nullable(Float64)"), ("name", _LC),
        ("target", _LC),
    ), order_by="tenant, check_id, ts_us"),
    Table("users_1m", _USERS, "tenant, service, ts_us", partition_by=_by_day(),
          ttl_column="ts_us"),
    Table("users_1d", _USERS, "tenant, service, ts_us",
          user_ttl_column="ts_us"),  # outlives the spans
    Table("db_statements_1m", _DB_STATEMENTS,
          "tenant, db, fingerprint, service, ts_us, bucket", partition_by=_by_day(),
          ttl_column="ts_us", settings=_NULLABLE_KEYS),
    Table("db_statements_1h", _DB_STATEMENTS,
          "tenant, db, fingerprint, service, ts_us, bucket", ttl_column="ts_us",
          settings=_NULLABLE_KEYS),
    Table("db_statement_text", _cols(
        ("tenant", _LC), ("fingerprint", "String"), ("text", _TEXT),
    ), order_by="tenant, fingerprint", engine="ReplacingMergeTree"),
    Table("web_1m", _WEB, "tenant, service, endpoint, ts_us, status, bucket",
          "SummingMergeTree", _by_day(), "ts_us", _NULLABLE_KEYS),
    Table("web_1h", _WEB, "tenant, service, endpoint, ts_us, status, bucket",
          "SummingMergeTree", None, "ts_us", _NULLABLE_KEYS),
    Table("ingest_position", _cols(("log_id", _LC), ("lsn", "Int64")),
          order_by="log_id, lsn"),
)

# Tables delete_before clears by ts_us (captures, checks, kube, day sketches, metering:
# their own retention). instances go by last_seen_us.
TELEMETRY_TABLES = tuple(
    t.name for t in TABLES
    if t.ttl_column == "ts_us"
)


# kube_events columns read from an episode's latest sighting, and those read from its
# latest sighting that knew them (never cleared once known).
EPISODE_TEXT = ("cluster", "namespace", "object_kind", "object_name", "kind", "reason",
                 "severity", "summary", "message", "component", "source", "raw")
EPISODE_LINKS = ("service", "pod", "container", "node")


def by_name(name: str) -> Table:
    """The table called ``name``."""
    return next(t for t in TABLES if t.name == name)


def ddl(retention_days: float | None = None, cluster: str | None = None,
        database: str | None = None, user_retention_days: float | None = None) -> list[str]:
    """CREATE statements for every table and view (IF NOT EXISTS); the TTLs those of
    ``retention_days`` (telemetry) and ``user_retention_days`` (day sketches), none where
    it is None.

    Single node: ``*MergeTree`` tables. With ``cluster``: each table is created ``ON
    CLUSTER`` as ``Replicated*MergeTree`` under the name ``<table>_local`` (ZooKeeper path
    ``/clickhouse/tables/{shard}/<db>/<table>``, replica ``{replica}``), and a
    ``Distributed`` table named as the table routes reads and writes (sharded by
    ``cityHash64(tenant)``: one tenant's rows on one shard, so its joins stay local).
    """
    prefix = f"{database}." if database else ""
    on_cluster = f" ON CLUSTER {cluster}" if cluster else ""
    out: list[str] = []
    for t in TABLES:
        columns = ",\n    ".join(f"{c.name} {c.type}" for c in t.columns)
        settings = dict(t.settings)
        if cluster:
            engine = (f"Replicated{t.engine}('/clickhouse/tables/{{shard}}/"
                      f"{database or '{database}'}/{t.name}', '{{replica}}')")
            settings["replicated_deduplication_window"] = str(DEDUP_WINDOW)
            name = f"{prefix}{t.name}_local"
        else:
            engine = f"{t.engine}()"
            settings["non_replicated_deduplication_window"] = str(DEDUP_WINDOW)
            name = f"{prefix}{t.name}"
        clauses = [f"ENGINE = {engine}"]
        if t.partition_by:
            clauses.append(f"PARTITION BY {t.partition_by}")
        clauses.append(f"ORDER BY ({t.order_by})")
        ttl = _ttl(t, retention_days, user_retention_days)
        if ttl:
            clauses.append(f"TTL {ttl}")
        clauses.append("SETTINGS " + ", ".join(f"{k} = {v}" for k, v in settings.items()))
        out.append(f"CREATE TABLE IF NOT EXISTS {name}{on_cluster} (\n    {columns}\n)\n"
                   + "\n".join(clauses))
        if cluster:
            db = database or "currentDatabase()"
            out.append(
                f"CREATE TABLE IF NOT EXISTS {prefix}{t.name}{on_cluster} AS {name}\n"
                f"ENGINE = Distributed({cluster}, {db}, {t.name}_local, "
                f"cityHash64({'tenant' if _has_tenant(t) else 'log_id'}))")
    # Over the Distributed tables on a cluster: each replica's view reads every shard.
    out.extend(f"CREATE VIEW IF NOT EXISTS {prefix}{name}{on_cluster} AS{query}"
               for name, query in VIEWS.items())
    return out


# The current state of the append-only tables, the one place their read rule is written
# (the module docstring): reads select from these views, filtered by tenant (ClickHouse
# pushes the filter on a grouping key into the view). Aggregates are named apart and
# renamed outside: an alias equal to a column would replace the column inside argMax.
_LATEST = "(last_seen_us, seq)"
VIEWS: dict[str, str] = {
    "instances_latest": f"""
SELECT tenant, service, instance, first_us AS first_seen_us, last_us AS last_seen_us,
       c AS cluster, ns AS namespace, h AS host, r AS resource
FROM (
    SELECT tenant, service, instance, min(first_seen_us) AS first_us,
           max(last_seen_us) AS last_us, argMax(cluster, {_LATEST}) AS c,
           argMax(namespace, {_LATEST}) AS ns, argMax(host, {_LATEST}) AS h,
           argMax(resource, {_LATEST}) AS r
    FROM instances
    GROUP BY tenant, service, instance
)""",
    "kube_episodes": "\nSELECT tenant, id, n AS count, first_us AS first_seen_us, "
    "last_us AS last_seen_us, "
    + ", ".join(f"e_{c} AS {c}" for c in (*EPISODE_TEXT, *EPISODE_LINKS))
    + "\nFROM (\n    SELECT tenant, id, max(count) AS n, min(first_seen_us) AS first_us,"
    " max(last_seen_us) AS last_us, "
    + ", ".join(f"argMax({c}, {_LATEST}) AS e_{c}" for c in EPISODE_TEXT) + ", "
    + ", ".join(f"argMaxIf({c}, {_LATEST}, {c} IS NOT NULL) AS e_{c}"
                for c in EPISODE_LINKS)
    + "\n    FROM kube_events\n    GROUP BY tenant, id\n)",
}


def create(command: Callable[[str], object], retention_days: float | None = None,
           user_retention_days: float | None = None,
           engines: Mapping[str, str] | None = None) -> None:
    """Create every table in the current database (``command`` runs one statement).

    ``engines`` (table -> ``engine_full`` of ``system.tables``) are the tables that exist:
    a TTL there that is not the retention asked for is changed (``MODIFY TTL``, without
    rewriting the parts: rows are checked against the new TTL at their next merge), so a
    retention setting raised or lowered after the first start is the one in force.
    """
    for statement in ddl(retention_days, user_retention_days=user_retention_days):
        command(statement)
    for t in TABLES:
        ttl = _ttl(t, retention_days, user_retention_days)
        engine = (engines or {}).get(t.name)
        if ttl and engine is not None and ttl_text(ttl) not in engine:
            command(f"ALTER TABLE {t.name} MODIFY TTL {ttl}"
                    " SETTINGS materialize_ttl_after_modify = 0")


def _ttl(t: Table, retention_days: float | None, user_retention_days: float | None
         ) -> str | None:
    """The table's TTL expression, None when it has none."""
    column, days = ((t.ttl_column, retention_days) if t.ttl_column
                    else (t.user_ttl_column, user_retention_days))
    if not column or not days:
        return None
    return f"{_DAY.format(col=column)} + INTERVAL {int(days * 86400)} SECOND"


def ttl_text(ttl: str) -> str:
    """A TTL expression as ClickHouse prints it back in ``engine_full``."""
    return re.sub(r"INTERVAL (\d+) SECOND", r"toIntervalSecond(\1)", ttl)


def _has_tenant(t: Table) -> bool:
    return any(c.name == "tenant" for c in t.columns)


def edges_live_sql(settled_us_param: str = "{settled_us:Int64}") -> str:
    """The edges of client halves not settled yet (arrived after ``settled_us``),
    matched with their server halves: rows shaped like ``edges_1m``, one per call."""
    return f"""
SELECT c.tenant AS tenant, intDiv(c.ts_us, 60000000) * 60000000 AS ts_us,
       c.service AS source, c.instance AS source_instance, s.service AS target,
       s.instance AS target_instance, 'service' AS target_kind, toInt64(1) AS calls,
       toInt64(c.is_error OR s.is_error) AS errors, c.duration_us AS sum_us
FROM edge_clients AS c
INNER JOIN edge_servers AS s
    ON s.tenant = c.tenant AND s.trace_lo = c.trace_lo AND s.parent_id = c.span_id
WHERE c.arrived_us > {settled_us_param}"""
