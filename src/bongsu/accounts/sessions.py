"""Signing in and out: console sessions, the lockout, and what a session sees.

A sign-in checks the client address's rate (``bongsu.accounts.ratelimit``), then the
user's lockout: five wrong passwords in a row lock the user for 15 minutes (in the
database, so every replica holds it); a good one resets the count. An unknown user id and
a wrong password get the same 401, after the same argon2 work. A session is a random id
(the HttpOnly cookie) and a CSRF token (the readable cookie, sent back as a header on
unsafe methods), both stored as SHA-256; it ends ``BONGSU_SESSION_HOURS`` after sign-in or
``BONGSU_SESSION_IDLE_MINUTES`` after its last use (the Authenticator checks both). Every
sign-in, failure, lockout and sign-out is in the audit log.

Example::

    sessions = Sessions(engine, hours=12, limiter=Limiter(10))
    opened = sessions.login("ANA", "Tr0ub4dor&3", ip="10.0.0.7", user_agent="…")
    response.set_cookie(SESSION_COOKIE, opened.session_id, httponly=True, …)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, update

from bongsu.accounts import audit
from bongsu.accounts.credentials import digest, new_secret
from bongsu.accounts.passwords import check_password, hash_password
from bongsu.accounts.principal import Principal
from bongsu.accounts.ratelimit import Limiter
from bongsu.accounts.roles import Role
from bongsu.accounts.tables import memberships, orgs, projects, sessions, users
from bongsu.errors import Forbidden, RateLimited, Unauthorized

LOCK_AFTER = 5  # wrong passwords in a row
LOCK_US = 15 * 60 * 1_000_000
_WRONG = "wrong user id, e-mail or password"


@dataclass(frozen=True)
class Opened:
    """A new session: its secrets go into the cookies, only their hashes are stored."""

    session_id: str
    csrf: str
    user_id: int
    login: str
    org_id: int | None
    expires_us: int


class Sessions:
    def __init__(self, engine: Engine, hours: float, limiter: Limiter,
                 clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._life_us = int(hours * 3_600_000_000)
        self.limiter = limiter
        self.clock = clock

    def now_us(self) -> int:
        return int(self.clock() * 1e6)

    def login(self, login: str, password: str, ip: str = "", user_agent: str = "") -> Opened:
        """Check the password and open a session (Unauthorized, Forbidden: not verified,
        RateLimited: locked or too many attempts)."""
        self.limiter.hit("login", ip)
        now = self.now_us()
        with self._engine.begin() as con:
            user = find_user(con, login)
            if user is not None and user.locked_until_us is not None and \
                    user.locked_until_us > now:
                raise _locked(user.login, user.locked_until_us, now)
            ok, rehash = check_password(user.password_hash if user else None, password)
            locked_now = False
            if user is None:
                audit.record(con, actor=login.strip()[:64] or "?", action="auth.login_failed",
                             detail={"reason": "unknown user"}, ip=ip, at_us=now)
            elif not ok:
                # Counted in the database (two replicas' failures at once both count).
                failures = int(con.execute(
                    update(users).where(users.c.id == user.id)
                    .values(failed_logins=users.c.failed_logins + 1)
                    .returning(users.c.failed_logins)).scalar_one())
                locked_now = failures >= LOCK_AFTER
                if locked_now:
                    con.execute(update(users).where(users.c.id == user.id).values(
                        failed_logins=0, locked_until_us=now + LOCK_US))
                org_id = _pick_org(con, user.id)  # its admins see their member's failures
                audit.record(con, actor=user.login, action="auth.login_failed", org_id=org_id,
                             detail={"failures": failures}, ip=ip, at_us=now)
                if locked_now:
                    audit.record(con, actor=user.login, action="auth.lockout", org_id=org_id,
                                 detail={"minutes": LOCK_US // 60_000_000}, ip=ip, at_us=now)
        if user is None or not ok:
            if user is not None and locked_now:
                raise _locked(user.login, now + LOCK_US, now)
            raise Unauthorized(_WRONG)
        if user.disabled_us is not None:
            raise Forbidden(f"the account {user.login} is disabled")
        if user.verified_us is None:
            raise Forbidden(f"the e-mail address of {user.login} is not verified yet: enter "
                            "the code mailed at sign-up (or ask for a new one)")
        with self._engine.begin() as con:
            changes: dict[str, Any] = {"failed_logins": 0, "locked_until_us": None,
                                       "last_login_us": now}
            if rehash:
                changes["password_hash"] = hash_password(password)
            con.execute(update(users).where(users.c.id == user.id).values(**changes))
            opened = self.open(con, user.id, user.login, ip, user_agent, now)
            audit.record(con, actor=user.login, action="auth.login", org_id=opened.org_id,
                         ip=ip, at_us=now)
        return opened

    def open(self, con: Connection, user_id: int, login: str, ip: str, user_agent: str,
             now_us: int) -> Opened:
        """A session for ``user_id`` in the organisation they last used (else the one
        they joined last), in the caller's transaction."""
        session_id, csrf = new_secret(), new_secret()
        org_id = _pick_org(con, user_id)
        expires = now_us + self._life_us
        con.execute(sessions.insert().values(
            id_hash=digest(session_id), user_id=user_id, org_id=org_id, csrf_hash=digest(csrf),
            created_us=now_us, expires_us=expires, seen_us=now_us, ip=ip[:64],
            user_agent=user_agent[:512]))
        return Opened(session_id, csrf, user_id, login, org_id, expires)

    def principal_of(self, opened: Opened) -> Principal:
        """Who a just-opened session's requests will be (its organisation's first
        project)."""
        if opened.org_id is None:
            return Principal("session", "", Role.VIEWER, None, opened.user_id, opened.login)
        with self._engine.connect() as con:
            role = con.execute(select(memberships.c.role).where(
                memberships.c.org_id == opened.org_id,
                memberships.c.user_id == opened.user_id)).scalar_one()
            tenant = con.execute(select(projects.c.tenant).where(
                projects.c.org_id == opened.org_id).order_by(projects.c.id).limit(1)).scalar()
        return Principal("session", tenant or "", Role(role), opened.org_id, opened.user_id,
                         opened.login)

    def logout(self, session_id: str, ip: str = "") -> None:
        """End the session at once (every replica refuses its cookie from now on)."""
        now = self.now_us()
        with self._engine.begin() as con:
            row = con.execute(
                select(sessions.c.org_id, users.c.login)
                .select_from(sessions.join(users, users.c.id == sessions.c.user_id))
                .where(sessions.c.id_hash == digest(session_id))).first()
            if row is None:
                return
            con.execute(delete(sessions).where(sessions.c.id_hash == digest(session_id)))
            audit.record(con, actor=row.login, action="auth.logout", org_id=row.org_id, ip=ip,
                         at_us=now)

    def view(self, principal: Principal, mode: str) -> dict[str, Any]:
        """The Session answer: the user, their current organisation and project, and the
        organisations and projects they may switch to."""
        if principal.kind == "single-user":
            return single_user_view(principal.tenant)
        if principal.user_id is None:
            raise Forbidden("a service account's token has no session: it belongs to no user")
        now = self.now_us()
        with self._engine.connect() as con:
            user = con.execute(select(users).where(users.c.id == principal.user_id)).one()
            mine = con.execute(
                select(orgs, memberships.c.role)
                .select_from(orgs.join(memberships, memberships.c.org_id == orgs.c.id))
                .where(memberships.c.user_id == user.id).order_by(orgs.c.name, orgs.c.id)
            ).all()
            current = next((o for o in mine if o.id == principal.org_id), None)
            listed = [] if current is None else con.execute(
                select(projects.c.id, projects.c.name, projects.c.tenant)
                .where(projects.c.org_id == current.id).order_by(projects.c.id)).all()
        return {
            "mode": mode,
            "user": {"id": user.id, "login": user.login, "email": user.email,
                     "display_name": user.display_name, "operator": bool(user.is_operator)},
            "org": None if current is None else {
                "id": current.id, "slug": current.slug, "name": current.name,
                "role": current.role, "trial_ends_us": current.trial_ends_us,
                "read_only": current.trial_ends_us is not None and current.trial_ends_us <= now,
            },
            "orgs": [{"id": o.id, "slug": o.slug, "name": o.name, "role": o.role} for o in mine],
            "projects": [{"id": p.id, "name": p.name, "tenant": p.tenant} for p in listed],
            "project": principal.tenant or None,
        }


