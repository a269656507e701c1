"""Accounts: sign-up, e-mail verification, password reset and change.

Sign-up (only with ``BONGSU_SIGNUP`` on) makes an unverified user and mails a code; the
code signs them in, and at the first verification they get an organisation of their own
(owner, trial ``BONGSU_TRIAL_DAYS``) unless they already belong to one (an invitation).
An unverified user cannot sign in. ``forgot`` answers the same whether or not the user
exists; a reset ends every session of the user. Each step is one transaction with its
audit entry.

Example::

    accounts = Accounts(engine, settings, mailer, sessions)
    accounts.signup(SignUp("ANA", "ana@example.net", "Tr0ub4dor&3"), ip="10.0.0.7")
    opened = accounts.verify("ANA", "123456", ip="10.0.0.7")     # signed in
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, exc, select, update

from bongsu.accounts import audit, codes
from bongsu.accounts.mailer import Mailer, MailFailed
from bongsu.accounts.orgs import CreatedOrg, create_org
from bongsu.accounts.passwords import (
    check_password,
    hash_password,
    login_problems,
    password_problems,
)
from bongsu.accounts.principal import Principal
from bongsu.accounts.sessions import Opened, Sessions, end_sessions, find_user
from bongsu.accounts.tables import audit_log, memberships, users
from bongsu.errors import Conflict, Forbidden, InvalidQuery
from bongsu.settings import Settings

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+$")
CODE_MINUTES = codes.LIFETIME_US // 60_000_000


@dataclass(frozen=True)
class SignUp:
    login: str
    email: str
    password: str
    display_name: str = ""
    organisation: str = ""


class Accounts:
    def __init__(self, engine: Engine, settings: Settings, mailer: Mailer,
                 sessions: Sessions, seed: Callable[[str], object] | None = None) -> None:
        self.engine = engine
        self._settings = settings
        self.mailer = mailer
        self.sessions = sessions
        self._seed = seed  # a new project's shipped alert rules

    def seeded(self, made: CreatedOrg | None) -> None:
        """The shipped alert rules for the project of an organisation just made (after
        its transaction committed: they are written by the alert repository's own)."""
        if made is not None and self._seed is not None:
            self._seed(made.tenant)

    def signup(self, form: SignUp, ip: str = "") -> tuple[str, str]:
        """An unverified user and a mailed code; (login, e-mail). Forbidden when sign-up
        is off, InvalidQuery naming each bad field, Conflict naming what is taken."""
        if not self._settings.signup:
            raise Forbidden("sign-up is off on this server: ask an organisation admin for "
                            "an invitation")
        login, email = form.login.strip(), form.email.strip().lower()
        problems = [f"login: {p}" for p in login_problems(login)]
        if not _EMAIL.match(email) or len(email) > 320:
            problems.append("email: must be an e-mail address (name@domain)")
        problems += [f"password: {p}" for p in password_problems(form.password)]
        if problems:
            raise InvalidQuery("; ".join(problems))
        self.sessions.limiter.hit("mail", ip)
        now = self.sessions.now_us()
        try:
            with self.engine.begin() as con:
                if con.execute(select(users.c.id).where(users.c.login == login)).first():
                    raise Conflict(f"login: the user id {login} is taken")
                if con.execute(select(users.c.id).where(users.c.email == email)).first():
                    raise Conflict(f"email: {email} already has an account (sign in, or "
                                   "reset its password)")
                user_id = con.execute(users.insert().values(
                    login=login, email=email, display_name=form.display_name.strip()[:256],
                    password_hash=hash_password(form.password), is_operator=False,
                    failed_logins=0, created_us=now).returning(users.c.id)).scalar_one()
                code = codes.issue(con, user_id, "verify", now)
                # The organisation asked for waits here until the address is verified.
                audit.record(con, actor=login, action="auth.signup", target=email,
                             detail={"organisation": form.organisation.strip()[:256]},
                             ip=ip, at_us=now)
        except exc.IntegrityError as error:  # a sign-up of the same name at the same time
            raise Conflict("login: the user id or e-mail was just taken") from error
        self._mail_code(email, login, code, "verify")
        return login, email

    def verify(self, login: str, code: str, ip: str = "", user_agent: str = "") -> Opened:
        """Check the code; the user is verified and signed in (InvalidQuery naming
        ``code`` when it is wrong, expired or used up)."""
        self.sessions.limiter.hit("code", ip)
        now = self.sessions.now_us()
        made: CreatedOrg | None = None
        with self.engine.begin() as con:
            user = find_user(con, login)
            if user is None:
                raise InvalidQuery("code: no code is waiting for this user id")
            outcome = codes.check(con, user.id, "verify", code, now)
            if outcome == "ok":
                con.execute(update(users).where(users.c.id == user.id)
                            .values(verified_us=user.verified_us or now, last_login_us=now))
                made = self.first_org(con, user.id, user.login, now) \
                    if user.verified_us is None else None
                audit.record(con, actor=user.login, action="auth.verify", target=user.email,
                             org_id=made.id if made else None, ip=ip, at_us=now)
                opened = self.sessions.open(con, user.id, user.login, ip, user_agent, now)
            left = codes.tries_left(con, user.id, "verify", now)
        if outcome != "ok":
            raise _code_refused(outcome, left)
        self.seeded(made)
        return opened

    def resend(self, login: str, ip: str = "") -> None:
        """A new verification code for an unverified user (the old one void); nothing
        when there is no such user or they are verified."""
        self.sessions.limiter.hit("mail", ip)
        now = self.sessions.now_us()
        with self.engine.begin() as con:
            user = find_user(con, login)
            if user is None or user.verified_us is not None:
                return
            code = codes.issue(con, user.id, "verify", now)
        self._mail_code(user.email, user.login, code, "verify")

    def forgot(self, login: str, ip: str = "") -> None:
        """Mail a reset code when the user exists; the same answer when not."""
        self.sessions.limiter.hit("mail", ip)
        now = self.sessions.now_us()
        with self.engine.begin() as con:
            user = find_user(con, login)
            if user is None or user.disabled_us is not None:
                return
            code = codes.issue(con, user.id, "reset", now)
            audit.record(con, actor=user.login, action="auth.reset_requested", ip=ip,
                         at_us=now)
        try:
            self._mail_code(user.email, user.login, code, "reset")
        except MailFailed:  # logged by the mailer; the answer tells nothing
            return

    def reset(self, login: str, code: str, password: str, ip: str = "") -> None:
        """A new password with a reset code; every session of the user ends (and a
        lockout is lifted)."""
        problems = password_problems(password)
        if problems:
            raise InvalidQuery("; ".join(f"password: {p}" for p in problems))
        self.sessions.limiter.hit("code", ip)
        now = self.sessions.now_us()
        with self.engine.begin() as con:
            user = find_user(con, login)
            if user is None:
                raise InvalidQuery("code: no code is waiting for this user id")
            outcome = codes.check(con, user.id, "reset", code, now)
            if outcome == "ok":
                con.execute(update(users).where(users.c.id == user.id).values(
                    password_hash=hash_password(password), failed_logins=0,
                    locked_until_us=None))
                ended = end_sessions(con, user.id)
                audit.record(con, actor=user.login, action="auth.reset",
                             detail={"sessions_ended": ended}, ip=ip, at_us=now)
            left = codes.tries_left(con, user.id, "reset", now)
        if outcome != "ok":
            raise _code_refused(outcome, left)

    def change_password(self, principal: Principal, current: str, password: str,
                        session_id: str | None, ip: str = "") -> None:
        """The signed-in user's new password (the current one required); their other
        sessions end."""
        if principal.user_id is None:
            raise Forbidden("only a signed-in user changes their password")
        self.sessions.limiter.hit("login", ip)
        problems = password_problems(password)
        if problems:
            raise InvalidQuery("; ".join(f"password: {p}" for p in problems))
        now = self.sessions.now_us()
        with self.engine.begin() as con:
            user = con.execute(select(users).where(users.c.id == principal.user_id)).one()
            ok, _ = check_password(user.password_hash, current)
            if not ok:
                raise InvalidQuery("current: wrong password")
            con.execute(update(users).where(users.c.id == user.id)
                        .values(password_hash=hash_password(password)))
            ended = end_sessions(con, user.id, keep=session_id)
            audit.record(con, actor=user.login, action="auth.password",
                         org_id=principal.org_id, detail={"sessions_ended": ended}, ip=ip,
                         at_us=now)

    def first_org(self, con: Connection, user_id: int, login: str,
                  now_us: int) -> CreatedOrg | None:
        """At the first verification: an organisation of their own, owner (unless an
        invitation made them a member already), in the caller's transaction."""
        if con.execute(select(memberships.c.org_id)
                       .where(memberships.c.user_id == user_id).limit(1)).first():
            return None  # came through an invitation: already a member
        asked = con.execute(
            select(audit_log.c.detail).where(audit_log.c.actor == login,
                                             audit_log.c.action == "auth.signup")
            .order_by(audit_log.c.id.desc()).limit(1)).scalar()
        name = (json.loads(asked) if asked else {}).get("organisation") or login
        org = create_org(con, name, user_id, self._settings.trial_days, now_us)
        audit.record(con, actor=login, action="org.create", org_id=org.id, target=org.slug,
                     detail={"name": name, "trial_days": self._settings.trial_days},
                     at_us=now_us)
        return org

    def _mail_code(self, email: str, login: str, code: str, purpose: codes.Purpose) -> None:
        if purpose == "verify":
            subject = f"Your Bongsu verification code: {code}"
            text = (f"Hello {login},\n\nyour code to verify this address is {code}. It is "
                    f"valid for {CODE_MINUTES} minutes.\n\nIf you did not sign up for Bongsu, "
                    "ignore this mail.")
        else:
            subject = f"Your Bongsu password reset code: {code}"
            text = (f"Hello {login},\n\nyour code to choose a new password is {code}. It is "
                    f"valid for {CODE_MINUTES} minutes.\n\nIf you did not ask for it, ignore "
                    "this mail: your password stays as it is.")
        self.mailer.send(email, subject, text)


def _code_refused(outcome: codes.Outcome, left: int) -> InvalidQuery:
    if outcome == "wrong" and left:
        return InvalidQuery(f"code: wrong ({left} {'try' if left == 1 else 'tries'} left)")
    if outcome == "wrong":
        return InvalidQuery("code: wrong, and that was the last try: ask for a new code")
    return InvalidQuery(f"code: expired or used up (a code lives {CODE_MINUTES} minutes and "
                        f"takes {codes.TRIES} tries): ask for a new one")
