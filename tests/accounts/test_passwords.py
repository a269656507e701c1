"""The account policy (user ids, passwords) and the argon2id hashes; the same sentences
in the 400 of a real server and in its /auth/policy."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from accounts.conftest import AccountsServer, detail
from bongsu.accounts.passwords import (
    LOGIN_PATTERN,
    PASSWORD_RULES,
    check_password,
    hash_password,
    login_problems,
    password_problems,
    random_password,
)


@pytest.mark.parametrize(("password", "broken"), [
    ("Abcdef1!", []),
    ("Ab1!", ["at least 8 characters (at most 128)"]),
    ("abcdefg1!", ["an upper-case letter"]),
    ("ABCDEFG1!", ["a lower-case letter"]),
    ("Abcdefgh!", ["a digit"]),
    ("Abcdefgh1", ["a special character (not a letter or digit)"]),
    ("", ["at least 8 characters (at most 128)", "an upper-case letter",
          "a lower-case letter", "a digit", "a special character (not a letter or digit)"]),
    ("Aa1!" * 33, ["at least 8 characters (at most 128)"]),
    ("Ünïcödé 9", []),  # non-ASCII letters count as letters, the space as special
])
def test_each_broken_password_rule_is_named(password: str, broken: list[str]) -> None:
    assert password_problems(password) == [f"needs {rule}" for rule in broken]
    assert set(broken) <= set(PASSWORD_RULES)


@pytest.mark.parametrize(("login", "ok"), [
    ("ANA", True), ("A_1", True), ("X" * 32, True), ("AB", False), ("X" * 33, False),
    ("ana", False), ("ANA-1", False), ("ANA 1", False), ("ÄNA", False), ("", False),
])
def test_user_ids(login: str, ok: bool) -> None:
    assert (login_problems(login) == []) is ok
    assert LOGIN_PATTERN == "^[A-Z0-9_]{3,32}$"


def test_argon2id_hashes_and_rehash() -> None:
    stored = hash_password("Abcdef1!")
    assert stored.startswith("$argon2id$") and "Abcdef1!" not in stored
    assert check_password(stored, "Abcdef1!") == (True, False)
    assert check_password(stored, "Abcdef1?") == (False, False)
    assert check_password(None, "Abcdef1!") == (False, False)  # no such user
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("Abcdef1!")
    assert check_password(weak, "Abcdef1!") == (True, True)  # re-hashed at the sign-in


def test_random_passwords_pass_the_policy() -> None:
    made = {random_password() for _ in range(200)}
    assert len(made) == 200 and all(password_problems(p) == [] for p in made)


def test_the_server_names_every_broken_rule(accounts_server: AccountsServer) -> None:
    http = accounts_server.client()
    policy = http.get("/api/v1/auth/policy").json()
    assert policy == {"mode": "accounts", "login_pattern": LOGIN_PATTERN,
                      "login_rules": policy["login_rules"], "password_rules": PASSWORD_RULES,
                      "signup": True, "oidc": {"enabled": False, "name": "Single sign-on"}}
    answer = http.post("/api/v1/auth/signup", json={
        "login": "bad id", "email": "nowhere", "password": "short"})
    assert answer.status_code == 400
    assert detail(answer) == "; ".join([
        f"login: needs {policy['login_rules'][0]}",
        "email: must be an e-mail address (name@domain)",
        *(f"password: needs {rule}" for rule in (
            PASSWORD_RULES[0], PASSWORD_RULES[1], PASSWORD_RULES[3], PASSWORD_RULES[4])),
    ])
    unknown = http.post("/api/v1/auth/signup", json={
        "login": "ANA", "email": "a@b.c", "password": "Abcdef1!", "admin": True})
    assert unknown.status_code == 400 and "admin" in detail(unknown)
    assert accounts_server.smtp.mails() == []  # nothing refused was mailed
