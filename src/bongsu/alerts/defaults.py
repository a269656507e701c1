"""The rules Bongsu ships: one per Kubernetes kind that deserves an alert, APDEX below 0.7,
error rate above 5 %, memory predicted to reach the container limit within 2 hours, a
synthetic check down.

They are seeded once per tenant (``builtin=True``), editable and can be turned off; a
default the user deleted or changed is never created again (the repository records each
default it seeded, so a default added in a later release is still seeded then).

Example::

    created = seed_defaults(repo, "default")  # the first time: all of them; then []
"""

from __future__ import annotations

from bongsu.alerts.model import Rule, Severity
from bongsu.alerts.repo import AlertRepo

# (default id, Kubernetes episode kind, severity, name, spec beyond the kind). The
# severities are the episodes' own (the table in bongsu.kube.explain): a node rebooted or a
# container restart is a warning, it already happened and recovered; HPA scaling is news.
_EVENTS: tuple[tuple[str, str, Severity, str, dict[str, object]], ...] = (
    ("k8s-crash-loop", "crash_loop", "critical", "Container crash loop", {}),
    ("k8s-image-pull", "image_pull", "critical", "Image cannot be pulled", {}),
    ("k8s-oom-killed", "oom_killed", "critical", "Container OOM killed", {}),
    ("k8s-evicted", "evicted", "critical", "Pod evicted", {}),
    ("k8s-volume-mount", "volume_mount", "warning", "Volume cannot be mounted", {}),
    ("k8s-scheduling", "scheduling", "warning", "Pod cannot be scheduled", {}),
    ("k8s-hostport-conflict", "hostport_conflict", "warning", "HostPort conflict", {}),
    # The Node's episode (critical) pages; the copy the node controller posts on each of
    # its pods (warning) would be one alert per pod of the node for the same outage.
    ("k8s-node-not-ready", "node_not_ready", "critical", "Node not ready",
     {"severity": "critical"}),
    ("k8s-node-rebooted", "node_rebooted", "warning", "Node rebooted", {}),
    # A crash-looping container restarts on every back-off, an evicted pod's containers
    # are killed: those are the crash loop's and the eviction's alerts, not a second one.
    ("k8s-container-restart", "container_restart", "warning", "Container restarted",
     {"unless": ["crash_loop", "evicted"]}),
    ("k8s-hpa-scale-out", "hpa_scale_out", "info", "HPA scaled out", {}),
    ("k8s-hpa-scale-in", "hpa_scale_in", "info", "HPA scaled in", {}),
)


def default_rules() -> dict[str, Rule]:
    """The shipped defaults by their stable default id (tenant left empty)."""
    rules: dict[str, Rule] = {}
    for key, kube_kind, severity, name, extra in _EVENTS:
        rules[key] = _builtin(key, name, "event", severity,
                              {"kind": kube_kind, "min_count": 1, "window_s": 600, **extra})
    rules["apdex-low"] = _builtin(
        "apdex-low", "APDEX below 0.7", "threshold", "warning",
        {"figure": "apdex", "op": "<", "value": 0.7, "window_s": 300}, for_s=300)
    rules["error-rate-high"] = _builtin(
        "error-rate-high", "Error rate above 5 %", "threshold", "critical",
        {"figure": "error_rate", "op": ">", "value": 0.05, "window_s": 300}, for_s=300)
    rules["memory-exhaustion"] = _builtin(
        "memory-exhaustion", "Memory reaches the container limit within 2 h", "predictive",
        "warning",
        {"metric": "k8s.container.memory.usage", "agg": "max", "group_by": "k8s.pod.name",
         "limit": {"metric": "k8s.container.memory.limit"}, "horizon_s": 7200,
         "lookback_s": 3600, "step_s": 60},
        # A prediction that holds for 10 minutes is a trend, not one noisy fit.
        for_s=600, interval_s=300)
    # One rule for every synthetic check (not one per check to keep in step with it): the
    # runner already applied the check's failure threshold, so it fires at once.
    rules["check-down"] = _builtin("check-down", "Synthetic check down", "check", "critical",
                                   {}, interval_s=10)
    return rules


def seed_defaults(repo: AlertRepo, tenant: str, *, at_us: int | None = None) -> list[Rule]:
    """Create the defaults this tenant has not had yet; returns those created."""
    return repo.seed_rules(tenant, default_rules(), at_us=at_us)


def _builtin(key: str, name: str, kind: str, severity: Severity, spec: dict[str, object],
             *, for_s: float = 0.0, interval_s: float = 60.0) -> Rule:
    return Rule(id=f"builtin-{key}", tenant="", name=name, kind=kind,  # type: ignore[arg-type]
                spec=dict(spec), severity=severity, for_s=for_s, interval_s=interval_s,
                builtin=True)
