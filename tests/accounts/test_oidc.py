"""OIDC sign-in of a real server against a real-shaped provider on loopback: discovery,
an /authorize that redirects back, a /token that checks the PKCE verifier and the client
secret, a JWKS; the ID token's signature, audience, expiry and nonce checked, the user
found by subject, linked by verified e-mail, or created."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from accounts.conftest import AccountsServer, detail
from server_process import free_port

CLIENT_ID, CLIENT_SECRET = "bongsu-test", "client-secret-9"


@dataclass
class Person:
    sub: str
    email: str
    preferred_username: str
    email_verified: bool = True
    name: str = ""


@dataclass
class Provider:
    """An OpenID provider on loopback. ``person`` is who signs in at /authorize next;
    ``tamper`` changes the ID token's claims (or ``"key"`` signs it with another key)."""

    port: int = field(default_factory=free_port)
    person: Person = field(default_factory=lambda: Person("u-1", "ana@example.net", "ana.smith"))
    tamper: dict[str, Any] = field(default_factory=dict)
    pending: dict[str, dict[str, str]] = field(default_factory=dict)
    tokens_asked: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/.well-known/openid-configuration":
                    self._json(200, provider.discovery())
                elif url.path == "/jwks":
                    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(provider.key.public_key()))
                    self._json(200, {"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]})
                elif url.path == "/authorize":
                    self._authorize(query)
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                if self.path != "/token":
                    self._json(404, {"error": "not_found"})
                    return
                provider.tokens_asked.append(form)
                asked = provider.pending.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(
                    hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if (asked is None or form.get("client_secret") != CLIENT_SECRET
                        or form.get("client_id") != CLIENT_ID
                        or form.get("redirect_uri") != asked["redirect_uri"]
                        or challenge != asked["code_challenge"]
                        or form.get("grant_type") != "authorization_code"):
                    self._json(400, {"error": "invalid_grant"})
                    return
                self._json(200, {"access_token": secrets.token_urlsafe(16),
                                 "token_type": "Bearer", "expires_in": 300,
                                 "id_token": provider.id_token(asked["nonce"])})

            def _authorize(self, query: dict[str, str]) -> None:
                assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
                assert query["code_challenge_method"] == "S256"
                assert "openid" in query["scope"].split()
                code = secrets.token_urlsafe(16)
                provider.pending[code] = query
                back = query["redirect_uri"] + "?" + urllib.parse.urlencode(
                    {"code": code, "state": query["state"]})
                self.send_response(302)
                self.send_header("Location", back)
                self.end_headers()

            def _json(self, status: int, body: Any) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def discovery(self) -> dict[str, Any]:
        return {"issuer": self.issuer, "authorization_endpoint": self.issuer + "/authorize",
                "token_endpoint": self.issuer + "/token", "jwks_uri": self.issuer + "/jwks",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"]}

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        p = self.person
        claims: dict[str, Any] = {
            "iss": self.issuer, "aud": CLIENT_ID, "sub": p.sub, "iat": now, "exp": now + 300,
            "nonce": nonce, "email": p.email, "email_verified": p.email_verified,
            "preferred_username": p.preferred_username, "name": p.name}
        claims.update({k: v for k, v in self.tamper.items() if k != "key"})
        key = self.other_key if self.tamper.get("key") else self.key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider() -> Iterator[Provider]:
    made = Provider()
    yield made
    made.stop()


@pytest.fixture
def oidc_server(start_accounts: Callable[..., AccountsServer],
                provider: Provider) -> AccountsServer:
    return start_accounts(BONGSU_OIDC_ISSUER=provider.issuer, BONGSU_OIDC_CLIENT_ID=CLIENT_ID,
                          BONGSU_OIDC_CLIENT_SECRET=CLIENT_SECRET, BONGSU_OIDC_NAME="Acme SSO")


def sign_on(server: AccountsServer, state: str | None = None,
            extra: str = "") -> tuple[httpx.Client, httpx.Response]:
    """The browser's way: start, the provider's page, back to the callback (with the
    provider's own ``extra`` parameters, when given)."""
    http = server.client()
    start = http.get("/api/v1/auth/oidc/start")
    assert start.status_code == 302, start.text
    at_provider = httpx.get(start.headers["location"])
    assert at_provider.status_code == 302
    back = at_provider.headers["location"]
    if state is not None:
        back = back.replace(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(back).query))[
            "state"], state)
    assert back.startswith(server.url + "/api/v1/auth/oidc/callback?")
    return http, http.get(back + extra)


def test_sign_on_creates_then_finds_the_user(oidc_server: AccountsServer,
                                             provider: Provider) -> None:
    policy = oidc_server.client().get("/api/v1/auth/policy").json()
    assert policy["oidc"] == {"enabled": True, "name": "Acme SSO"}
    http, done = sign_on(oidc_server)
    assert done.status_code == 302 and done.headers["location"] == "/#/", done.text
    session = http.get("/api/v1/auth/session").json()
    assert session["user"]["login"] == "ANA_SMITH"
    assert session["user"]["email"] == "ana@example.net"
    assert session["org"]["role"] == "owner"  # an organisation of her own
    asked = provider.tokens_asked[0]
    assert asked["code_verifier"] and asked["client_secret"] == CLIENT_SECRET
    # The state cookie was only for the flow; the session cookies are set.
    assert "bongsu_session" in http.cookies and "bongsu_oidc" not in http.cookies
    # Again: the same user (by subject), even with another name at the provider; and a
    # provider adding parameters of its own to the redirect back is still understood.
    provider.person = Person("u-1", "ana@example.net", "someone.else")
    again, back = sign_on(oidc_server, extra="&authuser=0&prompt=consent&hd=example.net")
    assert back.status_code == 302, back.text
    assert again.get("/api/v1/auth/session").json()["user"]["id"] == session["user"]["id"]
    # An OIDC-only user has no password to sign in with.
    assert oidc_server.client().post("/api/v1/auth/login", json={
        "login": "ANA_SMITH", "password": "Anything-1"}).status_code == 401


def test_a_verified_email_links_an_existing_user(oidc_server: AccountsServer,
                                                 provider: Provider) -> None:
    oidc_server.sign_up("BOB")
    provider.person = Person("u-bob", "bob@example.net", "robert")
    http, done = sign_on(oidc_server)
    assert done.status_code == 302
    assert http.get("/api/v1/auth/session").json()["user"]["login"] == "BOB"
    # Not verified by the provider: no link, and no second account with that address.
    provider.person = Person("u-other", "bob@example.net", "mallory", email_verified=False)
    _, refused = sign_on(oidc_server)
    assert refused.status_code == 403 and "already has an account" in detail(refused)


@pytest.mark.parametrize(("tamper", "message"), [
    ({"nonce": "not-the-one"}, "id_token: its nonce is not the one this sign-on sent"),
    ({"aud": "another-client"}, "id_token: refused (Audience doesn't match)"),
    ({"iss": "http://127.0.0.1:1"}, "id_token: refused (Invalid issuer)"),
    ({"exp": 1_000_000}, "id_token: refused (Signature has expired)"),
    ({"key": True}, "id_token: refused (Signature verification failed)"),
])
def test_a_bad_id_token_is_refused(oidc_server: AccountsServer, provider: Provider,
                                   tamper: dict[str, Any], message: str) -> None:
    provider.tamper = tamper
    http, refused = sign_on(oidc_server)
    assert refused.status_code == 401 and detail(refused) == message
    assert "bongsu_session" not in http.cookies


def test_a_wrong_state_is_refused(oidc_server: AccountsServer, provider: Provider) -> None:
    http, refused = sign_on(oidc_server, state="forged-state")
    assert refused.status_code == 401 and detail(refused).startswith("state: does not match")
    assert provider.tokens_asked == []  # the code was never exchanged
    # Without the flow's cookie (another browser) the callback is refused too.
    start = http.get("/api/v1/auth/oidc/start")
    back = httpx.get(start.headers["location"]).headers["location"]
    stranger = oidc_server.client().get(back)
    assert stranger.status_code == 401 and "did not start here" in detail(stranger)


def test_no_provider_configured(accounts_server: AccountsServer) -> None:
    answer = accounts_server.client().get("/api/v1/auth/oidc/start")
    assert answer.status_code == 404 and "BONGSU_OIDC_ISSUER" in detail(answer)
