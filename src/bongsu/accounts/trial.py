"""The free trial: an organisation made by sign-up or ``POST /api/v1/orgs`` is read-only
``BONGSU_TRIAL_DAYS`` after it was made (0: no trial, the self-hosted default).

After the end, reads work and the data is kept; every write of the API is a 403 with the
date (``bongsu.api.context``'s Tenant and ``Principal.require``) and so is every OTLP
request (``Authenticator.ingest_tenant``). An operator (``users.is_operator``) extends the
trial, or removes it, with :func:`set_trial`.

Example::

    with engine.begin() as con:
        set_trial(con, org_id, ends_us=None, by=By(operator, ip))   # no trial any more
"""

from __future__ import annotations

import time

from sqlalchemy import Connection, update

from bongsu.accounts.audit import By, record_by
from bongsu.accounts.orgs import OrgView, get_org, is_operator
from bongsu.accounts.tables import orgs
from bongsu.errors import Forbidden


def read_only(org: OrgView, now_us: int | None = None) -> bool:
    """Whether ``org``'s trial has ended."""
    now = int(time.time() * 1e6) if now_us is None else now_us
    return org.trial_ends_us is not None and org.trial_ends_us <= now


def set_trial(con: Connection, org_id: int, ends_us: int | None, by: By) -> OrgView:
    """The trial of ``org_id`` ends at ``ends_us`` (None: never); operators only."""
    if not is_operator(con, by.principal.user_id):
        raise Forbidden("only an operator of this server may set an organisation's trial")
    before = get_org(con, org_id, None)
    con.execute(update(orgs).where(orgs.c.id == org_id)
                .values(trial_ends_us=ends_us))
    record_by(con, by, "org.trial", org_id, before.slug,
              {"from": before.trial_ends_us, "to": ends_us})
    return get_org(con, org_id, None)
