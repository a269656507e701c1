"""Fixtures of the accounts tests: a real accounts-mode server with a real SMTP server
(aiosmtpd on loopback, STARTTLS and login), and a way to become a signed-in user of it.

``signed_up(server, mail, "ANA")`` goes the way a person does: sign up, read the code in
the mail the SMTP server received, verify, and returns an ``httpx.Client`` carrying the
session cookies and the CSRF header (``client.get("/api/v1/auth/session")``).

Example::

    def test_something(accounts_server: AccountsServer) -> None:
        ana = accounts_server.sign_up("ANA")
        assert ana.get("/api/v1/auth/session").json()["user"]["login"] == "ANA"
        admin = accounts_server.admin()          # the first operator, owner of `default`
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import Engine

from agent.services import postgres_server
from alerts.receivers import Mail, SmtpReceiver
from bongsu.meta.database import connect
from server_process import ServerProcess

PASSWORD = "Correct-Horse-9"  # passes the policy
ADMIN_PASSWORD = "Operator-Pass-1"
SMTP_USER, SMTP_PASSWORD = "bongsu", "smtp-pw"
CSRF_HEADER = "X-CSRF-Token"


def accounts_env(smtp: SmtpReceiver, **extra: str) -> dict[str, str]:
    """The environment of an accounts-mode server that mails through ``smtp``: sign-up
    on, the first operator's password known, the per-address limit out of the way (its
    own test sets it back)."""
    return {
        "BONGSU_AUTH": "accounts", "BONGSU_SIGNUP": "true",
        "BONGSU_SMTP_HOST": "127.0.0.1", "BONGSU_SMTP_PORT": str(smtp.port),
        "BONGSU_SMTP_USERNAME": SMTP_USER, "BONGSU_SMTP_PASSWORD": SMTP_PASSWORD,
        "BONGSU_SMTP_FROM": "bongsu@example.net", "BONGSU_SMTP_CA_FILE": str(smtp.cert),
        "BONGSU_ADMIN_PASSWORD": ADMIN_PASSWORD, "BONGSU_AUTH_ATTEMPTS_PER_MINUTE": "10000",
        "BONGSU_ALERTS": "false", "BONGSU_CHECKS": "false",
        **extra,
    }


def client(server: ServerProcess) -> httpx.Client:
    """A client of the server's API, not signed in."""
    return httpx.Client(base_url=server.api_url, timeout=30)


def signed(http: httpx.Client) -> httpx.Client:
    """``http`` (just signed in) sending the CSRF token back as the console does."""
    http.headers[CSRF_HEADER] = http.cookies["bongsu_csrf"]
    return http


def code_for(smtp: SmtpReceiver, email: str, after: int = 0, timeout: float = 30) -> str:
    """The six digits of the first mail to ``email`` after the first ``after`` of them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mails = mails_to(smtp, email)
        if len(mails) > after:
            found = re.search(r"\b(\d{6})\b", mails[after].text)
            assert found, mails[after].text
            return found.group(1)
        time.sleep(0.05)
    raise AssertionError(f"no mail #{after + 1} to {email} within {timeout} s")


def mails_to(smtp: SmtpReceiver, email: str) -> list[Mail]:
    return [m for m in smtp.mails() if email in m.rcpt_tos]


@dataclass
class AccountsServer:
    """A running accounts-mode server, its SMTP server, and ways to become its users."""

    server: ServerProcess
    smtp: SmtpReceiver

    @property
    def url(self) -> str:
        return self.server.api_url

    def client(self) -> httpx.Client:
        return client(self.server)

    def sign_up(self, login: str, email: str | None = None, password: str = PASSWORD,
                organisation: str = "") -> httpx.Client:
        """Sign up, read the code from the mail, verify: a signed-in client (the user owns
        a new organisation)."""
        email = email or f"{login.lower()}@example.net"
        http = self.client()
        seen = len(mails_to(self.smtp, email))
        answer = http.post("/api/v1/auth/signup", json={
            "login": login, "email": email, "password": password,
            "organisation": organisation})
        assert answer.status_code == 201, answer.text
        code = code_for(self.smtp, email, after=seen)
        answer = http.post("/api/v1/auth/verify", json={"login": login, "code": code})
        assert answer.status_code == 200, answer.text
        return signed(http)

    def sign_in(self, login: str, password: str = PASSWORD) -> httpx.Client:
        http = self.client()
        answer = http.post("/api/v1/auth/login", json={"login": login, "password": password})
        assert answer.status_code == 200, answer.text
        return signed(http)

    def admin(self) -> httpx.Client:
        """The first operator (ADMIN), owner of every organisation there was at start."""
        return self.sign_in("ADMIN", ADMIN_PASSWORD)


@pytest.fixture(scope="session")
def accounts_pg_port() -> Iterator[int]:
    """One throwaway PostgreSQL cluster for the accounts tests that run on both."""
    with postgres_server() as port:
        yield port


@pytest.fixture(params=["sqlite", "postgresql"])
def meta_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh metadata database: a SQLite file, then a database on a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'meta.sqlite'}"
    port = request.getfixturevalue("accounts_pg_port")
    name = "a_" + secrets.token_hex(4)
    with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres",
                         autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    return f"postgresql://postgres@127.0.0.1:{port}/{name}"


@pytest.fixture
def engine(meta_url: str) -> Iterator[Engine]:
    """An engine on ``meta_url``'s database, migrated to head."""
    made = connect(meta_url)
    yield made
    made.dispose()


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver(tmp_path, SMTP_USER, SMTP_PASSWORD)
    yield receiver
    receiver.stop()


@pytest.fixture
def start_accounts(
    server_factory: Callable[..., ServerProcess], smtp: SmtpReceiver,
) -> Callable[..., AccountsServer]:
    """Start an accounts-mode server (extra ``BONGSU_*`` settings as keywords)."""

    def start(name: str = "data", **env: str) -> AccountsServer:
        server = server_factory(accounts_env(smtp, **env), name=name).start()
        return AccountsServer(server, smtp)

    return start


@pytest.fixture
def accounts_server(start_accounts: Callable[..., AccountsServer]) -> AccountsServer:
    return start_accounts()


def detail(answer: httpx.Response) -> Any:
    return answer.json()["detail"]
