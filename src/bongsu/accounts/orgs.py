"""Organisations (tenants of people): created with their first project and owner, listed
with the caller's role, renamed by an owner, and the one a session shows.

Example::

    with engine.begin() as con:
        org = create_org(con, "Acme", owner_id=user.id, trial_days=15, now_us=now)
        mine = orgs_of(con, user.id)                 # [OrgView(..., role=Role.OWNER)]
        switch(con, session_cookie, user.id, org.id)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, select, update

from bongsu.accounts.audit import By, record_by
from bongsu.accounts.credentials import digest, new_secret
from bongsu.accounts.roles import Role
from bongsu.accounts.tables import memberships, orgs, projects, sessions, users
from bongsu.errors import NotFound

_DAY_US = 86_400_000_000


@dataclass(frozen=True)
class CreatedOrg:
    id: int
    slug: str
    project_id: int
    tenant: str  # the first project's


@dataclass(frozen=True)
class OrgView:
    id: int
    slug: str
    name: str
    role: Role | None  # the caller's; None: an operator's view of an org they are not in
    trial_ends_us: int | None
    created_us: int


def create_org(
    con: Connection, name: str, owner_id: int | None, trial_days: float, now_us: int,
    slug: str | None = None,
) -> CreatedOrg:
    """A new organisation with one project ``default`` (a fresh tenant) and ``owner_id``
    as its owner; its trial ends ``trial_days`` from now (0: no trial)."""
    slug = _free_slug(con, slug or slugify(name))
    trial = now_us + int(trial_days * _DAY_US) if trial_days > 0 else None
    org_id = con.execute(orgs.insert().values(
        slug=slug, name=name, trial_ends_us=trial, created_us=now_us
    ).returning(orgs.c.id)).scalar_one()
    tenant = free_tenant(con, slug)
    project_id = con.execute(projects.insert().values(
        org_id=org_id, name="default", tenant=tenant, created_us=now_us
    ).returning(projects.c.id)).scalar_one()
    if owner_id is not None:
        con.execute(memberships.insert().values(
            org_id=org_id, user_id=owner_id, role=Role.OWNER.value, created_us=now_us))
    return CreatedOrg(org_id, slug, project_id, tenant)


def orgs_of(con: Connection, user_id: int) -> list[OrgView]:
    """The organisations ``user_id`` belongs to, with their role, by name."""
    rows = con.execute(
        select(orgs, memberships.c.role)
        .select_from(orgs.join(memberships, memberships.c.org_id == orgs.c.id))
        .where(memberships.c.user_id == user_id).order_by(orgs.c.name, orgs.c.id)).all()
    return [_view(r, Role(r.role)) for r in rows]


def all_orgs(con: Connection, user_id: int | None) -> list[OrgView]:
    """Every organisation (an operator's list), with ``user_id``'s role where they are in."""
    mine = {o.id: o.role for o in orgs_of(con, user_id)} if user_id is not None else {}
    rows = con.execute(select(orgs).order_by(orgs.c.name, orgs.c.id)).all()
    return [_view(r, mine.get(r.id)) for r in rows]


def get_org(con: Connection, org_id: int, role: Role | None) -> OrgView:
    row = con.execute(select(orgs).where(orgs.c.id == org_id)).first()
    if row is None:
        raise NotFound(f"no organisation {org_id}")
    return _view(row, role)


def rename(con: Connection, org_id: int, name: str, by: By) -> OrgView:
    """The organisation renamed (an owner's change; its slug stays, links keep working)."""
    by.principal.require(Role.OWNER, "rename the organisation")
    before = get_org(con, org_id, by.principal.role)
    con.execute(update(orgs).where(orgs.c.id == org_id).values(name=name))
    record_by(con, by, "org.rename", org_id, before.slug, {"from": before.name, "to": name})
    return get_org(con, org_id, by.principal.role)


def switch(con: Connection, session_cookie: str, user_id: int, org_id: int) -> OrgView:
    """The session shows ``org_id`` from its next request on; NotFound unless its user is
    a member (an organisation they are not in is not revealed)."""
    role = con.execute(select(memberships.c.role).where(
        memberships.c.org_id == org_id, memberships.c.user_id == user_id)).scalar()
    if role is None:
        raise NotFound(f"no organisation {org_id} of yours")
    con.execute(update(sessions).where(sessions.c.id_hash == digest(session_cookie),
                                       sessions.c.user_id == user_id).values(org_id=org_id))
    return get_org(con, org_id, Role(role))


def is_operator(con: Connection, user_id: int | None) -> bool:
    """Whether ``user_id`` runs this server (``users.is_operator``)."""
    if user_id is None:
        return False
    return bool(con.execute(select(users.c.is_operator).where(users.c.id == user_id)).scalar())


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:48]
    return slug or "org"


def _view(r: Row[Any], role: Role | None) -> OrgView:
    return OrgView(r.id, r.slug, r.name, role, r.trial_ends_us, r.created_us)


def _free_slug(con: Connection, wanted: str) -> str:
    slug, n = wanted, 1
    while con.execute(select(orgs.c.id).where(orgs.c.slug == slug)).first() is not None:
        n += 1
        slug = f"{wanted[:44]}-{n}"
    return slug


def free_tenant(con: Connection, wanted: str) -> str:
    """A project's tenant: ``wanted`` when no project has it, else wanted-xxxxxx."""
    tenant = wanted[:120]
    while con.execute(select(projects.c.id).where(projects.c.tenant == tenant)).first():
        tenant = f"{wanted[:48]}-{new_secret()[:6].lower()}"
    return tenant
