"""The account policy — user ids and passwords — and how passwords are hashed.

The rules are sentences, so the 400 a server answers and the sign-up form
(``GET /api/v1/auth/policy``) say the same thing. Passwords are hashed with argon2id
(argon2-cffi's defaults: 64 MiB, 3 passes, 4 lanes; 0.2-0.3 s a hash or check, measured
on the shared 2-core build machine while it ran other tests), and a hash made with weaker
parameters is replaced at the next sign-in.

Example::

    problems = password_problems("hunter2")   # ["needs an upper-case letter", …]
    stored = hash_password("Tr0ub4dor&3")
    ok, rehash = check_password(stored, "Tr0ub4dor&3")
"""

from __future__ import annotations

import re
import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

LOGIN_PATTERN = r"^[A-Z0-9_]{3,32}$"
LOGIN_RULES = ["3 to 32 characters: capital letters A-Z, digits 0-9 and underscore _"]
MIN_PASSWORD, MAX_PASSWORD = 8, 128
_SPECIAL = re.compile(r"[^A-Za-z0-9]")
_PASSWORD_RULES: list[tuple[str, str]] = [
    ("length", f"at least {MIN_PASSWORD} characters (at most {MAX_PASSWORD})"),
    ("upper", "an upper-case letter"),
    ("lower", "a lower-case letter"),
    ("digit", "a digit"),
    ("special", "a special character (not a letter or digit)"),
]
PASSWORD_RULES = [text for _, text in _PASSWORD_RULES]

_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) parameters
# Checked against when the user id is unknown, so that answer takes as long as a wrong
# password's (no telling from the time which user ids exist).
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))


def login_problems(login: str) -> list[str]:
    """Why ``login`` is not a valid user id (empty when it is)."""
    return [] if re.fullmatch(LOGIN_PATTERN, login) else [f"needs {LOGIN_RULES[0]}"]


def password_problems(password: str) -> list[str]:
    """Each rule ``password`` breaks, as "needs …" sentences (empty when it passes)."""
    failed = {
        "length": not MIN_PASSWORD <= len(password) <= MAX_PASSWORD,
        "upper": not any(c.isupper() for c in password),
        "lower": not any(c.islower() for c in password),
        "digit": not any(c.isdigit() for c in password),
        "special": _SPECIAL.search(password) is None,
    }
    return [f"needs {text}" for name, text in _PASSWORD_RULES if failed[name]]


def hash_password(password: str) -> str:
    """The argon2id hash to store."""
    return _hasher.hash(password)


def check_password(stored: str | None, password: str) -> tuple[bool, bool]:
    """(whether ``password`` matches ``stored``, whether ``stored`` should be re-hashed).
    ``stored`` None (no such user, or an OIDC-only one) costs as much as a wrong one."""
    try:
        _hasher.verify(stored or _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return False, False
    if stored is None:
        return False, False
    return True, _hasher.check_needs_rehash(stored)


def random_password(length: int = 20) -> str:
    """A password that passes the policy (for the first operator account)."""
    alphabet = string.ascii_letters + string.digits + "-_.!@#%+="
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if not password_problems(candidate):
            return candidate
