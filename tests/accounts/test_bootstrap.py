"""The first operator of a real server: made at the first start with a random password
printed once, which signs in; a restart prints nothing and keeps it."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from accounts.conftest import AccountsServer, accounts_env, signed
from alerts.receivers import SmtpReceiver
from server_process import ServerProcess

BANNER = re.compile(r"first operator created: user id (\w+), password (\S+)")


def test_first_start_prints_a_password_once(
        server_factory: Callable[..., ServerProcess], smtp: SmtpReceiver) -> None:
    env = accounts_env(smtp, BONGSU_ADMIN_PASSWORD="", BONGSU_ADMIN_LOGIN="ROOT_1",
                       BONGSU_ADMIN_EMAIL="Ops@Example.net")
    server = server_factory(env).start()
    found = BANNER.findall(server.log_path.read_text())
    assert len(found) == 1 and found[0][0] == "ROOT_1"
    password = found[0][1]
    assert len(password) == 20
    # Not in clear anywhere in the metadata database (its WAL included): a hash.
    meta = b"".join(p.read_bytes() for p in server.data_dir.glob("meta.sqlite*"))
    assert password.encode() not in meta and b"$argon2id$" in meta

    http = AccountsServer(server, smtp).client()
    answer = http.post("/api/v1/auth/login", json={"login": "ROOT_1", "password": password})
    assert answer.status_code == 200, answer.text
    session = answer.json()
    assert session["user"] == {"id": session["user"]["id"], "login": "ROOT_1",
                               "email": "ops@example.net", "display_name": "Operator",
                               "operator": True}
    assert session["org"]["slug"] == "default" and session["org"]["role"] == "owner"
    assert [o["role"] for o in session["orgs"]] == ["owner"] * len(session["orgs"])
    assert signed(http).get("/api/v1/services").status_code == 200

    server.stop()
    server.start()
    log = server.log_path.read_text()
    assert len(BANNER.findall(log)) == 1 and log.count("first operator created") == 1
    again = AccountsServer(server, smtp).client().post(
        "/api/v1/auth/login", json={"login": "ROOT_1", "password": password})
    assert again.status_code == 200


def test_a_password_set_by_the_operator_is_not_printed(
        server_factory: Callable[..., ServerProcess], smtp: SmtpReceiver) -> None:
    server = server_factory(accounts_env(smtp, BONGSU_ADMIN_PASSWORD="Set-By-Ops-7")).start()
    log = server.log_path.read_text()
    assert "first operator created: ADMIN (password from BONGSU_ADMIN_PASSWORD)" in log
    assert "Set-By-Ops-7" not in log
    assert AccountsServer(server, smtp).sign_in("ADMIN", "Set-By-Ops-7")


def test_a_weak_operator_password_stops_the_start(
        server_factory: Callable[..., ServerProcess], smtp: SmtpReceiver) -> None:
    server = server_factory(accounts_env(smtp, BONGSU_ADMIN_PASSWORD="password"))
    with pytest.raises(RuntimeError, match="BONGSU_ADMIN_PASSWORD: needs an upper-case "
                                           "letter; needs a digit"):
        server.start()
