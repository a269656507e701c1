"""Sign-up through a real server: the code read from the mail a real SMTP server got,
verification, and the session it opens working on a read endpoint."""

from __future__ import annotations

from accounts.conftest import PASSWORD, AccountsServer, code_for, detail, mails_to


def test_signup_code_verify_and_the_session_reads(accounts_server: AccountsServer) -> None:
    http = accounts_server.client()
    answer = http.post("/api/v1/auth/signup", json={
        "login": "ANA_1", "email": "Ana@Example.NET", "password": PASSWORD,
        "display_name": "Ana", "organisation": "Ana's shop"})
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"login": "ANA_1", "email": "ana@example.net", "expires_s": 300}
    code = code_for(accounts_server.smtp, "ana@example.net")
    mail = mails_to(accounts_server.smtp, "ana@example.net")[0]
    assert mail.tls and code in mail.subject and "5 minutes" in mail.text

    # Not verified yet: the password is right, but sign-in is refused, naming why.
    refused = http.post("/api/v1/auth/login", json={"login": "ANA_1", "password": PASSWORD})
    assert refused.status_code == 403 and "not verified" in detail(refused)
    assert http.get("/api/v1/traces").status_code == 401

    verified = http.post("/api/v1/auth/verify", json={"login": "ANA_1", "code": code})
    assert verified.status_code == 200, verified.text
    session = verified.json()
    assert session["user"]["login"] == "ANA_1" and session["user"]["operator"] is False
    assert session["org"]["name"] == "Ana's shop" and session["org"]["role"] == "owner"
    assert session["projects"][0]["name"] == "default"
    assert session["project"] == session["projects"][0]["tenant"]
    assert http.get("/api/v1/auth/session").json() == session
    assert http.get("/api/v1/services").status_code == 200

    # The code is used up; and sign-in by e-mail (any case) now works.
    again = http.post("/api/v1/auth/verify", json={"login": "ANA_1", "code": code})
    assert again.status_code == 400 and detail(again).startswith("code: expired or used up")
    other = accounts_server.client()
    ok = other.post("/api/v1/auth/login", json={"login": "ANA@example.net",
                                                "password": PASSWORD})
    assert ok.status_code == 200 and ok.json()["user"]["login"] == "ANA_1"
