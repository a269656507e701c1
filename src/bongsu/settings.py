"""Server settings: one table of name, default and help.

Every setting is read from the environment as ``BONGSU_<NAME>`` (upper case) and may be
overridden by a command-line flag. ``docs/settings.md`` lists them all; a test checks that
the table and the document agree.

Example::

    settings = Settings.from_env({"BONGSU_PORT": "9000"})
    assert settings.port == 9000
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bongsu.errors import SettingError


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    """All server settings. Field metadata carries the help text shown in the docs."""

    host: str = _setting("127.0.0.1", "Address the query API and web console listen on.")
    port: int = _setting(8080, "Port of the query API and web console.")
    otlp_host: str = _setting("127.0.0.1", "Address the OTLP/HTTP receiver listens on.")
    otlp_port: int = _setting(4318, "Port of the OTLP/HTTP receiver (traces, metrics, logs).")
    data_dir: Path = _setting(Path("bongsu-data"), "Directory holding the store and ingest log.")
    retention_days: float = _setting(7.0, "Telemetry older than this many days is deleted.")
    retention_interval_seconds: float = _setting(
        600.0, "How often the retention job runs, in seconds."
    )
    max_body_bytes: int = _setting(
        16 * 1024 * 1024, "Largest OTLP request body accepted, after gzip decompression."
    )
    max_wire_bytes: int = _setting(
        8 * 1024 * 1024, "Largest OTLP request body accepted on the wire (compressed)."
    )
    ingest_backlog_bytes: int = _setting(
        2 * 1024 * 1024 * 1024,
        "Ingest log bytes acknowledged but not yet loaded; above this, OTLP requests get 503.",
    )
    ingest_queue_requests: int = _setting(
        256, "Requests waiting for the ingest log's group fsync; above this, 429."
    )
    wal_segment_bytes: int = _setting(
        64 * 1024 * 1024, "Size at which the ingest log starts a new segment file."
    )
    fsync: bool = _setting(True, "fsync the ingest log before acknowledging (off only in tests).")
    load_batch_spans: int = _setting(
        20_000, "Items decoded into one batch before it is loaded into the store."
    )
    load_batch_seconds: float = _setting(
        0.25, "Longest time a decoded batch waits to fill before it is loaded."
    )
    edge_match_seconds: float = _setting(
        30.0,
        "How long a client span waits for its server span before it is counted as a call "
        "to an external host.",
    )
    store: str = _setting(
        "duckdb", "Telemetry store: 'duckdb' (one embedded file) or 'clickhouse' (a "
        "ClickHouse server at BONGSU_CLICKHOUSE_URL; its reads give DuckDB's figures).",
    )
    clickhouse_url: str = _setting(
        "http://127.0.0.1:8123", "ClickHouse HTTP endpoint, as http(s)://user:password@host:port."
    )
    clickhouse_database: str = _setting("bongsu", "ClickHouse database of the telemetry tables.")
    clickhouse_log_id: str = _setting(
        "default", "Name of this server's ingest log in ClickHouse: one per replica, so "
        "each records its own loaded positions."
    )
    apdex_t_ms: float = _setting(500.0, "Default APDEX threshold T in milliseconds.")
    apdex_t_overrides: str = _setting(
        "", "Per-service APDEX T, as 'service=ms,service=ms'."
    )
    query_timeout_seconds: float = _setting(10.0, "Longest time one API query may run.")
    query_max_rows: int = _setting(10_000, "Most rows one API query may return.")
    max_timestamp_skew_days: float = _setting(
        30.0, "Telemetry timestamps further than this from now are rejected as absurd."
    )
    kube_clusters: str = _setting(
        "",
        "Kubernetes clusters to watch, comma-separated: 'NAME[:LABEL]=KUBECONFIG[#CONTEXT]' "
        "or 'NAME[:LABEL]=in-cluster' (LABEL such as private, public, a provider).",
    )
    kube_ingress: str = _setting(
        "",
        "Prometheus text endpoints of ingress controllers / routers to scrape, comma-separated:"
        " 'CLUSTER=URL' or a bare URL (then the first cluster's).",
    )
    kube_tenant: str = _setting("default", "Tenant the watched clusters' events belong to.")
    event_retention_days: float = _setting(
        30.0, "Kubernetes event episodes last seen longer ago than this many days are deleted."
    )
    capture_retention_days: float = _setting(
        30.0, "Diagnostic captures (thread dumps, memory, network, files, processes) taken "
        "longer ago than this many days are deleted; kept after their instance is gone."
    )
    user_retention_days: float = _setting(
        400.0, "Day sketches of service users (DAU / WAU / MAU) older than this many days are "
        "deleted; minute sketches follow `retention_days`."
    )
    kube_usage_interval_seconds: float = _setting(
        15.0, "How often metrics.k8s.io is read and containers' usage points are written."
    )
    kube_state_interval_seconds: float = _setting(
        60.0, "How often the pod, container and workload state points (requests, limits, "
        "restarts, phase, readiness, replicas) are written."
    )
    kube_scrape_interval_seconds: float = _setting(
        15.0, "How often the ingress / router Prometheus endpoints are scraped."
    )
    kube_silent_seconds: float = _setting(
        90.0,
        "A watch that sends nothing (not even a bookmark) for this long is torn down and resumed.",
    )
    kube_backoff_max_seconds: float = _setting(
        30.0, "Longest wait between attempts to reach a cluster that does not answer."
    )
    metering_team_label: str = _setting(
        "team", "Pod label whose value is a container's team in metering and statements."
    )
    metering_interval_seconds: float = _setting(
        300.0, "How often the metering job recomputes each cluster's current and previous "
        "hour (on the lease holder only)."
    )
    reports_interval_seconds: float = _setting(
        60.0, "How often scheduled reports that came due are built and e-mailed (on the "
        "holder of the reports lease only)."
    )
    reports_retention_days: float = _setting(
        30.0, "Generated reports (their HTML, CSV and PDF files under the data directory) "
        "older than this many days are deleted."
    )
    reports_chromium: str = _setting(
        "/usr/bin/chromium", "Chromium executable that prints reports to PDF (empty: "
        "playwright's own browser; PDF needs the bongsu[reports] extra)."
    )

    auth: str = _setting(
        "accounts", "Who may use the server: 'accounts' (sign-in, roles, ingest keys and API "
        "tokens) or 'single-user' (no credentials, for a laptop; refused unless both ports are "
        "bound to loopback)."
    )
    session_hours: float = _setting(
        12.0, "A console session ends this many hours after sign-in, however active."
    )
    session_idle_minutes: float = _setting(
        120.0, "A console session unused for this many minutes ends."
    )
    signup: bool = _setting(
        False, "Anyone may sign up (an account and an organisation of their own, after an "
        "e-mailed code); off: people join by invitation. On needs BONGSU_SMTP_HOST."
    )
    trial_days: float = _setting(
        0.0, "An organisation made at sign-up is read-only this many days later (its data "
        "kept) until an operator extends it; 0: no trial."
    )
    smtp_host: str = _setting(
        "", "SMTP server for account mail (verification and reset codes, invitations); "
        "empty: no account mail."
    )
    smtp_port: int = _setting(587, "Port of the SMTP server for account mail.")
    smtp_from: str = _setting(
        "", "Sender address of account mail; empty: bongsu@ the SMTP host."
    )
    smtp_username: str = _setting("", "Login at the SMTP server (only sent over TLS).")
    smtp_password: str = _setting("", "Password of BONGSU_SMTP_USERNAME.")
    smtp_starttls: bool = _setting(
        True, "Upgrade the SMTP connection with STARTTLS before logging in and sending."
    )
    smtp_ca_file: str = _setting(
        "", "CA certificate file the SMTP server's certificate is checked against (a "
        "private CA); empty: the system's."
    )
    cookie_secure: str = _setting(
        "auto", "Mark the session cookies Secure: 'auto' (when the request came over "
        "https), 'true' (always: behind a TLS-terminating proxy) or 'false'."
    )
    allowed_hosts: str = _setting(
        "", "Host names the API and console answer to, comma-separated ('*' any; "
        "'*.example.net' a domain), against DNS rebinding; empty: localhost, 127.0.0.1, "
        "::1 and BONGSU_HOST when it is an address."
    )
    auth_attempts_per_minute: int = _setting(
        10, "Sign-in, code and reset attempts one client address may make per minute "
        "(then 429 with Retry-After)."
    )
    admin_login: str = _setting(
        "ADMIN", "User id of the operator account a server with no users creates at its "
        "first start."
    )
    admin_email: str = _setting("admin@localhost", "E-mail address of that first account.")
    admin_password: str = _setting(
        "", "Password of that first account; empty: a random one, printed once at that "
        "start (never stored in clear)."
    )
    oidc_issuer: str = _setting(
        "", "OpenID Connect provider (its issuer URL, read from "
        "/.well-known/openid-configuration) offered as a sign-in; empty: none."
    )
    oidc_client_id: str = _setting("", "This server's client id at the OIDC provider.")
    oidc_client_secret: str = _setting("", "This server's client secret at the OIDC provider.")
    oidc_name: str = _setting("Single sign-on", "The OIDC sign-in button's label.")

    alerts: bool = _setting(
        True, "Evaluate alert rules and deliver notifications (off: rules, silences, channels "
        "and routes can still be edited through the API)."
    )
    console_url: str = _setting(
        "", "The console's address as people reach it (https://bongsu.example.net), for the "
        "links in notifications; empty: links are paths."
    )
    meta_url: str = _setting(
        "", "The metadata database (ingest keys, alert rules, their state and the outbox) as a "
        "URL: sqlite:///PATH, or postgresql://USER:PASSWORD@HOST:PORT/DATABASE for replicas "
        "that share one (only the lease holder evaluates and notifies); empty: meta.sqlite "
        "in the data directory."
    )
    alerts_lease_ttl_seconds: float = _setting(
        15.0, "Replicas sharing a metadata database: the holder of a singleton job's lease "
        "(alerts, metering and the Kubernetes watches, checks, reports, support) that stops "
        "renewing it is replaced by another replica this many seconds after its last renewal."
    )
    alerts_lease_renew_seconds: float = _setting(
        5.0, "How often each lease's holder renews it (below four fifths of the TTL)."
    )
    checks: bool = _setting(
        True, "Run the synthetic checks (on the holder of the checks lease only; off: checks "
        "can still be edited and run once through the API)."
    )
    check_workers: int = _setting(
        4, "Synthetic checks probed at once; a due check waits for a free worker (and is "
        "recorded unknown when it starts more than its interval late)."
    )
    check_retention_days: float = _setting(
        400.0, "Synthetic check results older than this many days are deleted (a year of "
        "SLA figures and a margin)."
    )
    support_channel: str = _setting(
        "support", "The alert channel (its name or id, in the request's tenant) that "
        "quick-service support requests are sent to, screenshot included; empty or no such "
        "channel: requests are stored only."
    )

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, **overrides: Any
    ) -> Settings:
        """Build settings from ``BONGSU_*`` variables, then apply non-None overrides."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get("BONGSU_" + f.name.upper())
            if raw is not None:
                values[f.name] = _parse(f.name, f.default, raw)
        for name, value in overrides.items():
            if value is not None:
                values[name] = value
        return cls(**values)

    def apdex_t_for(self, service: str) -> float:
        """APDEX threshold T (ms) for one service."""
        return self.apdex_overrides().get(service, self.apdex_t_ms)

    def apdex_overrides(self) -> dict[str, float]:
        """Per-service APDEX thresholds parsed from ``apdex_t_overrides``."""
        result: dict[str, float] = {}
        for item in filter(None, (part.strip() for part in self.apdex_t_overrides.split(","))):
            name, sep, value = item.rpartition("=")
            if not sep or not name:
                raise SettingError(f"BONGSU_APDEX_T_OVERRIDES: expected service=ms, got {item!r}")
            result[name] = float(value)
        return result

    @property
    def store_path(self) -> Path:
        return self.data_dir / "telemetry.duckdb"

    @property
    def wal_dir(self) -> Path:
        return self.data_dir / "ingest-log"

    @property
    def metadata_url(self) -> str:
        """``meta_url``, or the SQLite file in the data directory when it is empty."""
        return self.meta_url or f"sqlite:///{self.data_dir / 'meta.sqlite'}"

    def alerts_lease(self) -> tuple[float, float]:
        """The alert lease's TTL and renewal interval, in seconds, checked."""
        ttl, renew = self.alerts_lease_ttl_seconds, self.alerts_lease_renew_seconds
        if not ttl > 0:
            raise SettingError(f"BONGSU_ALERTS_LEASE_TTL_SECONDS: must be above 0, got {ttl:g}")
        if not 0 < renew < ttl * 0.8:
            raise SettingError(
                f"BONGSU_ALERTS_LEASE_RENEW_SECONDS: must be above 0 and below four fifths "
                f"of BONGSU_ALERTS_LEASE_TTL_SECONDS ({ttl:g}), got {renew:g}")
        return ttl, renew


def describe() -> list[tuple[str, str, str]]:
    """(environment variable, default, help) for every setting, for docs and ``--help``."""
    return [
        ("BONGSU_" + f.name.upper(), str(f.default), f.metadata["help"])
        for f in dataclasses.fields(Settings)
    ]


def _parse(name: str, default: Any, raw: str) -> Any:
    try:
        if isinstance(default, bool):
            if raw.lower() in {"1", "true", "yes", "on"}:
                return True
            if raw.lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        if isinstance(default, Path):
            return Path(raw)
        return type(default)(raw)
    except ValueError as exc:
        kind = type(default).__name__
        raise SettingError(f"BONGSU_{name.upper()}: expected {kind}, got {raw!r}") from exc
