"""Where check definitions live: the metadata database (SQLite or PostgreSQL).

Contract: checks are tenant-scoped (another tenant's id finds nothing); ``put`` inserts or
replaces one whole check and sets ``updated_us`` (the runner notices a changed check by
it); ``delete`` returns whether there was one.

Example::

    repo = CheckRepo(engine)
    check = repo.put(check_from_dict(body, tenant="default", check_id=new_check_id()))
    repo.list("default")
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from sqlalchemy import Engine, Row, delete, insert, select, update

from bongsu.synthetics.model import Check
from bongsu.synthetics.tables import checks


def new_check_id() -> str:
    return "c_" + secrets.token_hex(8)


class CheckRepo:
    """Check definitions in the metadata database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def list(self, tenant: str | None = None, *, enabled_only: bool = False) -> list[Check]:
        """A tenant's checks (every tenant's with None), by name."""
        query = select(checks).order_by(checks.c.tenant, checks.c.name, checks.c.id)
        if tenant is not None:
            query = query.where(checks.c.tenant == tenant)
        if enabled_only:
            query = query.where(checks.c.enabled.is_(True))
        with self._engine.connect() as conn:
            return [_check(r) for r in conn.execute(query)]

    def get(self, tenant: str, check_id: str) -> Check | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(checks).where(
                checks.c.tenant == tenant, checks.c.id == check_id)).first()
        return _check(row) if row is not None else None

    def put(self, check: Check) -> Check:
        """Insert or replace ``check``; returns it as stored."""
        now = time.time_ns() // 1000
        values: dict[str, Any] = {
            "name": check.name, "type": check.type, "target": check.target,
            "conditions": check.conditions, "combine": check.combine,
            "interval_s": check.interval_s, "failure_threshold": check.failure_threshold,
            "success_threshold": check.success_threshold, "enabled": check.enabled,
            "updated_us": now,
        }
        with self._engine.begin() as conn:
            done = conn.execute(update(checks).where(
                checks.c.tenant == check.tenant, checks.c.id == check.id).values(**values))
            if done.rowcount == 0:
                conn.execute(insert(checks).values(tenant=check.tenant, id=check.id,
                                                   created_us=now, **values))
        stored = self.get(check.tenant, check.id)
        assert stored is not None
        return stored

    def delete(self, tenant: str, check_id: str) -> bool:
        with self._engine.begin() as conn:
            done = conn.execute(delete(checks).where(
                checks.c.tenant == tenant, checks.c.id == check_id))
        return bool(done.rowcount)


def _check(row: Row[Any]) -> Check:
    return Check(
        id=row.id, tenant=row.tenant, name=row.name, type=row.type, target=dict(row.target),
        conditions=list(row.conditions), combine=row.combine, interval_s=row.interval_s,
        failure_threshold=row.failure_threshold, success_threshold=row.success_threshold,
        enabled=row.enabled, created_us=row.created_us, updated_us=row.updated_us,
    )
