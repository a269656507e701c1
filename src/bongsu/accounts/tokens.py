"""API tokens (``bst_…``): a user's own, or a service account's (no user; an admin makes
them). A token's role is at most its creator's; a user's token never does more than its
user may today (the Authenticator takes the lower of the two on every request).

Shown once, stored as SHA-256, optionally expiring, revoked by their user or an admin;
a revoked token is refused from the next request on, by every replica.

Example::

    with engine.begin() as con:
        made = create_token(con, org_id, "ci", Role.VIEWER, By(principal, ip), now,
                            expires_days=90)
    # made.token: send it as 'Authorization: Bearer bst_…'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from bongsu.accounts.audit import By, record_by
from bongsu.accounts.credentials import API_TOKEN_PREFIX, SHOWN_PREFIX, digest, new_secret
from bongsu.accounts.roles import Role
from bongsu.accounts.tables import api_tokens, users
from bongsu.errors import Forbidden, NotFound

_DAY_US = 86_400_000_000


@dataclass(frozen=True)
class Token:
    id: int
    name: str
    role: Role
    prefix: str
    user: str | None  # the user's login; None: a service account's
    created_us: int
    expires_us: int | None
    last_used_us: int | None
    revoked_us: int | None
    token: str | None = None  # only right after creation


def create_token(
    con: Connection, org_id: int, name: str, role: Role, by: By, now_us: int,
    expires_days: float | None = None, service_account: bool = False,
) -> Token:
    """A new token of ``org_id``: the caller's, or a service account's (admin only)."""
    caller = by.principal
    if service_account:
        caller.require(Role.ADMIN, "create service-account tokens")
    elif caller.user_id is None:
        raise Forbidden("service_account: this credential has no user; only a "
                        "service-account token can be made with it")
    if not caller.role.allows(role):
        raise Forbidden(f"role: a token may have your role {caller.role.value!r} at most, "
                        f"not {role.value!r}")
    token = new_secret(API_TOKEN_PREFIX)
    expires = now_us + int(expires_days * _DAY_US) if expires_days else None
    user_id = None if service_account else caller.user_id
    token_id = con.execute(insert(api_tokens).values(
        org_id=org_id, user_id=user_id, name=name, role=role.value,
        prefix=token[:SHOWN_PREFIX], token_hash=digest(token), created_by=caller.user_id,
        created_us=now_us, expires_us=expires,
    ).returning(api_tokens.c.id)).scalar_one()
    record_by(con, by, "token.create", org_id, token[:SHOWN_PREFIX],
              {"token_id": token_id, "name": name, "role": role.value,
               "service_account": service_account, "expires_us": expires})
    login = None if user_id is None else _login(con, user_id)
    return Token(token_id, name, role, token[:SHOWN_PREFIX], login, now_us, expires, None,
                 None, token)


def list_tokens(con: Connection, org_id: int, by: By) -> list[Token]:
    """The caller's tokens in ``org_id``; an admin's list holds every token of it."""
    query = (select(api_tokens, users.c.login)
             .select_from(api_tokens.outerjoin(users, users.c.id == api_tokens.c.user_id))
             .where(api_tokens.c.org_id == org_id))
    if not by.principal.role.allows(Role.ADMIN):
        query = query.where(api_tokens.c.user_id == by.principal.user_id,
                            api_tokens.c.user_id.is_not(None))
    rows = con.execute(query.order_by(api_tokens.c.id.desc())).all()
    return [_token(r) for r in rows]


def revoke_token(con: Connection, org_id: int, token_id: int, by: By, now_us: int) -> None:
    """``token_id`` refused from the next request on: the caller's own, or any of the
    organisation's for an admin (NotFound otherwise, and when revoked already)."""
    caller = by.principal
    row = con.execute(select(api_tokens).where(
        api_tokens.c.id == token_id, api_tokens.c.org_id == org_id,
        api_tokens.c.revoked_us.is_(None))).first()
    own = row is not None and row.user_id is not None and row.user_id == caller.user_id
    if row is None or not (own or caller.role.allows(Role.ADMIN)):
        raise NotFound(f"no active API token {token_id} of yours in this organisation")
    if not own:
        caller.require(Role.ADMIN, "revoke other people's tokens")
    con.execute(update(api_tokens).where(api_tokens.c.id == token_id)
                .values(revoked_us=now_us))
    record_by(con, by, "token.revoke", org_id, row.prefix,
              {"token_id": token_id, "name": row.name})


def _login(con: Connection, user_id: int) -> str:
    return str(con.execute(select(users.c.login).where(users.c.id == user_id)).scalar() or "")


def _token(r: Row[Any]) -> Token:
    return Token(r.id, r.name, Role(r.role), r.prefix, r.login, r.created_us, r.expires_us,
                 r.last_used_us, r.revoked_us)