def single_user_view(tenant: str) -> dict[str, Any]:
    """The one user of a single-user server, owner of everything."""
    return {
        "mode": "single-user",
        "user": {"id": 0, "login": "SINGLE_USER", "email": "", "display_name": "single user",
                 "operator": True},
        "org": {"id": 0, "slug": "default", "name": "default", "role": "owner",
                "trial_ends_us": None, "read_only": False},
        "orgs": [{"id": 0, "slug": "default", "name": "default", "role": "owner"}],
        "projects": [{"id": 0, "name": "default", "tenant": tenant}],
        "project": tenant,
    }


def find_user(con: Connection, login: str) -> Any:
    """The user row named by a user id (any case) or an e-mail address; None."""
    login = login.strip()
    where = users.c.email == login.lower() if "@" in login else users.c.login == login.upper()
    return con.execute(select(users).where(where)).first()


def end_sessions(con: Connection, user_id: int, keep: str | None = None) -> int:
    """Delete the user's sessions (but ``keep``, a session id); how many ended."""
    query = delete(sessions).where(sessions.c.user_id == user_id)
    if keep:
        query = query.where(sessions.c.id_hash != digest(keep))
    return int(con.execute(query).rowcount or 0)


def _pick_org(con: Connection, user_id: int) -> int | None:
    last = con.execute(
        select(sessions.c.org_id)
        .select_from(sessions.join(memberships, (memberships.c.org_id == sessions.c.org_id)
                                   & (memberships.c.user_id == sessions.c.user_id)))
        .where(sessions.c.user_id == user_id)
        .order_by(sessions.c.created_us.desc()).limit(1)).scalar()
    if last is not None:
        return int(last)
    joined = con.execute(
        select(memberships.c.org_id).where(memberships.c.user_id == user_id)
        .order_by(memberships.c.created_us.desc(), memberships.c.org_id.desc()).limit(1)
    ).scalar()
    return None if joined is None else int(joined)


def _locked(login: str, until_us: int, now_us: int) -> RateLimited:
    wait = max(1, math.ceil((until_us - now_us) / 1e6))
    until = datetime.fromtimestamp(until_us / 1e6, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return RateLimited(f"{login} is locked after {LOCK_AFTER} wrong passwords in a row, "
                       f"until {until}", retry_after=wait)
