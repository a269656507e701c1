"""Invitations on a real accounts-mode server that mails through a real SMTP server
(aiosmtpd on loopback, STARTTLS and login): an admin invites an address with a role at
most their own, the token (``bsi_…``) shown once and e-mailed in the console's link; the
invited person signs up with that address, verifies it, and accepting joins them with
the role and switches their session. A wrong address is a 403 naming the invited one; an
accepted, revoked or expired token a 410 saying which; an unknown one a 404; another
organisation's invitation is not found. Without SMTP the answer says it was not sent.
Two acceptances of one invitation at once join once, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import Engine, update

from accounts.conftest import AccountsServer, detail, mails_to
from accounts.people import People, request
from bongsu.accounts import invitations as inv
from bongsu.accounts.audit import By
from bongsu.accounts.principal import Principal
from bongsu.accounts.roles import Role
from bongsu.accounts.tables import invitations
from bongsu.errors import Conflict, Gone
from bongsu.meta.database import connect
from server_process import ServerProcess

CONSOLE = "https://bongsu.example.net"


def invite(http: httpx.Client, email: str, role: str = "editor") -> httpx.Response:
    return http.post("/api/v1/org/invitations", json={"email": email, "role": role})


def test_invite_mail_accept_and_spent_tokens(start_accounts: object) -> None:
    server: AccountsServer = start_accounts(BONGSU_CONSOLE_URL=CONSOLE)  # type: ignore[operator]
    ana = server.sign_up("ANA", organisation="Ana Works")
    org = ana.get("/api/v1/org").json()

    answer = invite(ana, "Bob@Example.net")
    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert (made["email"], made["role"], made["state"], made["emailed"]) == (
        "bob@example.net", "editor", "pending", True)
    assert made["token"].startswith("bsi_") and made["email_error"] is None
    assert made["link"] == f"{CONSOLE}/#/accept?token={made['token']}"
    mails = mails_to(server.smtp, "bob@example.net")
    assert len(mails) == 1 and mails[0].tls, mails
    assert made["link"] in mails[0].text and "Ana Works" in mails[0].subject
    listed = ana.get("/api/v1/org/invitations").json()["invitations"]
    assert [(i["email"], i["state"], i["invited_by"]) for i in listed] == [
        ("bob@example.net", "pending", "ANA")]
    assert "token" not in listed[0]

    # Bob signs up with the invited address; the token from the mail joins him.
    bob = server.sign_up("BOB", email="bob@example.net")
    token = parse_qs(urlsplit(re.findall(r"https://\S+", mails[0].text)[0]).fragment
                     .partition("?")[2])["token"][0]
    answer = bob.post("/api/v1/invitations/accept", json={"token": token})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["org"]["id"], answer.json()["org"]["role"]) == (org["id"], "editor")
    current = bob.get("/api/v1/auth/session").json()
    assert current["org"]["id"] == org["id"], current
    members = {m["login"]: m["role"] for m in ana.get("/api/v1/org/members").json()["members"]}
    assert members == {"ANA": "owner", "BOB": "editor"}

    again = bob.post("/api/v1/invitations/accept", json={"token": token})
    assert again.status_code == 410 and "already accepted" in detail(again), again.text
    unknown = bob.post("/api/v1/invitations/accept", json={"token": "bsi_nothing"})
    assert unknown.status_code == 404, unknown.text

    # Another address's invitation is not Bob's to take.
    carl_invite = invite(ana, "carl@example.net", "viewer").json()
    refused = bob.post("/api/v1/invitations/accept", json={"token": carl_invite["token"]})
    assert refused.status_code == 403, refused.text
    assert "carl@example.net" in detail(refused) and "bob@example.net" in detail(refused)

    # Revoked, and expired.
    dee_invite = invite(ana, "dee@example.net").json()
    gone = ana.delete(f"/api/v1/org/invitations/{dee_invite['id']}")
    assert gone.status_code == 204, gone.text
    assert ana.delete(f"/api/v1/org/invitations/{dee_invite['id']}").status_code == 409
    dee = server.sign_up("DEE", email="dee@example.net")
    answer = dee.post("/api/v1/invitations/accept", json={"token": dee_invite["token"]})
    assert answer.status_code == 410 and "revoked" in detail(answer), answer.text
    eve_invite = invite(ana, "eve@example.net").json()
    engine = connect(f"sqlite:///{server.server.data_dir / 'meta.sqlite'}")
    with engine.begin() as con:
        con.execute(update(invitations).where(invitations.c.id == eve_invite["id"])
                    .values(expires_us=1))
    engine.dispose()
    eve = server.sign_up("EVE", email="eve@example.net")
    answer = eve.post("/api/v1/invitations/accept", json={"token": eve_invite["token"]})
    assert answer.status_code == 410 and "expired on 1970-01-01" in detail(answer), answer.text
    states = {i["email"]: i["state"] for i in ana.get("/api/v1/org/invitations").json()[
        "invitations"]}
    assert states == {"bob@example.net": "accepted", "carl@example.net": "pending",
                      "dee@example.net": "revoked", "eve@example.net": "expired"}

    # Dee owns an organisation of her own; Ana's invitation ids are not found there.
    answer = dee.delete(f"/api/v1/org/invitations/{carl_invite['id']}")
    assert answer.status_code == 404, answer.text

    # An editor invites nobody; an admin up to admin, not owner.
    assert invite(bob, "fay@example.net").status_code == 403
    bob_id = members_id(ana, "BOB")
    assert ana.patch(f"/api/v1/org/members/{bob_id}", json={"role": "admin"}).status_code == 200
    answer = invite(bob, "fay@example.net", "owner")
    assert answer.status_code == 403 and detail(answer).startswith("role:"), answer.text
    assert invite(bob, "fay@example.net", "admin").status_code == 201
    assert invite(bob, "ana@example.net").status_code == 409  # a member already

    actions = [(e["action"], e["actor"], e["target"])
               for e in ana.get("/api/v1/audit?limit=1000").json()["entries"]
               if e["action"].startswith("invitation.")]
    assert actions[::-1] == [
        ("invitation.create", "ANA", "bob@example.net"),
        ("invitation.accept", "BOB", "bob@example.net"),
        ("invitation.create", "ANA", "carl@example.net"),
        ("invitation.create", "ANA", "dee@example.net"),
        ("invitation.revoke", "ANA", "dee@example.net"),
        ("invitation.create", "ANA", "eve@example.net"),
        ("invitation.create", "BOB", "fay@example.net")]


def members_id(http: httpx.Client, login: str) -> int:
    members = http.get("/api/v1/org/members").json()["members"]
    return int(next(m["user_id"] for m in members if m["login"] == login))


def test_without_smtp_the_link_is_for_passing_on(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    people = People(f"sqlite:///{data / 'meta.sqlite'}")
    org = people.org("Quiet Org")
    admin = people.session(people.user("QUIET", org, Role.ADMIN), org).headers()
    server = ServerProcess(data, {"BONGSU_AUTH": "accounts", "BONGSU_FSYNC": "off",
                                  "BONGSU_ALERTS": "false", "BONGSU_CHECKS": "false"}).start()
    try:
        status, made = request(server.api_url + "/api/v1/org/invitations", "POST",
                               {"email": "gus@example.net", "role": "viewer"}, admin)
        assert status == 201, made
        assert made["emailed"] is False and "BONGSU_SMTP_HOST" in made["email_error"]
        assert made["link"] == f"/#/accept?token={made['token']}"
        status, answer = request(server.api_url + "/api/v1/org/invitations", "POST",
                                 {"email": "not-an-address", "role": "viewer"}, admin)
        assert status == 400 and answer["detail"].startswith("email:"), answer
    finally:
        server.stop()
        people.close()


def test_one_acceptance_of_two_at_once(engine: Engine) -> None:
    """On SQLite and on a real PostgreSQL: the same invitation accepted by two requests at
    once (two sessions of the invited user) joins once; the second is a 410."""
    people = People(engine)
    org = people.org("Race Invites")
    owner = people.user("RI_OWNER", org, Role.OWNER)
    guest = people.user("RI_GUEST")
    by = By(Principal("session", org.tenant, Role.OWNER, org.id, owner.id, owner.login))
    now = int(time.time() * 1e6)
    with engine.begin() as con:
        made = inv.invite(con, org.id, guest.email, Role.EDITOR, by, now)
    assert made.token is not None
    first = engine.connect()
    transaction = first.begin()
    assert inv.accept(first, made.token, guest.id, now).role is Role.EDITOR  # not committed
    outcome: dict[str, str] = {}

    def second() -> None:
        try:
            with engine.begin() as con:
                inv.accept(con, made.token or "", guest.id, now)
            outcome["done"] = "joined twice"
        except (Gone, Conflict) as exc:
            outcome["done"] = f"{exc.status} {exc.message}"

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive(), outcome  # waiting for the first acceptance's lock
    transaction.commit()
    first.close()
    thread.join(10)
    assert outcome["done"].startswith("410 this invitation was just accepted"), outcome
    assert people.role_of(guest, org) is Role.EDITOR
    with engine.connect() as con:
        (listed,) = inv.list_invitations(con, org.id, now)
    assert listed.state == "accepted"
