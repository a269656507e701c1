"""Composition root: wires the receiver, ingest log, loader, store, query API and the alert
engine together.

One process: the API port on the main thread's asyncio loop, the OTLP port on a thread
with a loop of its own, a loader thread owning the store's writes, one decoder process
(see ``bongsu.ingest.decoder``), and the alert evaluator and notification dispatcher on
threads of their own, over the metadata database the ingest keys use too. Replicas that
share one metadata database (``BONGSU_META_URL``) each build every singleton job, and each
job works only while its server holds the job's lease (``bongsu.meta.lease`` lists them;
``GET /api/v1/leases`` says who holds which): the alert engine ``alerts``, metering and
the Kubernetes watches it reads ``metering``, the checks ``checks``, the report schedules
``reports``, the support outbox ``support``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp

from bongsu import __version__
from bongsu.accounts.authenticate import Authenticator, auth_mode
from bongsu.accounts.bootstrap import banner, ensure_admin
from bongsu.accounts.mailer import Mailer
from bongsu.alerts.channels import SendContext, default_registry
from bongsu.alerts.defaults import seed_defaults
from bongsu.alerts.evaluator import Evaluator
from bongsu.alerts.kinds import Context
from bongsu.alerts.model import Rule
from bongsu.alerts.notify.notifier import Notifier
from bongsu.alerts.notify.outbox import Dispatcher
from bongsu.alerts.notify.store import NotifyStore
from bongsu.alerts.repo import AlertRepo
from bongsu.api import create_api
from bongsu.api.agent import agent_router
from bongsu.api.alerts import AlertsBackend, alerts_router
from bongsu.api.audit_log import audited
from bongsu.api.auth import auth_backend_for, auth_router
from bongsu.api.dashboards import dashboards_router
from bongsu.api.databases import databases_router
from bongsu.api.diagnostics import diagnostics_router
from bongsu.api.engine import engine_router
from bongsu.api.groups import groups_router
from bongsu.api.hosts import hosts_router
from bongsu.api.kube import kube_router
from bongsu.api.leases import Gated, leases_router, replica_name
from bongsu.api.metering import metering_router
from bongsu.api.org import OrgBackend, org_router
from bongsu.api.reports import reports_router
from bongsu.api.rule_preview import rule_preview_router
from bongsu.api.search import search_router
from bongsu.api.security import secured
from bongsu.api.sla import sla_router_for
from bongsu.api.support import support_router
from bongsu.api.synthetics import synthetics_router
from bongsu.api.users import users_router
from bongsu.api.web_views import web_router
from bongsu.control.alert_captures import AlertCaptures
from bongsu.control.registry import AgentRegistry
from bongsu.control.routes import control_routes
from bongsu.dashboards.panels import PanelStore
from bongsu.ingest.loader import Loader
from bongsu.ingest.log import IngestLog
from bongsu.ingest.receiver import Receiver, receiver_app
from bongsu.kube.gate import WatchGate
from bongsu.kube.hub import KubeHub, KubeSetup
from bongsu.meta.database import connect
from bongsu.meta.keys import DEFAULT_TENANT, KeyRing
from bongsu.meta.lease import Lease, LeaseKeeper, holder_id
from bongsu.metering.service import MeteringService
from bongsu.query import QueryService
from bongsu.reports.model import Sources
from bongsu.reports.service import ReportsService
from bongsu.settings import Settings
from bongsu.store.duckdb import DuckDBStore
from bongsu.store.open import open_store
from bongsu.store.reads import reads_of
from bongsu.support import SupportService
from bongsu.synthetics.service import SyntheticsService

log = logging.getLogger("bongsu.server")


@dataclass
class Parts:
    """Everything a running server holds, for tests and the CLI."""

    settings: Settings
    store: DuckDBStore
    ingest_log: IngestLog
    keys: KeyRing
    loader: Loader
    receiver: Receiver
    kube: KubeHub
    otlp_app: ASGIApp
    api_app: ASGIApp
    evaluator: Evaluator | None = None  # None with BONGSU_ALERTS=off
    dispatcher: Dispatcher | None = None
    lease: LeaseKeeper | None = None  # the evaluator's and dispatcher's gate
    checks: SyntheticsService | None = None
    metering: MeteringService | None = None
    support: SupportService | None = None
    reports: ReportsService | None = None
    kube_gate: WatchGate | None = None  # watches while the metering lease is held

    def close(self) -> None:
        """Load everything acknowledged, then release every part (order matters)."""
        self.receiver.close()
        # The alert engine reads the store and writes the metadata database: it stops (and
        # its threads are joined) before either closes.
        if self.evaluator is not None:
            self.evaluator.stop()
        if self.dispatcher is not None:
            self.dispatcher.stop()
        if self.lease is not None:
            self.lease.stop()  # released once nothing it gates runs: a standby takes over
        if self.support is not None:
            self.support.stop()  # its outbox writes the metadata database
        if self.checks is not None:
            self.checks.stop()  # it writes results to the store
        # The metering job stops first (it reads the watches' view), then the watches, then
        # the lease they share is released; the writer saves the pending episodes while
        # the store is open.
        if self.metering is not None:
            self.metering.job.stop()
        if self.kube_gate is not None:
            self.kube_gate.close()
        else:
            self.kube.close()
        if self.metering is not None:
            self.metering.stop()  # the job is stopped: this releases the lease
        if self.reports is not None:
            self.reports.stop()  # it reads the store
        self.loader.stop()
        self.ingest_log.close()
        self.keys.close()
        self.store.close()


def build(settings: Settings) -> Parts:
    """Open the store and log, start the loader and the cluster watchers, and build both
    ASGI apps. Cluster settings are checked first: a bad one stops the start."""
    kube_setup = KubeSetup.from_settings(settings)
    lease_ttl_s, lease_renew_s = settings.alerts_lease()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # One engine: the keys, the alert engine and its lease; a bad BONGSU_META_URL stops
    # the start before anything else is opened.
    engine = connect(settings.metadata_url)
    store = open_store(settings)
    ingest_log = IngestLog.open(settings.wal_dir, settings.wal_segment_bytes, settings.fsync)
    keys = KeyRing(engine)
    auth = Authenticator(engine, keys, auth_mode(settings),
                         session_idle_seconds=settings.session_idle_minutes * 60)
    repo, notify = AlertRepo(engine), NotifyStore(engine)
    auth_backend = auth_backend_for(settings, engine, auth.mode,
                                    seed=lambda tenant: seed_defaults(repo, tenant))
    if auth.mode == "accounts":
        password = ensure_admin(engine, settings)
        if password is not None:  # the first start: printed this once
            log.warning("\n%s", banner(settings.admin_login, password))
    loader = Loader(settings, store, ingest_log)
    loader.start()
    receiver = Receiver(settings, ingest_log, auth.ingest_tenant, lambda: loader.loaded_lsn)
    agents = AgentRegistry(store)
    # Not the API's row cap: a 10,000-pod cluster has more pod links and recent episodes
    # (up to 2,000 events/min over the two hours loaded at start) than one page of results.
    kube = KubeHub(kube_setup, store, reads_of(store, timeout_s=60.0, max_rows=2_000_000))
    metering = MeteringService.build(settings, engine, store, kube)
    metering.start()
    # The watches on the metering lease: the job reads their view and the points they
    # store. The gate returns at once: each cluster connects on threads of its own.
    kube_gate = WatchGate(kube, metering.lease.active if metering.lease is not None
                          else (lambda: True))
    kube_gate.start()
    reads = reads_of(store, settings.query_timeout_seconds, settings.query_max_rows)
    queries = QueryService(reads, settings)
    checks = SyntheticsService.build(settings, engine, store, reads)
    checks.start()
    registry = default_registry()
    support = SupportService.build(settings, engine, notify, queries, reads, repo)
    support.start()
    reports = ReportsService.build(settings, engine, Sources(
        queries, alerts=repo, engine=engine, store=store, metering=metering,
        silences=notify.silences), notify)
    reports.start()
    for tenant in sorted({DEFAULT_TENANT, settings.kube_tenant,
                          *(k.tenant for k in keys.list())}):
        seed_defaults(repo, tenant)
    evaluator = dispatcher = keeper = None
    if settings.alerts:
        keeper = LeaseKeeper(Lease(engine, "alerts", holder_id()), lease_ttl_s, lease_renew_s)
        dispatcher = Dispatcher(notify, registry, notifier=Notifier(notify), history=repo,
                                console_url=settings.console_url, active=keeper.active)
        evaluator = Evaluator(
            rules=lambda: _enabled_rules(repo), repo=repo, context=Context(queries, reads),
            listeners=[dispatcher.on_transitions,
                       AlertCaptures(repo.get_rule, agents).on_transitions],
            # An evaluation is a few store queries: bounded like one API query.
            timeout_s=settings.query_timeout_seconds, active=keeper.active)
        keeper.start()
        dispatcher.start()
        evaluator.start()
    gated = [Gated(k, jobs) for k, jobs in (
        (keeper, ("alert evaluation", "notifications")),
        (metering.lease, ("metering", *(("kubernetes watches",) if kube.watching else ()))),
        (checks.lease, ("synthetic checks",)), (reports.lease, ("report schedules",)),
        (support.lease, ("support requests",))) if k is not None]
    return Parts(
        settings=settings,
        store=store,
        ingest_log=ingest_log,
        keys=keys,
        loader=loader,
        receiver=receiver,
        kube=kube,
        otlp_app=receiver_app(receiver, loader.status, control_routes(agents, auth.ingest_tenant)),
        api_app=audited(secured(settings, create_api(
                           settings, store, auth.principal, queries=queries,
                           routers=[agent_router(agents, kube, store), kube_router(kube),
                                    sla_router_for(store, engine, notify.silences,
                                                   settings.query_timeout_seconds),
                                    engine_router(keeper), metering_router(metering),
                                    leases_router(replica_name(), gated),
                                    alerts_router(AlertsBackend(
                                        repo, notify, registry,
                                        SendContext(settings.console_url))),
                                    synthetics_router(checks), support_router(support),
                                    reports_router(reports),
                                    rule_preview_router(), diagnostics_router(),
                                    databases_router(), web_router(),
                                    hosts_router(), groups_router(), search_router(),
                                    dashboards_router(PanelStore(engine)),
                                    users_router(), auth_router(auth_backend),
                                    org_router(OrgBackend(
                                        engine, keys, settings.trial_days,
                                        settings.console_url,
                                        Mailer.from_settings(settings),
                                        seed=lambda t: seed_defaults(repo, t)))])),
                       engine),
        evaluator=evaluator,
        dispatcher=dispatcher,
        lease=keeper,
        checks=checks,
        metering=metering,
        reports=reports,
        support=support,
        kube_gate=kube_gate,
    )


def _enabled_rules(repo: AlertRepo) -> list[Rule]:
    """Every tenant's enabled rules (the evaluator reads them every few seconds)."""
    return [r for t in repo.tenants() for r in repo.list_rules(t, enabled_only=True)]


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to :func:`serve`."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def serve_until_stopped(self) -> None:
        """Serve; a port that cannot be bound ends this (uvicorn would exit the process)."""
        with contextlib.suppress(SystemExit):
            await self.serve()

    def thread(self, name: str) -> threading.Thread:
        """A thread serving on an event loop of its own, of the main thread's loop class."""
        return threading.Thread(
            target=lambda: asyncio.run(self.serve_until_stopped()), name=name, daemon=True
        )


