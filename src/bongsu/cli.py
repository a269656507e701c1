"""The ``bongsu`` command line: server, simulate, keys, rules, capture, clickhouse, run (the
agent), demo."""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bongsu import __version__
from bongsu.errors import BongsuError

if TYPE_CHECKING:
    from bongsu.settings import Settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bongsu", description="Bongsu: application performance management."
    )
    parser.add_argument("--version", action="version", version=f"bongsu {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    server = commands.add_parser("server", help="run the OTLP receiver, store, API and console")
    server.add_argument("--host", help="API/console address (default 127.0.0.1)")
    server.add_argument("--port", type=int, help="API/console port (default 8080)")
    server.add_argument("--otlp-host", help="OTLP/HTTP address (default 127.0.0.1)")
    server.add_argument("--otlp-port", type=int, help="OTLP/HTTP port (default 4318)")
    server.add_argument("--data-dir", type=Path, help="data directory (default ./bongsu-data)")
    server.add_argument("--single-user", action="store_true",
                        help="no sign-in: one user owns everything (a laptop's server; "
                             "refused unless bound to loopback; sets BONGSU_AUTH)")
    server.add_argument("--kube", action="append", metavar="SPEC",
                        help="watch a cluster: NAME[:LABEL]=KUBECONFIG[#CONTEXT] or "
                             "NAME[:LABEL]=in-cluster (repeatable; overrides "
                             "BONGSU_KUBE_CLUSTERS)")
    server.add_argument("--kube-ingress", action="append", metavar="NAME=URL",
                        help="scrape an ingress/router Prometheus endpoint for cluster NAME "
                             "(repeatable; overrides BONGSU_KUBE_INGRESS)")

    simulate = commands.add_parser("simulate", help="send realistic OTLP traffic to a server")
    simulate.add_argument("--endpoint", default="http://127.0.0.1:4318",
                          help="OTLP/HTTP base URL (default http://127.0.0.1:4318)")
    simulate.add_argument("--rate", type=float, default=20.0,
                          help="user requests per second (default 20)")
    simulate.add_argument("--seed", type=int, help="random seed (default: random)")
    simulate.add_argument("--duration", type=float, help="seconds to run (default: forever)")
    simulate.add_argument("--api-key", help="ingest key sent as 'Authorization: Bearer KEY'")
    simulate.add_argument("--kube", action="store_true",
                          help="also serve the shop's two Kubernetes clusters on loopback")
    simulate.add_argument("--kube-dir", type=Path, default=Path("bongsu-kube"),
                          help="where --kube writes <cluster>.kubeconfig and <cluster>.ingress "
                               "(default ./bongsu-kube)")
    simulate.add_argument("--kube-port", type=int, default=0,
                          help="first API server port; the next cluster's is +1, the ingress "
                               "endpoints +10 and +11 (default: free ports)")
    simulate.add_argument("--kube-failover", action="store_true",
                          help="take the private cluster out of the load balancer 5 min an hour")

    commands.add_parser(
        "run", add_help=False,
        help="run a program under the Python agent: bongsu run [OPTIONS] -- CMD ...",
    )
    commands.add_parser(
        "demo", add_help=False,
        help="start the server and a small shop of real services under the agent",
    )

    keys = commands.add_parser("keys", help="manage the ingest keys of projects")
    keys.add_argument("--data-dir", type=Path, help="data directory (default ./bongsu-data)")
    key_commands = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    create = key_commands.add_parser("create", help="create a key for a project")
    create.add_argument("tenant", help="the project's tenant (GET /api/v1/org/projects); a "
                                       "new one gets an organisation and project of its own")
    create.add_argument("--name", default="", help="a note on what the key is for")
    key_commands.add_parser("list", help="list keys with their project and organisation")
    revoke = key_commands.add_parser("revoke", help="revoke a key by id or prefix")
    revoke.add_argument("key")

    rules = commands.add_parser("rules", help="alert rules as code: check or apply a YAML file")
    rule_commands = rules.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    check = rule_commands.add_parser("check", help="check a rules file (exit 1 on any error)")
    check.add_argument("file", type=Path)
    apply = rule_commands.add_parser("apply", help="check a rules file and write its rules")
    apply.add_argument("file", type=Path)
    apply.add_argument("--data-dir", type=Path, help="data directory (default ./bongsu-data)")
    apply.add_argument("--tenant", default="default",
                       help="the tenant the rules belong to (default 'default')")

    capture = commands.add_parser("capture", help="capture evidence from a process without an "
                                                  "agent (a JVM through jcmd)")
    capture_commands = capture.add_subparsers(dest="capture_command", metavar="TARGET",
                                              required=True)
    jvm = capture_commands.add_parser(
        "jvm", help="jcmd Thread.print / GC.class_histogram and /proc of a local process, "
                    "sent to the server as captures")
    jvm.add_argument("--pid", type=int, required=True, help="the process to capture")
    jvm.add_argument("--service", help="service name (default: the main class or jar)")
    jvm.add_argument("--instance", help="instance name (default HOST:PID)")
    jvm.add_argument("--server", help="OTLP/HTTP base URL of the server (default "
                                      "BONGSU_ENDPOINT, else http://127.0.0.1:4318)")
    jvm.add_argument("--key", help="ingest key (default BONGSU_API_KEY)")
    jvm.add_argument("--kinds", default="threads,memory,network,files,processes",
                     help="comma-separated: threads,memory,network,files,processes")
    jvm.add_argument("--jcmd", help="path of jcmd (default: the one on PATH)")

    clickhouse = commands.add_parser("clickhouse", help="the ClickHouse store's schema")
    clickhouse_commands = clickhouse.add_subparsers(dest="clickhouse_command", metavar="ACTION",
                                                    required=True)
    ddl = clickhouse_commands.add_parser(
        "ddl", help="print the CREATE statements of the telemetry tables and views")
    ddl.add_argument("--cluster", type=_identifier,
                     help="a cluster's DDL: ON CLUSTER NAME, Replicated*MergeTree "
                          "<table>_local and Distributed <table> over them")
    ddl.add_argument("--database", type=_identifier,
                     help="database of the tables (default BONGSU_CLICKHOUSE_DATABASE, "
                          "else bongsu)")
    ddl.add_argument("--retention-days", type=float,
                     help="TTL of the telemetry rows (default BONGSU_RETENTION_DAYS, else 7; "
                          "the day sketches' is BONGSU_USER_RETENTION_DAYS)")
    return parser


def _identifier(value: str) -> str:
    """A ClickHouse database or cluster name as the DDL takes it unquoted."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a name of letters, digits and underscores")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # `run` and `demo` take their own options (and a command after --): hand them over.
    if argv[:1] == ["run"]:
        from bongsu.agent import cli_run

        return cli_run(argv[1:])
    if argv[:1] == ["demo"]:
        from bongsu.agent.demo import cli_demo

        return cli_demo(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        if args.command == "server":
            return _server(args)
        if args.command == "simulate":
            return _simulate(args)
        if args.command == "rules":
            return _rules(args)
        if args.command == "capture":
            return _capture(args)
        if args.command == "clickhouse":
            return _clickhouse_ddl(args)
        return _keys(args)
    except BongsuError as exc:
        print(f"bongsu: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def server_settings(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> Settings:
    """The server's settings: ``BONGSU_*`` variables, overridden by the flags given."""
    from bongsu.settings import Settings

    return Settings.from_env(
        env, host=args.host, port=args.port, otlp_host=args.otlp_host,
        otlp_port=args.otlp_port, data_dir=args.data_dir,
        # Repeated flags join as the comma-separated settings do.
        kube_clusters=",".join(args.kube) if args.kube else None,
        kube_ingress=",".join(args.kube_ingress) if args.kube_ingress else None,
        auth="single-user" if getattr(args, "single_user", False) else None,
    )


def _server(args: argparse.Namespace) -> int:
    from bongsu.server import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    serve(server_settings(args))
    return 0


def _simulate(args: argparse.Namespace) -> int:
    import os

    from bongsu.simulate import run

    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big")
    if not args.kube:
        run(endpoint=args.endpoint, rate=args.rate, seed=seed, duration=args.duration,
            api_key=args.api_key, failover=args.kube_failover)
        return 0
    from bongsu.simulate.kube.scenario import KubeSimulation

    kube = KubeSimulation(seed, args.kube_dir, port=args.kube_port,
                          failover=args.kube_failover).start(print)
    try:
        run(endpoint=args.endpoint, rate=args.rate, seed=seed, duration=args.duration,
            api_key=args.api_key, failover=args.kube_failover, observer=kube)
    finally:
        kube.stop()
    return 0


def _keys(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from bongsu.accounts.tables import orgs, projects
    from bongsu.meta.database import connect
    from bongsu.meta.keys import KeyRing
    from bongsu.settings import Settings

    settings = Settings.from_env(data_dir=args.data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = connect(settings.metadata_url)
    ring = KeyRing(engine)

    def where() -> dict[str, tuple[str, str]]:
        """Each tenant's project and organisation names."""
        with engine.connect() as con:
            rows = con.execute(select(projects.c.tenant, projects.c.name, orgs.c.name.label(
                "org")).select_from(projects.join(orgs, orgs.c.id == projects.c.org_id)))
            return {r.tenant: (r.name, r.org) for r in rows}

    try:
        if args.keys_command == "create":
            info = ring.create(args.tenant, args.name)
            project, org = where().get(info.tenant, (info.tenant, info.tenant))
            print(f"created key {info.id} for project {project!r} (tenant {info.tenant!r}) "
                  f"of organisation {org!r}:")
            print(f"  {info.key}")
            print("send it as 'Authorization: Bearer KEY'; it is not shown again.")
        elif args.keys_command == "list":
            rows = ring.list()
            if not rows:
                print("no ingest keys: the OTLP port refuses telemetry until one is created "
                      "(bongsu keys create TENANT, or an admin in the console); a server in "
                      "single-user mode takes it without a key")
            names = where()
            for k in rows:
                state = f"revoked {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "active"
                project, org = names.get(k.tenant, (k.tenant, ""))
                print(f"{k.id:>4}  {k.prefix}…  {k.tenant:<20} {project:<16} {org:<20} "
                      f"{state:<24} {k.name}")
        else:
            if not ring.revoke(args.key):
                print(f"bongsu: no active key {args.key!r}", file=sys.stderr)
                return 1
            print(f"revoked {args.key}")
    finally:
        ring.close()
    return 0


def _rules(args: argparse.Namespace) -> int:
    from bongsu.alerts.rules_file import load

    tenant = getattr(args, "tenant", "default")
    parsed = load(args.file, tenant=tenant)
    for error in parsed.errors:
        print(error, file=sys.stderr)
    if not parsed.ok:
        count = len(parsed.errors)
        print(f"{args.file}: {count} error{'s' if count > 1 else ''}", file=sys.stderr)
        return 1
    if args.rules_command == "check":
        count = len(parsed.rules)
        print(f"{args.file}: {count} rule{'' if count == 1 else 's'}, no errors")
        return 0
    from bongsu.alerts.repo import AlertRepo
    from bongsu.alerts.rules_file import apply
    from bongsu.meta.database import connect
    from bongsu.settings import Settings

    settings = Settings.from_env(data_dir=args.data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = connect(settings.metadata_url)
    try:
        applied = apply(AlertRepo(engine), parsed.rules)
    finally:
        engine.dispose()
    for rule in applied.created:
        print(f"created {rule.id}  {rule.name}")
    for rule in applied.updated:
        print(f"updated {rule.id}  {rule.name}")
    print(f"{args.file}: {len(applied.created)} created, {len(applied.updated)} updated "
          f"for tenant {tenant!r}")
    return 0


def _capture(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> int:
    import os

    from bongsu.diagnostics import host

    env = os.environ if env is None else env
    server = (args.server or env.get("BONGSU_ENDPOINT")
              or env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or "http://127.0.0.1:4318")
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    docs = host.capture_process(args.pid, kinds, jcmd_path=args.jcmd)
    service = args.service or host.default_service(args.pid)
    instance = args.instance or host.default_instance(args.pid)
    key = args.key if args.key is not None else env.get("BONGSU_API_KEY", "")
    ids = host.post_captures(server, key, service, instance, docs)
    for doc, capture_id in zip(docs, ids, strict=True):
        print(f"{capture_id}  {doc['kind']:<9}  {doc['format']}  service={service} "
              f"instance={instance}")
    return 0


def _clickhouse_ddl(args: argparse.Namespace) -> int:
    from bongsu.errors import SettingError
    from bongsu.settings import Settings
    from bongsu.store.clickhouse.schema import ddl

    settings = Settings.from_env()
    database = args.database or settings.clickhouse_database
    try:
        _identifier(database)
    except argparse.ArgumentTypeError as exc:
        raise SettingError(f"BONGSU_CLICKHOUSE_DATABASE: {exc}") from None
    retention = (args.retention_days if args.retention_days is not None
                 else settings.retention_days)
    on_cluster = f" ON CLUSTER {args.cluster}" if args.cluster else ""
    # USE: the views name their tables without a database, so they resolve in the current
    # one (ON CLUSTER: the initiator qualifies them with it for every host).
    statements = [f"CREATE DATABASE IF NOT EXISTS {database}{on_cluster}", f"USE {database}",
                  *ddl(retention, cluster=args.cluster, database=database,
                       user_retention_days=settings.user_retention_days)]
    print("\n\n".join(f"{statement};" for statement in statements))
    return 0


if __name__ == "__main__":
    sys.exit(main())
