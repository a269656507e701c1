"""Sign-up through a real server: the code read from the mail a real SMTP server got,
verification, and the session it opens working on a read endpoint."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from accounts.conftest import PASSWORD, AccountsServer, code_for, detail, mails_to
from bongsu.alerts.defaults import default_rules


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
    # The organisation's project starts with the shipped alert rules, as every project does.
    rules = http.get("/api/v1/rules").json()["rules"]
    assert sorted(r["name"] for r in rules) == sorted(r.name for r in default_rules().values())

    # The code is used up; and sign-in by e-mail (any case) now works.
    again = http.post("/api/v1/auth/verify", json={"login": "ANA_1", "code": code})
    assert again.status_code == 400 and detail(again).startswith("code: expired or used up")
    other = accounts_server.client()
    ok = other.post("/api/v1/auth/login", json={"login": "ANA@example.net",
                                                "password": PASSWORD})
    assert ok.status_code == 200 and ok.json()["user"]["login"] == "ANA_1"


def test_taken_user_id_or_email_is_a_409_naming_which(accounts_server: AccountsServer) -> None:
    accounts_server.sign_up("BOB")
    http = accounts_server.client()
    taken = http.post("/api/v1/auth/signup", json={
        "login": "BOB", "email": "other@example.net", "password": PASSWORD})
    assert taken.status_code == 409 and detail(taken) == "login: the user id BOB is taken"
    taken = http.post("/api/v1/auth/signup", json={
        "login": "BOB2", "email": "BOB@example.net", "password": PASSWORD})
    assert taken.status_code == 409 and detail(taken).startswith(
        "email: bob@example.net already has an account")
    users = http.post("/api/v1/auth/login", json={"login": "BOB2", "password": PASSWORD})
    assert users.status_code == 401  # neither made a user


def test_five_wrong_codes_void_it_and_a_resend_voids_the_old(
        accounts_server: AccountsServer) -> None:
    smtp, http = accounts_server.smtp, accounts_server.client()
    assert http.post("/api/v1/auth/signup", json={
        "login": "CARL", "email": "carl@example.net", "password": PASSWORD}).status_code == 201
    code = code_for(smtp, "carl@example.net")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    messages = [detail(http.post("/api/v1/auth/verify", json={"login": "CARL", "code": wrong}))
                for _ in range(5)]
    assert messages == ["code: wrong (4 tries left)", "code: wrong (3 tries left)",
                        "code: wrong (2 tries left)", "code: wrong (1 try left)",
                        "code: wrong, and that was the last try: ask for a new code"]
    voided = http.post("/api/v1/auth/verify", json={"login": "CARL", "code": code})
    assert voided.status_code == 400 and detail(voided).startswith("code: expired or used up")

    assert http.post("/api/v1/auth/verify/resend", json={"login": "CARL"}).status_code == 202
    code_for(smtp, "carl@example.net", after=1)
    assert http.post("/api/v1/auth/verify/resend", json={"login": "CARL"}).status_code == 202
    third = code_for(smtp, "carl@example.net", after=2)
    assert http.post("/api/v1/auth/verify", json={"login": "CARL", "code": third}
                     ).status_code == 200
    # A resend for a verified or unknown user says the same and mails nothing.
    for login in ("CARL", "NOBODY"):
        assert http.post("/api/v1/auth/verify/resend", json={"login": login}
                         ).status_code == 202
    assert len(mails_to(smtp, "carl@example.net")) == 3


def test_signup_off_and_signup_without_smtp(
        start_accounts: Callable[..., AccountsServer], server_factory: Callable[..., Any],
) -> None:
    closed = start_accounts(BONGSU_SIGNUP="false")
    http = closed.client()
    assert http.get("/api/v1/auth/policy").json()["signup"] is False
    refused = http.post("/api/v1/auth/signup", json={
        "login": "DAN", "email": "dan@example.net", "password": PASSWORD})
    assert refused.status_code == 403 and "sign-up is off" in detail(refused)

    server = server_factory({"BONGSU_AUTH": "accounts", "BONGSU_SIGNUP": "true"}, name="nosmtp")
    with pytest.raises(RuntimeError, match="BONGSU_SIGNUP: sign-up mails a code, so it needs "
                                           "BONGSU_SMTP_HOST"):
        server.start()


def test_the_organisation_made_at_verification_has_the_trial(
        start_accounts: Callable[..., AccountsServer]) -> None:
    server = start_accounts(BONGSU_TRIAL_DAYS="15")
    before = time.time()
    ana = server.sign_up("TRIAL_ANA")  # no organisation named: after the user id
    org = ana.get("/api/v1/auth/session").json()["org"]
    assert org["name"] == "TRIAL_ANA" and org["read_only"] is False
    ends = org["trial_ends_us"] / 1e6
    assert before + 15 * 86_400 - 1 <= ends <= time.time() + 15 * 86_400
    # The first operator's organisation (the migrated default) has no trial.
    assert server.admin().get("/api/v1/auth/session").json()["org"]["trial_ends_us"] is None
