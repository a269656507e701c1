"""Captures asked for by a firing alert: an evaluator listener that queues, for an alert
with ``service`` and ``instance`` labels, the captures its rule names (``captures:
[threads, memory]``) for that instance's agent, with ``trigger {"reason": "alert",
"rule_id", "detail": the alert's summary}``.

It listens to the evaluator, which evaluates only while its server holds the ``alerts``
lease, so one replica queues them. Commands wait in that server's memory
(:class:`~bongsu.control.registry.AgentRegistry`): an agent that polls another replica does
not get them. An alert that goes on firing asks once, when it starts to fire.

Example::

    captures = AlertCaptures(repo.get_rule, agents)
    Evaluator(..., listeners=[dispatcher.on_transitions, captures.on_transitions])
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from bongsu.alerts.model import Rule, Transition
from bongsu.control.registry import COMMAND_KINDS, AgentRegistry

__all__ = ["AlertCaptures"]

log = logging.getLogger(__name__)


class AlertCaptures:
    """Queues a rule's captures when one of its alerts on an instance starts firing."""

    def __init__(self, rule: Callable[[str, str], Rule | None], agents: AgentRegistry) -> None:
        self._rule = rule
        self._agents = agents
        self.queued = 0
        self.refused = 0  # the instance already had MAX_QUEUED commands waiting

    def on_transitions(self, transitions: Sequence[Transition]) -> None:
        for t in transitions:
            if t.new != "firing" or t.old == "firing":
                continue
            alert = t.instance
            service, instance = alert.labels.get("service"), alert.labels.get("instance")
            if not service or not instance:
                continue
            rule = self._rule(alert.tenant, alert.rule_id)
            if rule is None or not rule.captures:
                continue
            trigger = {"reason": "alert", "detail": alert.summary, "rule_id": rule.id}
            for kind in rule.captures:
                if kind not in COMMAND_KINDS:
                    continue
                try:
                    self._agents.request_capture(alert.tenant, service, instance, kind,
                                                 trigger=trigger)
                    self.queued += 1
                except OverflowError as exc:
                    self.refused += 1
                    log.warning("alert %s on %s: %s capture not queued: %s", rule.id,
                                instance, kind, exc)
