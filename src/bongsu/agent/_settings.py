"""Agent settings: one table of name, default, environment variables and help.

Each setting is read from ``BONGSU_<NAME>``; several also honour the standard
OpenTelemetry variable (``OTEL_SERVICE_NAME``, ``OTEL_EXPORTER_OTLP_ENDPOINT`` …), which
is used when the ``BONGSU_`` one is absent. Keyword arguments to
:func:`bongsu.agent.init` win over both. ``docs/agent.md`` lists every setting; a test
checks that the table and the document agree.

Example::

    settings = AgentSettings.from_env({"OTEL_SERVICE_NAME": "orders"}, sample_ratio=0.1)
    assert settings.service_name == "orders"
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from bongsu.agent._users import parse_user_key

__all__ = ["AgentSettings", "SettingError"]


class SettingError(ValueError):
    """A setting has a value the agent cannot use; the message names the variable."""


def _s(default: Any, help: str, *otel: str) -> Any:
    return field(default=default, metadata={"help": help, "otel": otel})


@dataclass(frozen=True)
class AgentSettings:
    """All agent settings. Field metadata carries the help text and standard env names."""

    enabled: bool = _s(True, "Turn the agent on (false: every hook is a no-op).")
    service_name: str = _s(
        "", "Service name (`service.name`); default: the program's name.", "OTEL_SERVICE_NAME"
    )
    endpoint: str = _s(
        "http://127.0.0.1:4318",
        "Base URL of the OTLP/HTTP receiver; `/v1/traces` etc. are appended.",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
    )
    api_key: str = _s("", "Ingest key, sent as `Authorization: Bearer KEY`.")
    headers: str = _s(
        "", "Extra export headers as `k=v,k=v` (percent-encoded).", "OTEL_EXPORTER_OTLP_HEADERS"
    )
    resource_attributes: str = _s(
        "", "Extra resource attributes as `k=v,k=v`.", "OTEL_RESOURCE_ATTRIBUTES"
    )
    sample_ratio: float = _s(
        1.0, "Head sampling ratio for new traces (0..1); parents' decisions are followed."
    )
    keep_errors: bool = _s(True, "Keep traces with an error even when head sampling dropped them.")
    slow_ms: float = _s(
        1000.0, "Keep traces whose local root took longer than this (ms); 0 turns it off."
    )
    queue_size: int = _s(8192, "Most finished spans waiting to be sent; beyond, drops counted.")
    batch_size: int = _s(512, "Spans (or log records) per export request.")
    flush_interval: float = _s(1.0, "Longest time (s) a finished span waits before it is sent.")
    export_timeout: float = _s(5.0, "Timeout (s) of one export request.")
    compression: str = _s(
        "auto", "`gzip`, `none`, or `auto`: gzip unless the endpoint is on loopback (a local "
        "collector or sidecar, where compressing only costs CPU).",
        "OTEL_EXPORTER_OTLP_COMPRESSION",
    )
    metrics_interval: float = _s(
        10.0, "Seconds between runtime-metric exports.", "OTEL_METRIC_EXPORT_INTERVAL"
    )
    metrics_temporality: str = _s(
        "cumulative",
        "`cumulative` or `delta` for sums and histograms.",
        "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
    )
    metrics_idle: bool = _s(
        False, "Send runtime metrics also from processes that have traced nothing yet "
        "(gunicorn's master, uvicorn's supervisor), which are otherwise quiet instances.")
    active_interval: float = _s(5.0, "Seconds between reports of in-flight requests.")
    control: bool = _s(True, "Poll the server for diagnostic commands (quietly off on 404).")
    control_interval: float = _s(5.0, "Seconds between polls for diagnostic commands.")
    track_locks: bool = _s(
        False, "Track `threading.Lock` / `RLock` / `Condition` made after the agent starts: "
        "thread captures then show each lock's owner and waiters, and deadlocks (~0.3 µs "
        "more per uncontended acquire + release).")
    watchdog: bool = _s(
        True, "Capture evidence by itself before the process dies: memory near the container "
        "limit, a request running too long, SIGTERM (one check costs ~40 µs every "
        "`watchdog_check_interval`; nothing is sent until one trips).")
    watchdog_memory_percent: float = _s(
        90.0, "Memory + threads capture when the container's memory (working set) reaches "
        "this percentage of its cgroup limit; 0 turns it off.")
    watchdog_slow_request_seconds: float = _s(
        30.0, "Threads capture naming a request that has run this long; 0 turns it off.")
    watchdog_sigterm: bool = _s(
        True, "On SIGTERM, a final threads + memory capture (at most ~3 s) before the "
        "previous handler (or the default: exit) runs.")
    watchdog_cooldown_seconds: float = _s(
        300.0, "At most one capture per trigger (memory, long request) in this many seconds.")
    watchdog_check_interval: float = _s(
        0.5, "Seconds between the watchdog's checks of memory and request durations.")
    log_correlation: bool = _s(True, "Add `trace_id` / `span_id` to every logging record.")
    logs_export: bool = _s(False, "Export logging records as OTLP logs.")
    logs_level: str = _s("INFO", "Lowest level of records exported when `logs_export` is on.")
    sql_mask: bool = _s(True, "Replace literal values in SQL text with `?`.")
    sql_max_length: int = _s(2048, "Longest SQL text kept on a span, in characters.")
    disabled_integrations: str = _s(
        "", "Comma-separated integrations not to install (e.g. `redis,celery`)."
    )
    user_key: str = _s(
        "client_ip", "Where a request's user is found when the application sets no "
        "`enduser.id`, first match wins: `cookie:NAME`, `header:NAME`, `client_ip` "
        "(`X-Forwarded-For`'s first address, else the peer), comma-separated; `none`: "
        "only the application's. Sent as `enduser.id`, HMAC-SHA256-hashed, never raw.")
    user_salt: str = _s(
        "", "Secret key of the user-key hash; the same in every agent of a deployment (else "
        "one user counts once per salt). Empty: a public default, so set it.")
    debug: bool = _s(False, "Log every export attempt at DEBUG level.")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> AgentSettings:
        """Build settings from the environment, then apply non-None keyword overrides."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get("BONGSU_" + f.name.upper())
            name = "BONGSU_" + f.name.upper()
            if raw is None:
                for other in f.metadata["otel"]:
                    if other in env:
                        raw, name = env[other], other
                        break
            if raw is not None:
                values[f.name] = _parse(name, f.default, raw)
        if "sample_ratio" not in values:
            ratio = _otel_sampler(env)
            if ratio is not None:
                values["sample_ratio"] = ratio
        if env.get("OTEL_SDK_DISABLED", "").lower() == "true" and "BONGSU_ENABLED" not in env:
            values["enabled"] = False
        if "OTEL_METRIC_EXPORT_INTERVAL" in env and "BONGSU_METRICS_INTERVAL" not in env:
            values["metrics_interval"] = values["metrics_interval"] / 1000.0  # OTel uses ms
        for key, value in overrides.items():
            if value is not None:
                values[key] = value
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """Raise :class:`SettingError` naming the first unusable value."""
        if not 0.0 <= self.sample_ratio <= 1.0:
            raise SettingError(f"sample_ratio must be within 0..1, got {self.sample_ratio}")
        if self.queue_size < 1 or self.batch_size < 1:
            raise SettingError("queue_size and batch_size must be positive")
        if self.compression not in ("gzip", "none", "auto"):
            raise SettingError(f"compression must be gzip, none or auto, "
                               f"got {self.compression!r}")
        if not 0.0 <= self.watchdog_memory_percent <= 100.0:
            raise SettingError(f"watchdog_memory_percent must be within 0..100, "
                               f"got {self.watchdog_memory_percent}")
        if self.watchdog_check_interval < 0.05:
            raise SettingError(f"watchdog_check_interval must be at least 0.05, "
                               f"got {self.watchdog_check_interval}")
        try:
            parse_user_key(self.user_key)
        except ValueError as exc:
            raise SettingError(str(exc)) from None
        if self.metrics_temporality not in ("cumulative", "delta"):
            raise SettingError(f"metrics_temporality must be cumulative or delta, "
                               f"got {self.metrics_temporality!r}")

    @property
    def effective_service_name(self) -> str:
        if self.service_name:
            return self.service_name
        for key, value in parse_pairs(self.resource_attributes).items():
            if key == "service.name":
                return value
        prog = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
        return prog.removesuffix(".py") or "unknown_service:python"

    def export_headers(self) -> dict[str, str]:
        """Headers sent with every export and control request."""
        headers = parse_pairs(self.headers)
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def gzip_bodies(self) -> bool:
        """Whether export bodies are gzipped (``auto``: only off loopback)."""
        if self.compression != "auto":
            return self.compression == "gzip"
        host = urlsplit(self.endpoint if "://" in self.endpoint else "http://" + self.endpoint)
        return (host.hostname or "") not in ("127.0.0.1", "localhost", "::1")

    def disabled(self) -> set[str]:
        return {p.strip() for p in self.disabled_integrations.split(",") if p.strip()}


def parse_pairs(text: str) -> dict[str, str]:
    """Parse the OTel `k=v,k=v` list format (values percent-decoded)."""
    result: dict[str, str] = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        if sep and key.strip():
            result[unquote(key.strip())] = unquote(value.strip())
    return result


def _otel_sampler(env: Mapping[str, str]) -> float | None:
    sampler = env.get("OTEL_TRACES_SAMPLER", "").strip().lower()
    if not sampler:
        return None
    if sampler in ("always_on", "parentbased_always_on"):
        return 1.0
    if sampler in ("always_off", "parentbased_always_off"):
        return 0.0
    if sampler in ("traceidratio", "parentbased_traceidratio"):
        return float(_parse("OTEL_TRACES_SAMPLER_ARG", 1.0,
                            env.get("OTEL_TRACES_SAMPLER_ARG", "1.0")))
    raise SettingError(f"OTEL_TRACES_SAMPLER: unsupported sampler {sampler!r}")


def _parse(name: str, default: Any, raw: str) -> Any:
    try:
        if isinstance(default, bool):
            low = raw.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(raw)
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        return raw.strip()
    except ValueError:
        raise SettingError(f"{name}: cannot read {raw!r} as {type(default).__name__}") from None
