"""Request and response bodies of the alert routes (``bongsu.api.alerts``), as
``/openapi.json`` documents them. Timestamps are epoch milliseconds, durations seconds
(a rule's durations are written as in a rules file: ``"5m"``, ``"1h30m"``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from bongsu.api.body import BodyModel

MatchOp = Literal["=", "!=", "=~", "!~"]
State = Literal["inactive", "pending", "firing", "resolved"]
_MS = ", epoch ms"
MAX_MS = 2**62 // 1000  # stored as epoch µs in a signed 64-bit column
MAX_TIMER_S = 30 * 86_400.0  # a group timer of a month is no longer a notification


def _d(text: str, **kw: Any) -> Any:
    return Field(description=text, **kw)


class Matcher(BodyModel):
    """One label matcher: ``service=orders``, ``pod=~orders-.*`` (anchored)."""

    model_config = ConfigDict(extra="forbid")
    name: str = _d("Label name (rule, severity, service, pod, namespace …)",
                   min_length=1, max_length=128)
    op: MatchOp = _d("= and != compare, =~ and !~ match a regular expression (anchored)")
    value: str = _d("Value or regular expression (a missing label reads as '')",
                    max_length=1024)


class Rule(BodyModel):
    """A rule in its written form (what ``bongsu rules apply`` reads from a file)."""

    model_config = ConfigDict(populate_by_name=True)
    id: str = _d("Rule id")
    name: str = _d("Unique within the tenant")
    kind: str = _d("threshold, event, predictive, or a registered kind")
    severity: Literal["critical", "warning", "info"] = _d("Severity of its alerts")
    for_: str = _d("How long the condition holds before firing (a duration: 5m)",
                   alias="for")
    keep_firing_for: str = _d("How long it keeps firing once the condition stops holding")
    interval: str = _d("How often it is evaluated (10s to 1d)")
    no_data: Literal["ignore", "alert", "keep"] = _d(
        "What a label set without data does: nothing, fire, or keep its state")
    labels: dict[str, str] = _d("Added to every alert's labels")
    annotations: dict[str, str] = _d("Summary / description texts")
    enabled: bool = _d("Evaluated (false: turned off)")
    spec: dict[str, Any] = _d("The kind's own fields")
    builtin: bool = _d("A shipped default (editable, can be turned off)")
    captures: list[Literal["threads", "memory", "network", "files", "processes"]] = _d(
        "Captures a firing alert with an instance label asks that instance's agent for "
        "(trigger alert, the rule's id)", default_factory=list)


class Rules(BodyModel):
    rules: list[Rule] = _d("The tenant's rules, by name")


class Alert(BodyModel):
    """One rule and label set's state."""

    id: str = _d("Fingerprint of the rule and the labels")
    rule_id: str = _d("The rule it is an alert of")
    labels: dict[str, str] = _d("The label set (the rule's labels included)")
    state: State = _d("inactive, pending (holding, not yet for long enough), firing, resolved")
    severity: str = _d("The rule's severity")
    value: float | None = _d("The figure behind the last evaluation")
    summary: str = _d("One line a person can act on")
    link: str | None = _d("The console view that explains it")
    active_since_ms: int | None = _d("When the condition started holding" + _MS)
    fired_at_ms: int | None = _d("When it fired" + _MS)
    resolved_at_ms: int | None = _d("When it resolved" + _MS)
    last_eval_ms: int = _d("Its last evaluation" + _MS)


class Alerts(BodyModel):
    alerts: list[Alert] = _d("By rule, then id")


class Change(BodyModel):
    """One state change of an alert."""

    id: int = _d("Orders the changes")
    at_ms: int = _d("When it changed" + _MS)
    old: State = _d("State before")
    new: State = _d("State after")
    alert: Alert = _d("The alert as it was after the change")


class History(BodyModel):
    history: list[Change] = _d("Newest first")


class SilenceIn(BodyModel):
    """A silence (``starts_ms`` defaults to now) or, with ``recurrence``
    (``"weekly sun 02:00-04:00"``, UTC), a maintenance window between the two."""

    model_config = ConfigDict(extra="forbid")
    matchers: list[Matcher] = _d("Alerts it mutes: all must match", min_length=1,
                                 max_length=32)
    starts_ms: int | None = _d("Start" + _MS + ". Default: now", default=None, ge=0, le=MAX_MS)
    ends_ms: int = _d("End" + _MS, ge=0, le=MAX_MS)
    author: str = _d("Who silences it", max_length=256)
    comment: str = _d("Why", default="", max_length=4096)
    recurrence: str | None = _d("'daily HH:MM-HH:MM' or 'weekly DAY[,DAY] HH:MM-HH:MM' (UTC)",
                                default=None, max_length=128)


