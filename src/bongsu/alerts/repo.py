"""Where the alert engine keeps rules, alert instances and their history: the metadata
database, through SQLAlchemy Core (portable SQL: SQLite by default, PostgreSQL later).

Contract:

- rules are tenant-scoped: ``get_rule``/``delete_rule`` of another tenant's id find nothing;
  a rule's name is unique within its tenant (:class:`~bongsu.errors.RuleError` on ``name``);
- :meth:`AlertRepo.record` is one transaction: the instances' states are upserted and one
  history row per transition is appended with ``notified=False`` — so after a crash either
  both the new state and the change to notify about are stored, or neither is;
- the notifier reads :meth:`AlertRepo.unnotified` oldest first and calls
  :meth:`AlertRepo.mark_notified` once the notification is in its outbox.

Example::

    repo = AlertRepo(connect("sqlite:///bongsu-data/meta.sqlite"))
    rule = repo.put_rule(rule)
    repo.record([instance], [Transition(instance, "pending", "firing", now_us)])
    for entry in repo.unnotified(100): ...
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Engine,
    Row,
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from bongsu.alerts.model import AlertInstance, Rule, State, Transition
from bongsu.alerts.rules import check_rule
from bongsu.alerts.tables import (
    alert_defaults_seeded,
    alert_history,
    alert_instances,
    alert_rules,
)
from bongsu.errors import RuleError


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One stored transition; ``id`` orders them and names them to ``mark_notified``."""

    id: int
    transition: Transition
    notified: bool


def now_us() -> int:
    return time.time_ns() // 1000


def new_rule_id() -> str:
    return "r_" + secrets.token_hex(8)


