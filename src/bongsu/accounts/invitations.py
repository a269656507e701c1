"""Invitations: an admin invites an e-mail address with a role; the person signs in (or
signs up) with that address, verified, and accepts with the token of the link.

A token (``bsi_…``) is stored hashed, shown once to the inviter and e-mailed when the
server sends mail; it is good for seven days and for one acceptance. An accepted,
revoked or expired token is a 410 saying which; an unknown one a 404.

Example::

    with engine.begin() as con:
        made = invite(con, org_id, "bob@example.net", Role.EDITOR, By(principal, ip), now)
    # made.token goes in the link /#/accept?token=…
    with engine.begin() as con:
        accepted = accept(con, made.token, bob.id, now)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from bongsu.accounts.audit import By, record, record_by
from bongsu.accounts.credentials import INVITATION_PREFIX, digest, new_secret
from bongsu.accounts.roles import Role
from bongsu.accounts.tables import invitations, memberships, orgs, users
from bongsu.errors import Conflict, Forbidden, Gone, InvalidQuery, NotFound

VALID_DAYS = 7
_DAY_US = 86_400_000_000
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
ACCEPT_PATH = "/#/accept?token="


@dataclass(frozen=True)
class Invitation:
    id: int
    email: str
    role: Role
    invited_by: str  # the inviter's user id (login), "" when gone
    created_us: int
    expires_us: int
    state: str  # pending | accepted | revoked | expired
    token: str | None = None  # only right after creation


@dataclass(frozen=True)
class Accepted:
    org_id: int
    org_name: str
    role: Role


def check_email(email: str) -> str:
    """The address lower-cased, or InvalidQuery naming the field."""
    address = email.strip().lower()
    if len(address) > 320 or not _EMAIL.fullmatch(address):
        raise InvalidQuery(f"email: not an e-mail address: {email!r}")
    return address


def invite(con: Connection, org_id: int, email: str, role: Role, by: By,
           now_us: int) -> Invitation:
    """A new invitation to ``org_id`` (an admin's; the role at most the inviter's)."""
    caller = by.principal
    caller.require(Role.ADMIN, "invite people")
    if not caller.role.allows(role):
        raise Forbidden(f"role: you may invite with your role {caller.role.value!r} at most, "
                        f"not {role.value!r}")
    address = check_email(email)
    member = con.execute(
        select(users.c.login).select_from(users.join(memberships, memberships.c.user_id
                                                     == users.c.id))
        .where(memberships.c.org_id == org_id, users.c.email == address)).scalar()
    if member is not None:
        raise Conflict(f"email: {address} is already a member ({member})")
    token = new_secret(INVITATION_PREFIX)
    expires = now_us + VALID_DAYS * _DAY_US
    invitation_id = con.execute(insert(invitations).values(
        org_id=org_id, email=address, role=role.value, token_hash=digest(token),
        invited_by=caller.user_id, created_us=now_us, expires_us=expires,
    ).returning(invitations.c.id)).scalar_one()
    record_by(con, by, "invitation.create", org_id, address,
              {"invitation_id": invitation_id, "role": role.value})
    return Invitation(invitation_id, address, role, caller.actor, now_us, expires, "pending",
                      token)


def list_invitations(con: Connection, org_id: int, now_us: int) -> list[Invitation]:
    """The organisation's invitations, newest first."""
    rows = con.execute(
        select(invitations, users.c.login)
        .select_from(invitations.outerjoin(users, users.c.id == invitations.c.invited_by))
        .where(invitations.c.org_id == org_id)
        .order_by(invitations.c.created_us.desc(), invitations.c.id.desc())).all()
    return [_invitation(r, now_us) for r in rows]


