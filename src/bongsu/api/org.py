"""The organisation routes: organisations, members, invitations, projects and their
ingest keys, API tokens, the trial, and the audit log.

Every route needs a signed-in caller (a session or an API token) and acts on the
caller's current organisation; an id of another organisation's member, invitation,
project, key or token is a 404, exactly as one that does not exist. Each change writes
its audit entry in its own transaction, so these routes are marked
:func:`~bongsu.api.audit_log.records_itself`.

========  ===========================================================================
role      may here
========  ===========================================================================
viewer    read the organisation, its members and projects; own tokens; leave
admin     members (not owners), invitations, projects, ingest keys, every token,
          the audit log
owner     owners, renaming the organisation
operator  every organisation's list, and their trials (``users.is_operator``)
========  ===========================================================================

Example::

    router = org_router(OrgBackend(engine, keys, trial_days=15))
    # POST /api/v1/org/projects/3/keys {"name": "prod"}  ->  {"key": "bsk_…", …}
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError

from bongsu.accounts import invitations as inv
from bongsu.accounts import members as mem
from bongsu.accounts import projects as proj
from bongsu.accounts import tokens as tok
from bongsu.accounts.audit import MAX_ENTRIES, By, entries, record_by
from bongsu.accounts.credentials import SESSION_COOKIE
from bongsu.accounts.mailer import Mailer, MailFailed
from bongsu.accounts.orgs import (
    OrgView,
    all_orgs,
    create_org,
    get_org,
    is_operator,
    orgs_of,
    rename,
    switch,
)
from bongsu.accounts.principal import Principal
from bongsu.accounts.roles import Role
from bongsu.accounts.tables import projects
from bongsu.accounts.trial import read_only, set_trial
from bongsu.api import org_models as om
from bongsu.api.audit_log import records_itself
from bongsu.api.context import Caller
from bongsu.api.models import ErrorBody
from bongsu.api.responses import JSON
from bongsu.errors import Conflict, Forbidden, StoreError
from bongsu.meta.keys import KeyInfo, KeyRing
from bongsu.query.window import parse_time

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such id in the caller's organisation"}}
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "Taken, or the last owner would go"}}

Id = Annotated[int, PathParam(ge=1, le=2**31 - 1, description="A numeric id")]


@dataclass(frozen=True)
class OrgBackend:
    """What the routes use: the metadata database, the ingest keys, the trial given to
    new organisations, where the console is (invitation links), the account mailer, and
    what a new project starts with (the shipped alert rules)."""

    engine: Engine
    keys: KeyRing
    trial_days: float = 0.0
    console_url: str = ""
    mailer: Mailer = Mailer(None)
    seed: Callable[[str], object] | None = None  # a new project's default alert rules


def org_router(backend: OrgBackend | None = None) -> APIRouter:
    """The organisation routes over ``backend`` (None: the schema's app, never called)."""
    router = APIRouter(prefix="/api/v1", tags=["organisation"],
                       dependencies=[Depends(records_itself)])

    def parts() -> OrgBackend:
        if backend is None:
            raise StoreError("the accounts database is not open")
        return backend

    def _seed(tenant: str) -> None:
        seed = parts().seed
        if seed is not None:
            seed(tenant)

    # -- organisations -------------------------------------------------------------------

    @router.get("/orgs", summary="The caller's organisations, with their role",
                response_model=om.Orgs)
    def list_orgs(caller: Caller, every: Annotated[bool, Query(
            alias="all", description="Every organisation of the server (operators only)")
            ] = False) -> JSON:
        with parts().engine.connect() as con:
            if every:
                if not is_operator(con, caller.user_id):
                    raise Forbidden("all: only an operator of this server lists every "
                                    "organisation")
                found = all_orgs(con, caller.user_id)
            elif caller.user_id is not None and caller.kind == "session":
                found = orgs_of(con, caller.user_id)
            else:
                org_id = _org_id(con, caller)
                found = [get_org(con, org_id, caller.role)]
        return JSON({"orgs": [_org(o) for o in found]})

    @router.post("/orgs", summary="Create an organisation (the caller owns it; a project "
                 "'default')", status_code=201, response_model=om.Org)
    def create(body: om.OrgCreate, caller: Caller, request: Request) -> JSON:
        user_id = _user(caller)
        now = _now_us()
        with parts().engine.begin() as con:
            made = create_org(con, body.name, user_id, parts().trial_days, now)
            by = _by(caller, request)
            record_by(con, by, "org.create", made.id, made.slug,
                      {"name": body.name, "tenant": made.tenant})
            org = get_org(con, made.id, Role.OWNER)
        _seed(made.tenant)
        return JSON(_org(org), status_code=201)

    @router.post("/orgs/{org_id}/switch", summary="Show this organisation in the session",
                 response_model=om.Org, responses=_NOT_FOUND)
    def switch_org(org_id: Id, caller: Caller, request: Request) -> JSON:
        cookie = request.cookies.get(SESSION_COOKIE)
        if caller.kind != "session" or not cookie or caller.user_id is None:
            raise Forbidden("only a signed-in session switches organisation (an API token "
                            "belongs to one)")
        with parts().engine.begin() as con:
            org = switch(con, cookie, caller.user_id, org_id)
        return JSON(_org(org))

    @router.get("/org", summary="The current organisation", response_model=om.Org)
    def current(caller: Caller) -> JSON:
        with parts().engine.connect() as con:
            org = get_org(con, _org_id(con, caller), caller.role)
        return JSON(_org(org))

    @router.patch("/org", summary="Rename the organisation (owner)", response_model=om.Org)
    def rename_org(body: om.OrgRename, caller: Caller, request: Request) -> JSON:
        with parts().engine.begin() as con:
            org = rename(con, _org_id(con, caller), body.name, _by(caller, request))
        return JSON(_org(org))

    @router.put("/org/trial", summary="Set or remove an organisation's trial (operator)",
                response_model=om.Org, responses=_NOT_FOUND)
    def trial(body: om.TrialSet, caller: Caller, request: Request) -> JSON:
        with parts().engine.begin() as con:
            org_id = body.org_id if body.org_id is not None else _org_id(con, caller)
            org = set_trial(con, org_id, body.ends_us, _by(caller, request))
            role = _role_in(con, org.id, caller)
        return JSON(_org(org, role))

    # -- members -------------------------------------------------------------------------

    @router.get("/org/members", summary="The organisation's members and roles",
                response_model=om.Members)
    def members(caller: Caller) -> JSON:
        with parts().engine.connect() as con:
            found = mem.list_members(con, _org_id(con, caller))
        return JSON({"members": [_member(m) for m in found]})

    @router.patch("/org/members/{user_id}", summary="Change a member's role (admin; owners "
                  "by an owner)", response_model=om.Member,
                  responses={**_NOT_FOUND, **_CONFLICT})
    def change_role(user_id: Id, body: om.RoleChange, caller: Caller,
                    request: Request) -> JSON:
        with parts().engine.begin() as con:
            member = mem.change_role(con, _org_id(con, caller), user_id, Role(body.role),
                                     _by(caller, request))
        return JSON(_member(member))

    @router.delete("/org/members/{user_id}", summary="Remove a member (admin), or leave "
                   "(your own id)", status_code=204, response_class=Response,
                   responses={**_NOT_FOUND, **_CONFLICT})
    def remove_member(user_id: Id, caller: Caller, request: Request) -> Response:
        with parts().engine.begin() as con:
            mem.remove(con, _org_id(con, caller), user_id, _by(caller, request))
        return Response(status_code=204)

    # -- invitations ---------------------------------------------------------------------

    @router.get("/org/invitations", summary="The organisation's invitations (admin)",
                response_model=om.Invitations)
    def invitations(caller: Caller) -> JSON:
        _may_read(caller, Role.ADMIN, "list invitations")
        with parts().engine.connect() as con:
            found = inv.list_invitations(con, _org_id(con, caller), _now_us())
        return JSON({"invitations": [_invitation(i) for i in found]})

    @router.post("/org/invitations", summary="Invite an e-mail address with a role (admin; "
                 "the token is shown once)", status_code=201,
                 response_model=om.InvitationCreated, responses=_CONFLICT)
    def invite(body: om.InvitationCreate, caller: Caller, request: Request) -> JSON:
        b = parts()
        with b.engine.begin() as con:
            org_id = _org_id(con, caller)
            made = inv.invite(con, org_id, body.email, Role(body.role), _by(caller, request),
                              _now_us())
            org = get_org(con, org_id, caller.role)
        assert made.token is not None
        link = f"{b.console_url.rstrip('/')}{inv.ACCEPT_PATH}{made.token}"
        emailed, error = False, None
        if not b.mailer.enabled:
            error = "this server sends no mail (BONGSU_SMTP_HOST is not set): pass the link on"
        else:
            try:
                b.mailer.send(made.email, f"Join {org.name} on Bongsu", inv.invitation_text(
                    org.name, caller.actor, made.role, link))
                emailed = True
            except MailFailed as exc:
                error = exc.message
        return JSON({**_invitation(made), "token": made.token, "link": link,
                     "emailed": emailed, "email_error": error}, status_code=201)

    @router.delete("/org/invitations/{invitation_id}", summary="Revoke a pending invitation "
                   "(admin)", status_code=204, response_class=Response,
                   responses={**_NOT_FOUND, **_CONFLICT})
    def revoke_invitation(invitation_id: Id, caller: Caller, request: Request) -> Response:
        with parts().engine.begin() as con:
            inv.revoke(con, _org_id(con, caller), invitation_id, _by(caller, request),
                       _now_us())
        return Response(status_code=204)

    @router.post("/invitations/accept", summary="Accept an invitation: join its "
                 "organisation (the session shows it)", response_model=om.Accepted,
                 responses={**_NOT_FOUND, **_CONFLICT, 410: {
                     "model": ErrorBody,
                     "description": "The invitation was accepted, revoked or expired"}})
    def accept(body: om.InvitationAccept, caller: Caller, request: Request) -> JSON:
        user_id = _user(caller)
        cookie = request.cookies.get(SESSION_COOKIE)
        with parts().engine.begin() as con:
            joined = inv.accept(con, body.token, user_id, _now_us(), _ip(request))
            if caller.kind == "session" and cookie:
                org = switch(con, cookie, user_id, joined.org_id)
            else:
                org = get_org(con, joined.org_id, joined.role)
        return JSON({"org": _org(org)})

    # -- projects and their ingest keys --------------------------------------------------

    @router.get("/org/projects", summary="The organisation's projects",
                response_model=om.Projects)
    def list_projects(caller: Caller) -> JSON:
        with parts().engine.connect() as con:
            found = proj.list_projects(con, _org_id(con, caller))
        return JSON({"projects": [_project(p) for p in found]})

    @router.post("/org/projects", summary="Create a project (admin)", status_code=201,
                 response_model=om.Project, responses=_CONFLICT)
    def create_project(body: om.ProjectCreate, caller: Caller, request: Request) -> JSON:
        try:
            with parts().engine.begin() as con:
                made = proj.create_project(con, _org_id(con, caller), body.name,
                                           _by(caller, request), _now_us())
        except IntegrityError:  # the same name made at the same moment
            raise Conflict(f"name: the organisation has a project {body.name!r} already"
                           ) from None
        _seed(made.tenant)
        return JSON(_project(made), status_code=201)

    @router.get("/org/projects/{project_id}/keys", summary="A project's ingest keys (admin)",
                response_model=om.IngestKeys, responses=_NOT_FOUND)
    def keys(project_id: Id, caller: Caller) -> JSON:
        _may_read(caller, Role.ADMIN, "list ingest keys")
        project = _project_of(caller, project_id)
        return JSON({"keys": [_key(k) for k in parts().keys.list(project.tenant)]})

    @router.post("/org/projects/{project_id}/keys", summary="Create an ingest key (admin; "
                 "shown once)", status_code=201, response_model=om.IngestKeyCreated,
                 responses=_NOT_FOUND)
    def create_key(project_id: Id, body: om.KeyCreate, caller: Caller,
                   request: Request) -> JSON:
        caller.require(Role.ADMIN, "create ingest keys")
        project = _project_of(caller, project_id)
        made = proj.create_key(parts().keys, project, body.name, _by(caller, request))
        return JSON({**_key(made), "key": made.key}, status_code=201)

    @router.delete("/org/projects/{project_id}/keys/{key_id}", summary="Revoke an ingest "
                   "key (admin): the OTLP port refuses it at once", status_code=204,
                   response_class=Response, responses=_NOT_FOUND)
    def revoke_key(project_id: Id, key_id: Id, caller: Caller, request: Request) -> Response:
        caller.require(Role.ADMIN, "revoke ingest keys")
        project = _project_of(caller, project_id)
        proj.revoke_key(parts().keys, project, key_id, _by(caller, request))
        return Response(status_code=204)

    # -- API tokens ----------------------------------------------------------------------

    @router.get("/tokens", summary="API tokens: the caller's (an admin's: the "
                "organisation's)", response_model=om.ApiTokens)
    def tokens(caller: Caller, request: Request) -> JSON:
        with parts().engine.connect() as con:
            found = tok.list_tokens(con, _org_id(con, caller), _by(caller, request))
        return JSON({"tokens": [_token(t) for t in found]})

    @router.post("/tokens", summary="Create an API token (shown once)", status_code=201,
                 response_model=om.ApiTokenCreated)
    def create_token(body: om.TokenCreate, caller: Caller, request: Request) -> JSON:
        with parts().engine.begin() as con:
            made = tok.create_token(con, _org_id(con, caller), body.name, Role(body.role),
                                    _by(caller, request), _now_us(), body.expires_days,
                                    body.service_account)
        return JSON({**_token(made), "token": made.token}, status_code=201)

    @router.delete("/tokens/{token_id}", summary="Revoke an API token: refused from the "
                   "next request on", status_code=204, response_class=Response,
                   responses=_NOT_FOUND)
    def revoke_token(token_id: Id, caller: Caller, request: Request) -> Response:
        with parts().engine.begin() as con:
            tok.revoke_token(con, _org_id(con, caller), token_id, _by(caller, request),
                             _now_us())
        return Response(status_code=204)

    # -- the audit log -------------------------------------------------------------------

    @router.get("/audit", summary="The organisation's audit log, newest first (admin)",
                response_model=om.AuditEntries)
    def audit(
        caller: Caller,
        from_: Annotated[str | None, Query(alias="from", description=(
            "Oldest entry, inclusive: ISO-8601 (UTC without an offset) or epoch ms"))] = None,
        to: Annotated[str | None, Query(description=(
            "Entries before this, exclusive: ISO-8601 or epoch ms"))] = None,
        actor: Annotated[str | None, Query(max_length=128, description=(
            "Only this actor (exactly: a user id, 'token:bst_…' …)"))] = None,
        action: Annotated[str | None, Query(max_length=64, description=(
            "Only this action (exactly: 'member.role', 'POST /api/v1/rules' …)"))] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_ENTRIES, description=(
            "Most entries to return, 1-1000. Default 100."))] = 100,
    ) -> JSON:
        _may_read(caller, Role.ADMIN, "read the audit log")
        from_us = parse_time("from", from_) if from_ is not None else None
        to_us = parse_time("to", to) if to is not None else None
        with parts().engine.connect() as con:
            found = entries(con, _org_id(con, caller), from_us, to_us, actor, action, limit)
        return JSON({"entries": [
            {"at_us": e.at_us, "actor": e.actor, "action": e.action, "target": e.target,
             "tenant": e.tenant, "detail": e.detail, "ip": e.ip} for e in found]})

    def _project_of(caller: Principal, project_id: int) -> proj.Project:
        with parts().engine.connect() as con:
            return proj.get_project(con, _org_id(con, caller), project_id)

    return router


