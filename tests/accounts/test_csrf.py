"""CSRF through a real server: a session's unsafe request is refused without the header
and with a wrong one, and accepted with the token the session was given; reads need none."""

from __future__ import annotations

from accounts.conftest import CSRF_HEADER, PASSWORD, AccountsServer, detail

CHANGE = {"current": PASSWORD, "password": "Another-Pass-3"}


def test_csrf_header_needed_on_unsafe_methods(accounts_server: AccountsServer) -> None:
    ana = accounts_server.sign_up("ANA")
    token = ana.headers.pop(CSRF_HEADER)
    assert ana.get("/api/v1/auth/session").status_code == 200  # a read needs none

    missing = ana.post("/api/v1/auth/password", json=CHANGE)
    assert missing.status_code == 403 and detail(missing).startswith("CSRF check failed")
    wrong = ana.post("/api/v1/auth/password", json=CHANGE, headers={CSRF_HEADER: token[:-2]})
    assert wrong.status_code == 403 and detail(wrong).startswith("CSRF check failed")
    other = accounts_server.sign_up("BOB")  # another session's token is not this one's
    stolen = ana.post("/api/v1/auth/password", json=CHANGE,
                      headers={CSRF_HEADER: other.headers[CSRF_HEADER]})
    assert stolen.status_code == 403
    # A cross-site sign-out is refused too: the session lives on.
    assert ana.post("/api/v1/auth/logout").status_code == 403
    assert ana.get("/api/v1/auth/session").status_code == 200

    right = ana.post("/api/v1/auth/password", json=CHANGE, headers={CSRF_HEADER: token})
    assert right.status_code == 204, right.text
    assert accounts_server.sign_in("ANA", CHANGE["password"]).get(
        "/api/v1/auth/session").status_code == 200
