"""Single sign-on by OpenID Connect: the authorization code flow with PKCE, state and
nonce.

``start`` sends the browser to the provider (endpoints from its
``/.well-known/openid-configuration``, read at first use) with a fresh state, nonce and
PKCE verifier kept in a short-lived cookie signed with a key derived from the client
secret, so any replica can finish the flow. ``finish`` checks the state, exchanges the
code (client secret and verifier) for tokens and checks the ID token with PyJWT: RS256
by a key of the provider's JWKS, issuer, audience, expiry and nonce. The user is the one
with that ``issuer|sub``, else the one with that e-mail when the provider says it is
verified (the subject is then linked), else a new verified user named after
``preferred_username`` (upper-cased, other characters as ``_``) with an organisation of
their own.

Example::

    oidc = Oidc(settings, accounts)
    response = oidc.start(request, secure=False)            # 302 to the provider
    opened = oidc.finish(request, code, state, None, None, None)   # signed in
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import jwt
from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select, update

from bongsu.accounts import audit
from bongsu.accounts.orgs import CreatedOrg
from bongsu.accounts.sessions import Opened
from bongsu.accounts.tables import users
from bongsu.accounts.users import Accounts
from bongsu.errors import Forbidden, SettingError, Unauthorized

STATE_COOKIE = "bongsu_oidc"
STATE_SECONDS = 600
_CALLBACK = "/api/v1/auth/oidc/callback"
_TIMEOUT_S = 10.0


class Oidc:
    def __init__(self, issuer: str, client_id: str, client_secret: str, accounts: Accounts,
                 console_url: str = "") -> None:
        if not client_id or not client_secret:
            raise SettingError("BONGSU_OIDC_CLIENT_ID and BONGSU_OIDC_CLIENT_SECRET are "
                               "needed with BONGSU_OIDC_ISSUER")
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self._key = hashlib.sha256(b"bongsu-oidc-state|" + client_secret.encode()).digest()
        self._accounts = accounts
        self._console_url = console_url.rstrip("/")
        self._discovery: dict[str, Any] | None = None
        self._jwks: jwt.PyJWKClient | None = None

    # -- the flow ---------------------------------------------------------------------

    def start(self, request: Request, secure: bool) -> Response:
        """302 to the provider's authorization endpoint, the state cookie set."""
        config = self._config()
        state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), \
            secrets.token_urlsafe(48)
        challenge = _b64(hashlib.sha256(verifier.encode()).digest())
        query = urllib.parse.urlencode({
            "response_type": "code", "client_id": self.client_id,
            "redirect_uri": self._redirect_uri(request), "scope": "openid email profile",
            "state": state, "nonce": nonce, "code_challenge": challenge,
            "code_challenge_method": "S256",
        })
        endpoint = str(config["authorization_endpoint"])
        response = RedirectResponse(f"{endpoint}{'&' if '?' in endpoint else '?'}{query}",
                                    status_code=302)
        expires = int(self._accounts.sessions.clock()) + STATE_SECONDS
        response.set_cookie(STATE_COOKIE, self._sign({"state": state, "nonce": nonce,
                                                      "verifier": verifier, "exp": expires}),
                            max_age=STATE_SECONDS, path="/api/v1/auth/oidc", secure=secure,
                            httponly=True, samesite="lax")
        return response

    def finish(self, request: Request, code: str | None, state: str | None,
               error: str | None, error_description: str | None, iss: str | None,
               ip: str = "", user_agent: str = "") -> Opened:
        """Check the provider's answer and sign the user in."""
        if error:
            raise Unauthorized(f"the provider refused the sign-in: {error}"
                               + (f" ({error_description})" if error_description else ""))
        kept = self._unsign(request.cookies.get(STATE_COOKIE, ""))
        if kept is None or kept["exp"] < self._accounts.sessions.clock():
            raise Unauthorized("the sign-on took too long or did not start here: start again")
        if not state or not hmac.compare_digest(state, str(kept["state"])):
            raise Unauthorized("state: does not match the sign-on started (start again)")
        if iss is not None and iss.rstrip("/") != self.issuer:
            raise Unauthorized(f"iss: the answer came from {iss!r}, not {self.issuer!r}")
        if not code:
            raise Unauthorized("code: the provider sent no authorization code")
        tokens = self._post(str(self._config()["token_endpoint"]), {
            "grant_type": "authorization_code", "code": code,
            "redirect_uri": self._redirect_uri(request), "client_id": self.client_id,
            "client_secret": self._secret, "code_verifier": str(kept["verifier"]),
        })
        claims = self._check_id_token(str(tokens.get("id_token") or ""), str(kept["nonce"]))
        return self._sign_in(claims, ip, user_agent)

    def clear_state(self, response: Response) -> None:
        response.delete_cookie(STATE_COOKIE, path="/api/v1/auth/oidc")

    # -- the ID token and the user ----------------------------------------------------

    def _check_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        if not id_token:
            raise Unauthorized("the provider's token answer has no id_token")
        try:
            if self._jwks is None:
                self._jwks = jwt.PyJWKClient(str(self._config()["jwks_uri"]),
                                             timeout=int(_TIMEOUT_S))
            key = self._jwks.get_signing_key_from_jwt(id_token)
            claims: dict[str, Any] = jwt.decode(
                id_token, key.key, algorithms=["RS256"], audience=self.client_id,
                issuer=self._config().get("issuer", self.issuer),
                options={"require": ["exp", "iat", "iss", "aud", "sub"]})
        except jwt.PyJWTError as problem:
            raise Unauthorized(f"id_token: refused ({problem})") from problem
        if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
            raise Unauthorized("id_token: its nonce is not the one this sign-on sent")
        return claims

    def _sign_in(self, claims: dict[str, Any], ip: str, user_agent: str) -> Opened:
        subject = f"{claims['iss']}|{claims['sub']}"
        email = str(claims.get("email") or "").strip().lower()
        email_verified = claims.get("email_verified") is True
        sessions = self._accounts.sessions
        now = sessions.now_us()
        made: CreatedOrg | None = None
        with self._accounts.engine.begin() as con:
            user = con.execute(select(users).where(users.c.oidc_subject == subject)).first()
            if user is None and email and email_verified:
                user = con.execute(select(users).where(users.c.email == email)).first()
                if user is not None:
                    con.execute(update(users).where(users.c.id == user.id).values(
                        oidc_subject=subject, verified_us=user.verified_us or now))
            if user is None:
                if not email:
                    raise Forbidden("the provider gave no e-mail address: an account needs one")
                if con.execute(select(users.c.id).where(users.c.email == email)).first():
                    raise Forbidden(f"{email} already has an account, and the provider does "
                                    "not say the address is verified: sign in with its "
                                    "password")
                login = _free_login(con, claims.get("preferred_username") or email)
                user_id = con.execute(users.insert().values(
                    login=login, email=email, display_name=str(claims.get("name") or "")[:256],
                    password_hash=None, oidc_subject=subject, is_operator=False,
                    verified_us=now, failed_logins=0, created_us=now,
                ).returning(users.c.id)).scalar_one()
                audit.record(con, actor=login, action="auth.signup", target=email,
                             detail={"via": "oidc", "issuer": claims["iss"]}, ip=ip, at_us=now)
                made = self._accounts.first_org(con, user_id, login, now)
                user = con.execute(select(users).where(users.c.id == user_id)).one()
            if user.disabled_us is not None:
                raise Forbidden(f"the account {user.login} is disabled")
            con.execute(update(users).where(users.c.id == user.id).values(last_login_us=now))
            opened = sessions.open(con, user.id, user.login, ip, user_agent, now)
            audit.record(con, actor=user.login, action="auth.login", org_id=opened.org_id,
                         detail={"via": "oidc"}, ip=ip, at_us=now)
        self._accounts.seeded(made)
        return opened

    # -- the provider -----------------------------------------------------------------

    def _config(self) -> dict[str, Any]:
        if self._discovery is None:
            found = self._get(f"{self.issuer}/.well-known/openid-configuration")
            for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(found.get(name), str):
                    raise Unauthorized(f"the OIDC provider's discovery has no {name}")
            self._discovery = found
        return self._discovery

    def _get(self, url: str) -> dict[str, Any]:
        return _json(urllib.request.Request(url, headers={"Accept": "application/json"}))

    def _post(self, url: str, form: dict[str, str]) -> dict[str, Any]:
        return _json(urllib.request.Request(
            url, data=urllib.parse.urlencode(form).encode(), method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Accept": "application/json"}))

    def _redirect_uri(self, request: Request) -> str:
        base = self._console_url or str(request.base_url).rstrip("/")
        return base + _CALLBACK

    def _sign(self, payload: dict[str, Any]) -> str:
        body = _b64(json.dumps(payload, sort_keys=True).encode())
        return f"{body}.{_b64(hmac.new(self._key, body.encode(), 'sha256').digest())}"

    def _unsign(self, value: str) -> dict[str, Any] | None:
        body, _, mac = value.partition(".")
        good = _b64(hmac.new(self._key, body.encode(), "sha256").digest())
        if not body or not hmac.compare_digest(mac, good):
            return None
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        payload: dict[str, Any] = json.loads(raw)
        return payload


def _json(request: urllib.request.Request) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as answer:
            found = json.loads(answer.read())
    except urllib.error.HTTPError as problem:
        detail = problem.read()[:200].decode(errors="replace")
        raise Unauthorized(f"the OIDC provider answered {problem.code}: {detail}") from problem
    except (OSError, ValueError) as problem:
        raise Unauthorized(f"the OIDC provider cannot be reached: {problem}") from problem
    if not isinstance(found, dict):
        raise Unauthorized("the OIDC provider's answer is not a JSON object")
    return found


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _free_login(con: Any, wanted: object) -> str:
    """A user id from the provider's name: upper-cased, other characters ``_``, 3-32
    characters, ``_2`` … when taken."""
    base = re.sub(r"[^A-Z0-9_]", "_", str(wanted).split("@")[0].upper())[:28].strip("_")
    base = (base or "USER").ljust(3, "_")
    login, n = base, 1
    while con.execute(select(users.c.id).where(users.c.login == login)).first():
        n += 1
        login = f"{base}_{n}"
    return login
