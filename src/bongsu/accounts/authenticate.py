"""Every request's credential checked: ingest keys on the OTLP port, sessions and API
tokens on the API.

==============  ====================================================================
mode            who may do what
==============  ====================================================================
``accounts``    the default. OTLP and agent control need an ingest key (revoking the
                last key does not reopen the server). The API needs a session cookie
                (the console; unsafe methods also the CSRF header) or an API token; an
                ingest key there is a 403.
``single-user`` a laptop's server, chosen explicitly and refused unless bound to
                loopback: no credentials needed, the one user owns every project; an
                ingest key sent still names its project.
==============  ====================================================================

A session and an API token read the project named by the ``X-Bongsu-Project`` header
(its id or tenant), else the organisation's first project. Each request looks its
credential up in the metadata database, so a revoked token or a signed-out session is
refused by every replica at once; last-used times are written at most once a minute.

Example::

    auth = Authenticator(engine, KeyRing(engine), mode="accounts")
    receiver = Receiver(settings, log, auth.ingest_tenant, ...)
    api = create_api(settings, store, auth.principal)
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import Connection, Engine, and_, select, update
from starlette.requests import Request

from bongsu.accounts.credentials import (
    API_TOKEN_PREFIX,
    CSRF_HEADER,
    INGEST_KEY_PREFIX,
    PROJECT_HEADER,
    SESSION_COOKIE,
    bearer,
    digest,
)
from bongsu.accounts.principal import Principal
from bongsu.accounts.roles import Role
from bongsu.accounts.tables import api_tokens, memberships, orgs, projects, sessions, users
from bongsu.errors import Forbidden, IngestForbidden, NotFound, SettingError, Unauthorized
from bongsu.meta.keys import DEFAULT_TENANT, KeyRing
from bongsu.settings import Settings

Mode = Literal["accounts", "single-user"]
MODES: tuple[Mode, ...] = ("accounts", "single-user")
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_TOUCH_US = 60_000_000


class Authenticator:
    """Resolves ingest requests to a project and API requests to a :class:`Principal`."""

    def __init__(
        self, engine: Engine, keys: KeyRing, mode: Mode = "accounts",
        session_idle_seconds: float = 7_200.0, clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self.keys = keys
        self.mode = mode
        self._idle_us = int(session_idle_seconds * 1e6)
        self._clock = clock

    # -- the OTLP port ------------------------------------------------------------------

    def ingest_tenant(self, authorization: str | None) -> str:
        """The project an OTLP or agent control request writes to; Unauthorized without a
        good key (in accounts mode), IngestForbidden once its organisation's trial ended."""
        key = bearer(authorization)
        if key is None and self.mode == "single-user":
            return DEFAULT_TENANT
        if key is None:
            raise Unauthorized("an ingest key is required: send 'Authorization: Bearer KEY' "
                               "(an organisation admin creates one per project)")
        if not key:
            raise Unauthorized("the Authorization header must be 'Bearer KEY'")
        hit = self.keys.lookup(key)
        if hit is None:
            raise Unauthorized("the ingest key is unknown or revoked")
        if hit.trial_ends_us is not None and hit.trial_ends_us <= self._now_us():
            raise IngestForbidden(f"the trial ended on {_day(hit.trial_ends_us)}: the "
                                  "organisation is read-only and takes no new telemetry")
        return hit.tenant

    # -- the API ------------------------------------------------------------------------

    def principal(self, request: Request) -> Principal:
        """Who makes ``request`` and in which project (raises Unauthorized / Forbidden)."""
        authorization = request.headers.get("authorization")
        credential = bearer(authorization)
        project = request.headers.get(PROJECT_HEADER)
        if self.mode == "single-user" and not (credential or "").startswith(API_TOKEN_PREFIX):
            return Principal("single-user", project or DEFAULT_TENANT, Role.OWNER,
                             actor="single-user")
        if credential is not None:
            if credential.startswith(INGEST_KEY_PREFIX):
                raise Forbidden("an ingest key only writes telemetry and serves the agent "
                                "control channel: read the API with an API token or by signing in")
            if not credential.startswith(API_TOKEN_PREFIX):
                raise Unauthorized("send 'Authorization: Bearer TOKEN' with an API token "
                                   f"({API_TOKEN_PREFIX}…), or sign in")
            return self._token(credential, project)
        session_id = request.cookies.get(SESSION_COOKIE)
        if session_id:
            return self._session(session_id, request, project)
        raise Unauthorized("sign in, or send 'Authorization: Bearer TOKEN' with an API token")

    def _token(self, token: str, project: str | None) -> Principal:
        now = self._now_us()
        with self._engine.connect() as con:
            row = con.execute(
                select(api_tokens).where(
                    api_tokens.c.token_hash == digest(token), api_tokens.c.revoked_us.is_(None))
            ).first()
            if row is None or (row.expires_us is not None and row.expires_us <= now):
                raise Unauthorized("the API token is unknown, expired or revoked")
            role = Role(row.role)
            actor = f"token:{row.prefix}"
            if row.user_id is not None:  # never more than its user has today
                member = _member(con, row.org_id, row.user_id)
                if member is None:
                    raise Unauthorized("the API token's user is no longer in its organisation")
                role = min(role, member, key=lambda r: r.rank)
                actor = f"{_login(con, row.user_id)} (token {row.prefix})"
            principal = _in_project(con, "token", row.org_id, row.user_id, role, actor,
                                    project, now)
        if row.last_used_us is None or now - row.last_used_us > _TOUCH_US:
            with self._engine.begin() as con:
                con.execute(update(api_tokens).where(api_tokens.c.id == row.id)
                            .values(last_used_us=now))
        return principal

    def _session(self, session_id: str, request: Request, project: str | None) -> Principal:
        now = self._now_us()
        with self._engine.connect() as con:
            row = con.execute(
                select(sessions, users.c.login, users.c.disabled_us)
                .select_from(sessions.join(users, users.c.id == sessions.c.user_id))
                .where(sessions.c.id_hash == digest(session_id))
            ).first()
            if (row is None or row.expires_us <= now or row.seen_us + self._idle_us <= now
                    or row.disabled_us is not None):
                raise Unauthorized("the session has ended: sign in again")
            if request.method not in _SAFE:
                sent = request.headers.get(CSRF_HEADER, "")
                if not sent or not hmac.compare_digest(digest(sent), row.csrf_hash):
                    raise Forbidden(f"CSRF check failed: send the {CSRF_HEADER} header with the "
                                    "token this session was given")
            if row.org_id is None:
                principal = Principal("session", "", Role.VIEWER, None, row.user_id, row.login)
            else:
                role = _member(con, row.org_id, row.user_id)
                if role is None:
                    raise Forbidden("you are no longer a member of this organisation")
                principal = _in_project(con, "session", row.org_id, row.user_id, role,
                                        row.login, project, now)
        if now - row.seen_us > _TOUCH_US:
            with self._engine.begin() as con:
                con.execute(update(sessions).where(sessions.c.id_hash == row.id_hash)
                            .values(seen_us=now))
        return principal

    def _now_us(self) -> int:
        return int(self._clock() * 1e6)


