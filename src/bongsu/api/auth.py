"""``/api/v1/auth/*``: the sign-up form's policy, sign-up, verification, sign-in and out,
the session, password reset and change, and (when configured) OIDC sign-in.

A signed-in answer sets two cookies: ``bongsu_session`` (HttpOnly, SameSite=Lax, Path=/,
Secure per ``BONGSU_COOKIE_SECURE``) and ``bongsu_csrf`` (readable by the console, which
sends it back as ``X-CSRF-Token`` on every unsafe method). Sign-in, code and reset
attempts are limited per client address (429 with Retry-After).

Example::

    router = auth_router(AuthBackend(accounts, mode="accounts", settings=settings))
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import Engine

from bongsu.accounts.credentials import CSRF_COOKIE, SESSION_COOKIE
from bongsu.accounts.mailer import Mailer
from bongsu.accounts.oidc import Oidc
from bongsu.accounts.passwords import LOGIN_PATTERN, LOGIN_RULES, PASSWORD_RULES
from bongsu.accounts.ratelimit import Limiter
from bongsu.accounts.sessions import Opened, Sessions, single_user_view
from bongsu.accounts.users import CODE_MINUTES, Accounts, SignUp
from bongsu.api.auth_models import (
    CodeAsked,
    LoginRef,
    LoginRequest,
    PasswordChange,
    Policy,
    ResetRequest,
    Session,
    SignedUp,
    SignUpRequest,
    VerifyRequest,
)
from bongsu.api.context import Caller, current_principal
from bongsu.api.models import ErrorBody
from bongsu.api.params import EXTRA_PARAMETERS
from bongsu.api.responses import JSON
from bongsu.errors import Forbidden, NotFound, SettingError, Unauthorized
from bongsu.settings import Settings

_COOKIE_SECURE = ("auto", "true", "false")


@dataclass(frozen=True)
class AuthBackend:
    accounts: Accounts
    mode: str
    settings: Settings
    oidc: Oidc | None = None

    def __post_init__(self) -> None:
        if self.settings.cookie_secure not in _COOKIE_SECURE:
            raise SettingError(f"BONGSU_COOKIE_SECURE: one of {', '.join(_COOKIE_SECURE)}, "
                               f"got {self.settings.cookie_secure!r}")


def auth_backend_for(settings: Settings, engine: Engine, mode: str,
                     clock: Callable[[], float] = time.time,
                     seed: Callable[[str], object] | None = None) -> AuthBackend:
    """The accounts services of a server, their settings checked; ``seed`` writes a new
    project's shipped alert rules (an organisation made at sign-up)."""
    mailer = Mailer.from_settings(settings)
    if settings.signup and not mailer.enabled:
        raise SettingError("BONGSU_SIGNUP: sign-up mails a code, so it needs BONGSU_SMTP_HOST")
    if settings.auth_attempts_per_minute < 1:
        raise SettingError("BONGSU_AUTH_ATTEMPTS_PER_MINUTE: must be 1 or more, got "
                           f"{settings.auth_attempts_per_minute}")
    sessions = Sessions(engine, settings.session_hours,
                        Limiter(settings.auth_attempts_per_minute), clock)
    accounts = Accounts(engine, settings, mailer, sessions, seed)
    oidc = None
    if settings.oidc_issuer:
        oidc = Oidc(settings.oidc_issuer, settings.oidc_client_id, settings.oidc_client_secret,
                    accounts, settings.console_url)
    return AuthBackend(accounts, mode, settings, oidc)


# The query parameters of the provider's redirect back (RFC 6749 4.1.2, RFC 9207). Their
# limits keep the request line, percent-encoded, under the HTTP server's 16 KiB: past it
# the server answers a bare text 400 before the app sees the request. Providers add
# parameters of their own (authuser, prompt, hd …): the route takes them.
_Code = Annotated[str | None, Query(
    description="The authorization code", max_length=1024)]
_State = Annotated[str | None, Query(
    description="The state this server sent", max_length=256)]
