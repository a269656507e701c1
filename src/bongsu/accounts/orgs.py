"""Organisations (tenants of people): created with their first project and owner.

Example::

    with engine.begin() as con:
        org = create_org(con, "Acme", owner_id=user.id, trial_days=15, now_us=now)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, select

from bongsu.accounts.credentials import new_secret
from bongsu.accounts.roles import Role
from bongsu.accounts.tables import memberships, orgs, projects

_DAY_US = 86_400_000_000


@dataclass(frozen=True)
class CreatedOrg:
    id: int
    slug: str
    project_id: int
    tenant: str  # the first project's


def create_org(
    con: Connection, name: str, owner_id: int | None, trial_days: float, now_us: int,
    slug: str | None = None,
) -> CreatedOrg:
    """A new organisation with one project ``default`` (a fresh tenant) and ``owner_id``
    as its owner; its trial ends ``trial_days`` from now (0: no trial)."""
    slug = _free_slug(con, slug or _slugify(name))
    trial = now_us + int(trial_days * _DAY_US) if trial_days > 0 else None
    org_id = con.execute(orgs.insert().values(
        slug=slug, name=name, trial_ends_us=trial, created_us=now_us
    ).returning(orgs.c.id)).scalar_one()
    tenant = _free_tenant(con, slug)
    project_id = con.execute(projects.insert().values(
        org_id=org_id, name="default", tenant=tenant, created_us=now_us
    ).returning(projects.c.id)).scalar_one()
    if owner_id is not None:
        con.execute(memberships.insert().values(
            org_id=org_id, user_id=owner_id, role=Role.OWNER.value, created_us=now_us))
    return CreatedOrg(org_id, slug, project_id, tenant)


def _slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:48]
    return slug or "org"


def _free_slug(con: Connection, wanted: str) -> str:
    slug, n = wanted, 1
    while con.execute(select(orgs.c.id).where(orgs.c.slug == slug)).first() is not None:
        n += 1
        slug = f"{wanted[:44]}-{n}"
    return slug


def _free_tenant(con: Connection, slug: str) -> str:
    """The project's tenant: the slug when no store tenant has it, else slug-XXXX."""
    tenant = slug
    while con.execute(select(projects.c.id).where(projects.c.tenant == tenant)).first():
        tenant = f"{slug[:48]}-{new_secret()[:6].lower()}"
    return tenant
