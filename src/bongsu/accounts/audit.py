"""The audit log: sign-ins, key, token and role changes, rule, check and channel changes,
and captures — who did what, when, from where.

Accounts changes (members, invitations, projects, keys, tokens, the organisation) write
their entry in the transaction of the change itself (:func:`record`); every other write
of the API is recorded by :mod:`bongsu.api.audit_log` as ``"<METHOD> <route>"``.

Example::

    record(con, actor="ALICE", action="member.role", org_id=3, target="BOB",
           detail={"from": "viewer", "to": "editor"}, ip="10.0.0.7")
    rows = entries(con, org_id=3, action="member.role", limit=50)   # newest first
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from bongsu.accounts.principal import Principal
from bongsu.accounts.tables import audit_log

MAX_ENTRIES = 1000


@dataclass(frozen=True)
class By:
    """Who makes a change, and from where: a request's Principal and client address."""

    principal: Principal
    ip: str = ""

    @property
    def actor(self) -> str:
        return self.principal.actor or self.principal.kind


@dataclass(frozen=True)
class Entry:
    id: int
    at_us: int
    actor: str
    action: str
    target: str
    detail: dict[str, Any]
    ip: str
    tenant: str | None


def record(
    con: Connection, *, actor: str, action: str, org_id: int | None = None,
    tenant: str | None = None, target: str = "", detail: dict[str, Any] | None = None,
    ip: str = "", at_us: int | None = None,
) -> None:
    """One entry, in the caller's transaction (so a change and its entry commit together)."""
    con.execute(audit_log.insert().values(
        at_us=at_us if at_us is not None else int(time.time() * 1e6),
        org_id=org_id, tenant=tenant, actor=actor[:128], action=action[:64],
        target=target[:256], detail=json.dumps(detail or {}, sort_keys=True, default=str),
        ip=ip[:64],
    ))


def record_by(con: Connection, by: By, action: str, org_id: int | None, target: str = "",
              detail: dict[str, Any] | None = None, tenant: str | None = None) -> None:
    """:func:`record` of a change made by ``by``."""
    record(con, actor=by.actor, action=action, org_id=org_id, tenant=tenant, target=target,
           detail=detail, ip=by.ip)


def entries(
    con: Connection, org_id: int, from_us: int | None = None, to_us: int | None = None,
    actor: str | None = None, action: str | None = None, limit: int = 100,
) -> list[Entry]:
    """An organisation's entries in ``[from_us, to_us)``, newest first, at most ``limit``
    (≤ 1000); ``actor`` and ``action`` match exactly."""
    query = select(audit_log).where(audit_log.c.org_id == org_id)
    if from_us is not None:
        query = query.where(audit_log.c.at_us >= from_us)
    if to_us is not None:
        query = query.where(audit_log.c.at_us < to_us)
    if actor:
        query = query.where(audit_log.c.actor == actor)
    if action:
        query = query.where(audit_log.c.action == action)
    rows = con.execute(query.order_by(audit_log.c.at_us.desc(), audit_log.c.id.desc())
                       .limit(min(limit, MAX_ENTRIES))).all()
    return [Entry(r.id, r.at_us, r.actor, r.action, r.target, _detail(r.detail), r.ip,
                  r.tenant) for r in rows]


def _detail(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {"text": text}
    return value if isinstance(value, dict) else {"value": value}
