"""What the alert engine works with, as plain values: rules, samples, alert instances,
notifications.

These types are the contract between the parts of ``bongsu.alerts``: the rule kinds
(``kinds/``: threshold, event, predictive, each registered like a third party's), the
evaluator and its state machine, the notification side (grouping, silences, the durable
outbox, channels) and the repository that keeps all of it in the metadata database.
Timestamps are epoch microseconds; durations seconds.

A rule's evaluation gives one :class:`Sample` per label set it sees (a service, an
instance, a pod …); the state machine turns samples into :class:`AlertInstance` state
changes (inactive → pending → firing → resolved), and each *change* — never each
evaluation or each event update — becomes at most one :class:`Notification` per route.

Example::

    rule = Rule(id="r1", tenant="default", name="APDEX low", kind="threshold",
                spec={"figure": "apdex", "op": "<", "value": 0.7}, for_s=300)
    samples = kind.evaluate(rule, context, now_us)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

RuleKind = Literal["threshold", "event", "predictive"]
Severity = Literal["critical", "warning", "info"]
NoData = Literal["ignore", "alert", "keep"]
"""What a label set without data does: nothing (``ignore``, the default: never noise),
fire a no-data alert (``alert``), or keep its last state (``keep``)."""
State = Literal["inactive", "pending", "firing", "resolved"]

Labels = dict[str, str]


def fingerprint(rule_id: str, labels: Labels) -> str:
    """A stable 16-hex-digit id of one alert instance: the rule and its label set."""
    text = rule_id + "\x1f" + "\x1f".join(f"{k}={labels[k]}" for k in sorted(labels))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


@dataclass(slots=True)
class Rule:
    """One alert rule; ``spec`` holds the kind's own fields (checked by the kind)."""

    id: str
    tenant: str
    name: str
    kind: RuleKind
    spec: dict[str, Any]
    severity: Severity = "warning"
    for_s: float = 0.0  # the condition must hold this long before firing
    keep_firing_for_s: float = 0.0  # keep firing this long after it stops holding
    no_data: NoData = "ignore"
    interval_s: float = 60.0  # how often it is evaluated
    labels: Labels = field(default_factory=dict)  # added to every instance's labels
    annotations: dict[str, str] = field(default_factory=dict)  # summary / description templates
    enabled: bool = True
    builtin: bool = False  # a shipped default (editable, can be turned off)
    # Capture kinds a firing alert with an ``instance`` label asks that instance's agent
    # for (docs/captures.md: threads, memory, network, files, processes).
    captures: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Sample:
    """One label set's result of one evaluation.

    ``active``: the condition holds now; ``value`` the figure behind it (the TPS, the
    count of episodes, the predicted seconds to exhaustion …); ``summary`` one line a
    person can act on; ``no_data``: the label set had no data this time (then ``active``
    is False and the rule's ``no_data`` decides); ``link`` the console view that explains
    it (a dashboard at the alert's time, an episode).
    """

    labels: Labels
    active: bool
    value: float | None
    summary: str
    no_data: bool = False
    link: str | None = None
    details: dict[str, Any] = field(default_factory=dict)  # e.g. slope, predicted_at_us


@dataclass(slots=True)
class AlertInstance:
    """The state of one rule and label set, persisted so a restart neither forgets a firing
    alert nor sends it again."""

    id: str  # fingerprint(rule_id, labels)
    tenant: str
    rule_id: str
    labels: Labels
    state: State
    active_since_us: int | None  # when the condition started holding (pending)
    fired_at_us: int | None
    resolved_at_us: int | None
    last_eval_us: int
    last_active_us: int | None  # for keep_firing_for
    value: float | None
    summary: str
    link: str | None = None
    severity: Severity = "warning"


@dataclass(frozen=True, slots=True)
class Transition:
    """A state change the evaluator made; what notifications are made of."""

    instance: AlertInstance
    old: State
    new: State
    at_us: int


@dataclass(slots=True)
class Notification:
    """One message to one channel about a group of transitions; ``key`` makes delivery
    idempotent (the receiver sees the same key on a retry)."""

    key: str
    tenant: str
    channel_id: str
    group: Labels
    status: Literal["firing", "resolved"]
    alerts: list[dict[str, Any]]
    created_us: int
    attempts: int = 0
    next_attempt_us: int = 0
    delivered_us: int | None = None
    last_error: str | None = None


MatchOp = Literal["=", "!=", "=~", "!~"]


@dataclass(frozen=True, slots=True)
class Matcher:
    """One label matcher, as in silences and routes: ``service=orders``, ``pod=~orders-.*``."""

    name: str
    op: MatchOp
    value: str


@dataclass(slots=True)
class Silence:
    """Mutes notifications of matching alerts from ``starts_us`` to ``ends_us``; with
    ``recurrence`` (e.g. ``"weekly sun 02:00-04:00"``) a maintenance window instead. A
    resolved notification is still delivered for an alert that fired before it muted."""

    id: str
    tenant: str
    matchers: list[Matcher]
    starts_us: int
    ends_us: int
    author: str
    comment: str
    recurrence: str | None = None


@dataclass(slots=True)
class Channel:
    """Where notifications go: a registered channel type and its settings."""

    id: str
    tenant: str
    name: str
    type: str  # "webhook", "slack", "email", or a third party's
    config: dict[str, Any]
    enabled: bool = True


@dataclass(slots=True)
class Route:
    """Which alerts go to which channels, grouped how, and how often."""

    id: str
    tenant: str
    matchers: list[Matcher]
    channel_ids: list[str]
    group_by: list[str] = field(default_factory=lambda: ["rule", "service"])
    group_wait_s: float = 30.0
    group_interval_s: float = 300.0
    repeat_interval_s: float = 4 * 3600.0