_Error = Annotated[str | None, Query(
    description="The provider's error code, when it refused", max_length=256)]
_ErrorText = Annotated[str | None, Query(
    description="The provider's words for the error", max_length=1024)]
_Iss = Annotated[str | None, Query(
    description="The issuer that answers (RFC 9207)", max_length=512)]
_SessionState = Annotated[str | None, Query(
    description="The provider's session (not used)", max_length=512)]
_Scope = Annotated[str | None, Query(
    description="The scopes granted (not used)", max_length=512)]


def _err(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


_LIMITED: dict[int | str, dict[str, Any]] = {
    429: _err("Too many attempts from this address, or the user is locked (Retry-After says "
              "for how long)")}


def auth_router(backend: AuthBackend | None = None) -> APIRouter:
    router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

    def accounts() -> Accounts:
        if backend is None:
            raise Forbidden("this server has no accounts")
        if backend.mode == "single-user":
            raise Forbidden("this server runs in single-user mode: there is nothing to sign "
                            "in to (every request is its one user's)")
        return backend.accounts

    @router.get("/policy", summary="The sign-up form's rules and what this server offers",
                response_model=Policy)
    def policy() -> JSON:
        oidc = backend.oidc if backend is not None else None
        return JSON({
            "mode": backend.mode if backend is not None else "accounts",
            "login_pattern": LOGIN_PATTERN, "login_rules": LOGIN_RULES,
            "password_rules": PASSWORD_RULES,
            "signup": bool(backend and backend.settings.signup and backend.mode == "accounts"),
            "oidc": {"enabled": oidc is not None,
                     "name": backend.settings.oidc_name if backend is not None else ""},
        })

    @router.post("/signup", status_code=201, response_model=SignedUp,
                 summary="Sign up: an unverified user and a code mailed (valid 5 minutes)",
                 responses={403: _err("Sign-up is off on this server"),
                            409: _err("The user id or e-mail is taken (the message says "
                                      "which)"), **_LIMITED,
                            503: _err("The mail could not be sent (ask for a new code)")})
    def signup(body: SignUpRequest, request: Request) -> JSON:
        login, email = accounts().signup(SignUp(
            body.login, body.email, body.password, body.display_name, body.organisation),
            ip=_ip(request))
        return JSON({"login": login, "email": email, "expires_s": CODE_MINUTES * 60},
                    status_code=201)

    @router.post("/verify", response_model=Session,
                 summary="Verify the e-mail with its code: signed in (cookies set)",
                 responses={**_LIMITED})
    def verify(body: VerifyRequest, request: Request) -> Response:
        opened = accounts().verify(body.login, body.code, _ip(request), _agent(request))
        return _signed_in(request, opened)

    @router.post("/verify/resend", status_code=202, response_model=CodeAsked,
                 summary="Mail a new verification code "
                 "(the old one void); 202 whether or not the user id exists",
                 responses={**_LIMITED})
    def resend(body: LoginRef, request: Request) -> JSON:
        accounts().resend(body.login, _ip(request))
        return JSON({"expires_s": CODE_MINUTES * 60}, status_code=202)

    @router.post("/login", response_model=Session, summary="Sign in (cookies set)",
                 responses={403: _err("The e-mail address is not verified yet"), **_LIMITED})
    def login(body: LoginRequest, request: Request) -> Response:
        opened = accounts().sessions.login(body.login, body.password, _ip(request),
                                           _agent(request))
        return _signed_in(request, opened)

    @router.post("/logout", status_code=204, summary="Sign out: the session ends at once")
    def logout(request: Request) -> Response:
        session_id = request.cookies.get(SESSION_COOKIE)
        if session_id and backend is not None:
            try:
                current_principal(request)  # a cross-site sign-out is refused (CSRF)
            except Unauthorized:
                pass
            else:
                backend.accounts.sessions.logout(session_id, _ip(request))
        response = Response(status_code=204)
        for name in (SESSION_COOKIE, CSRF_COOKIE):
            response.delete_cookie(name, path="/")
        return response

    @router.get("/session", response_model=Session,
                summary="Who is signed in, their organisation, projects and role")
    def session(caller: Caller) -> JSON:
        if caller.kind == "single-user" or backend is None:
            return JSON(single_user_view(caller.tenant))
        return JSON(backend.accounts.sessions.view(caller, backend.mode))

    @router.post("/password/forgot", status_code=202, response_model=CodeAsked,
                 summary="Mail a reset code (valid 5 "
                 "minutes); 202 whether or not the user exists", responses={**_LIMITED})
    def forgot(body: LoginRef, request: Request) -> JSON:
        accounts().forgot(body.login, _ip(request))
        return JSON({"expires_s": CODE_MINUTES * 60}, status_code=202)

    @router.post("/password/reset", status_code=204, summary="A new password with a reset "
                 "code: every session of the user ends", responses={**_LIMITED})
    def reset(body: ResetRequest, request: Request) -> Response:
        accounts().reset(body.login, body.code, body.password, _ip(request))
        return Response(status_code=204)

    @router.post("/password", status_code=204, summary="Change the signed-in user's "
                 "password (the current one required); their other sessions end",
                 responses={**_LIMITED})
    def change_password(body: PasswordChange, caller: Caller, request: Request) -> Response:
        accounts().change_password(caller, body.current, body.password,
                                   request.cookies.get(SESSION_COOKIE), _ip(request))
        return Response(status_code=204)

    @router.get("/oidc/start", status_code=302, response_class=RedirectResponse,
                summary="Single sign-on: redirect to the OIDC provider",
                responses={404: _err("No OIDC provider is configured")})
    def oidc_start(request: Request) -> Response:
        oidc = _oidc()
        return oidc.start(request, secure=_secure(request))

    @router.get("/oidc/callback", status_code=302, response_class=RedirectResponse,
                openapi_extra={EXTRA_PARAMETERS: True},
                summary="The OIDC provider's redirect back: signed in, then to the console",
                responses={404: _err("No OIDC provider is configured")})
    def oidc_callback(request: Request, code: _Code = None,
                      state: _State = None,
                      error: _Error = None,
                      error_description: _ErrorText = None,
                      iss: _Iss = None,
                      session_state: _SessionState = None,
                      scope: _Scope = None) -> Response:
        oidc = _oidc()
        opened = oidc.finish(request, code, state, error, error_description, iss,
                             ip=_ip(request), user_agent=_agent(request))
        response = RedirectResponse("/#/", status_code=302)
        _set_cookies(response, request, opened)
        oidc.clear_state(response)
        return response

    def _oidc() -> Oidc:
        accounts()
        if backend is None or backend.oidc is None:
            raise NotFound("no OIDC provider is configured (BONGSU_OIDC_ISSUER)")
        return backend.oidc

    def _signed_in(request: Request, opened: Opened) -> Response:
        assert backend is not None
        # The answer is the session as GET /session will give it with the new cookie.
        sessions = backend.accounts.sessions
        response = JSON(sessions.view(sessions.principal_of(opened), backend.mode))
        _set_cookies(response, request, opened)
        return response

    def _set_cookies(response: Response, request: Request, opened: Opened) -> None:
        secure = _secure(request)
        age = int(backend.settings.session_hours * 3600) if backend is not None else None
        response.set_cookie(SESSION_COOKIE, opened.session_id, max_age=age, path="/",
                            secure=secure, httponly=True, samesite="lax")
        response.set_cookie(CSRF_COOKIE, opened.csrf, max_age=age, path="/", secure=secure,
                            httponly=False, samesite="lax")

    def _secure(request: Request) -> bool:
        setting = backend.settings.cookie_secure if backend is not None else "auto"
        return setting == "true" or (setting == "auto" and request.url.scheme == "https")

    return router


def _ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _agent(request: Request) -> str:
    return request.headers.get("user-agent", "")[:512]
