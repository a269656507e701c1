"""The ``bongsu`` command line, run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest
from tests.store.clickhouse_endpoint import clickhouse_url  # noqa: F401

from bongsu import __version__
from server_process import ServerProcess


def bongsu(*args: str, env: dict[str, str] | None = None, timeout: float = 60
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bongsu", *args], capture_output=True, text=True,
        timeout=timeout, env={**os.environ, **(env or {})},
    )


def test_version_and_help() -> None:
    assert bongsu("--version").stdout.strip() == f"bongsu {__version__}"
    help_text = bongsu("server", "--help").stdout
    for flag in ("--host", "--port", "--otlp-port", "--data-dir", "--kube", "--kube-ingress"):
        assert flag in help_text
    simulate_help = bongsu("simulate", "--help").stdout
    for flag in ("--rate", "--kube", "--kube-dir", "--kube-port", "--kube-failover"):
        assert flag in simulate_help


def test_bad_setting_is_a_clear_error() -> None:
    result = bongsu("server", env={"BONGSU_PORT": "eighty"})
    assert result.returncode == 1
    assert "BONGSU_PORT: expected int, got 'eighty'" in result.stderr


def test_simulate_feeds_a_server(server_factory) -> None:  # type: ignore[no-untyped-def]
    server: ServerProcess = server_factory().start()
    result = bongsu("simulate", "--endpoint", server.otlp_url, "--rate", "40", "--seed", "3",
                    "--duration", "4")
    assert result.returncode == 0, result.stderr
    server.wait_loaded()
    deadline = time.monotonic() + 10
    names: set[str] = set()
    while time.monotonic() < deadline and len(names) < 5:
        names = {s["name"] for s in server.api("/api/v1/services")[1]["services"]}
        time.sleep(0.2)
    assert len(names) >= 5
    # The last metric export is stamped at the end of simulated time, a moment ahead.
    while time.monotonic() < deadline + 5:
        status, metrics = server.api("/api/v1/metrics/names")
        if "jvm.memory.used" in str(metrics):
            break
        time.sleep(0.2)
    assert status == 200 and "jvm.memory.used" in str(metrics)


def test_second_server_on_the_same_data_dir_is_refused(server_factory) -> None:  # type: ignore[no-untyped-def]
    first: ServerProcess = server_factory().start()
    second = ServerProcess(first.data_dir)
    result = bongsu("server", "--data-dir", str(first.data_dir), "--port",
                    str(second.api_port), "--otlp-port", str(second.otlp_port), timeout=60)
    assert result.returncode == 1
    assert "cannot open the store" in result.stderr


def test_server_kube_flags_override_the_settings() -> None:
    from bongsu.cli import build_parser, server_settings

    env = {"BONGSU_KUBE_CLUSTERS": "old=/etc/old.kubeconfig", "BONGSU_KUBE_INGRESS": "x=y"}
    args = build_parser().parse_args([
        "server", "--kube", "onprem-seoul:private=/k/seoul.kubeconfig#admin",
        "--kube", "aws-apne2:public=in-cluster",
        "--kube-ingress", "onprem-seoul=http://127.0.0.1:9101/metrics",
        "--kube-ingress", "aws-apne2=http://127.0.0.1:9102/metrics"])
    settings = server_settings(args, env)
    assert settings.kube_clusters == (
        "onprem-seoul:private=/k/seoul.kubeconfig#admin,aws-apne2:public=in-cluster")
    assert settings.kube_ingress == ("onprem-seoul=http://127.0.0.1:9101/metrics,"
                                     "aws-apne2=http://127.0.0.1:9102/metrics")
    unflagged = server_settings(build_parser().parse_args(["server"]), env)
    assert (unflagged.kube_clusters, unflagged.kube_ingress) == ("old=/etc/old.kubeconfig", "x=y")


def test_simulate_kube_serves_both_clusters_while_it_runs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json
    import socket
    import urllib.request

    from bongsu.simulate._topology import SITES

    with socket.socket() as probe:  # an OTLP endpoint nobody listens on: exports are dropped
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    kube_dir = tmp_path / "kube"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bongsu", "simulate", "--endpoint", f"http://127.0.0.1:{dead}",
         "--rate", "5", "--seed", "4", "--duration", "6", "--kube", "--kube-dir", str(kube_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        names = {site.name for site in SITES}
        while time.monotonic() < deadline and not all(
                (kube_dir / f"{n}.ingress").is_file() for n in names):
            time.sleep(0.1)
        urls = {}
        for name in names:
            text = (kube_dir / f"{name}.kubeconfig").read_text()
            urls[name] = text.split("server: ", 1)[1].split()[0]
            pods = json.loads(urllib.request.urlopen(f"{urls[name]}/api/v1/pods",
                                                     timeout=5).read())["items"]
            assert {p["metadata"]["namespace"] for p in pods} >= {"shop", "kube-system"}
            edge = (kube_dir / f"{name}.ingress").read_text().strip()
            assert urllib.request.urlopen(edge, timeout=5).status == 200
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 0, err
    for name in names:
        assert f"kube: {name} (" in out
        with pytest.raises(OSError):  # the servers stopped with it
            urllib.request.urlopen(f"{urls[name]}/version", timeout=2)


RULES = """\
rules:
  - name: Checkout slow
    kind: threshold
    for: 5m
    spec: {figure: p95_ms, op: ">", value: 800, service: checkout}
  - name: Crash loops
    kind: event
    spec: {kind: crash_loop}
