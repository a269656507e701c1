"""The names and shapes of Bongsu's credentials, and how their secrets are kept.

=================  ===========================================  ======================
credential         sent as                                      stored as
=================  ===========================================  ======================
ingest key         ``Authorization: Bearer bsk_…`` (OTLP, agent)  SHA-256 of the key
API token          ``Authorization: Bearer bst_…`` (API)          SHA-256 of the token
session            cookie ``bongsu_session`` (HttpOnly)           SHA-256 of the id
CSRF token         header ``X-CSRF-Token`` = cookie ``bongsu_csrf``  SHA-256, per session
invitation         ``bsi_…`` in the invitation link                 SHA-256 of the token
e-mailed code      six digits, five minutes                         SHA-256 of the code
=================  ===========================================  ======================

The random secrets carry 192 bits, so a plain SHA-256 is enough; passwords are argon2id
(``bongsu.accounts.passwords``).
"""

from __future__ import annotations

import hashlib
import secrets

INGEST_KEY_PREFIX = "bsk_"
API_TOKEN_PREFIX = "bst_"
INVITATION_PREFIX = "bsi_"
SESSION_COOKIE = "bongsu_session"
CSRF_COOKIE = "bongsu_csrf"
CSRF_HEADER = "x-csrf-token"
PROJECT_HEADER = "x-bongsu-project"
SHOWN_PREFIX = 12  # characters of a key or token kept to name it in lists


def new_secret(prefix: str = "") -> str:
    """A fresh random secret (192 bits), URL-safe, after ``prefix``."""
    return prefix + secrets.token_urlsafe(24)


def digest(secret: str) -> str:
    """How a random secret is stored and looked up."""
    return hashlib.sha256(secret.encode()).hexdigest()


def bearer(authorization: str | None) -> str | None:
    """The credential of ``Authorization: Bearer X``; None when there is no header;
    ``""`` when the header is not of that form."""
    if authorization is None:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""