def serve(settings: Settings, announce: Callable[[str], None] = print) -> None:
    """Run the server until SIGINT or SIGTERM, then shut down cleanly.

    The OTLP port is served from a thread with an event loop of its own, so reading and
    checking a large request never holds up the console and the API on the main thread's
    loop (the figures are in ``bongsu.ingest.receiver``). Signals are taken on the main
    thread, which stops both servers, waits for both, then closes the parts.
    """
    parts = build(settings)
    otlp, api = (
        _Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                               access_log=False, lifespan="off", http=http,
                               # A request line up to 1 MiB reaches the API, whose own
                               # limits answer a precise JSON 400; h11 is what takes this
                               # limit (httptools refused ~100 kB URLs with plain text).
                               h11_max_incomplete_event_size=_MAX_REQUEST_HEAD))
        for app, host, port, http in (
            (parts.otlp_app, settings.otlp_host, settings.otlp_port, "auto"),
            (parts.api_app, settings.host, settings.port, "h11"),
        )
    )
    servers = [otlp, api]
    otlp_thread = otlp.thread("bongsu-otlp")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, _stop, servers)
        running = {
            asyncio.ensure_future(api.serve_until_stopped()),
            asyncio.ensure_future(asyncio.to_thread(otlp_thread.join)),
        }
        while not all(s.started for s in servers):
            if any(t.done() for t in running):
                break
            await asyncio.sleep(0.05)
        else:
            announce(_banner(settings))
            backlog = parts.loader.status()["backlog_bytes"]
            if backlog:
                announce(f"  replaying {backlog / 2**20:.1f} MiB acknowledged before the last stop"
                         " (queries see it as it loads)")
        await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        _stop(servers)  # whichever server ends (a signal, a port in use), the other one too
        await asyncio.gather(*running)
        if not all(s.started for s in servers):
            raise SystemExit("bongsu: could not listen on the configured ports")

    otlp_thread.start()
    try:
        asyncio.run(main())
    finally:
        _stop(servers)
        otlp_thread.join()
        announce("bongsu: stopping; loading what was acknowledged …")
        parts.close()
        announce("bongsu: stopped")


_MAX_REQUEST_HEAD = 1 << 20


def _stop(servers: list[_Server]) -> None:
    for s in servers:
        s.should_exit = True


def _banner(settings: Settings) -> str:
    return "\n".join(
        [
            f"Bongsu {__version__}",
            f"  console and query API  http://{settings.host}:{settings.port}/"
            f"   (API docs: /docs)",
            f"  OTLP/HTTP receiver     http://{settings.otlp_host}:{settings.otlp_port}"
            "   (/v1/traces, /v1/metrics, /v1/logs)",
            f"  data directory         {settings.data_dir.resolve()}",
            f"  retention              {settings.retention_days:g} days",
            *_kube_banner(settings),
        ]
    )


def _kube_banner(settings: Settings) -> list[str]:
    setup = KubeSetup.from_settings(settings)
    if not setup.clusters:
        return []
    names = ", ".join(c.name + (f" ({c.label})" if c.label else "") for c in setup.clusters)
    lines = [f"  kubernetes             {names}; events kept "
             f"{settings.event_retention_days:g} days"]
    if setup.ingress:
        lines.append(f"  ingress scraped        {', '.join(t.url for t in setup.ingress)}")
    return lines
