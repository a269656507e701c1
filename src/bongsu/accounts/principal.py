"""Who is calling: the :class:`Principal` every API request is resolved to.

A request is made by a signed-in user (a session cookie), an API token, or — in
single-user mode only — the laptop's one user. It reads and writes one project (the
store's tenant) of one organisation, with one role there.

Example::

    principal = authenticator.principal(request)
    principal.require(Role.EDITOR)          # Forbidden, naming the role needed
    rows = store.rules(principal.tenant)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from starlette.requests import Request

from bongsu.accounts.roles import Role
from bongsu.errors import Forbidden

Kind = Literal["session", "token", "single-user", "key"]


@dataclass(frozen=True)
class Principal:
    kind: Kind
    tenant: str  # the project's tenant this request reads and writes
    role: Role
    org_id: int | None = None
    user_id: int | None = None
    actor: str = ""  # as the audit log names it: a user id, "token:bst_…", "single-user"
    read_only_reason: str | None = None  # the org's trial ended on …

    def require(self, needed: Role, action: str = "") -> None:
        """Raise Forbidden unless the role allows ``needed`` (and the org may write when
        ``needed`` is above viewer)."""
        what = f" to {action}" if action else ""
        if not self.role.allows(needed):
            raise Forbidden(f"the role {self.role.value!r} may not do this: "
                            f"{needed.value!r} or above is needed{what}")
        if needed is not Role.VIEWER and self.read_only_reason is not None:
            raise Forbidden(self.read_only_reason)


Authenticate = Callable[[Request], Principal]


def header_tenants(resolve: Callable[[str | None], str]) -> Authenticate:
    """An authenticator over a function of the Authorization header to a tenant, with
    every right in that tenant: for in-process apps of tests and tools, not a server."""

    def authenticate(request: Request) -> Principal:
        tenant = resolve(request.headers.get("authorization"))
        return Principal("key", tenant, Role.OWNER, actor=f"tenant:{tenant}")

    return authenticate
