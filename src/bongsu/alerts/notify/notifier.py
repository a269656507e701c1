"""The notifier: the evaluator's Transitions in, Notifications in the outbox out.

What it promises, per route an alert matches:

- exactly one ``firing`` notification when the alert starts firing and one ``resolved``
  when it stops — never one per evaluation or per event update (a transition already seen,
  by its time, is ignored, so replaying transitions after a crash sends nothing twice);
- a firing alert that a silence mutes is held, not sent; if the silence ends first it is
  sent then, if the alert resolves first neither is sent (nobody was told it fired);
- a resolved notification is sent for every alert whose firing was sent, even when a
  silence or a maintenance window mutes it by then;
- alerts sharing the route's ``group_by`` labels travel together, timed by the route's
  group_wait / group_interval / repeat_interval (see :mod:`.routing`).

Decisions and the outbox rows they make are written in one transaction: pass the
evaluator's Connection to :meth:`Notifier.handle` to commit them with its state too.

Example::

    notifier = Notifier(NotifyStore(engine))
    notifier.handle(transitions, now_us)  # queues what is due now
    notifier.tick(now_us)  # later: groups whose wait or interval has run out
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Sequence
from typing import Any, Literal, Protocol

from sqlalchemy import Connection

from bongsu.alerts.model import AlertInstance, Labels, Notification, Route, Transition
from bongsu.alerts.notify.routing import group_labels, matches
from bongsu.alerts.notify.silences import silenced
from bongsu.alerts.notify.store import NotifyStore

Status = Literal["firing", "resolved"]


class StoredTransition(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def transition(self) -> Transition: ...


class History(Protocol):
    """Where the evaluator keeps transitions until they are handed over
    (:class:`bongsu.alerts.repo.AlertRepo`)."""

    def unnotified(self, limit: int = 1000) -> Sequence[StoredTransition]: ...

    def mark_notified(self, ids: Iterable[int]) -> None: ...
_US = 1_000_000


def change_status(transition: Transition) -> Status | None:
    """What a transition tells a person: it fired, it resolved, or nothing (pending …)."""
    if transition.new == "firing" and transition.old != "firing":
        return "firing"
    if transition.old == "firing" and transition.new in ("resolved", "inactive"):
        return "resolved"
    return None


def alert_labels(instance: AlertInstance) -> Labels:
    """The labels routes, groups and silences see: the instance's, plus rule and severity."""
    labels = {"rule": instance.rule_id, "severity": instance.severity}
    labels.update(instance.labels)
    return labels


def alert_view(
    transition: Transition, status: Status, rule_name: str | None = None
) -> dict[str, Any]:
    """The alert as a notification carries it (JSON-ready); ``rule_name`` as the rule was
    called when the change was decided (the id when the rule is gone)."""
    i = transition.instance
    return {
        "id": i.id, "rule_id": i.rule_id, "rule_name": rule_name or i.rule_id,
        "status": status, "labels": alert_labels(i), "severity": i.severity,
        "summary": i.summary, "value": i.value, "link": i.link or fallback_link(i),
        "fired_at_us": i.fired_at_us, "resolved_at_us": i.resolved_at_us,
        "at_us": transition.at_us,
    }


def fallback_link(instance: AlertInstance) -> str:
    """Where an alert whose rule kind gave no link is explained: its service's dashboard
    at the time it fired, else the Alerts page (which shows its summary and history)."""
    service = instance.labels.get("service")
    at_us = instance.fired_at_us or instance.last_eval_us
    if service:
        return f"/services/{service}?to={at_us // 1000}"
    return "/alerts"


