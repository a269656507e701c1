"""Roles in an organisation, weakest first. Each role may do what the ones before it may.

========  =================================================================
viewer    reads every figure, trace, event, capture and setting of the org
editor    also writes rules, silences, channels, checks, targets, reports,
          and requests captures
admin     also manages members, invitations, projects, ingest keys and
          API tokens, and reads the audit log
owner     also changes owners and the organisation itself
========  =================================================================
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def allows(self, needed: Role) -> bool:
        """Whether this role may do what ``needed`` may."""
        return self.rank >= needed.rank


_RANK = {role: i for i, role in enumerate(Role)}
