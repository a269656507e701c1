"""The first operator: a server in accounts mode with no users makes one at start.

The user ``BONGSU_ADMIN_LOGIN`` (``ADMIN``), e-mail ``BONGSU_ADMIN_EMAIL``, password
``BONGSU_ADMIN_PASSWORD`` or a random one that passes the policy — returned so the start
prints it once; only its argon2id hash is kept. The user is verified, an operator, and the
owner of every organisation there is (the migrated ``default`` and tenants). Once any user
exists this does nothing, so a restart prints nothing and keeps the password.

Example::

    password = ensure_admin(engine, settings)     # None: there were users already
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, func, select

from bongsu.accounts import audit
from bongsu.accounts.passwords import (
    hash_password,
    login_problems,
    password_problems,
    random_password,
)
from bongsu.accounts.roles import Role
from bongsu.accounts.tables import memberships, orgs, users
from bongsu.errors import SettingError
from bongsu.settings import Settings


def ensure_admin(engine: Engine, settings: Settings, now: float | None = None) -> str | None:
    """Create the first operator when there is no user; the password to print when it
    was generated here ("" when the operator set it), None when users existed."""
    login = settings.admin_login.strip()
    if login_problems(login):
        raise SettingError(f"BONGSU_ADMIN_LOGIN: {login_problems(login)[0]}, got {login!r}")
    given = settings.admin_password
    if given and password_problems(given):
        raise SettingError("BONGSU_ADMIN_PASSWORD: " + "; ".join(password_problems(given)))
    now_us = int((time.time() if now is None else now) * 1e6)
    with engine.begin() as con:
        if con.execute(select(func.count()).select_from(users)).scalar_one():
            return None
        password = given or random_password()
        user_id = con.execute(users.insert().values(
            login=login, email=settings.admin_email.strip().lower(), display_name="Operator",
            password_hash=hash_password(password), is_operator=True, verified_us=now_us,
            failed_logins=0, created_us=now_us).returning(users.c.id)).scalar_one()
        org_ids = con.execute(select(orgs.c.id).order_by(orgs.c.id)).scalars().all()
        for org_id in org_ids:
            con.execute(memberships.insert().values(
                org_id=org_id, user_id=user_id, role=Role.OWNER.value, created_us=now_us))
        audit.record(con, actor="system", action="auth.bootstrap", target=login,
                     detail={"orgs": len(org_ids), "password": "set" if given else "generated"},
                     at_us=now_us)
    return "" if given else password


def banner(login: str, password: str) -> str:
    """The lines printed once at the first start."""
    if not password:
        return f"  first operator created: {login} (password from BONGSU_ADMIN_PASSWORD)"
    return "\n".join([
        f"  first operator created: user id {login}, password {password}",
        "  (shown this once and stored only as a hash: sign in and change it)",
    ])
