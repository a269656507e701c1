"""Sign-in through a real server: the cookies and their attributes, one answer for an
unknown user and a wrong password, the lockout after five wrong passwords, the limit per
client address, sign-out ending the session at once; the lockout's end on a driven clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from http.cookies import SimpleCookie

import httpx
import pytest

from accounts.clock import services
from accounts.conftest import PASSWORD, AccountsServer, accounts_env, code_for, detail
from alerts.receivers import SmtpReceiver
from bongsu.accounts.sessions import LOCK_AFTER
from bongsu.accounts.users import SignUp
from bongsu.errors import RateLimited, Unauthorized
from bongsu.settings import Settings
from server_process import ServerProcess


def test_cookies_and_their_attributes(accounts_server: AccountsServer) -> None:
    accounts_server.sign_up("ANA")
    http = accounts_server.client()
    answer = http.post("/api/v1/auth/login", json={"login": "ANA", "password": PASSWORD})
    assert answer.status_code == 200 and answer.json()["user"]["login"] == "ANA"
    cookies = {}
    for line in answer.headers.get_list("set-cookie"):
        cookies.update(SimpleCookie(line))
    session, csrf = cookies["bongsu_session"], cookies["bongsu_csrf"]
    assert session["httponly"] is True and csrf["httponly"] == ""  # the console reads it
    for cookie in (session, csrf):
        assert (cookie["samesite"], cookie["path"], cookie["secure"]) == ("lax", "/", "")
        assert int(cookie["max-age"]) == 12 * 3600  # BONGSU_SESSION_HOURS
    assert len(session.value) >= 32 and session.value != csrf.value
    assert answer.headers["cache-control"] == "no-store"


def test_cookies_are_secure_when_the_setting_says(
        start_accounts: Callable[..., AccountsServer]) -> None:
    server = start_accounts(BONGSU_COOKIE_SECURE="true")
    answer = server.client().post("/api/v1/auth/login", json={
        "login": "ADMIN", "password": "Operator-Pass-1"})
    assert answer.status_code == 200
    lines = answer.headers.get_list("set-cookie")
    assert len(lines) == 2 and all("; secure" in line.lower() for line in lines)


def test_unknown_user_and_wrong_password_answer_alike(accounts_server: AccountsServer) -> None:
    accounts_server.sign_up("BEA")
    http = accounts_server.client()
    unknown = http.post("/api/v1/auth/login", json={"login": "NOBODY", "password": PASSWORD})
    wrong = http.post("/api/v1/auth/login", json={"login": "BEA", "password": PASSWORD + "x"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json() == {"detail": "wrong user id, e-mail or password"}
    assert "set-cookie" not in unknown.headers and "set-cookie" not in wrong.headers


def test_lockout_after_five_wrong_passwords(accounts_server: AccountsServer) -> None:
    carl = accounts_server.sign_up("CARL")  # owner of his organisation
    http = accounts_server.client()

    def attempt(password: str) -> tuple[int, str, str | None]:
        answer = http.post("/api/v1/auth/login", json={"login": "CARL", "password": password})
        return answer.status_code, detail(answer) if answer.status_code != 200 else "", \
            answer.headers.get("retry-after")

    # Four wrong, then a good one resets the count.
    assert [attempt("Wrong-pass-1")[0] for _ in range(4)] == [401] * 4
    assert attempt(PASSWORD)[0] == 200
    assert [attempt("Wrong-pass-1")[0] for _ in range(LOCK_AFTER - 1)] == [401] * 4
    status, message, retry = attempt("Wrong-pass-1")  # the fifth in a row
    assert status == 429 and "CARL is locked after 5 wrong passwords in a row, until " in message
    assert retry is not None and 890 <= int(retry) <= 900
    # Locked: even the right password is refused, until the time said.
    status, message, retry = attempt(PASSWORD)
    assert status == 429 and "until" in message and retry is not None and int(retry) > 880
    # His organisation's audit log has each failure and the lockout.
    audit = carl.get("/api/v1/audit", params={"actor": "CARL"})
    assert audit.status_code == 200, audit.text
    actions = [e["action"] for e in audit.json()["entries"]]
    assert actions.count("auth.login_failed") == 9 and actions.count("auth.lockout") == 1
    assert actions.count("auth.login") == 1 and actions.count("auth.verify") == 1


def test_locked_user_signs_in_again_after_fifteen_minutes(
        meta_url: str, smtp: SmtpReceiver) -> None:
    env = accounts_env(smtp)
    s = services(meta_url, Settings.from_env(env))
    s.accounts.signup(SignUp("DORA", "dora@example.net", PASSWORD))
    s.accounts.verify("DORA", code_for(smtp, "dora@example.net"))
    sessions = s.accounts.sessions
    for _ in range(LOCK_AFTER - 1):
        with pytest.raises(Unauthorized):
            sessions.login("DORA", "Wrong-pass-1")
    with pytest.raises(RateLimited) as locked:
        sessions.login("DORA", "Wrong-pass-1")
    assert locked.value.retry_after == 900
    s.clock.advance(899)
    with pytest.raises(RateLimited) as still:
        sessions.login("DORA", PASSWORD)
    assert still.value.retry_after == 1
    s.clock.advance(1)
    assert sessions.login("DORA", PASSWORD).login == "DORA"
    # The count started again from zero.
    for _ in range(LOCK_AFTER - 1):
        with pytest.raises(Unauthorized):
            sessions.login("DORA", "Wrong-pass-1")
    assert sessions.login("DORA", PASSWORD).login == "DORA"


def test_attempts_per_client_address(start_accounts: Callable[..., AccountsServer]) -> None:
    server = start_accounts(BONGSU_AUTH_ATTEMPTS_PER_MINUTE="10")
    http = server.client()
    started = time.monotonic()
    statuses = [http.post("/api/v1/auth/login", json={
        "login": f"NOBODY_{i}", "password": PASSWORD}).status_code for i in range(11)]
    assert time.monotonic() - started < 50  # all in the same minute
    assert statuses == [401] * 10 + [429]
    limited = http.post("/api/v1/auth/login", json={"login": "ADMIN",
                                                   "password": "Operator-Pass-1"})
    assert limited.status_code == 429 and "too many attempts from 127.0.0.1" in detail(limited)
    assert 1 <= int(limited.headers["retry-after"]) <= 60


def test_logout_ends_the_session_at_once(accounts_server: AccountsServer) -> None:
    ana = accounts_server.sign_up("ELLA")
    other = accounts_server.sign_in("ELLA")
    kept = dict(ana.cookies)
    assert ana.get("/api/v1/auth/session").status_code == 200
    out = ana.post("/api/v1/auth/logout")
    assert out.status_code == 204
    assert all("max-age=0" in line.lower() for line in out.headers.get_list("set-cookie"))
    # The old cookie, sent again by anyone, is refused; the other session lives on.
    replay = accounts_server.client()
    for name, value in kept.items():
        replay.cookies.set(name, value)
    ended = replay.get("/api/v1/auth/session")
    assert ended.status_code == 401 and detail(ended) == "the session has ended: sign in again"
    assert other.get("/api/v1/auth/session").status_code == 200


def test_single_user_mode_has_one_user_and_nothing_to_sign_in_to(
        server_factory: Callable[..., ServerProcess]) -> None:
    server = server_factory().start()  # single-user, on loopback
    http = httpx.Client(base_url=server.api_url, timeout=30)
    assert http.get("/api/v1/auth/policy").json()["mode"] == "single-user"
    session = http.get("/api/v1/auth/session")
    assert session.status_code == 200 and "set-cookie" not in session.headers
    assert session.json()["mode"] == "single-user"
    assert session.json()["org"]["role"] == "owner" and session.json()["project"] == "default"
    refused = http.post("/api/v1/auth/login", json={"login": "ADMIN", "password": PASSWORD})
    assert refused.status_code == 403 and "single-user mode" in detail(refused)
    assert "first operator" not in server.log_path.read_text()  # no account made
