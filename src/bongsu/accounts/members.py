"""An organisation's members: listed by anyone in it, their roles changed and members
removed by an admin, and leaving it oneself.

The rules, checked here so that every way in obeys them:

- only an owner grants the role owner or takes it away (an admin manages the others);
- nobody raises their own role;
- the last owner can neither be demoted, removed nor leave (409, naming them).

A removed member's sessions stop showing the organisation and their API tokens in it are
revoked, in the same transaction; the Authenticator also checks the membership on every
request, so nothing they hold works there from the next request on.

Example::

    with engine.begin() as con:
        change_role(con, org_id, bob.id, Role.EDITOR, By(principal, ip))
        remove(con, org_id, bob.id, By(principal, ip))
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, and_, delete, select, update

from bongsu.accounts.audit import By, record_by
from bongsu.accounts.roles import Role
from bongsu.accounts.tables import api_tokens, memberships, sessions, users
from bongsu.errors import Conflict, Forbidden, NotFound


@dataclass(frozen=True)
class Member:
    user_id: int
    login: str
    email: str
    display_name: str
    role: Role
    joined_us: int


def list_members(con: Connection, org_id: int) -> list[Member]:
    """The organisation's members, strongest role first, then by user id."""
    rows = con.execute(_members().where(memberships.c.org_id == org_id)).all()
    found = [Member(r.user_id, r.login, r.email, r.display_name, Role(r.role), r.created_us)
             for r in rows]
    return sorted(found, key=lambda m: (-m.role.rank, m.login))


def get_member(con: Connection, org_id: int, user_id: int) -> Member:
    """One member; NotFound for anyone not in ``org_id`` (another org's member too)."""
    row = con.execute(_members().where(memberships.c.org_id == org_id,
                                       memberships.c.user_id == user_id)).first()
    if row is None:
        raise NotFound(f"no member {user_id} in this organisation")
    return Member(row.user_id, row.login, row.email, row.display_name, Role(row.role),
                  row.created_us)


def change_role(con: Connection, org_id: int, user_id: int, role: Role, by: By) -> Member:
    """``user_id``'s role in ``org_id`` set to ``role`` (audited: old → new)."""
    caller = by.principal
    caller.require(Role.ADMIN, "change a member's role")
    member = get_member(con, org_id, user_id)
    if member.role is role:
        return member
    if user_id == caller.user_id and role.rank > member.role.rank:
        raise Forbidden(f"nobody raises their own role: you are {member.role.value!r}; "
                        "another admin or owner may change it")
    if Role.OWNER in (role, member.role) and caller.role is not Role.OWNER:
        raise Forbidden(f"only an owner may grant or take the role 'owner' "
                        f"({member.login} is {member.role.value!r})")
    if member.role is Role.OWNER:
        _keep_an_owner(con, org_id, member, "demoted")
    con.execute(update(memberships).where(memberships.c.org_id == org_id,
                                          memberships.c.user_id == user_id)
                .values(role=role.value))
    record_by(con, by, "member.role", org_id, member.login,
              {"user_id": user_id, "from": member.role.value, "to": role.value})
    return get_member(con, org_id, user_id)


def remove(con: Connection, org_id: int, user_id: int, by: By) -> Member:
    """``user_id`` out of ``org_id`` (an admin's change, or a member leaving), their
    tokens there revoked and their sessions showing it moved off it."""
    caller = by.principal
    leaving = user_id == caller.user_id
    if not leaving:
        caller.require(Role.ADMIN, "remove a member")
    member = get_member(con, org_id, user_id)
    if member.role is Role.OWNER and not leaving and caller.role is not Role.OWNER:
        raise Forbidden(f"only an owner may remove an owner ({member.login} is 'owner')")
    if member.role is Role.OWNER:
        _keep_an_owner(con, org_id, member, "leave" if leaving else "removed")
    now = int(time.time() * 1e6)
    con.execute(delete(memberships).where(memberships.c.org_id == org_id,
                                          memberships.c.user_id == user_id))
    con.execute(update(api_tokens).where(
        api_tokens.c.org_id == org_id, api_tokens.c.user_id == user_id,
        api_tokens.c.revoked_us.is_(None)).values(revoked_us=now))
    con.execute(update(sessions).where(sessions.c.org_id == org_id,
                                       sessions.c.user_id == user_id).values(org_id=None))
    record_by(con, by, "member.leave" if leaving else "member.remove", org_id, member.login,
              {"user_id": user_id, "role": member.role.value})
    return member


def _keep_an_owner(con: Connection, org_id: int, member: Member, what: str) -> None:
    # Two owners demoting each other at once must not leave the organisation without one:
    # a write to the owners' rows first takes PostgreSQL's row locks and SQLite's write
    # lock, so the second change waits for the first and then counts what it left.
    owned = and_(memberships.c.org_id == org_id, memberships.c.role == Role.OWNER.value)
    con.execute(update(memberships).where(owned).values(role=memberships.c.role))
    owners = con.execute(select(memberships.c.user_id).where(owned)).all()
    if len(owners) <= 1:
        verb = "cannot leave" if what == "leave" else f"cannot be {what}"
        raise Conflict(f"{member.login} is the last owner of this organisation and {verb}: "
                       "make another member owner first")


def _members() -> Select[Any]:
    return (select(memberships.c.user_id, memberships.c.role, memberships.c.created_us,
                   users.c.login, users.c.email, users.c.display_name)
            .select_from(memberships.join(users, users.c.id == memberships.c.user_id)))