class Silence(BodyModel):
    id: str = _d("Silence id")
    matchers: list[Matcher] = _d("Alerts it mutes: all must match")
    starts_ms: int = _d("Start" + _MS)
    ends_ms: int = _d("End" + _MS)
    author: str = _d("Who silenced it")
    comment: str = _d("Why")
    recurrence: str | None = _d("Its maintenance window (UTC), if recurring")
    active: bool = _d("Mutes matching alerts now")


class Silences(BodyModel):
    silences: list[Silence] = _d("By id")


class ChannelIn(BodyModel):
    """Where notifications go: a registered channel type and its settings."""

    model_config = ConfigDict(extra="forbid")
    name: str = _d("Unique within the tenant", min_length=1, max_length=256)
    type: str = _d("webhook, slack, email, or a registered type", max_length=64)
    config: dict[str, Any] = _d("The type's settings (webhook: url, secret, timeout_s; "
                                "slack: url; email: host, port, from, to, username, "
                                "password …)")
    enabled: bool = _d("Delivers (false: its notifications fail)", default=True)


class Channel(BodyModel):
    id: str = _d("Channel id (what routes name)")
    name: str = _d("Unique within the tenant")
    type: str = _d("Its channel type")
    config: dict[str, Any] = _d("The settings without their secrets")
    secrets: list[str] = _d("Secret settings that are set (never returned)")
    enabled: bool = _d("Delivers")


class Channels(BodyModel):
    channels: list[Channel] = _d("By name")


class RouteIn(BodyModel):
    """Which alerts go to which channels, grouped how, and how often. Alerts carry their
    labels plus ``rule`` (the rule id) and ``severity``."""

    model_config = ConfigDict(extra="forbid")
    matchers: list[Matcher] = _d("Alerts it takes: all must match (none: every alert)",
                                 default_factory=list, max_length=32)
    channel_ids: list[str] = _d("Channels to notify", max_length=32)
    group_by: list[str] = _d("Labels whose alerts travel together in one notification",
                             default_factory=lambda: ["rule", "service"], max_length=32)
    group_wait_s: float = _d("A new group waits this long, seconds", default=30.0,
                             ge=0, le=MAX_TIMER_S)
    group_interval_s: float = _d("Between notifications about one group, seconds",
                                 default=300.0, ge=0, le=MAX_TIMER_S)
    repeat_interval_s: float = _d("Still firing: sent again this often, seconds "
                                  "(at least group_interval_s)", default=4 * 3600.0,
                                  ge=0, le=MAX_TIMER_S)


class Route(RouteIn):
    id: str = _d("Route id")


class Routes(BodyModel):
    routes: list[Route] = _d("In the order they are matched")


Severity = Literal["critical", "warning", "info"]


class AlertSummary(BodyModel):
    """Counts for the console's badge: one indexed read of the tenant's alert states."""

    firing: int = _d("Alerts firing now")
    pending: int = _d("Alerts holding, not yet for long enough to fire")
    by_severity: dict[Severity, int] = _d("Firing alerts by severity (every severity listed)")
    worst: Severity | None = _d("The worst severity firing (null: none firing)")


Outcome = Literal["delivered", "http_status", "timeout", "refused", "turned_off", "error"]


class ChannelTest(BodyModel):
    """What one test notification did: delivered, or the receiver's error. A failing
    receiver is still a 200 (the test ran); ``ok`` says whether it was delivered."""

    ok: bool = _d("Delivered")
    outcome: Outcome = _d("delivered; http_status (the receiver answered an error "
                          "status); timeout; refused (connection refused); turned_off "
                          "(the channel is disabled: real deliveries fail too); error")
    status_code: int | None = _d("The receiver's HTTP status, when it answered an error")
    error: str | None = _d("The channel type's error text (null when delivered)")
    retryable: bool = _d("A real delivery would be tried again after this error")
    key: str = _d("The test notification's idempotency key (starts with 'test-')")
    elapsed_ms: float = _d("How long the attempt took, ms (bounded by the channel's timeout)")
