"""The ClickHouse store's write side against the real engine behind the local endpoint:
loads are idempotent per ingest-log position, derived rows equal DuckDB's, edges settle,
errors are typed."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pyarrow as pa
import pytest
from tests.store.test_conformance import NOW_US, spans

from bongsu.errors import InvalidQuery, QueryTimeout, StoreUnavailable, TooManyRows
from bongsu.kube.model import Episode
from bongsu.store.batch import RESOURCE_SCHEMA, Batch
from bongsu.store.clickhouse.client import ClickHouse
from bongsu.store.clickhouse.schema import TELEMETRY_TABLES, ddl, edges_live_sql
from bongsu.store.clickhouse.store import ClickHouseStore
from bongsu.store.duckdb import DuckDBStore
from bongsu.store.metering import HOUR_US, ContainerHour, NodeHour

BATCH = Batch(
    spans=spans(
        {"http_method": "GET", "http_route": "/", "http_status": 200, "user_id": "u1"},
        {"span_id": 2, "kind": 3, "parent_id": 1, "duration_us": 700},
        {"service": "api", "instance": "api-1", "span_id": 3, "parent_id": 2, "is_error": True},
        {"span_id": 4, "kind": 3, "db_system": "postgresql", "db_statement": "select 1",
         "peer": "db.local", "duration_us": 300},
        {"span_id": 5, "kind": 3, "peer": "x.example", "duration_us": 50},
    ),
    resources=pa.Table.from_pylist(
        [{"tenant": "default", "service": "svc", "instance": "svc-1", "first_us": NOW_US,
          "last_us": NOW_US + 5, "host": "h1"}], schema=RESOURCE_SCHEMA),
)


def total(store: ClickHouseStore, sql: str) -> list[tuple[Any, ...]]:
    return sorted(store.run(sql))


def test_a_replayed_position_stores_nothing_twice(clickhouse: ClickHouse) -> None:
    store = ClickHouseStore.open(clickhouse, retention_days=7)
    assert store.load(BATCH, 1)
    assert not store.load(BATCH, 1)
    # A crash after the inserts, before the position: a new store replays position 1.
    clickhouse.command("DELETE FROM ingest_position WHERE lsn = 1")
    again = ClickHouseStore(clickhouse)
    assert again.loaded_lsn() == 0
    assert again.load(BATCH, 1)
    assert again.loaded_lsn() == 1
    assert store.run("SELECT count() FROM spans") == [(5,)]
    assert store.run("SELECT sum(count) FROM rollup_1m") == [(2,)]
    assert ClickHouseStore(clickhouse).loaded_lsn() == 1


def test_positions_are_per_ingest_log(clickhouse: ClickHouse) -> None:
    first = ClickHouseStore.open(clickhouse, log_id="replica-a")
    second = ClickHouseStore(clickhouse, log_id="replica-b")
    assert first.load(BATCH, 3)
    assert second.loaded_lsn() == 0
    assert second.load(BATCH, 3)
    assert ClickHouseStore(clickhouse, log_id="replica-a").loaded_lsn() == 3


@pytest.mark.parametrize("table", [
    "rollup_10s", "rollup_1m", "users_1m", "users_1d", "db_statements_1m", "web_1m",
    "web_1h", "db_statements_1h"])
def test_derived_rows_equal_duckdb(clickhouse: ClickHouse, table: str) -> None:
    store = ClickHouseStore.open(clickhouse)
    store.load(BATCH, 1)
    duck = DuckDBStore.open(":memory:")
    duck.load(BATCH, 1)
    # Sketches are bytes: ClickHouse's String comes back as text unless read as hex.
    select = ("SELECT tenant, ts_us, service, lower(hex(sketch))" if table.startswith("users")
              else "SELECT *")
    theirs = sorted(tuple(r) for r in duck.run(select.replace("hex(", "hex(") + f" FROM {table}"))
    ours = sorted(tuple(r) for r in store.run(f"{select} FROM {table}"))
    assert ours == theirs and ours


def test_edges_live_then_settled_as_duckdb_counts_them(clickhouse: ClickHouse) -> None:
    store = ClickHouseStore.open(clickhouse)
    store.load(BATCH, 1)
    live = store.run(edges_live_sql(), {"settled_us": store.settled_us()})
    assert [(r[2], r[4], r[6], r[7], r[8]) for r in live] == [("svc", "api", "service", 1, 1)]
    duck = DuckDBStore.open(":memory:")
    duck.load(BATCH, 1)
    cutoff = int(time.time() * 1e6) + 1
    store.expire_edges(cutoff)
    store.expire_edges(cutoff)  # the same cutoff again adds nothing
    assert store.run(edges_live_sql(), {"settled_us": store.settled_us()}) == []
    duck.expire_edges(cutoff)
    sql = ("SELECT source, target, target_kind, sum(calls), sum(errors), sum(sum_us)"
           " FROM edges_1m GROUP BY source, target, target_kind")
    assert total(store, sql) == sorted(tuple(r) for r in duck.run(sql))
    assert len(total(store, sql)) == 3


def test_instances_aggregate_at_read(clickhouse: ClickHouse) -> None:
    store = ClickHouseStore.open(clickhouse)
    store.load(BATCH, 1)
    later = pa.Table.from_pylist(
        [{"tenant": "default", "service": "svc", "instance": "svc-1", "first_us": NOW_US + 9,
          "last_us": NOW_US + 99, "host": "h2"}], schema=RESOURCE_SCHEMA)
    store.load(Batch(resources=later), 2)
    assert store.run(
        "SELECT min(first_seen_us), max(last_seen_us), argMax(host, (last_seen_us, seq))"
        " FROM instances GROUP BY tenant, service, instance") == [(NOW_US, NOW_US + 99, "h2")]


def episode(**kw: Any) -> Episode:
    base: dict[str, Any] = dict(
        id="e1", tenant="default", cluster="c", namespace="ns", object_kind="Pod",
        object_name="p", kind="crash_loop", reason="BackOff", severity="warning",
        summary="s", message="m1", count=1, first_seen_us=100, last_seen_us=200,
        component="kubelet", source="event", service=None, pod="p", container=None,
        node=None, raw="{}")
    return Episode(**{**base, **kw})


def test_kube_episodes_keep_the_upsert_rules(clickhouse: ClickHouse) -> None:
    store = ClickHouseStore.open(clickhouse)
    store.save_kube_episodes([episode(), episode(count=3, last_seen_us=300, message="m3")])
    store.save_kube_episodes([episode(count=2, last_seen_us=250, message="old")])
    assert store.link_kube_episodes("default", "c", [("ns", "p", "checkout")]) == 1
    assert store.link_kube_episodes("default", "c", [("ns", "p", "other")]) == 0
    assert store.run(
        "SELECT max(count), min(first_seen_us), max(last_seen_us),"
        " argMax(message, (last_seen_us, seq)),"
        " argMaxIf(service, (last_seen_us, seq), service IS NOT NULL)"
        " FROM kube_events GROUP BY tenant, id") == [(3, 100, 300, "m3", "checkout")]
    assert sorted(store.run("SELECT DISTINCT ts_us, count FROM kube_event_counts")) == [
        (200, 1), (300, 3)]
    assert store.delete_kube_events_before(301) == 1
    assert store.run("SELECT count() FROM kube_events") == [(0,)]


def test_retention_counts_what_it_deletes(clickhouse: ClickHouse) -> None:
    store = ClickHouseStore.open(clickhouse)
    store.load(BATCH, 1)
    duck = DuckDBStore.open(":memory:")
    duck.load(BATCH, 1)
    settled = int(time.time() * 1e6) + 1  # matched edges are rows in both stores after it
    store.expire_edges(settled)
    duck.expire_edges(settled)
    for cutoff in (NOW_US, NOW_US + 60_000_000):
        assert store.delete_before(cutoff) == duck.delete_before(cutoff)
    assert store.run("SELECT count() FROM spans") == [(0,)]


def test_query_limits_are_typed(clickhouse: ClickHouse) -> None:
    with pytest.raises(TooManyRows):
        clickhouse.run("SELECT number FROM numbers(100)", max_rows=10)
    with pytest.raises(QueryTimeout):
        clickhouse.run("SELECT sleepEachRow(0.5) FROM numbers(10) SETTINGS max_block_size = 1",
                       timeout_s=1)
    with pytest.raises(InvalidQuery):
        clickhouse.run("SELECT toUInt8({x:String})", {"x": "abc"})
    assert clickhouse.run("SELECT {x:Int64} + 1", {"x": 41}) == [(42,)]


def test_an_unreachable_server_is_store_unavailable() -> None:
    with pytest.raises(StoreUnavailable):
        ClickHouse.connect("http://127.0.0.1:9", "nowhere", connect_timeout_s=1)


def test_cluster_ddl_is_replicated_and_distributed() -> None:
    statements = ddl(7, cluster="prod", database="bongsu")
    spans_local = next(s for s in statements if s.startswith(
        "CREATE TABLE IF NOT EXISTS bongsu.spans_local ON CLUSTER prod"))
    assert "ReplicatedMergeTree('/clickhouse/tables/{shard}/bongsu/spans'" in spans_local
    assert "replicated_deduplication_window" in spans_local
    assert any("ENGINE = Distributed(prod, bongsu, spans_local" in s for s in statements)


def test_retention_is_the_tables_ttl_and_follows_the_setting(clickhouse: ClickHouse) -> None:
    day = 86_400_000_000
    old, recent = NOW_US - 30 * day, NOW_US - 2 * day
    store = ClickHouseStore.open(clickhouse, retention_days=7, user_retention_days=10)
    store.load(Batch(spans=spans({"ts_us": old, "user_id": "u1"},
                                 {"ts_us": recent, "span_id": 2, "user_id": "u2"})), 1)

    def ttls() -> dict[str, str]:
        return dict(clickhouse.run("SELECT name, engine_full FROM system.tables"
                                   " WHERE database = currentDatabase()"))

    assert "toIntervalSecond(604800)" in ttls()["spans"]
    assert "toIntervalSecond(864000)" in ttls()["users_1d"]
    assert "users_1d" not in TELEMETRY_TABLES  # its own retention, not delete_before's
    for table in ("spans", "users_1d"):
        clickhouse.command(f"OPTIMIZE TABLE {table} FINAL")  # TTLs apply at merges
    reads = store.reads(10, 1000)
    assert [s.span_id for s in reads.trace_spans("default", 1, 1)] == [2]
    days = [r.ts_us for r in reads.user_sketches("default", "day", old - day, NOW_US + day)]
    assert days == [recent // day * day]
    # Opened again with other settings: the TTLs become those, the rows stay.
    ClickHouseStore.open(clickhouse, retention_days=30, user_retention_days=400)
    assert "toIntervalSecond(2592000)" in ttls()["spans"]
    assert "toIntervalSecond(34560000)" in ttls()["users_1d"]
    assert len(reads.user_sketches("default", "day", old - day, NOW_US + day)) == 1


def test_a_metering_save_cut_short_leaves_the_hour_as_it_was(clickhouse: ClickHouse) -> None:
    hour = NOW_US // HOUR_US * HOUR_US
    store = ClickHouseStore.open(clickhouse)
    meter = store.metering(10, 1000)
    first = ContainerHour("lab", hour, "shop", "cart-1", "app", "n1", "Deployment", "cart",
                          "", 60, 0.5, 0.2, 0.5, 1.0, 0.5, 1.0)
    node = NodeHour("lab", hour, "n1", 60, 4.0, 8.0)
    meter.save_metering_hour("default", "lab", hour, [first], [node])
    # A later save that wrote its rows and died before its stamp in metering_saves.
    clickhouse.insert("metering_containers", pa.Table.from_pylist([{
        **dataclasses.asdict(first), "tenant": "default", "pod": "half-saved",
        "saved_us": time.time_ns() // 1000}]))
    assert meter.metering_hours("default", hour, hour + HOUR_US, None) == ([first], [node])
    # The next save replaces the hour whole: no node now, and the old versions are gone.
    second = dataclasses.replace(first, pod="cart-2")
    meter.save_metering_hour("default", "lab", hour, [second], [])
    assert meter.metering_hours("default", hour, hour + HOUR_US, None) == ([second], [])
    assert meter.metering_totals("default", hour, hour + HOUR_US, None, "cluster")[2] == 1
    for table in ("metering_saves", "metering_containers"):  # the half-saved rows too
        assert clickhouse.run(f"SELECT count() FROM {table}") == [(1,)]