class Notifier:
    """Turns transitions into queued notifications; state lives in the store's groups."""

    def __init__(self, store: NotifyStore) -> None:
        self._store = store
        # Groups are read, changed and written back: one decision at a time per process
        # (the evaluator's drain and the dispatcher's tick may come from two threads).
        self._lock = threading.RLock()

    def handle(
        self, transitions: Sequence[Transition], now_us: int, con: Connection | None = None
    ) -> int:
        """Record the changes, then queue what is due; returns how many were queued."""
        if con is None:
            with self._lock, self._store.engine.begin() as own:
                return self.handle(transitions, now_us, own)
        with self._lock:
            return self._handle(transitions, now_us, con)

    def _handle(self, transitions: Sequence[Transition], now_us: int, con: Connection) -> int:
        routes: dict[str, list[Route]] = {}
        names: dict[str, dict[str, str]] = {}
        for transition in transitions:
            status = change_status(transition)
            if status is None:
                continue
            tenant = transition.instance.tenant
            if tenant not in routes:
                routes[tenant] = self._store.routes(tenant, con)
                names[tenant] = self._store.rule_names(tenant, con)
            labels = alert_labels(transition.instance)
            view = alert_view(transition, status, names[tenant].get(transition.instance.rule_id))
            for route in routes[tenant]:
                if matches(route.matchers, labels):
                    self._record(con, route, labels, transition, view, now_us)
        return self._flush(con, now_us)

    def drain(self, history: History, now_us: int, limit: int = 1000) -> int:
        """Hand the history's unnotified transitions over, then mark them notified.

        A crash between the two replays them next time; the notifier ignores a transition
        it has seen (by alert and time) and the outbox one it has queued (by key).
        """
        entries = history.unnotified(limit)
        if not entries:
            return 0
        queued = self.handle([e.transition for e in entries], now_us)
        history.mark_notified(e.id for e in entries)
        return queued

    def tick(self, now_us: int) -> int:
        """Queue what groups have due now; returns how many notifications were queued."""
        with self._lock, self._store.engine.begin() as con:
            return self._flush(con, now_us)

    def _record(
        self, con: Connection, route: Route, labels: Labels, transition: Transition,
        view: dict[str, Any], now_us: int,
    ) -> None:
        names = group_labels(route, labels)
        group_id = route.id[:31] + ":" + _digest(repr(sorted(names.items())))[:32]
        group = self._store.group(con, group_id) or {
            "id": group_id, "tenant": transition.instance.tenant, "route_id": route.id,
            "labels": names, "created_us": now_us, "last_flush_us": None,
            "next_flush_us": None, "alerts": {},
        }
        entry = group["alerts"].setdefault(
            transition.instance.id, {"at_us": -1, "notified": False, "pending": []}
        )
        if transition.at_us <= entry["at_us"]:
            return  # seen before: a replay after a crash, or the same change twice
        entry["at_us"] = transition.at_us
        entry["pending"].append(view)
        if group["last_flush_us"] is None:
            due = group["created_us"] + int(route.group_wait_s * _US)
        else:
            due = max(group["last_flush_us"] + int(route.group_interval_s * _US), now_us)
        if group["next_flush_us"] is None or due < group["next_flush_us"]:
            group["next_flush_us"] = due
        self._store.save_group(con, group)

    def _flush(self, con: Connection, now_us: int) -> int:
        queued = 0
        routes: dict[str, Route] = {}
        for group in self._store.due_groups(con, now_us):
            tenant = group["tenant"]
            if not routes or group["route_id"] not in routes:
                routes.update((r.id, r) for r in self._store.routes(tenant, con))
            route = routes.get(group["route_id"])
            if route is None:  # the route was deleted: its groups go with it
                self._store.delete_group(con, group["id"])
                continue
            queued += self._flush_group(con, route, group, now_us)
        return queued

    def _flush_group(
        self, con: Connection, route: Route, group: dict[str, Any], now_us: int
    ) -> int:
        silences = self._store.silences(group["tenant"], con)
        firing: list[dict[str, Any]] = []
        resolved: list[dict[str, Any]] = []
        held = False
        for entry in group["alerts"].values():
            kept: list[dict[str, Any]] = []
            for change in entry["pending"]:
                if change["status"] == "firing":
                    if silenced(silences, change["labels"], now_us) is not None:
                        kept.append(change)
                    else:
                        firing.append(change)
                        entry["notified"] = True
                elif kept:
                    kept.pop()  # fired and resolved while muted: nobody was told either
                elif entry["notified"]:
                    resolved.append(change)  # sent even if muted now: its firing was sent
                    entry["notified"] = False
            entry["pending"] = kept
            held = held or bool(kept)
        group["alerts"] = {
            fp: e for fp, e in group["alerts"].items() if e["pending"] or e["notified"]
        }
        repeat = ""
        last = group["last_flush_us"]
        if not firing and not resolved and last is not None and (
            now_us >= last + int(route.repeat_interval_s * _US)
        ):
            firing = [  # a reminder, marked so a receiver can tell it from a new firing
                dict(e["last"], repeat=True) for e in group["alerts"].values()
                if e["notified"] and silenced(silences, e["last"]["labels"], now_us) is None
            ]
            repeat = f"repeat@{now_us}"
        for change in firing:  # what a repeat sends again
            group["alerts"][change["id"]]["last"] = change
        batches: list[tuple[Status, list[dict[str, Any]]]] = [
            ("firing", firing), ("resolved", resolved)
        ]
        notifications = [
            self._notification(route, group, channel_id, status, alerts, repeat, now_us)
            for status, alerts in batches if alerts
            for channel_id in route.channel_ids
        ]
        queued = self._store.add_notifications(con, notifications)
        if notifications:
            group["last_flush_us"] = now_us
        anchor = group["last_flush_us"] if group["last_flush_us"] is not None else now_us
        if held:
            group["next_flush_us"] = now_us + int(route.group_interval_s * _US)
        elif any(e["notified"] for e in group["alerts"].values()):
            group["next_flush_us"] = anchor + int(route.repeat_interval_s * _US)
        else:
            group["next_flush_us"] = None
        if group["alerts"]:
            self._store.save_group(con, group)
        else:
            self._store.delete_group(con, group["id"])  # a new group waits group_wait again
        return queued

    @staticmethod
    def _notification(
        route: Route, group: dict[str, Any], channel_id: str, status: Status,
        alerts: list[dict[str, Any]], repeat: str, now_us: int,
    ) -> Notification:
        # The key names the changes, not the moment: deciding the same changes again
        # (after a crash, before the evaluator marked them notified) gives the same key.
        changes = sorted(f"{a['id']}@{a['at_us']}" for a in alerts)
        key = _digest("\x1f".join([group["id"], channel_id, status, repeat, *changes]))
        return Notification(
            key=key, tenant=group["tenant"], channel_id=channel_id, group=group["labels"],
            status=status, alerts=alerts, created_us=now_us, next_attempt_us=now_us,
        )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


__all__ = [
    "History", "Notifier", "StoredTransition", "alert_labels", "alert_view", "change_status",
    "fallback_link",
]
