"""Who the user of a request is, hashed at the edge: the agent's ``enduser.id``.

``BONGSU_USER_KEY`` lists where to look, first match wins: ``cookie:NAME`` (a session
cookie), ``header:NAME`` (a header the gateway sets, e.g. ``X-User``), ``client_ip`` (the
first ``X-Forwarded-For`` address, else the peer's), or ``none``. The value found is
never sent: the server span gets ``enduser.id = HMAC-SHA256(BONGSU_USER_SALT, source +
value)``, 128 bits as hex, so the same user has the same id in every process of the
deployment that shares the salt. An ``enduser.id`` the application sets on the span itself
(``bongsu.agent.current_span().attrs["enduser.id"] = ...``) replaces it: the application
knows its users best.

Example::

    keys = UserKeys("cookie:SESSIONID,client_ip", "s3cret")
    uid = keys.wsgi({"HTTP_COOKIE": "SESSIONID=abc; theme=dark"})
    assert uid is not None and "abc" not in uid and len(uid) == 32
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

__all__ = ["DEFAULT_SALT", "UserKeys", "parse_user_key"]

# Without BONGSU_USER_SALT hashes are still stable, but anyone with the agent's source can
# test a guessed value (an IPv4 address space is 2^32 tries): set a secret salt.
DEFAULT_SALT = "bongsu-default-user-salt"
_SOURCES = ("cookie", "header", "client_ip", "none", "enduser.id")


def parse_user_key(spec: str) -> list[tuple[str, str]]:
    """``cookie:SESSIONID,client_ip`` -> [("cookie", "SESSIONID"), ("client_ip", "")];
    raises ValueError naming a bad item. ``enduser.id`` (always first) and ``none`` add
    nothing."""
    out: list[tuple[str, str]] = []
    for item in (p.strip() for p in spec.split(",")):
        if not item:
            continue
        kind, _, name = item.partition(":")
        kind = kind.strip().lower()
        name = name.strip()
        if kind in ("cookie", "header"):
            if not name:
                raise ValueError(f"user_key: {item!r} needs a name ({kind}:NAME)")
            out.append((kind, name if kind == "cookie" else name.lower()))
        elif kind in ("client_ip", "none", "enduser.id") and not name:
            if kind == "client_ip":
                out.append((kind, ""))
        else:
            raise ValueError(f"user_key: unknown source {item!r}; expected cookie:NAME, "
                             "header:NAME, client_ip, enduser.id or none")
    return out


class UserKeys:
    """The configured user-key sources and the salt; one per agent."""

    def __init__(self, spec: str, salt: str) -> None:
        self.sources = parse_user_key(spec)
        self._key = (salt or DEFAULT_SALT).encode()
        self._cookies = [n for k, n in self.sources if k == "cookie"]
        self._headers = {n.encode("latin-1") for k, n in self.sources if k == "header"}
        if any(k == "cookie" for k, _ in self.sources):
            self._headers.add(b"cookie")
        if any(k == "client_ip" for k, _ in self.sources):
            self._headers.add(b"x-forwarded-for")

    def __bool__(self) -> bool:
        return bool(self.sources)

    def hashed(self, source: str, value: str) -> str:
        """The id sent for one found value."""
        mac = hmac.new(self._key, (source + "\0" + value).encode(), hashlib.sha256)
        return mac.hexdigest()[:32]

    def wsgi(self, environ: Mapping[str, Any]) -> str | None:
        """The hashed key of a WSGI request, or None when no source has a value."""
        get = environ.get
        for kind, name in self.sources:
            if kind == "cookie":
                value = _cookie(get("HTTP_COOKIE") or "", name)
            elif kind == "header":
                value = get("HTTP_" + name.upper().replace("-", "_")) or None
            else:
                value = _forwarded(get("HTTP_X_FORWARDED_FOR")) or get("REMOTE_ADDR") or None
            if value:
                return self.hashed(kind + ":" + name, value)
        return None

    def asgi(self, scope: Mapping[str, Any]) -> str | None:
        """The hashed key of an ASGI HTTP request, or None."""
        wanted = self._headers
        found: dict[bytes, str] = {}
        for key, value in scope.get("headers") or ():
            if key in wanted and key not in found:
                found[key] = value.decode("latin-1")
        for kind, name in self.sources:
            if kind == "cookie":
                value = _cookie(found.get(b"cookie", ""), name)
            elif kind == "header":
                value = found.get(name.encode("latin-1")) or None
            else:
                client = scope.get("client")
                value = _forwarded(found.get(b"x-forwarded-for")) or (
                    client[0] if client else None)
            if value:
                return self.hashed(kind + ":" + name, value)
        return None


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, sep, value = part.partition("=")
        if sep and key.strip() == name:
            return value.strip().strip('"') or None
    return None


def _forwarded(header: str | None) -> str | None:
    if not header:
        return None
    return header.split(",", 1)[0].strip() or None
