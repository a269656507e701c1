"""E-mailed codes: six digits that prove an address (``verify``) or allow a new password
(``reset``).

A code lives five minutes and takes five tries; then it is void. Issuing a code voids the
user's earlier ones of the same purpose. Only its SHA-256 is stored: a million codes are
quickly hashed, but five tries on a five-minute code stand in for the work factor.

Example::

    with engine.begin() as con:
        code = issue(con, user_id, "verify", now_us)      # mail it
    with engine.begin() as con:                           # the try is counted even
        outcome = check(con, user_id, "verify", "123456", now_us)   # when it fails
"""

from __future__ import annotations

import hmac
import secrets
from typing import Literal

from sqlalchemy import Connection, select, update

from bongsu.accounts.credentials import digest
from bongsu.accounts.tables import codes

Purpose = Literal["verify", "reset"]
Outcome = Literal["ok", "wrong", "void"]  # void: none, expired, used or out of tries
LIFETIME_US = 5 * 60 * 1_000_000
TRIES = 5


def issue(con: Connection, user_id: int, purpose: Purpose, now_us: int) -> str:
    """A fresh code for ``user_id`` (the earlier ones of this purpose voided)."""
    con.execute(update(codes).where(
        codes.c.user_id == user_id, codes.c.purpose == purpose, codes.c.used_us.is_(None)
    ).values(used_us=now_us))
    code = f"{secrets.randbelow(1_000_000):06d}"
    con.execute(codes.insert().values(
        user_id=user_id, purpose=purpose, code_hash=digest(code), created_us=now_us,
        expires_us=now_us + LIFETIME_US, attempts=0))
    return code


def check(con: Connection, user_id: int, purpose: Purpose, code: str, now_us: int) -> Outcome:
    """Try ``code``: "ok" uses it up; "wrong" counts a try (the fifth voids it); "void"
    when the user has no live code. Commit the transaction whatever the outcome."""
    row = con.execute(select(codes).where(
        codes.c.user_id == user_id, codes.c.purpose == purpose, codes.c.used_us.is_(None),
        codes.c.expires_us > now_us, codes.c.attempts < TRIES,
    ).order_by(codes.c.id.desc()).limit(1)).first()
    if row is None:
        return "void"
    if hmac.compare_digest(digest(code.strip()), row.code_hash):
        con.execute(update(codes).where(codes.c.id == row.id).values(used_us=now_us))
        return "ok"
    con.execute(update(codes).where(codes.c.id == row.id)
                .values(attempts=codes.c.attempts + 1))
    return "wrong"


def tries_left(con: Connection, user_id: int, purpose: Purpose, now_us: int) -> int:
    """Tries left on the user's live code (0: none)."""
    attempts = con.execute(select(codes.c.attempts).where(
        codes.c.user_id == user_id, codes.c.purpose == purpose, codes.c.used_us.is_(None),
        codes.c.expires_us > now_us, codes.c.attempts < TRIES,
    ).order_by(codes.c.id.desc()).limit(1)).scalar()
    return 0 if attempts is None else TRIES - int(attempts)