def revoke(con: Connection, org_id: int, invitation_id: int, by: By, now_us: int) -> None:
    """The pending invitation's token stops working (NotFound: not this org's, or not
    pending any more)."""
    by.principal.require(Role.ADMIN, "revoke invitations")
    row = con.execute(select(invitations).where(
        invitations.c.id == invitation_id, invitations.c.org_id == org_id)).first()
    if row is None:
        raise NotFound(f"no invitation {invitation_id} in this organisation")
    state = _state(row, now_us)
    if state != "pending":
        raise Conflict(f"invitation {invitation_id} is {state} already")
    con.execute(update(invitations).where(invitations.c.id == invitation_id)
                .values(revoked_us=now_us))
    record_by(con, by, "invitation.revoke", org_id, row.email,
              {"invitation_id": invitation_id, "role": row.role})


def accept(con: Connection, token: str, user_id: int, now_us: int, ip: str = "") -> Accepted:
    """``user_id`` joins the invitation's organisation with its role; their verified
    e-mail must be the one invited."""
    row = con.execute(select(invitations).where(
        invitations.c.token_hash == digest(token.strip()))).first()
    if row is None:
        raise NotFound("no such invitation: check the link (an invitation replaced by a new "
                       "one has a new link)")
    state = _state(row, now_us)
    if state == "accepted":
        raise Gone(f"this invitation was already accepted on {_day(row.accepted_us)}: it "
                   "joins once")
    if state == "revoked":
        raise Gone(f"this invitation was revoked on {_day(row.revoked_us)}: ask for a new one")
    if state == "expired":
        raise Gone(f"this invitation expired on {_day(row.expires_us)}: ask for a new one")
    user = con.execute(select(users.c.login, users.c.email, users.c.verified_us)
                       .where(users.c.id == user_id)).first()
    if user is None:
        raise NotFound("no such user")
    if user.email.lower() != row.email:
        raise Forbidden(f"this invitation is for {row.email}; you are signed in as "
                        f"{user.email}: sign in with the invited address")
    if user.verified_us is None:
        raise Forbidden(f"verify your e-mail {user.email} first, then accept the invitation")
    org = con.execute(select(orgs.c.name).where(orgs.c.id == row.org_id)).scalar_one()
    already = con.execute(select(memberships.c.role).where(
        memberships.c.org_id == row.org_id, memberships.c.user_id == user_id)).scalar()
    if already is not None:
        raise Conflict(f"you are already a member of {org!r} (role {already!r})")
    taken = con.execute(update(invitations).where(
        invitations.c.id == row.id, invitations.c.accepted_us.is_(None),
        invitations.c.revoked_us.is_(None)).values(accepted_us=now_us, accepted_by=user_id))
    if not taken.rowcount:
        raise Gone("this invitation was just accepted or revoked")
    con.execute(insert(memberships).values(org_id=row.org_id, user_id=user_id, role=row.role,
                                           created_us=now_us))
    record(con, actor=user.login, action="invitation.accept", org_id=row.org_id,
           target=row.email, detail={"invitation_id": row.id, "role": row.role}, ip=ip)
    return Accepted(row.org_id, org, Role(row.role))


def invitation_text(org_name: str, inviter: str, role: Role, link: str) -> str:
    return (f"{inviter} invites you to the organisation {org_name!r} on Bongsu, as "
            f"{role.value}.\n\nSign in (or sign up) with this e-mail address, then open:\n\n"
            f"{link}\n\nThe link works once, for {VALID_DAYS} days.")


def _state(row: Row[Any], now_us: int) -> str:
    if row.accepted_us is not None:
        return "accepted"
    if row.revoked_us is not None:
        return "revoked"
    if row.expires_us <= now_us:
        return "expired"
    return "pending"


def _invitation(row: Row[Any], now_us: int) -> Invitation:
    return Invitation(row.id, row.email, Role(row.role), row.login or "", row.created_us,
                      row.expires_us, _state(row, now_us))


def _day(us: int) -> str:
    return datetime.fromtimestamp(us / 1e6, UTC).strftime("%Y-%m-%d %H:%M UTC")