"""


def test_rules_check(tmp_path) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "rules.yaml"
    good.write_text(RULES)
    result = bongsu("rules", "check", str(good))
    assert (result.returncode, result.stdout, result.stderr) == (
        0, f"{good}: 2 rules, no errors\n", "")

    bad = tmp_path / "bad.yaml"
    bad.write_text(RULES.replace("for: 5m", "for: 5").replace("kind: event", "kind: evnt"))
    result = bongsu("rules", "check", str(bad))
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == f"{bad}:4: rules[0].for: must be a duration like 5m"
    assert lines[1].startswith(f"{bad}:7: rules[1].kind: unknown rule kind 'evnt'")
    assert lines[2:] == [f"{bad}: 2 errors"]

    result = bongsu("rules", "check", str(tmp_path / "missing.yaml"))
    assert result.returncode == 1 and "cannot be read" in result.stderr


def test_rules_apply(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bongsu.alerts.repo import AlertRepo
    from bongsu.meta.database import connect

    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    data = tmp_path / "data"
    result = bongsu("rules", "apply", str(path), "--data-dir", str(data), "--tenant", "acme")
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(f"{path}: 2 created, 0 updated for tenant 'acme'\n")

    path.write_text(RULES.replace("for: 5m", "for: 10m"))
    result = bongsu("rules", "apply", str(path), "--data-dir", str(data), "--tenant", "acme")
    assert result.stdout.endswith(f"{path}: 0 created, 2 updated for tenant 'acme'\n")

    engine = connect(f"sqlite:///{data / 'meta.sqlite'}")
    try:
        repo = AlertRepo(engine)
        assert [(r.name, r.for_s) for r in repo.list_rules("acme")] == [
            ("Checkout slow", 600), ("Crash loops", 0)]
        assert repo.list_rules("default") == []
    finally:
        engine.dispose()

    # A file with an error writes nothing, not even its good rules.
    path.write_text(RULES.replace("Crash loops", "Image pulls").replace("for: 5m", "for: x"))
    result = bongsu("rules", "apply", str(path), "--data-dir", str(data), "--tenant", "acme")
    assert result.returncode == 1 and f"{path}:4: rules[0].for: " in result.stderr
    engine = connect(f"sqlite:///{data / 'meta.sqlite'}")
    try:
        assert [r.name for r in AlertRepo(engine).list_rules("acme")] == [
            "Checkout slow", "Crash loops"]
    finally:
        engine.dispose()


def ddl_statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";\n") if s.strip()]


def test_clickhouse_ddl_creates_the_schema(clickhouse_url: str) -> None:  # noqa: F811
    """The printed DDL run statement by statement, as `clickhouse client --multiquery`
    runs a file (USE switches the database), on the real engine."""
    from bongsu.store.clickhouse.client import ClickHouse
    from bongsu.store.clickhouse.schema import TABLES, VIEWS
    from bongsu.store.clickhouse.store import ClickHouseStore

    database = f"cli_{uuid.uuid4().hex[:10]}"
    result = bongsu("clickhouse", "ddl", "--database", database, "--retention-days", "3",
                    env={"BONGSU_USER_RETENTION_DAYS": "30"})
    assert result.returncode == 0, result.stderr
    statements = ddl_statements(result.stdout)
    assert statements[:2] == [f"CREATE DATABASE IF NOT EXISTS {database}", f"USE {database}"]
    assert not [s for s in statements if "ON CLUSTER" in s or "Replicated" in s]

    def run_all() -> None:
        ch = ClickHouse.connect(clickhouse_url, "default", create=False)
        try:
            for statement in statements:
                if statement.startswith("USE "):
                    ch.close()
                    ch = ClickHouse.connect(clickhouse_url, statement[4:], create=False)
                else:
                    ch.command(statement)
        finally:
            ch.close()

    run_all()
    run_all()  # IF NOT EXISTS: running it again changes nothing
    ch = ClickHouse.connect(clickhouse_url, database, create=False)
    try:
        rows = ch.run("SELECT name, engine, create_table_query FROM system.tables "
                      "WHERE database = {db:String}", {"db": database})
        engines = {name: engine for name, engine, _ in rows}
        assert engines == {**{t.name: t.engine for t in TABLES},
                           **{name: "View" for name in VIEWS}}
        created = {name: query for name, _, query in rows}
        for t in TABLES:
            if t.ttl_column:  # 3 days, in seconds
                assert "TTL" in created[t.name] and "259200" in created[t.name], t.name
        # The day sketches keep BONGSU_USER_RETENTION_DAYS (30 days).
        assert "TTL" in created["users_1d"] and "2592000" in created["users_1d"]
        # The server's store opens on it and its views answer.
        store = ClickHouseStore.open(ch, log_id="cli-test")
        assert store.log_id == "cli-test"
        for name in VIEWS:
            assert ch.run(f"SELECT count() FROM {name}") == [(0,)]
    finally:
        ch.command(f"DROP DATABASE IF EXISTS {database}")
        ch.close()


def test_clickhouse_cluster_ddl_replicates_and_distributes_every_table() -> None:
    from bongsu.store.clickhouse.schema import TABLES, VIEWS

    result = bongsu("clickhouse", "ddl", "--cluster", "prod", "--database", "apm")
    assert result.returncode == 0, result.stderr
    statements = ddl_statements(result.stdout)
    assert statements[:2] == ["CREATE DATABASE IF NOT EXISTS apm ON CLUSTER prod", "USE apm"]
    assert all(" ON CLUSTER prod" in s for s in statements if not s.startswith("USE "))
    for t in TABLES:
        (local,) = [s for s in statements if s.startswith(
            f"CREATE TABLE IF NOT EXISTS apm.{t.name}_local ON CLUSTER prod (")]
        assert f"ENGINE = Replicated{t.engine}('/clickhouse/tables/{{shard}}/apm/{t.name}', " \
               "'{replica}')" in local, t.name
        (distributed,) = [s for s in statements if s.startswith(
            f"CREATE TABLE IF NOT EXISTS apm.{t.name} ON CLUSTER prod AS apm.{t.name}_local")]
        assert f"ENGINE = Distributed(prod, apm, {t.name}_local, cityHash64(" in distributed
    for name in VIEWS:
        assert any(s.startswith(f"CREATE VIEW IF NOT EXISTS apm.{name} ON CLUSTER prod AS")
                   for s in statements), name
    assert len(statements) == 2 + 2 * len(TABLES) + len(VIEWS)

    bad = bongsu("clickhouse", "ddl", "--cluster", "prod; DROP")
    assert bad.returncode == 2
    assert "argument --cluster: 'prod; DROP' is not a name of letters" in bad.stderr
    bad = bongsu("clickhouse", "ddl", env={"BONGSU_CLICKHOUSE_DATABASE": "a-b"})
    assert bad.returncode == 1
    assert "BONGSU_CLICKHOUSE_DATABASE: 'a-b' is not a name" in bad.stderr