# -- the caller ----------------------------------------------------------------------------

def _org_id(con: Connection, caller: Principal) -> int:
    """The caller's current organisation (single-user: the one of its project)."""
    if caller.org_id is not None:
        return caller.org_id
    if caller.kind == "single-user":
        org_id = con.execute(select(projects.c.org_id).where(
            projects.c.tenant == caller.tenant)).scalar()
        if org_id is not None:
            return int(org_id)
    raise Forbidden("you belong to no organisation: accept an invitation, or create one "
                    "(POST /api/v1/orgs)")


def _user(caller: Principal) -> int:
    if caller.user_id is None:
        raise Forbidden("this needs a user: sign in, or use a user's API token (not a "
                        "service account's)")
    return caller.user_id


def _may_read(caller: Principal, needed: Role, what: str) -> None:
    """A read that needs more than viewer; unlike require(), allowed after the trial."""
    if not caller.role.allows(needed):
        raise Forbidden(f"the role {caller.role.value!r} may not do this: {needed.value!r} "
                        f"or above is needed to {what}")


def _role_in(con: Connection, org_id: int, caller: Principal) -> Role | None:
    if caller.org_id == org_id:
        return caller.role
    mine = orgs_of(con, caller.user_id) if caller.user_id is not None else []
    return next((o.role for o in mine if o.id == org_id), None)