class AlertRepo:
    """Rules, alert instances and history in the metadata database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # -- rules -------------------------------------------------------------------------

    def put_rule(self, rule: Rule, *, at_us: int | None = None) -> Rule:
        """Create or replace ``rule`` (checked first); an empty id gets a new one."""
        check_rule(rule)
        stamp = now_us() if at_us is None else at_us
        if not rule.id:
            rule = dataclasses.replace(rule, id=new_rule_id())
        values = _rule_values(rule)
        with self._engine.begin() as con:
            clash = con.execute(
                select(alert_rules.c.id).where(
                    alert_rules.c.tenant == rule.tenant, alert_rules.c.name == rule.name,
                    alert_rules.c.id != rule.id,
                )
            ).first()
            if clash is not None:
                raise RuleError("name", f"a rule named {rule.name!r} already exists "
                                        f"(id {clash.id})")
            done = con.execute(
                update(alert_rules)
                .where(alert_rules.c.tenant == rule.tenant, alert_rules.c.id == rule.id)
                .values(**values, updated_us=stamp)
            )
            if not done.rowcount:
                con.execute(insert(alert_rules).values(
                    tenant=rule.tenant, id=rule.id, **values, created_us=stamp, updated_us=stamp,
                ))
        return rule

    def get_rule(self, tenant: str, rule_id: str) -> Rule | None:
        with self._engine.connect() as con:
            row = con.execute(select(alert_rules).where(
                alert_rules.c.tenant == tenant, alert_rules.c.id == rule_id)).first()
        return None if row is None else _rule(row)

    def rule_by_name(self, tenant: str, name: str) -> Rule | None:
        with self._engine.connect() as con:
            row = con.execute(select(alert_rules).where(
                alert_rules.c.tenant == tenant, alert_rules.c.name == name)).first()
        return None if row is None else _rule(row)

    def list_rules(self, tenant: str, *, enabled_only: bool = False) -> list[Rule]:
        query = select(alert_rules).where(alert_rules.c.tenant == tenant)
        if enabled_only:
            query = query.where(alert_rules.c.enabled.is_(True))
        with self._engine.connect() as con:
            rows = con.execute(query.order_by(alert_rules.c.name)).all()
        return [_rule(r) for r in rows]

    def tenants(self) -> list[str]:
        """The tenants that have at least one rule (what the evaluator goes through)."""
        with self._engine.connect() as con:
            rows = con.execute(select(alert_rules.c.tenant).distinct()
                               .order_by(alert_rules.c.tenant)).all()
        return [r.tenant for r in rows]

    def delete_rule(self, tenant: str, rule_id: str, *, at_us: int | None = None) -> bool:
        """Delete a rule and its instances; a firing instance is recorded as resolved first
        (so its resolution is still notified, in the same transaction)."""
        stamp = now_us() if at_us is None else at_us
        with self._engine.begin() as con:
            gone = con.execute(delete(alert_rules).where(
                alert_rules.c.tenant == tenant, alert_rules.c.id == rule_id))
            if not gone.rowcount:
                return False
            firing = con.execute(select(alert_instances).where(
                alert_instances.c.tenant == tenant, alert_instances.c.rule_id == rule_id,
                alert_instances.c.state == "firing")).all()
            transitions = []
            for row in firing:
                instance = dataclasses.replace(_instance(row), state="resolved",
                                               resolved_at_us=stamp, last_eval_us=stamp)
                transitions.append(Transition(instance, "firing", "resolved", stamp))
            _append_history(con, transitions)
            con.execute(delete(alert_instances).where(
                alert_instances.c.tenant == tenant, alert_instances.c.rule_id == rule_id))
        return True

    def seed_rules(self, tenant: str, rules: dict[str, Rule], *,
                   at_us: int | None = None) -> list[Rule]:
        """Create each of ``rules`` (keyed by a stable default id) the first time only.

        A key once seeded is never created again, even after the user deleted or changed
        its rule; one whose name a user's rule already has is recorded as seeded and not
        created. Returns the rules created now.
        """
        stamp = now_us() if at_us is None else at_us
        created: list[Rule] = []
        try:
            with self._engine.begin() as con:
                seeded = {r.default_id for r in con.execute(
                    select(alert_defaults_seeded.c.default_id)
                    .where(alert_defaults_seeded.c.tenant == tenant)).all()}
                names = {r.name for r in con.execute(
                    select(alert_rules.c.name).where(alert_rules.c.tenant == tenant)).all()}
                for key, rule in rules.items():
                    if key in seeded:
                        continue
                    con.execute(insert(alert_defaults_seeded).values(
                        tenant=tenant, default_id=key, seeded_us=stamp))
                    if rule.name in names:
                        continue
                    rule = dataclasses.replace(rule, tenant=tenant)
                    check_rule(rule)
                    con.execute(insert(alert_rules).values(
                        tenant=tenant, id=rule.id, **_rule_values(rule),
                        created_us=stamp, updated_us=stamp))
                    created.append(rule)
        except IntegrityError:
            # Another process seeded the same tenant at the same moment: its rows stand.
            return []
        return created

    # -- instances and history -----------------------------------------------------------

    def instances(self, tenant: str, rule_id: str | None = None,
                  state: State | None = None) -> list[AlertInstance]:
        query = select(alert_instances).where(alert_instances.c.tenant == tenant)
        if rule_id is not None:
            query = query.where(alert_instances.c.rule_id == rule_id)
        if state is not None:
            query = query.where(alert_instances.c.state == state)
        with self._engine.connect() as con:
            rows = con.execute(query.order_by(alert_instances.c.rule_id,
                                              alert_instances.c.id)).all()
        return [_instance(r) for r in rows]

    def counts(self, tenant: str) -> dict[tuple[str, str], int]:
        """How many of the tenant's alerts are firing and pending, by (state, severity):
        one grouped count, no rows read (10,000 instances: a few ms)."""
        query = (select(alert_instances.c.state, alert_instances.c.severity,
                        func.count().label("n"))
                 .where(alert_instances.c.tenant == tenant,
                        alert_instances.c.state.in_(("firing", "pending")))
                 .group_by(alert_instances.c.state, alert_instances.c.severity))
        with self._engine.connect() as con:
            return {(r.state, r.severity): int(r.n) for r in con.execute(query)}

    def record(self, instances: Iterable[AlertInstance],
               transitions: Sequence[Transition]) -> list[int]:
        """In one transaction: upsert the instances, append one unnotified history row per
        transition. Returns the history ids, in the order of ``transitions``."""
        chosen = {(i.tenant, i.id): i for i in instances}  # a later copy of one wins
        with self._engine.begin() as con:
            known = _stored_keys(con, chosen)
            # One executemany per statement: an event rule saves tens of instances a minute
            # (cProfile over bench/alerts_eval.py: one UPDATE each cost as much as its reads).
            changed = [{"k_tenant": t, "k_id": id, **_instance_values(i)}
                       for (t, id), i in chosen.items() if (t, id) in known]
            added = [{"tenant": t, "id": id, **_instance_values(i)}
                     for (t, id), i in chosen.items() if (t, id) not in known]
            if changed:
                con.execute(_UPDATE_INSTANCE, changed)
            if added:
                con.execute(insert(alert_instances), added)
            return _append_history(con, transitions)

    def unnotified(self, limit: int = 1000) -> list[HistoryEntry]:
        """Transitions not yet handed to the notifier, oldest first, across tenants."""
        with self._engine.connect() as con:
            rows = con.execute(select(alert_history)
                               .where(alert_history.c.notified.is_(False))
                               .order_by(alert_history.c.id).limit(limit)).all()
        return [_entry(r) for r in rows]

    def mark_notified(self, ids: Iterable[int]) -> None:
        chosen = list(ids)
        if not chosen:
            return
        with self._engine.begin() as con:
            # Chunks keep the IN list under every database's bound-parameter limit.
            for start in range(0, len(chosen), 500):
                con.execute(update(alert_history)
                            .where(alert_history.c.id.in_(chosen[start:start + 500]))
                            .values(notified=True))

    def history(self, tenant: str, since_us: int, rule_id: str | None = None,
                limit: int = 1000, *, until_us: int | None = None,
                service: str | None = None) -> list[HistoryEntry]:
        """A tenant's transitions at or after ``since_us`` (and at or before ``until_us``;
        of alerts whose ``service`` label is ``service``), newest first."""
        condition = and_(alert_history.c.tenant == tenant, alert_history.c.at_us >= since_us)
        if until_us is not None:
            condition = and_(condition, alert_history.c.at_us <= until_us)
        if rule_id is not None:
            condition = and_(condition, alert_history.c.rule_id == rule_id)
        if service is not None:  # a JSON path: SQLite's json_extract, PostgreSQL's ->>
            condition = and_(condition,
                             alert_history.c.labels["service"].as_string() == service)
        with self._engine.connect() as con:
            rows = con.execute(select(alert_history).where(condition)
                               .order_by(alert_history.c.at_us.desc(),
                                         alert_history.c.id.desc())
                               .limit(limit)).all()
        return [_entry(r) for r in rows]


    def prune(self, before_us: int) -> tuple[int, int]:
        """Forget what is over: instances resolved or inactive with no change since
        ``before_us`` (an event rule leaves one per episode's object), and history rows
        older than it that were notified. Returns (instances, history rows) deleted.

        A firing or pending instance is never pruned, nor a transition not yet notified.
        """
        with self._engine.begin() as con:
            instances = con.execute(delete(alert_instances).where(
                alert_instances.c.state.in_(("resolved", "inactive")),
                alert_instances.c.last_eval_us < before_us,
                # The time it last changed: resolved (or, for one that never fired, when
                # it was last evaluated).
                (alert_instances.c.resolved_at_us.is_(None)
                 | (alert_instances.c.resolved_at_us < before_us)),
            )).rowcount
            history = con.execute(delete(alert_history).where(
                alert_history.c.notified.is_(True), alert_history.c.at_us < before_us,
            )).rowcount
        return int(instances or 0), int(history or 0)


def _append_history(con: Connection, transitions: Sequence[Transition]) -> list[int]:
    ids = []
    for t in transitions:
        result = con.execute(insert(alert_history).values(
            tenant=t.instance.tenant, instance_id=t.instance.id, rule_id=t.instance.rule_id,
            labels=dict(t.instance.labels), old=t.old, new=t.new, at_us=t.at_us,
            instance=dataclasses.asdict(t.instance), notified=False,
        ))
        key = result.inserted_primary_key
        ids.append(int(key[0]) if key else 0)
    return ids


def _rule_values(rule: Rule) -> dict[str, Any]:
    return {
        "name": rule.name, "kind": rule.kind, "severity": rule.severity, "spec": rule.spec,
        "for_s": rule.for_s, "keep_firing_for_s": rule.keep_firing_for_s,
        "no_data": rule.no_data, "interval_s": rule.interval_s, "labels": rule.labels,
        "annotations": rule.annotations, "enabled": rule.enabled, "builtin": rule.builtin,
        "captures": list(rule.captures),
    }


def _rule(row: Row[Any]) -> Rule:
    return Rule(
        id=row.id, tenant=row.tenant, name=row.name, kind=row.kind, spec=dict(row.spec),
        severity=row.severity, for_s=row.for_s, keep_firing_for_s=row.keep_firing_for_s,
        no_data=row.no_data, interval_s=row.interval_s, labels=dict(row.labels),
        annotations=dict(row.annotations), enabled=bool(row.enabled),
        builtin=bool(row.builtin), captures=list(row.captures or []),
    )


_UPDATE_INSTANCE = update(alert_instances).where(
    alert_instances.c.tenant == bindparam("k_tenant"), alert_instances.c.id == bindparam("k_id"),
).values({c.name: bindparam(c.name, type_=c.type) for c in alert_instances.c
          if c.name not in ("tenant", "id")})


def _stored_keys(con: Connection, chosen: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of the (tenant, id) keys have a saved instance."""
    ids: dict[str, list[str]] = {}
    for tenant, id in chosen:
        ids.setdefault(tenant, []).append(id)
    found: set[tuple[str, str]] = set()
    for tenant, listed in ids.items():
        # Chunks keep the IN list under every database's bound-parameter limit.
        for start in range(0, len(listed), 500):
            rows = con.execute(select(alert_instances.c.id).where(
                alert_instances.c.tenant == tenant,
                alert_instances.c.id.in_(listed[start:start + 500])))
            found.update((tenant, r.id) for r in rows)
    return found


def _instance_values(inst: AlertInstance) -> dict[str, Any]:
    values = dataclasses.asdict(inst)
    del values["id"], values["tenant"]
    return values


def _instance(row: Row[Any]) -> AlertInstance:
    values = dict(row._mapping)
    values["labels"] = dict(values["labels"])
    return AlertInstance(**values)


def _entry(row: Row[Any]) -> HistoryEntry:
    values = dict(cast(dict[str, Any], row.instance))
    instance = AlertInstance(**values)
    return HistoryEntry(row.id, Transition(instance, row.old, row.new, row.at_us),
                        bool(row.notified))
