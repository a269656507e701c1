"""Organisations, users with every role, API tokens and sessions for tests, written
straight into the accounts tables of a metadata database.

Nothing here goes through the sign-up, login or organisation endpoints: the rows are the
ones those endpoints write (secrets stored as ``digest()``), so a test of authorization
does not depend on, or share a bug with, the code that grants the credentials.

Example::

    people = People(f"sqlite:///{data_dir / 'meta.sqlite'}")
    acme = people.org("Acme")
    alice = people.user("ALICE", acme, Role.VIEWER)
    token = people.token(acme, alice)                      # bst_…, role viewer
    session = people.session(alice, acme)                  # cookie + CSRF token
    key = people.ingest_key(acme)                          # bsk_… for acme's project
    server.api("/api/v1/services", {"Authorization": f"Bearer {token}"})
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, insert, select

from bongsu.accounts.credentials import (
    API_TOKEN_PREFIX,
    CSRF_COOKIE,
    CSRF_HEADER,
    INVITATION_PREFIX,
    SESSION_COOKIE,
    SHOWN_PREFIX,
    digest,
    new_secret,
)
from bongsu.accounts.orgs import create_org
from bongsu.accounts.roles import Role
from bongsu.accounts.tables import (
    api_tokens,
    invitations,
    memberships,
    orgs,
    projects,
    sessions,
    users,
)
from bongsu.meta.database import connect
from bongsu.meta.keys import KeyRing

_DAY_US = 86_400_000_000


@dataclass(frozen=True)
class Org:
    id: int
    slug: str
    name: str
    tenant: str  # its first project's
    project_id: int


@dataclass(frozen=True)
class User:
    id: int
    login: str
    email: str


@dataclass(frozen=True)
class Session:
    """A signed-in browser: its cookies, and the CSRF header its writes carry."""

    cookie: str
    csrf: str

    def headers(self, with_csrf: bool = True) -> dict[str, str]:
        cookie = f"{SESSION_COOKIE}={self.cookie}; {CSRF_COOKIE}={self.csrf}"
        return {"Cookie": cookie, **({CSRF_HEADER: self.csrf} if with_csrf else {})}


class People:
    """Writes accounts rows into the metadata database at ``url`` (migrated to head)."""

    def __init__(self, url: str | Engine) -> None:
        self.engine = connect(url) if isinstance(url, str) else url
        self.keys = KeyRing(self.engine)

    def org(self, name: str, trial_days: float = 0, owner: User | None = None) -> Org:
        """An organisation with its project ``default`` (and ``owner``, when given)."""
        with self.engine.begin() as con:
            made = create_org(con, name, owner.id if owner else None, trial_days, _now_us())
        return Org(made.id, made.slug, name, made.tenant, made.project_id)

    def user(self, login: str, org: Org | None = None, role: Role = Role.VIEWER,
             operator: bool = False) -> User:
        """A verified user (no password: these tests sign in by session or token),
        a member of ``org`` with ``role`` when given."""
        now = _now_us()
        email = f"{login.lower()}@example.test"
        with self.engine.begin() as con:
            user_id = con.execute(insert(users).values(
                login=login, email=email, display_name=login.title(), password_hash=None,
                is_operator=operator, verified_us=now, failed_logins=0, created_us=now,
            ).returning(users.c.id)).scalar_one()
        user = User(int(user_id), login, email)
        if org is not None:
            self.join(user, org, role)
        return user

    def join(self, user: User, org: Org, role: Role) -> None:
        with self.engine.begin() as con:
            con.execute(insert(memberships).values(
                org_id=org.id, user_id=user.id, role=role.value, created_us=_now_us()))

    def token(self, org: Org, user: User | None = None, role: Role | None = None,
              name: str = "", expires_in_s: float | None = None) -> str:
        """An API token of ``org`` (``user``'s, else a service account's); its role is
        ``role``, else the user's, else viewer."""
        token = new_secret(API_TOKEN_PREFIX)
        now = _now_us()
        if role is None:
            role = self.role_of(user, org) if user is not None else Role.VIEWER
        with self.engine.begin() as con:
            con.execute(insert(api_tokens).values(
                org_id=org.id, user_id=user.id if user else None, name=name or role.value,
                role=role.value, prefix=token[:SHOWN_PREFIX], token_hash=digest(token),
                created_by=user.id if user else None, created_us=now,
                expires_us=None if expires_in_s is None else now + int(expires_in_s * 1e6),
            ))
        return token

    def session(self, user: User, org: Org | None, hours: float = 12) -> Session:
        """A signed-in session of ``user`` showing ``org``."""
        cookie, csrf = new_secret(), new_secret()
        now = _now_us()
        with self.engine.begin() as con:
            con.execute(insert(sessions).values(
                id_hash=digest(cookie), user_id=user.id, org_id=org.id if org else None,
                csrf_hash=digest(csrf), created_us=now, expires_us=now + int(hours * 3.6e9),
                seen_us=now, ip="127.0.0.1", user_agent="tests",
            ))
        return Session(cookie, csrf)

    def ingest_key(self, org: Org, name: str = "agents") -> str:
        """A new ingest key of ``org``'s first project."""
        key = self.keys.create(org.tenant, name).key
        assert key is not None
        return key

    def invitation(self, org: Org, email: str, role: Role = Role.VIEWER,
                   days: float = 7) -> tuple[int, str]:
        """A pending invitation to ``org``: its id and its token."""
        token = new_secret(INVITATION_PREFIX)
        now = _now_us()
        with self.engine.begin() as con:
            invitation_id = con.execute(insert(invitations).values(
                org_id=org.id, email=email, role=role.value, token_hash=digest(token),
                created_us=now, expires_us=now + int(days * _DAY_US),
            ).returning(invitations.c.id)).scalar_one()
        return int(invitation_id), token

    def token_id(self, token: str) -> int:
        with self.engine.connect() as con:
            found = con.execute(select(api_tokens.c.id).where(
                api_tokens.c.token_hash == digest(token))).scalar()
        assert found is not None
        return int(found)

    def org_of(self, tenant: str) -> Org:
        """The organisation holding the project of ``tenant`` (one made by a key, say)."""
        with self.engine.connect() as con:
            row = con.execute(
                select(orgs.c.id, orgs.c.slug, orgs.c.name, projects.c.id.label("project_id"))
                .select_from(projects.join(orgs, orgs.c.id == projects.c.org_id))
                .where(projects.c.tenant == tenant)).first()
        assert row is not None, f"no project {tenant!r}"
        return Org(row.id, row.slug, row.name, tenant, row.project_id)

    def member(self, org: Org, login: str, role: Role = Role.VIEWER) -> tuple[User, str]:
        """A new user of ``org`` with ``role``, and an API token of theirs."""
        user = self.user(login, org, role)
        return user, self.token(org, user)

    def role_of(self, user: User, org: Org) -> Role:
        with self.engine.connect() as con:
            role = con.execute(select(memberships.c.role).where(
                memberships.c.org_id == org.id, memberships.c.user_id == user.id)).scalar()
        assert role is not None, f"{user.login} is not in {org.name}"
        return Role(role)

    def close(self) -> None:
        self.engine.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def request(url: str, method: str = "GET", body: Any = None,
            headers: dict[str, str] | None = None, raw: bytes | None = None,
            ) -> tuple[int, Any]:
    """One HTTP request: (status, decoded JSON body or the raw text; None when empty)."""
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    sent = {"Content-Type": "application/json", **(headers or {})}
    req = urllib.request.Request(url, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, answer = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, answer = e.code, e.read()
    if not answer:
        return status, None
    try:
        return status, json.loads(answer)
    except ValueError:
        return status, answer.decode("utf-8", "replace")


def _now_us() -> int:
    return int(time.time() * 1e6)