def _by(caller: Principal, request: Request) -> By:
    return By(caller, _ip(request))


def _ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _now_us() -> int:
    return int(time.time() * 1e6)


# -- answers -------------------------------------------------------------------------------

def _org(org: OrgView, role: Role | None = None) -> dict[str, Any]:
    shown = role if role is not None else org.role
    return {"id": org.id, "slug": org.slug, "name": org.name,
            "role": shown.value if shown is not None else None,
            "trial_ends_us": org.trial_ends_us, "read_only": read_only(org),
            "created_us": org.created_us}


def _member(m: mem.Member) -> dict[str, Any]:
    return {"user_id": m.user_id, "login": m.login, "email": m.email,
            "display_name": m.display_name, "role": m.role.value, "joined_us": m.joined_us}


def _invitation(i: inv.Invitation) -> dict[str, Any]:
    return {"id": i.id, "email": i.email, "role": i.role.value, "invited_by": i.invited_by,
            "created_us": i.created_us, "expires_us": i.expires_us, "state": i.state}


def _project(p: proj.Project) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "tenant": p.tenant, "created_us": p.created_us}


def _key(k: KeyInfo) -> dict[str, Any]:
    return {"id": k.id, "name": k.name, "prefix": k.prefix,
            "created_us": int(k.created_at.timestamp() * 1e6),
            "last_used_us": k.last_used_us,
            "revoked_us": int(k.revoked_at.timestamp() * 1e6) if k.revoked_at else None}


def _token(t: tok.Token) -> dict[str, Any]:
    return {"id": t.id, "name": t.name, "role": t.role.value, "prefix": t.prefix,
            "user": t.user, "created_us": t.created_us, "expires_us": t.expires_us,
            "last_used_us": t.last_used_us, "revoked_us": t.revoked_us}
