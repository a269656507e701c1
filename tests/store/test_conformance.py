"""The store contract (``bongsu.store.base``), run against every backend in ``BACKENDS``:
DuckDB in a data directory and ClickHouse on the local endpoint (a database per test).

Every assertion reads back through the interfaces (``loaded_lsn``, ``store.reads``), never
a backend's tables; the tests named ``test_duckdb_*`` are about DuckDB's file itself (its
migrations, its compaction of partial rows).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from tests.store import backends
from tests.store.backends import BACKENDS, opened

from bongsu.kube.model import Episode
from bongsu.store.batch import LOG_SCHEMA, RESOURCE_SCHEMA, SPAN_SCHEMA, Batch
from bongsu.store.duckdb import DuckDBStore
from bongsu.store.reads import reads_of

NOW_US = int(time.time() * 1e6) // 60_000_000 * 60_000_000 - 600_000_000
DAY_US = 86_400_000_000
# The fixtures (conftest.py has them too), for the modules that import them from here.
backend, store = backends.backend, backends.store
WINDOW = (NOW_US - 3 * DAY_US, NOW_US + DAY_US)


def spans(*rows: dict[str, Any]) -> pa.Table:
    base = {
        "tenant": "default", "ts_us": NOW_US, "trace_hi": 1, "trace_lo": 1, "span_id": 1,
        "parent_id": 0, "service": "svc", "instance": "svc-1", "name": "GET /", "kind": 2,
        "duration_us": 1000, "status": 0, "is_error": False,
    }
    return pa.Table.from_pylist([{**base, **r} for r in rows], schema=SPAN_SCHEMA)


def reads(store: Any) -> Any:
    return reads_of(store, timeout_s=30, max_rows=10_000)


def span_ids(store: Any, tenant: str = "default") -> list[int]:
    """The ids of the stored spans of the trace every test span is in."""
    return sorted(s.span_id for s in reads(store).trace_spans(tenant, 1, 1))


def transactions(store: Any, resolution: Any, tenant: str = "default") -> dict[str, int]:
    """Transactions per service over the window, from the rollups of ``resolution``."""
    return {s.service: s.figures.transactions
            for s in reads(store).services(tenant, *WINDOW, resolution, WINDOW[1])}


def edge_rows(store: Any, tenant: str = "default") -> list[tuple[Any, ...]]:
    """(source service, source instance, target, kind, calls, errors, sum_us) per edge."""
    return sorted((e.source_service, e.source, e.target_service, e.target_kind, e.calls,
                   e.errors, e.sum_us)
                  for e in reads(store).edges(tenant, *WINDOW, "instance"))


def figures(store: Any) -> list[Any]:
    """Every figure the dashboards read of the test spans, per 10 s and per minute."""
    r = reads(store)
    return [r.services("default", *WINDOW, res, WINDOW[1]) for res in (10, 60)] + [
        r.service_series("default", "svc", *WINDOW, res, 60_000_000) for res in (10, 60)]


def test_new_store_has_loaded_nothing(store: Any) -> None:
    assert store.loaded_lsn() == 0
    assert span_ids(store) == []
    assert transactions(store, 60) == {}


def test_load_is_idempotent_by_position(store: Any) -> None:
    batch = Batch(spans=spans({"span_id": 1}, {"span_id": 2}))
    assert store.load(batch, 3) is True
    assert store.loaded_lsn() == 3
    assert store.load(batch, 3) is False
    assert store.load(batch, 2) is False
    assert span_ids(store) == [1, 2]
    assert transactions(store, 10) == transactions(store, 60) == {"svc": 2}


def test_derived_load_without_position_does_not_move_it(store: Any) -> None:
    assert store.load(Batch(spans=spans({})), 7)
    assert store.load(Batch(spans=spans({"span_id": 9})), None)
    assert store.loaded_lsn() == 7
    assert span_ids(store) == [1, 9]


def bad_logs() -> pa.Table:
    """A log record without a service, which every backend refuses."""
    return pa.Table.from_pylist(
        [{"tenant": "default", "ts_us": NOW_US, "trace_hi": 0, "trace_lo": 0, "span_id": 0,
          "severity_number": 9, "service": None, "instance": "x"}], schema=LOG_SCHEMA,
    )


def test_a_refused_load_stores_nothing_and_the_store_goes_on(store: Any) -> None:
    assert store.load(Batch(spans=spans({})), 1)
    with pytest.raises(Exception):  # noqa: B017 - each backend has its own constraint error
        store.load(Batch(spans=spans({"span_id": 5}), logs=bad_logs()), 2)
    assert store.loaded_lsn() == 1
    assert span_ids(store) == [1]
    assert transactions(store, 10) == {"svc": 1}
    assert store.load(Batch(spans=spans({"span_id": 5})), 2)  # and the store still works
    assert span_ids(store) == [1, 5]
    assert transactions(store, 60) == {"svc": 2}


def test_rows_are_visible_once_load_returns(store: Any) -> None:
    for lsn in range(1, 6):
        store.load(Batch(spans=spans({"span_id": lsn})), lsn)
        assert span_ids(store) == list(range(1, lsn + 1))


def test_client_then_server_in_separate_loads_is_one_service_edge(store: Any) -> None:
    client = {"service": "web", "instance": "web-1", "kind": 3, "span_id": 10,
              "duration_us": 5000, "peer": "api"}
    server = {"service": "api", "instance": "api-2", "kind": 2, "span_id": 11,
              "parent_id": 10, "is_error": True}
    store.load(Batch(spans=spans(client)), 1)
    store.load(Batch(spans=spans(server)), 2)
    store.expire_edges(2**62)
    assert edge_rows(store) == [("web", "web-1", "api", "service", 1, 1, 5000)]
    store.expire_edges(2**62)  # matched once: expiring again adds no call
    assert edge_rows(store) == [("web", "web-1", "api", "service", 1, 1, 5000)]


def test_server_then_client_is_one_service_edge(store: Any) -> None:
    store.load(Batch(spans=spans({"service": "api", "span_id": 11, "parent_id": 10})), 1)
    store.load(Batch(spans=spans({"service": "web", "kind": 3, "span_id": 10})), 2)
    store.expire_edges(2**62)
    assert [r[:4] for r in edge_rows(store)] == [("web", "svc-1", "api", "service")]


def test_database_and_external_calls(store: Any) -> None:
    rows = [
        {"kind": 3, "span_id": 1, "db_system": "postgresql", "db_name": "shop",
         "peer": "pg-0", "duration_us": 300},
        {"kind": 3, "span_id": 2, "db_system": "postgresql", "db_name": "shop",
         "peer": "pg-0", "duration_us": 500, "is_error": True},
        {"kind": 3, "span_id": 3, "peer": "api.pay.example", "duration_us": 9000},
    ]
    store.load(Batch(spans=spans(*rows)), 1)
    database = ("svc", "svc-1", "postgresql:shop", "database", 2, 1, 800)
    assert edge_rows(store) == [database]
    store.expire_edges(int(time.time() * 1e6) - 60_000_000)  # not yet: still pending
    assert edge_rows(store) == [database]
    store.expire_edges(2**62)
    assert edge_rows(store) == [
        ("svc", "svc-1", "api.pay.example", "external", 1, 0, 9000), database]


def test_pending_halves_survive_reopening(backend: Callable[[Path], Any], tmp_path: Path) -> None:
    first = backend(tmp_path)
    first.load(Batch(spans=spans({"service": "web", "kind": 3, "span_id": 10})), 1)
    first.close()
    second = backend(tmp_path)
    try:
        assert second.loaded_lsn() == 1
        second.load(Batch(spans=spans({"service": "api", "span_id": 11, "parent_id": 10})), 2)
        assert [r[:4] for r in edge_rows(second)] == [("web", "svc-1", "api", "service")]
    finally:
        second.close()


def test_tenants_never_share_rows_or_edges(store: Any) -> None:
    # The same ids in two tenants: the client of one must not match the server of the other.
    store.load(Batch(spans=spans({"tenant": "a", "service": "web", "kind": 3, "span_id": 10})), 1)
    store.load(Batch(spans=spans({"tenant": "b", "service": "api", "span_id": 11,
                                  "parent_id": 10})), 2)
    store.expire_edges(2**62)
    assert [r[3] for r in edge_rows(store, "a")] == ["external"]
    assert edge_rows(store, "b") == []
    assert (span_ids(store, "a"), span_ids(store, "b")) == ([10], [11])
    assert (transactions(store, 10, "a"), transactions(store, 60, "b")) == ({}, {"api": 1})
    assert span_ids(store) == [] and transactions(store, 60) == {}


def compaction_spans(lsn: int) -> pa.Table:
    return spans(*({"span_id": lsn * 100 + k, "duration_us": 1000 * (k + 1), "is_error": k == 3}
                   for k in range(5)))


def test_compaction_keeps_every_figure(store: Any) -> None:
    for lsn in range(1, 21):
        store.load(Batch(spans=compaction_spans(lsn)), lsn)
    before = figures(store)
    assert before[1][0].figures.transactions == 100
    assert before[1][0].figures.errors == 20
    store.compact()
    assert figures(store) == before


def test_duckdb_compaction_merges_partial_rows(tmp_path: Path) -> None:
    store = DuckDBStore.open(tmp_path / "telemetry.duckdb")
    try:
        for lsn in range(1, 21):
            store.load(Batch(spans=compaction_spans(lsn)), lsn)
        rows_before = store.run("SELECT count(*) FROM rollup_10s")[0][0]
        assert store.compact() > 0
        assert store.run("SELECT count(*) FROM rollup_10s")[0][0] < rows_before
    finally:
        store.close()


def test_delete_before_removes_only_older_rows(store: Any) -> None:
    old, new = NOW_US - 2 * DAY_US, NOW_US
    store.load(Batch(spans=spans({"ts_us": old, "span_id": 1}, {"ts_us": new, "span_id": 2})), 1)
    assert transactions(store, 10) == {"svc": 2}
    assert store.delete_before(NOW_US - DAY_US) >= 1
    assert span_ids(store) == [2]
    assert transactions(store, 10) == transactions(store, 60) == {"svc": 1}
    series = reads(store).service_series("default", "svc", *WINDOW, 10, 10_000_000)
    assert [p.ts_us for p in series] == [NOW_US]


def test_day_user_sketches_have_their_own_retention(store: Any) -> None:
    old = NOW_US - 2 * DAY_US
    store.load(Batch(spans=spans({"ts_us": old, "span_id": 1, "user_id": "u1"},
                                 {"ts_us": NOW_US, "span_id": 2, "user_id": "u2"})), 1)

    def days() -> list[int]:
        return sorted({r.ts_us for r in reads(store).user_sketches("default", "day", *WINDOW)})

    assert days() == [old // DAY_US * DAY_US, NOW_US // DAY_US * DAY_US]
    store.delete_before(NOW_US + 60_000_000)  # telemetry retention leaves day sketches alone
    assert len(days()) == 2
    assert reads(store).user_sketches("default", "minute", *WINDOW) == []
    assert store.delete_user_days_before(NOW_US - DAY_US) >= 1
    assert days() == [NOW_US // DAY_US * DAY_US]


def resources(instance: str, last_us: int, host: str, tenant: str = "default") -> pa.Table:
    return pa.Table.from_pylist([{
        "tenant": tenant, "service": "svc", "instance": instance, "first_us": last_us - 1000,
        "last_us": last_us, "host": host,
        "resource": f'{{"service.name": "svc", "host.name": "{host}"}}'}],
        schema=RESOURCE_SCHEMA)


def test_an_instance_is_known_by_its_latest_resource(store: Any) -> None:
    store.load(Batch(spans=spans({}), resources=resources("svc-1", NOW_US, "h1")), 1)
    store.load(Batch(resources=resources("svc-1", NOW_US + 5000, "h2")), 2)
    store.load(Batch(resources=resources("svc-1", NOW_US + 9000, "h9", tenant="acme")), 3)
    store.load(Batch(resources=resources("old-1", NOW_US - 2 * DAY_US, "h0")), 4)
    labels = reads(store).instance_labels("default", ["svc-1", "old-1", "never-seen"])
    assert [(label.instance, label.host) for label in labels] == [
        ("old-1", "h0"), ("svc-1", "h2")]
    [listed] = reads(store).instances("default", "svc", NOW_US - DAY_US, WINDOW[1], NOW_US)
    assert (listed.instance, listed.last_seen_us, listed.transactions) == (
        "svc-1", NOW_US + 5000, 1)
    store.delete_before(NOW_US - DAY_US)  # an instance last seen before the cutoff goes
    assert [label.instance for label in reads(store).instance_labels(
        "default", ["svc-1", "old-1"])] == ["svc-1"]


def test_acknowledged_load_survives_kill_9(tmp_path: Path, request: pytest.FixtureRequest,
                                            ) -> None:
    script = textwrap.dedent(f"""
        import sys, time
        sys.path[:0] = [{str(Path(__file__).parents[2])!r}, {str(Path(__file__).parent)!r}]
        from tests.store.backends import open_store
        from tests.store.test_conformance import spans, Batch
        from pathlib import Path
        store = open_store(sys.argv[1], Path(sys.argv[2]), sys.argv[3] or None)
        for lsn in range(1, 51):
            store.load(Batch(spans=spans(*({{"span_id": lsn * 10 + k}} for k in range(10)))), lsn)
        print("loaded", flush=True)
        time.sleep(60)
    """)
    for name in BACKENDS:
        with opened(request, name) as opener:
            url = request.getfixturevalue("clickhouse_url") if name == "clickhouse" else ""
            path = tmp_path / name
            path.mkdir()
            proc = subprocess.Popen([sys.executable, "-c", script, name, str(path), url],
                                    stdout=subprocess.PIPE, text=True)
            assert proc.stdout is not None and proc.stdout.readline().strip() == "loaded"
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            store = opener(path)
            try:
                assert store.loaded_lsn() == 50
                assert len(span_ids(store)) == 500
                assert transactions(store, 10) == {"svc": 500}
            finally:
                store.close()


def test_duckdb_migrations_are_applied_once(tmp_path: Path) -> None:
    DuckDBStore.open(tmp_path / "telemetry.duckdb").close()
    store = DuckDBStore.open(tmp_path / "telemetry.duckdb")
    try:
        versions = store.run("SELECT version FROM schema_version ORDER BY version")
        assert [v for (v,) in versions] == sorted({v for (v,) in versions})
        assert len(versions) >= 2
    finally:
        store.close()


# -- Kubernetes episodes ------------------------------------------------------------------


def episode(**changes: Any) -> Episode:
    base: dict[str, Any] = dict(
        id="ep-1", tenant="default", cluster="private", namespace="shop", object_kind="Pod",
        object_name="cart-7d9f8-x2kq", kind="crash_loop", reason="BackOff",
        severity="critical", summary="cart crash-looping", message="Back-off restarting",
        count=1, first_seen_us=NOW_US, last_seen_us=NOW_US, component="kubelet",
        source="event", pod="cart-7d9f8-x2kq", container="cart", node="node-a",
        raw='{"kind": "Event"}',
    )
    return Episode(**{**base, **changes})


def stored(store: Any, tenant: str, id: str) -> tuple[Episode, list[tuple[int, int]]] | None:
    """Read an episode back through the read contract (no backend tables)."""
    found = reads_of(store, timeout_s=10, max_rows=1000).kube_event(tenant, id)
    if found is None:
        return None
    ep, counts = found
    return ep, [(c.ts_us, c.count) for c in counts]


def test_an_episode_is_upserted_and_never_moves_back(store: Any) -> None:
    store.save_kube_episodes([episode()])
    store.save_kube_episodes([episode(count=5, last_seen_us=NOW_US + 60_000_000,
                                      message="Back-off 40s", raw='{"n": 5}')])
    # A relist sees an older copy of the same event: nothing moves back.
    store.save_kube_episodes([episode(count=3, last_seen_us=NOW_US + 30_000_000,
                                      first_seen_us=NOW_US - 10_000_000, message="older",
                                      raw='{"n": 3}')])
    got = stored(store, "default", "ep-1")
    assert got is not None
    ep, counts = got
    assert (ep.count, ep.first_seen_us, ep.last_seen_us) == (
        5, NOW_US - 10_000_000, NOW_US + 60_000_000)
    assert (ep.message, ep.raw) == ("Back-off 40s", '{"n": 5}')
    assert counts == [(NOW_US, 1), (NOW_US + 60_000_000, 5)]


def test_saving_an_episode_again_adds_no_count_point(store: Any) -> None:
    for _ in range(3):
        store.save_kube_episodes([episode(count=2)])
    got = stored(store, "default", "ep-1")
    assert got is not None and got[1] == [(NOW_US, 2)]


def test_an_id_repeated_in_one_call_is_applied_in_order(store: Any) -> None:
    bumps = [episode(count=n, last_seen_us=NOW_US + n * 15_000_000, message=f"bump {n}")
             for n in range(1, 101)]
    store.save_kube_episodes(bumps)
    got = stored(store, "default", "ep-1")
    assert got is not None
    ep, counts = got
    assert (ep.count, ep.message) == (100, "bump 100")
    assert counts == [(NOW_US + n * 15_000_000, n) for n in range(1, 101)]


def test_a_later_sighting_keeps_known_links(store: Any) -> None:
    store.save_kube_episodes([episode(service="cart")])
    store.save_kube_episodes([episode(count=2, last_seen_us=NOW_US + 1, service=None,
                                      pod=None, severity="warning")])
    got = stored(store, "default", "ep-1")
    assert got is not None
    assert (got[0].service, got[0].pod, got[0].severity) == ("cart", "cart-7d9f8-x2kq",
                                                             "warning")


def test_episodes_get_the_service_their_pod_is_linked_to_later(store: Any) -> None:
    store.save_kube_episodes([
        episode(id="unlinked", service=None),
        episode(id="known", service="cart-v1"),
        episode(id="other-pod", service=None, pod="cart-7d9f8-zzzz"),
        episode(id="other-cluster", service=None, cluster="public"),
        episode(id="other-tenant", service=None, tenant="acme"),
    ])
    updated = store.link_kube_episodes(
        "default", "private", [("shop", "cart-7d9f8-x2kq", "cart"), ("shop", "gone", "x")])
    assert updated == 1
    services = {}
    for tenant, id_ in (("default", "unlinked"), ("default", "known"),
                        ("default", "other-pod"), ("default", "other-cluster"),
                        ("acme", "other-tenant")):
        got = stored(store, tenant, id_)
        assert got is not None
        services[id_] = got[0].service
    assert services == {"unlinked": "cart", "known": "cart-v1", "other-pod": None,
                        "other-cluster": None, "other-tenant": None}
    assert store.link_kube_episodes("default", "private", []) == 0


def test_episodes_are_kept_per_tenant(store: Any) -> None:
    store.save_kube_episodes([episode(), episode(tenant="acme", count=7, summary="acme's")])
    mine, theirs = stored(store, "default", "ep-1"), stored(store, "acme", "ep-1")
    assert mine is not None and theirs is not None
    assert (mine[0].count, mine[0].summary, mine[1]) == (1, "cart crash-looping", [(NOW_US, 1)])
    assert (theirs[0].count, theirs[0].summary, theirs[1]) == (7, "acme's", [(NOW_US, 7)])
    assert stored(store, "nobody", "ep-1") is None


def test_a_failed_save_changes_nothing(store: Any) -> None:
    store.save_kube_episodes([episode(id="kept")])
    with pytest.raises(Exception):  # noqa: B017 - any backend's NOT NULL violation
        store.save_kube_episodes([episode(id="kept", count=9), episode(id="bad", summary=None)])
    got = stored(store, "default", "kept")
    assert got is not None and (got[0].count, got[1]) == (1, [(NOW_US, 1)])
    assert stored(store, "default", "bad") is None
    store.save_kube_episodes([episode(id="after")])  # the store still takes writes
    assert stored(store, "default", "after") is not None


def test_episodes_have_their_own_retention(store: Any) -> None:
    day = 86_400_000_000
    store.save_kube_episodes([
        episode(id="old", first_seen_us=NOW_US - 40 * day, last_seen_us=NOW_US - 31 * day),
        episode(id="long", first_seen_us=NOW_US - 40 * day, last_seen_us=NOW_US - day),
        episode(id="old", tenant="acme", last_seen_us=NOW_US - 31 * day),
    ])
    store.delete_before(NOW_US)  # telemetry retention leaves episodes alone
    assert stored(store, "default", "old") is not None
    assert store.delete_kube_events_before(NOW_US - 30 * day) == 2
    assert stored(store, "default", "old") is None and stored(store, "acme", "old") is None
    got = stored(store, "default", "long")
    assert got is not None and got[1] == [(NOW_US - day, 1)]
    # An episode saved again after its retention starts a fresh count timeline.
    store.save_kube_episodes([episode(id="old", count=4)])
    again = stored(store, "default", "old")
    assert again is not None and again[1] == [(NOW_US, 4)]


def test_saved_episodes_survive_reopening(backend: Callable[[Path], Any],
                                          tmp_path: Path) -> None:
    store = backend(tmp_path)
    store.save_kube_episodes([episode(), episode(count=2, last_seen_us=NOW_US + 1)])
    store.close()
    store = backend(tmp_path)
    try:
        got = stored(store, "default", "ep-1")
        assert got is not None and got[1] == [(NOW_US, 1), (NOW_US + 1, 2)]
    finally:
        store.close()


# -- Diagnostic captures ------------------------------------------------------------------


def save(store: Any, id: str, ts_us: int, tenant: str = "default", kind: str = "memory",
         instance: str = "svc-1", analysis: str | None = '{"headline": "h"}') -> None:
    store.save_capture(tenant, id, ts_us, "svc", instance, kind, f"bongsu.{kind}/1",
                       f'{{"kind": "{kind}", "id": "{id}"}}', '{"ok": true}',
                       analysis=analysis, analysis_version=f"bongsu.{kind}/1:1")


def test_a_capture_is_stored_whole_with_its_analysis(store: Any) -> None:
    reads = reads_of(store, timeout_s=10, max_rows=1000)
    save(store, "c1", NOW_US)
    got = reads.capture("default", "c1")
    assert got is not None
    assert (got.id, got.ts_us, got.service, got.instance, got.kind, got.format) == (
        "c1", NOW_US, "svc", "svc-1", "memory", "bongsu.memory/1")
    assert (got.payload, got.summary) == ('{"kind": "memory", "id": "c1"}', '{"ok": true}')
    assert (got.analysis, got.analysis_version) == ('{"headline": "h"}', "bongsu.memory/1:1")
    # Listings carry neither the document nor the analysis.
    [listed] = reads.captures("default", None, None, None, 10)
    assert listed.id == "c1" and listed.payload is None and listed.analysis is None
    save(store, "c0", NOW_US - 1, analysis=None)
    assert reads.capture("default", "c0").analysis is None  # type: ignore[union-attr]
    assert reads.capture("acme", "c1") is None


def test_captures_are_listed_newest_first_within_a_half_open_window(store: Any) -> None:
    reads = reads_of(store, timeout_s=10, max_rows=1000)
    for i in range(5):
        save(store, f"c{i}", NOW_US + i * 1000, kind="memory" if i % 2 else "threads",
             instance=f"svc-{i % 2}")
    save(store, "other-tenant", NOW_US + 2000, tenant="acme")

    def ids(**kw: Any) -> list[str]:
        args = {"service": None, "instance": None, "kind": None, "limit": 10, **kw}
        return [c.id for c in reads.captures("default", args.pop("service"),
                                             args.pop("instance"), args.pop("kind"),
                                             args.pop("limit"), **args)]

    assert ids() == ["c4", "c3", "c2", "c1", "c0"]
    assert ids(start_us=NOW_US + 1000, end_us=NOW_US + 3000) == ["c2", "c1"]
    assert ids(start_us=NOW_US + 3000) == ["c4", "c3"]
    assert ids(end_us=NOW_US + 1000) == ["c0"]
    assert ids(kind="memory") == ["c3", "c1"]
    assert ids(instance="svc-0", limit=2) == ["c4", "c2"]
    assert [c.id for c in reads.captures("acme", None, None, None, 10)] == ["other-tenant"]


def test_captures_have_their_own_retention(store: Any) -> None:
    day = 86_400_000_000
    reads = reads_of(store, timeout_s=10, max_rows=1000)
    save(store, "old", NOW_US - 31 * day)
    save(store, "kept", NOW_US - 29 * day)
    save(store, "old", NOW_US - 31 * day, tenant="acme")
    store.delete_before(NOW_US)  # telemetry retention leaves captures alone
    assert reads.capture("default", "old") is not None
    assert store.delete_captures_before(NOW_US - 30 * day) == 2
    assert reads.capture("default", "old") is None and reads.capture("acme", "old") is None
    assert reads.capture("default", "kept") is not None


def test_saved_captures_survive_reopening(backend: Callable[[Path], Any],
                                          tmp_path: Path) -> None:
    store = backend(tmp_path)
    save(store, "c1", NOW_US)
    store.close()
    store = backend(tmp_path)
    try:
        got = reads_of(store, timeout_s=10, max_rows=1000).capture("default", "c1")
        assert got is not None and got.analysis == '{"headline": "h"}'
    finally:
        store.close()


# -- database and web view rollups (migration 0009) -----------------------------------------

DB = "postgresql:shop@db-1"


def view_spans(offset_us: int = 0) -> pa.Table:
    """Database calls of one statement shape with three spellings, and HTTP server spans."""
    db = {"kind": 3, "db_system": "postgresql", "db_name": "shop", "peer": "db-1",
          "service": "orders", "name": "SELECT"}
    return spans(
        {**db, "ts_us": NOW_US + offset_us, "span_id": 2, "trace_lo": 7, "duration_us": 3000,
         "db_statement": "SELECT * FROM t WHERE id = 1"},
        {**db, "ts_us": NOW_US + offset_us + 1, "span_id": 3, "trace_lo": 8,
         "duration_us": 9000, "is_error": True, "status": 2,
         "db_statement": "select *  from t where id=2"},
        {**db, "ts_us": NOW_US + offset_us + 2, "span_id": 4, "trace_lo": 9,
         "duration_us": 5000, "db_statement": "SELECT * FROM t WHERE id = ?"},
        {"ts_us": NOW_US + offset_us, "span_id": 5, "http_method": "GET",
         "http_route": "/t/{id}", "http_status": 404, "duration_us": 2000},
        {"ts_us": NOW_US + offset_us, "span_id": 6, "http_method": "GET",
         "http_route": "/t/{id}", "http_status": 200, "duration_us": 4000},
    )


def view_figures(store: Any, resolution: Any = 60) -> tuple[Any, ...]:
    """Every view read over a window holding the data (per-minute or per-hour rollups)."""
    reads = reads_of(store, 10, 10_000)
    hour = 3_600_000_000
    window = (NOW_US // hour * hour - hour, NOW_US // hour * hour + 2 * hour)
    statements = reads.db_statements("default", DB, *window, "total", 10, resolution)
    return (reads.databases("default", *window, resolution), statements,
            reads.database_callers("default", *window, resolution),
            [reads.db_statement_text("default", DB, s.fingerprint) for s in statements],
            reads.web_endpoints("default", *window, None, "calls", 10, resolution),
            sorted((p.status, p.count) for p in reads.web_statuses(
                "default", *window, 3 * hour, None, resolution)))


def test_view_rollups_group_spellings_and_replay_stores_once(store: Any) -> None:
    assert store.load(Batch(spans=view_spans()), lsn=1)
    once = view_figures(store)
    assert not store.load(Batch(spans=view_spans()), lsn=1)
    assert view_figures(store) == once
    (database,), (statement,), (caller,), texts, (endpoint,), statuses = once
    assert (database.calls, database.errors, database.sum_us, database.max_us) == (
        3, 1, 17000, 9000)
    assert (statement.calls, statement.slow_trace) == (3, f"{1:016x}{8:016x}")
    assert texts == ["SELECT * FROM t WHERE id = ?"]
    assert (caller.service, caller.calls) == ("orders", 3)
    assert (endpoint.endpoint, endpoint.calls, endpoint.client_errors) == ("GET /t/{id}", 2, 1)
    assert statuses == [(200, 1), (404, 1)]
    assert view_figures(store, 3600) == once  # the per-hour rollups hold the same figures


def test_compaction_keeps_the_view_figures(store: Any) -> None:
    for lsn, offset in enumerate((0, 5, 10), start=1):  # three partial rows per key
        store.load(Batch(spans=view_spans(offset)), lsn=lsn)
    before = view_figures(store)
    store.compact()
    assert view_figures(store) == before == view_figures(store, 3600)
    assert before[1][0].calls == 9


def test_duckdb_compaction_merges_the_view_rollups(tmp_path: Path) -> None:
    store = DuckDBStore.open(tmp_path / "telemetry.duckdb")
    try:
        for lsn, offset in enumerate((0, 5, 10), start=1):
            store.load(Batch(spans=view_spans(offset)), lsn=lsn)
        tables = ("db_statements_1m", "web_1m", "db_statements_1h", "web_1h")
        rows = {t: store.run(f"SELECT count(*) FROM {t}")[0][0] for t in tables}
        assert store.compact() > 0
        assert all(store.run(f"SELECT count(*) FROM {t}")[0][0] < rows[t] for t in tables)
    finally:
        store.close()


def test_retention_deletes_the_view_rollups_and_their_texts(store: Any) -> None:
    store.load(Batch(spans=view_spans()), lsn=1)
    (statement,) = view_figures(store)[1]
    store.delete_before(NOW_US + 60_000_000)
    reads = reads_of(store, 10, 10_000)
    assert reads.databases("default", 0, 2**62) == []
    assert not reads.database_exists("default", DB)
    assert reads.web_endpoints("default", 0, 2**62, None, "calls", 10) == []
    assert reads.web_endpoints("default", 0, 2**62, None, "calls", 10, 3600) == []
    assert reads.databases("default", 0, 2**62, 3600) == []
    assert reads.db_statement_text("default", DB, statement.fingerprint) is None


def test_view_rollups_are_kept_per_tenant(store: Any) -> None:
    store.load(Batch(spans=view_spans()), lsn=1)
    reads = reads_of(store, 10, 10_000)
    assert reads.databases("acme", 0, 2**62) == []
    assert reads.web_statuses("acme", 0, 2**62, 60_000_000, None) == []
