"""Request and response bodies of the organisation routes (``bongsu.api.org``).

Times are epoch microseconds (``*_us``), as the accounts tables keep them; secrets — an
ingest key, an API token, an invitation's token — appear once, in the answer that made
them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints

from bongsu.api.models import Model

RoleName = Literal["viewer", "editor", "admin", "owner"]


def _stripped(value: str) -> str:
    """Surrounding white space dropped after the length was checked as sent (the schema's
    ``maxLength`` is the request's); a name of white space alone is refused."""
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


Name = Annotated[str, StringConstraints(min_length=1, max_length=128), AfterValidator(_stripped)]
OrgName = Annotated[str, StringConstraints(min_length=1, max_length=256),
                    AfterValidator(_stripped)]


def _f(description: str, **kw: Any) -> Any:
    return Field(description=description, **kw)


# -- requests ----------------------------------------------------------------------------

class OrgCreate(Model):
    name: OrgName = _f("The organisation's name (1-256 characters)")


class OrgRename(Model):
    name: OrgName = _f("The new name (1-256 characters); the slug stays")


class TrialSet(Model):
    ends_us: int | None = _f("When the trial ends, epoch µs; null: no trial (never "
                             "read-only)", ge=0)
    org_id: int | None = _f("The organisation (an operator's choice); default: the "
                            "caller's current one", default=None)


class RoleChange(Model):
    role: RoleName = _f("The member's new role")


class InvitationCreate(Model):
    email: str = _f("Who is invited; they accept signed in with this e-mail, verified",
                    min_length=3, max_length=320)
    role: RoleName = _f("The role they join with: at most the inviter's")


class InvitationAccept(Model):
    token: str = _f("The bsi_… token of the invitation link", min_length=1, max_length=128)


class ProjectCreate(Model):
    name: Name = _f("The project's name, unique in the organisation (1-128 characters)")


class KeyCreate(Model):
    name: str = _f("A note on what the key is for (the agents of prod, say)", default="",
                   max_length=256)


class TokenCreate(Model):
    name: Name = _f("What the token is for (1-128 characters)")
    role: RoleName = _f("The token's role: at most the creator's (a user's token never does "
                        "more than its user may at the time of use)")
    expires_days: float | None = _f("Days until the token stops working; null: never",
                                    default=None, gt=0, le=3650)
    service_account: bool = _f("true: a service account's token, of no user (admins only); "
                               "false: the caller's own", default=False)


# -- answers -----------------------------------------------------------------------------

class Org(Model):
    id: int = _f("Organisation id")
    slug: str = _f("Short unique name (set when it was made)")
    name: str = _f("Display name")
    role: RoleName | None = _f("The caller's role in it; null: an operator's view of an "
                               "organisation they are not in")
    trial_ends_us: int | None = _f("When its trial ends (then read-only), epoch µs; null: "
                                   "no trial")
    read_only: bool = _f("true: the trial has ended; reads work, writes and ingest are "
                         "refused")
    created_us: int = _f("When it was made, epoch µs")


class Orgs(Model):
    orgs: list[Org] = _f("The caller's organisations by name (with all=true, an "
                         "operator's: every organisation)")


class Member(Model):
    user_id: int = _f("The user's numeric id (the path parameter of member changes)")
    login: str = _f("Their user id (capitals, digits, underscore)")
    email: str = _f("Their e-mail address")
    display_name: str = _f("Their display name")
    role: RoleName = _f("Their role in this organisation")
    joined_us: int = _f("When they joined, epoch µs")


class Members(Model):
    members: list[Member] = _f("Every member, strongest role first, then by user id")


class Invitation(Model):
    id: int = _f("Invitation id")
    email: str = _f("The invited address (lower case)")
    role: RoleName = _f("The role they join with")
    invited_by: str = _f("Who invited (their user id); empty when unknown")
    created_us: int = _f("When it was made, epoch µs")
    expires_us: int = _f("When its link stops working, epoch µs (7 days after)")
    state: Literal["pending", "accepted", "revoked", "expired"] = _f("Where it stands")


class InvitationCreated(Invitation):
    token: str = _f("The bsi_… token: shown this once, stored only hashed")
    link: str = _f("The console link to accept it: /#/accept?token=… (after the console's "
                   "address when BONGSU_CONSOLE_URL is set)")
    emailed: bool = _f("true: the link was e-mailed to the address")
    email_error: str | None = _f("Why it was not e-mailed (no SMTP server set, or the "
                                 "server refused); null when it was")


class Invitations(Model):
    invitations: list[Invitation] = _f("The organisation's invitations, newest first")


class Accepted(Model):
    org: Org = _f("The organisation joined (the session shows it now)")


class Project(Model):
    id: int = _f("Project id (the X-Bongsu-Project header may name it)")
    name: str = _f("Its name in the organisation")
    tenant: str = _f("The store tenant its telemetry, rules and checks carry (the "
                     "X-Bongsu-Project header may name it too)")
    created_us: int = _f("When it was made, epoch µs")


class Projects(Model):
    projects: list[Project] = _f("The organisation's projects, oldest first")


class IngestKey(Model):
    id: int = _f("Key id (the path parameter of its revocation)")
    name: str = _f("The note it was made with")
    prefix: str = _f("Its first characters (bsk_…), to recognise it")
    created_us: int = _f("When it was made, epoch µs")
    last_used_us: int | None = _f("When it last sent telemetry (written at most once a "
                                  "minute), epoch µs; null: never")
    revoked_us: int | None = _f("When it was revoked, epoch µs; null: active")


class IngestKeyCreated(IngestKey):
    key: str = _f("The key: shown this once, stored only hashed. Agents send it as "
                  "'Authorization: Bearer KEY' to the OTLP port")


class IngestKeys(Model):
    keys: list[IngestKey] = _f("The project's keys, oldest first, revoked ones included")


class ApiToken(Model):
    id: int = _f("Token id (the path parameter of its revocation)")
    name: str = _f("What it is for")
    role: RoleName = _f("Its role (a user's token: at most its user's at the time of use)")
    prefix: str = _f("Its first characters (bst_…), to recognise it")
    user: str | None = _f("Its user's id; null: a service account's")
    created_us: int = _f("When it was made, epoch µs")
    expires_us: int | None = _f("When it stops working, epoch µs; null: never")
    last_used_us: int | None = _f("When it was last used (written at most once a minute), "
                                  "epoch µs; null: never")
    revoked_us: int | None = _f("When it was revoked, epoch µs; null: active")


class ApiTokenCreated(ApiToken):
    token: str = _f("The token: shown this once, stored only hashed. Send it as "
                    "'Authorization: Bearer TOKEN' to the API")


class ApiTokens(Model):
    tokens: list[ApiToken] = _f("The caller's tokens in this organisation (an admin's "
                                "list: all of them), newest first")


class AuditEntry(Model):
    at_us: int = _f("When, epoch µs")
    actor: str = _f("Who: a user id, 'LOGIN (token bst_…)', 'token:bst_…' (a service "
                    "account), 'single-user', 'anonymous'")
    action: str = _f("What: 'member.role', 'key.create' … or '<METHOD> <route>' for the "
                     "other writes ('POST /api/v1/rules')")
    target: str = _f("What it was done to: a user id, key prefix, e-mail, or the route's "
                     "path parameters ('rule_id=…')")
    tenant: str | None = _f("The project's tenant, for changes inside one")
    detail: dict[str, Any] = _f("The change's particulars (old and new role, the path, the "
                                "status …)")
    ip: str = _f("The client's address")


class AuditEntries(Model):
    entries: list[AuditEntry] = _f("Matching entries, newest first")
