"""Ingest keys: ``Authorization: Bearer KEY`` names a tenant.

With no active key the server runs in single-user mode and everything belongs to tenant
``default``. Keys are stored only as SHA-256 hashes; the key itself is shown once.

Example::

    ring = KeyRing.open("sqlite:///bongsu-data/meta.sqlite")
    created = ring.create("acme", name="prod agents")
    assert ring.resolve(f"Bearer {created.key}") == "acme"
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select, update

from bongsu.errors import Unauthorized
from bongsu.meta.database import connect, upgrade
from bongsu.meta.tables import ingest_keys

__all__ = ["DEFAULT_TENANT", "KeyInfo", "KeyRing", "upgrade"]  # upgrade: moved to database

DEFAULT_TENANT = "default"
_REFRESH_SECONDS = 2.0


@dataclass(frozen=True)
class KeyInfo:
    id: int
    tenant: str
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    key: str | None = None  # only right after creation


class KeyRing:
    """Creates, lists and revokes keys, and resolves request headers to tenants."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._cache: dict[str, str] = {}
        self._loaded_at = 0.0

    @classmethod
    def open(cls, url: str) -> KeyRing:
        """Open the metadata database, bringing its schema up to date."""
        return cls(connect(url))

    def create(self, tenant: str, name: str = "") -> KeyInfo:
        key = "bsk_" + secrets.token_urlsafe(24)
        now = datetime.now(UTC)
        with self._engine.begin() as con:
            result = con.execute(
                ingest_keys.insert().values(
                    tenant=tenant, name=name, prefix=key[:12], key_hash=_hash(key),
                    created_at=now,
                )
            )
            key_id = result.inserted_primary_key[0] if result.inserted_primary_key else 0
        self._loaded_at = 0.0
        return KeyInfo(int(key_id), tenant, name, key[:12], now, None, key)

    def list(self) -> list[KeyInfo]:
        with self._engine.connect() as con:
            rows = con.execute(select(ingest_keys).order_by(ingest_keys.c.id)).all()
        return [
            KeyInfo(r.id, r.tenant, r.name, r.prefix, r.created_at, r.revoked_at) for r in rows
        ]

    def revoke(self, key_id_or_prefix: str) -> bool:
        column = ingest_keys.c.id if key_id_or_prefix.isdigit() else ingest_keys.c.prefix
        value: int | str = int(key_id_or_prefix) if key_id_or_prefix.isdigit() else key_id_or_prefix
        with self._engine.begin() as con:
            result = con.execute(
                update(ingest_keys)
                .where(column == value, ingest_keys.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
        self._loaded_at = 0.0
        return bool(result.rowcount)

    def resolve(self, authorization: str | None) -> str:
        """The tenant for a request's Authorization header, or Unauthorized."""
        active = self._active()
        if not active:
            return DEFAULT_TENANT
        if not authorization:
            raise Unauthorized("an ingest key is required: send 'Authorization: Bearer KEY'")
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise Unauthorized("the Authorization header must be 'Bearer KEY'")
        tenant = active.get(_hash(key.strip()))
        if tenant is None:
            raise Unauthorized("the ingest key is unknown or revoked")
        return tenant

    def _active(self) -> dict[str, str]:
        if time.monotonic() - self._loaded_at < _REFRESH_SECONDS:
            return self._cache
        with self._lock:
            with self._engine.connect() as con:
                rows = con.execute(
                    select(ingest_keys.c.key_hash, ingest_keys.c.tenant).where(
                        ingest_keys.c.revoked_at.is_(None)
                    )
                ).all()
            self._cache = {r.key_hash: r.tenant for r in rows}
            self._loaded_at = time.monotonic()
            return self._cache

    def close(self) -> None:
        self._engine.dispose()


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