def _member(con: Connection, org_id: int, user_id: int) -> Role | None:
    role = con.execute(select(memberships.c.role).where(
        memberships.c.org_id == org_id, memberships.c.user_id == user_id)).scalar()
    return Role(role) if role is not None else None


def _login(con: Connection, user_id: int) -> str:
    return str(con.execute(select(users.c.login).where(users.c.id == user_id)).scalar() or "")


def _in_project(
    con: Connection, kind: Literal["session", "token"], org_id: int, user_id: int | None,
    role: Role, actor: str, project: str | None, now_us: int,
) -> Principal:
    """The principal in the project named by the header (else the org's first)."""
    query = (select(projects.c.tenant, orgs.c.slug, orgs.c.trial_ends_us)
             .select_from(projects.join(orgs, orgs.c.id == projects.c.org_id))
             .where(projects.c.org_id == org_id))
    if project:
        by_id = project.isascii() and project.isdigit() and len(project) <= 18  # not "²"
        named = (projects.c.id == int(project)) if by_id else (
            projects.c.tenant == project)
        query = query.where(and_(named))
    row = con.execute(query.order_by(projects.c.id).limit(1)).first()
    if row is None and project:
        raise NotFound(f"{PROJECT_HEADER}: no project {project!r} in this organisation")
    read_only = None
    if row is not None and row.trial_ends_us is not None and row.trial_ends_us <= now_us:
        read_only = (f"the trial of organisation {row.slug!r} ended on {_day(row.trial_ends_us)}:"
                     " it is read-only (its data is kept)")
    return Principal(kind, row.tenant if row is not None else "", role, org_id, user_id,
                     actor, read_only)


def _day(us: int) -> str:
    return datetime.fromtimestamp(us / 1e6, UTC).strftime("%Y-%m-%d %H:%M UTC")


_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def auth_mode(settings: Settings) -> Mode:
    """``BONGSU_AUTH`` checked: single-user only with both ports bound to loopback."""
    mode = settings.auth
    if mode not in MODES:
        raise SettingError(f"BONGSU_AUTH: one of {', '.join(MODES)}, got {mode!r}")
    if mode == "single-user":
        exposed = [h for h in (settings.host, settings.otlp_host)
                   if h not in _LOOPBACK and not h.startswith("127.")]
        if exposed:
            raise SettingError(
                "BONGSU_AUTH: single-user mode runs without credentials, so it only listens "
                f"on loopback; {exposed[0]!r} is not (bind 127.0.0.1, or use accounts)")
    return "single-user" if mode == "single-user" else "accounts"
