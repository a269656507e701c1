"""Request and answer bodies of ``/api/v1/auth/*`` (sign-up, verification, sign-in,
sessions, passwords), so ``/openapi.json`` documents them. Times are epoch microseconds
(``*_us``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from bongsu.api.body import BodyModel


class Model(BodyModel):
    model_config = ConfigDict(extra="forbid")


def _f(description: str, **kw: Any) -> Any:
    return Field(description=description, **kw)


# -- policy ----------------------------------------------------------------------------


class OidcPolicy(Model):
    enabled: bool = _f("Whether single sign-on by OpenID Connect is offered")
    name: str = _f("The sign-on button's label")


class Policy(Model):
    mode: Literal["accounts", "single-user"] = _f("accounts: sign-in needed; single-user: a "
                                                  "laptop's server without credentials")
    login_pattern: str = _f("Regular expression a user id must match")
    login_rules: list[str] = _f("The user id rules as sentences for the form")
    password_rules: list[str] = _f("The password rules as sentences for the form")
    signup: bool = _f("Whether anyone may sign up (else people join by invitation)")
    oidc: OidcPolicy = _f("Single sign-on")


# -- requests --------------------------------------------------------------------------

_LOGIN = "User id: capital letters, digits and underscore, 3 to 32"


class SignUpRequest(Model):
    login: str = _f(_LOGIN, max_length=64)
    email: str = _f("E-mail address the code is sent to", max_length=320)
    password: str = _f("Password (see the policy)", max_length=1024)
    display_name: str = _f("Name shown to others", default="", max_length=256)
    organisation: str = _f("Name of the organisation made at verification (default: "
                           "the user id)", default="", max_length=256)


class VerifyRequest(Model):
    login: str = _f("User id (or e-mail address)", max_length=320)
    code: str = _f("The six digits mailed", max_length=16)


class LoginRef(Model):
    login: str = _f("User id or e-mail address", max_length=320)


class LoginRequest(Model):
    login: str = _f("User id or e-mail address", max_length=320)
    password: str = _f("Password", max_length=1024)


class ResetRequest(Model):
    login: str = _f("User id or e-mail address", max_length=320)
    code: str = _f("The six digits mailed", max_length=16)
    password: str = _f("The new password (see the policy)", max_length=1024)


class PasswordChange(Model):
    current: str = _f("The password now", max_length=1024)
    password: str = _f("The new password (see the policy)", max_length=1024)


# -- answers ---------------------------------------------------------------------------


class SignedUp(Model):
    login: str = _f("The new user id (unverified)")
    email: str = _f("Where the code was sent (lower-cased)")
    expires_s: int = _f("Seconds the code is valid")


class CodeAsked(Model):
    expires_s: int = _f("Seconds a mailed code is valid. The answer is the same whether or "
                        "not the user exists (and so whether a mail was sent)")


class SessionUser(Model):
    id: int = _f("User's number")
    login: str = _f("User id")
    email: str = _f("E-mail address")
    display_name: str = _f("Name shown to others")
    operator: bool = _f("Runs this server (may change any organisation's trial)")


class SessionOrg(Model):
    id: int = _f("Organisation's number")
    slug: str = _f("Short name")
    name: str = _f("Name")
    role: str = _f("The user's role there: owner, admin, editor or viewer")
    trial_ends_us: int | None = _f("When its trial ends (null: no trial)")
    read_only: bool = _f("The trial has ended: read-only, data kept")


class OrgBrief(Model):
    id: int = _f("Organisation's number")
    slug: str = _f("Short name")
    name: str = _f("Name")
    role: str = _f("The user's role there")


class ProjectBrief(Model):
    id: int = _f("Project's number")
    name: str = _f("Name")
    tenant: str = _f("The store's tenant (send it, or the id, as X-Bongsu-Project)")


class Session(Model):
    mode: Literal["accounts", "single-user"] = _f("The server's auth mode")
    user: SessionUser = _f("Who is signed in")
    org: SessionOrg | None = _f("The organisation shown (null: the user belongs to none)")
    orgs: list[OrgBrief] = _f("Every organisation the user belongs to")
    projects: list[ProjectBrief] = _f("The projects of the organisation shown")
    project: str | None = _f("The project (tenant) this request read")
