"""Projects and their ingest keys. A project is one store tenant of an organisation: its
telemetry, rules, checks and captures; its ingest keys write to it and nothing else.

A new project's tenant is ``<org slug>-<project name>`` made safe, or that with a random
suffix when a project already has it (:func:`bongsu.accounts.orgs.free_tenant`).

Example::

    with engine.begin() as con:
        shop = create_project(con, org_id, "shop", By(principal, ip), now)
    made = create_key(ring, shop, "prod agents", By(principal, ip))   # made.key shown once
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, insert, select

from bongsu.accounts.audit import By, record_by
from bongsu.accounts.orgs import free_tenant, slugify
from bongsu.accounts.roles import Role
from bongsu.accounts.tables import orgs, projects
from bongsu.errors import Conflict, NotFound
from bongsu.meta.keys import KeyInfo, KeyRing


@dataclass(frozen=True)
class Project:
    id: int
    org_id: int
    name: str
    tenant: str
    created_us: int


def list_projects(con: Connection, org_id: int) -> list[Project]:
    """The organisation's projects, oldest first (the first is the default one)."""
    rows = con.execute(select(projects).where(projects.c.org_id == org_id)
                       .order_by(projects.c.id)).all()
    return [Project(r.id, r.org_id, r.name, r.tenant, r.created_us) for r in rows]


def get_project(con: Connection, org_id: int, project_id: int) -> Project:
    """One project of ``org_id``; NotFound for another organisation's too."""
    row = con.execute(select(projects).where(projects.c.id == project_id,
                                             projects.c.org_id == org_id)).first()
    if row is None:
        raise NotFound(f"no project {project_id} in this organisation")
    return Project(row.id, row.org_id, row.name, row.tenant, row.created_us)


def create_project(con: Connection, org_id: int, name: str, by: By, now_us: int) -> Project:
    """A new project (an admin's change); Conflict when the organisation has one of
    that name."""
    by.principal.require(Role.ADMIN, "create projects")
    taken = con.execute(select(projects.c.id).where(projects.c.org_id == org_id,
                                                    projects.c.name == name)).first()
    if taken is not None:
        raise Conflict(f"name: the organisation has a project {name!r} already")
    slug = con.execute(select(orgs.c.slug).where(orgs.c.id == org_id)).scalar_one()
    tenant = free_tenant(con, f"{slug}-{slugify(name)}")
    project_id = con.execute(insert(projects).values(
        org_id=org_id, name=name, tenant=tenant, created_us=now_us
    ).returning(projects.c.id)).scalar_one()
    record_by(con, by, "project.create", org_id, name, {"project_id": project_id},
              tenant=tenant)
    return Project(project_id, org_id, name, tenant, now_us)


def create_key(ring: KeyRing, project: Project, name: str, by: By) -> KeyInfo:
    """A new ingest key of ``project`` (its ``key`` shown once), audited with it."""
    by.principal.require(Role.ADMIN, "create ingest keys")

    def audit(con: Connection, info: KeyInfo) -> None:
        record_by(con, by, "key.create", project.org_id, info.prefix,
                  {"key_id": info.id, "project": project.name, "name": name},
                  tenant=project.tenant)

    return ring.create(project.tenant, name, also=audit)


def revoke_key(ring: KeyRing, project: Project, key_id: int, by: By) -> None:
    """``key_id`` of ``project`` refused from now on (NotFound: not this project's, or
    revoked already)."""
    by.principal.require(Role.ADMIN, "revoke ingest keys")

    def audit(con: Connection, info: KeyInfo) -> None:
        record_by(con, by, "key.revoke", project.org_id, info.prefix,
                  {"key_id": info.id, "project": project.name}, tenant=project.tenant)

    if not ring.revoke(str(key_id), project.tenant, also=audit):
        raise NotFound(f"no active ingest key {key_id} in project {project.name!r}")
