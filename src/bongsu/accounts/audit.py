"""The audit log: sign-ins, key, token and role changes, rule, check and channel changes,
and captures — who did what, when, from where.

Example::

    record(con, actor="ALICE", action="member.role", org_id=3, target="BOB",
           detail={"from": "viewer", "to": "editor"}, ip="10.0.0.7")
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import Connection

from bongsu.accounts.tables import audit_log


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
