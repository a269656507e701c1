"""The notification side's repository: channels, routes, silences, groups and the outbox.

Contract: every method that writes takes an optional Connection; given one, the write joins
the caller's transaction (so a decision and its outbox rows commit together, or neither
does); without one, it runs in a transaction of its own that has committed on return.
Outbox keys are unique: adding a Notification whose key is already there does nothing, so
deciding the same change twice never queues two copies.

Example::

    store = NotifyStore(engine)
    store.put_channel(Channel(id="hook", tenant="default", name="ops", type="webhook",
                              config={"url": "https://example.net/hook"}))
    with engine.begin() as con:
        store.add_notifications(con, [notification])
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, or_, select, update

from bongsu.alerts.model import Channel, Matcher, Notification, Route, Silence
from bongsu.alerts.notify.tables import (
    alert_channels,
    alert_groups,
    alert_outbox,
    alert_routes,
    alert_silences,
)
from bongsu.alerts.tables import alert_rules


class NotifyStore:
    """Reads and writes the notification tables over one SQLAlchemy Engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def _tx(self, con: Connection | None) -> Iterator[Connection]:
        if con is not None:
            yield con
            return
        with self.engine.begin() as own:
            yield own

    # Channels, routes and silences: whole rows replaced on put.

    def put_channel(self, channel: Channel, con: Connection | None = None) -> None:
        row = {"id": channel.id, "tenant": channel.tenant, "name": channel.name,
               "type": channel.type, "config": json.dumps(channel.config),
               "enabled": channel.enabled}
        with self._tx(con) as c:
            c.execute(delete(alert_channels).where(alert_channels.c.id == channel.id))
            c.execute(alert_channels.insert().values(**row))

    def channel(self, channel_id: str, con: Connection | None = None) -> Channel | None:
        with self._tx(con) as c:
            row = c.execute(
                select(alert_channels).where(alert_channels.c.id == channel_id)
            ).first()
        if row is None:
            return None
        return Channel(id=row.id, tenant=row.tenant, name=row.name, type=row.type,
                       config=json.loads(row.config), enabled=bool(row.enabled))

    def put_route(self, route: Route, position: int = 0, con: Connection | None = None) -> None:
        row = {"id": route.id, "tenant": route.tenant, "position": position,
               "matchers": _matchers_json(route.matchers),
               "channel_ids": json.dumps(route.channel_ids),
               "group_by": json.dumps(route.group_by), "group_wait_s": route.group_wait_s,
               "group_interval_s": route.group_interval_s,
               "repeat_interval_s": route.repeat_interval_s}
        with self._tx(con) as c:
            c.execute(delete(alert_routes).where(alert_routes.c.id == route.id))
            c.execute(alert_routes.insert().values(**row))

    def routes(self, tenant: str, con: Connection | None = None) -> list[Route]:
        query = (select(alert_routes).where(alert_routes.c.tenant == tenant)
                 .order_by(alert_routes.c.position, alert_routes.c.id))
        with self._tx(con) as c:
            rows = c.execute(query).all()
        return [
            Route(id=r.id, tenant=r.tenant, matchers=_matchers(r.matchers),
                  channel_ids=json.loads(r.channel_ids), group_by=json.loads(r.group_by),
                  group_wait_s=r.group_wait_s, group_interval_s=r.group_interval_s,
                  repeat_interval_s=r.repeat_interval_s)
            for r in rows
        ]

    def put_silence(self, silence: Silence, con: Connection | None = None) -> None:
        row = {"id": silence.id, "tenant": silence.tenant,
               "matchers": _matchers_json(silence.matchers), "starts_us": silence.starts_us,
               "ends_us": silence.ends_us, "author": silence.author,
               "comment": silence.comment, "recurrence": silence.recurrence}
        with self._tx(con) as c:
            c.execute(delete(alert_silences).where(alert_silences.c.id == silence.id))
            c.execute(alert_silences.insert().values(**row))

    def delete_silence(self, silence_id: str, con: Connection | None = None) -> bool:
        with self._tx(con) as c:
            result = c.execute(delete(alert_silences).where(alert_silences.c.id == silence_id))
        return bool(result.rowcount)

    def silences(self, tenant: str, con: Connection | None = None) -> list[Silence]:
        query = select(alert_silences).where(alert_silences.c.tenant == tenant)
        with self._tx(con) as c:
            rows = c.execute(query.order_by(alert_silences.c.id)).all()
        return [
            Silence(id=r.id, tenant=r.tenant, matchers=_matchers(r.matchers),
                    starts_us=r.starts_us, ends_us=r.ends_us, author=r.author,
                    comment=r.comment, recurrence=r.recurrence)
            for r in rows
        ]

    # Tenant-scoped reads and deletes (the API's): another tenant's row is not there.

    def channels(self, tenant: str, con: Connection | None = None) -> list[Channel]:
        """A tenant's channels, by name."""
        query = (select(alert_channels).where(alert_channels.c.tenant == tenant)
                 .order_by(alert_channels.c.name, alert_channels.c.id))
        with self._tx(con) as c:
            rows = c.execute(query).all()
        return [Channel(id=r.id, tenant=r.tenant, name=r.name, type=r.type,
                        config=json.loads(r.config), enabled=bool(r.enabled)) for r in rows]

    def delete_channel(self, tenant: str, channel_id: str,
                       con: Connection | None = None) -> bool:
        """Delete one of the tenant's channels; False when it has none of that id."""
        with self._tx(con) as c:
            result = c.execute(delete(alert_channels).where(
                alert_channels.c.tenant == tenant, alert_channels.c.id == channel_id))
        return bool(result.rowcount)

    def delete_route(self, tenant: str, route_id: str, con: Connection | None = None) -> bool:
        """Delete one of the tenant's routes; False when it has none of that id."""
        with self._tx(con) as c:
            result = c.execute(delete(alert_routes).where(
                alert_routes.c.tenant == tenant, alert_routes.c.id == route_id))
        return bool(result.rowcount)

    def delete_tenant_silence(self, tenant: str, silence_id: str,
                              con: Connection | None = None) -> bool:
        """Delete one of the tenant's silences; False when it has none of that id."""
        with self._tx(con) as c:
            result = c.execute(delete(alert_silences).where(
                alert_silences.c.tenant == tenant, alert_silences.c.id == silence_id))
        return bool(result.rowcount)

    def rule_names(self, tenant: str, con: Connection | None = None) -> dict[str, str]:
        """A tenant's rule names by id (a notification says the name, not the id)."""
        query = select(alert_rules.c.id, alert_rules.c.name).where(
            alert_rules.c.tenant == tenant)
        with self._tx(con) as c:
            return {row.id: row.name for row in c.execute(query)}

    # Groups: the notifier's state, one row per route and group label set.

    def group(self, con: Connection, group_id: str) -> dict[str, Any] | None:
        row = con.execute(select(alert_groups).where(alert_groups.c.id == group_id)).first()
        return None if row is None else _group(row._mapping)

    def due_groups(self, con: Connection, now_us: int) -> list[dict[str, Any]]:
        query = select(alert_groups).where(
            and_(alert_groups.c.next_flush_us.is_not(None),
                 alert_groups.c.next_flush_us <= now_us)
        ).order_by(alert_groups.c.next_flush_us, alert_groups.c.id)
        return [_group(r._mapping) for r in con.execute(query)]

    def save_group(self, con: Connection, group: dict[str, Any]) -> None:
        row = dict(group, labels=json.dumps(group["labels"]), alerts=json.dumps(group["alerts"]))
        con.execute(delete(alert_groups).where(alert_groups.c.id == group["id"]))
        con.execute(alert_groups.insert().values(**row))

    def delete_group(self, con: Connection, group_id: str) -> None:
        con.execute(delete(alert_groups).where(alert_groups.c.id == group_id))

    # The outbox.

    def add_notifications(self, con: Connection, notifications: Sequence[Notification]) -> int:
        """Queue notifications not queued before (by key); returns how many were new."""
        added = 0
        for n in notifications:
            exists = con.execute(
                select(alert_outbox.c.key).where(alert_outbox.c.key == n.key)
            ).first()
            if exists is not None:
                continue
            con.execute(alert_outbox.insert().values(
                key=n.key, tenant=n.tenant, channel_id=n.channel_id, status=n.status,
                group_labels=json.dumps(n.group), alerts=json.dumps(n.alerts),
                created_us=n.created_us, attempts=n.attempts,
                next_attempt_us=n.next_attempt_us or n.created_us, delivered_us=None,
                failed_us=None, last_error=None,
            ))
            added += 1
        return added

    def due(self, now_us: int, limit: int = 100) -> list[Notification]:
        """Undelivered, not given up, whose next attempt is due, oldest first."""
        query = select(alert_outbox).where(and_(
            alert_outbox.c.delivered_us.is_(None), alert_outbox.c.failed_us.is_(None),
            alert_outbox.c.next_attempt_us <= now_us,
        )).order_by(alert_outbox.c.next_attempt_us, alert_outbox.c.key).limit(limit)
        with self.engine.connect() as c:
            return [_notification(r._mapping) for r in c.execute(query)]

    def outbox(self, tenant: str | None = None) -> list[Notification]:
        """Every queued notification (delivered or not), oldest first."""
        query = select(alert_outbox).order_by(alert_outbox.c.created_us, alert_outbox.c.key)
        if tenant is not None:
            query = query.where(alert_outbox.c.tenant == tenant)
        with self.engine.connect() as c:
            return [_notification(r._mapping) for r in c.execute(query)]

    def mark_delivered(self, key: str, at_us: int, attempts: int) -> None:
        with self.engine.begin() as c:
            c.execute(update(alert_outbox).where(alert_outbox.c.key == key).values(
                delivered_us=at_us, attempts=attempts, last_error=None))

    def mark_retry(self, key: str, attempts: int, next_attempt_us: int, error: str) -> None:
        with self.engine.begin() as c:
            c.execute(update(alert_outbox).where(alert_outbox.c.key == key).values(
                attempts=attempts, next_attempt_us=next_attempt_us, last_error=error))

    def mark_failed(self, key: str, at_us: int, attempts: int, error: str) -> None:
        with self.engine.begin() as c:
            c.execute(update(alert_outbox).where(alert_outbox.c.key == key).values(
                failed_us=at_us, attempts=attempts, last_error=error))


    def prune(self, before_us: int) -> int:
        """Drop delivered and given-up rows settled before ``before_us``; never a pending
        one. Returns how many went."""
        settled = or_(
            and_(alert_outbox.c.delivered_us.is_not(None),
                 alert_outbox.c.delivered_us < before_us),
            and_(alert_outbox.c.failed_us.is_not(None), alert_outbox.c.failed_us < before_us),
        )
        with self.engine.begin() as c:
            return int(c.execute(delete(alert_outbox).where(settled)).rowcount or 0)


def _matchers_json(matchers: Sequence[Matcher]) -> str:
    return json.dumps([[m.name, m.op, m.value] for m in matchers])


def _matchers(text: str) -> list[Matcher]:
    return [Matcher(name, op, value) for name, op, value in json.loads(text)]


def _group(row: Any) -> dict[str, Any]:
    group = dict(row)
    group["labels"] = json.loads(group["labels"])
    group["alerts"] = json.loads(group["alerts"])
    return group


def _notification(row: Any) -> Notification:
    return Notification(
        key=row["key"], tenant=row["tenant"], channel_id=row["channel_id"],
        status=row["status"], group=json.loads(row["group_labels"]),
        alerts=json.loads(row["alerts"]), created_us=row["created_us"],
        attempts=row["attempts"], next_attempt_us=row["next_attempt_us"],
        delivered_us=row["delivered_us"], last_error=row["last_error"],
    )


__all__ = ["NotifyStore"]
