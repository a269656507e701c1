"""Password reset and change through a real server: ``forgot`` tells nothing about who
exists, the mailed code sets a new password and ends every session of the user; codes
expire after five minutes on a driven clock, and a new code voids the old."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from accounts.clock import services
from accounts.conftest import PASSWORD, AccountsServer, accounts_env, code_for, detail, mails_to
from alerts.receivers import SmtpReceiver
from bongsu.accounts import codes
from bongsu.accounts.tables import codes as code_rows
from bongsu.accounts.users import SignUp
from bongsu.errors import InvalidQuery
from bongsu.settings import Settings

NEW = "Brand-New-Pass-2"


def test_reset_ends_every_session(accounts_server: AccountsServer) -> None:
    smtp = accounts_server.smtp
    first = accounts_server.sign_up("ANA")
    second = accounts_server.sign_in("ANA")
    http = accounts_server.client()
    # The same 202 for a user that exists and one that does not; mail only to the first.
    for login in ("ANA", "ana@example.net", "NOBODY", "nobody@example.net"):
        answer = http.post("/api/v1/auth/password/forgot", json={"login": login})
        assert (answer.status_code, answer.json()) == (202, {"expires_s": 300})
    assert [m.rcpt_tos for m in smtp.mails()][1:] == [["ana@example.net"]] * 2
    code = code_for(smtp, "ana@example.net", after=2)  # the second voided the first
    assert "reset" in mails_to(smtp, "ana@example.net")[2].subject

    weak = http.post("/api/v1/auth/password/reset", json={
        "login": "ANA", "code": code, "password": "weakpass"})
    assert weak.status_code == 400 and detail(weak) == (
        "password: needs an upper-case letter; password: needs a digit; "
        "password: needs a special character (not a letter or digit)")
    done = http.post("/api/v1/auth/password/reset", json={
        "login": "ANA", "code": code, "password": NEW})
    assert done.status_code == 204, done.text
    for ended in (first, second):
        assert ended.get("/api/v1/auth/session").status_code == 401
    old = http.post("/api/v1/auth/login", json={"login": "ANA", "password": PASSWORD})
    assert old.status_code == 401
    assert accounts_server.sign_in("ANA", NEW).get("/api/v1/auth/session").status_code == 200
    again = http.post("/api/v1/auth/password/reset", json={
        "login": "ANA", "code": code, "password": PASSWORD})
    assert again.status_code == 400 and "expired or used up" in detail(again)


def test_change_password_needs_the_current_one(accounts_server: AccountsServer) -> None:
    ana = accounts_server.sign_up("BEA")
    other = accounts_server.sign_in("BEA")
    wrong = ana.post("/api/v1/auth/password", json={"current": "Not-it-1", "password": NEW})
    assert wrong.status_code == 400 and detail(wrong) == "current: wrong password"
    weak = ana.post("/api/v1/auth/password", json={"current": PASSWORD, "password": "x"})
    assert weak.status_code == 400 and detail(weak).startswith("password: needs at least 8")
    ok = ana.post("/api/v1/auth/password", json={"current": PASSWORD, "password": NEW})
    assert ok.status_code == 204
    assert ana.get("/api/v1/auth/session").status_code == 200  # this session stays
    assert other.get("/api/v1/auth/session").status_code == 401  # the others end
    assert accounts_server.sign_in("BEA", NEW).get("/api/v1/auth/session").status_code == 200


def test_codes_expire_after_five_minutes(meta_url: str, smtp: SmtpReceiver) -> None:
    s = services(meta_url, Settings.from_env(accounts_env(smtp)))
    s.accounts.signup(SignUp("CARL", "carl@example.net", PASSWORD))
    code_for(smtp, "carl@example.net")
    s.clock.advance(5 * 60 - 0.001)
    s.accounts.resend("CARL")  # a new code, at 4:59.999
    fresh = code_for(smtp, "carl@example.net", after=1)
    with s.engine.connect() as con:
        rows = con.execute(select(code_rows).order_by(code_rows.c.id)).all()
    assert [r.used_us is not None for r in rows] == [True, False]  # the old one voided
    s.clock.advance(5 * 60)  # the fresh one's five minutes are over too
    with pytest.raises(InvalidQuery, match="code: expired or used up"):
        s.accounts.verify("CARL", fresh)

    s.accounts.resend("CARL")
    latest = code_for(smtp, "carl@example.net", after=2)
    s.clock.advance(5 * 60 - 1)
    assert s.accounts.verify("CARL", latest).login == "CARL"

    # A reset code lives five minutes as well.
    s.accounts.forgot("CARL")
    reset = code_for(smtp, "carl@example.net", after=3)
    s.clock.advance(5 * 60)
    with pytest.raises(InvalidQuery, match="code: expired or used up"):
        s.accounts.reset("CARL", reset, NEW)


def test_a_code_is_six_digits_stored_hashed(meta_url: str, smtp: SmtpReceiver) -> None:
    s = services(meta_url, Settings.from_env(accounts_env(smtp)))
    s.accounts.signup(SignUp("DORA", "dora@example.net", PASSWORD))
    with s.engine.begin() as con:
        user_id = con.execute(select(code_rows.c.user_id)).scalar_one()
        made = [codes.issue(con, user_id, "verify", 0) for _ in range(50)]
        stored = con.execute(select(code_rows.c.code_hash)).scalars().all()
    assert all(len(c) == 6 and c.isdigit() for c in made)
    assert not set(made) & set(stored) and all(len(h) == 64 for h in stored)
