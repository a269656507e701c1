"""Ingest keys: ``Authorization: Bearer bsk_…`` names the project (tenant) telemetry and
agent control requests belong to.

A key writes telemetry and answers the agent control channel for its own project only;
it reads nothing through the API (``bongsu.accounts.authenticate``). Keys are stored only
as SHA-256 hashes; the key itself is shown once. A revoked key is refused by the replica
that revoked it at once, by the others within two seconds.

Example::

    ring = KeyRing.open("sqlite:///bongsu-data/meta.sqlite")
    created = ring.create("acme", name="prod agents")
    assert ring.resolve(f"Bearer {created.key}") == "acme"
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, select, update

from bongsu.accounts.credentials import INGEST_KEY_PREFIX, SHOWN_PREFIX, bearer, digest, new_secret
from bongsu.accounts.tables import orgs, projects
from bongsu.errors import Unauthorized
from bongsu.meta.database import connect, upgrade
from bongsu.meta.tables import ingest_keys

__all__ = ["DEFAULT_TENANT", "KeyHit", "KeyInfo", "KeyRing", "upgrade"]  # upgrade: moved

DEFAULT_TENANT = "default"
_REFRESH_SECONDS = 2.0
Also = Callable[[Connection, "KeyInfo"], None]  # more work in a key change's transaction
_TOUCH_SECONDS = 60.0  # last-used times are written at most this often per key


@dataclass(frozen=True)
class KeyInfo:
    id: int
    tenant: str
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_us: int | None = None
    key: str | None = None  # only right after creation


@dataclass(frozen=True)
class KeyHit:
    """An active key's project, and when its organisation's trial ends (None: never)."""

    id: int
    tenant: str
    trial_ends_us: int | None


class KeyRing:
    """Creates, lists and revokes keys, and resolves request headers to projects."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._cache: dict[str, KeyHit] = {}
        self._loaded_at = 0.0
        self._touched: dict[int, float] = {}

    @classmethod
    def open(cls, url: str) -> KeyRing:
        """Open the metadata database, bringing its schema up to date."""
        return cls(connect(url))

    def create(self, tenant: str, name: str = "", also: Also | None = None) -> KeyInfo:
        """A new key for the project of ``tenant``; a tenant without a project gets an
        organisation of its own (the CLI's ``keys create --tenant``). ``also`` runs in the
        same transaction (the audit entry)."""
        key = new_secret(INGEST_KEY_PREFIX)
        now = datetime.now(UTC)
        with self._engine.begin() as con:
            _ensure_project(con, tenant, int(now.timestamp() * 1e6))
            result = con.execute(
                ingest_keys.insert().values(
                    tenant=tenant, name=name, prefix=key[:SHOWN_PREFIX], key_hash=digest(key),
                    created_at=now,
                )
            )
            key_id = result.inserted_primary_key[0] if result.inserted_primary_key else 0
            info = KeyInfo(int(key_id), tenant, name, key[:SHOWN_PREFIX], now, None, None, key)
            if also is not None:
                also(con, info)
        self._loaded_at = 0.0
        return info

    def list(self, tenant: str | None = None) -> list[KeyInfo]:
        query = select(ingest_keys).order_by(ingest_keys.c.id)
        if tenant is not None:
            query = query.where(ingest_keys.c.tenant == tenant)
        with self._engine.connect() as con:
            rows = con.execute(query).all()
        return [
            KeyInfo(r.id, r.tenant, r.name, r.prefix, r.created_at, r.revoked_at, r.last_used_us)
            for r in rows
        ]

    def revoke(self, key_id_or_prefix: str, tenant: str | None = None,
               also: Also | None = None) -> bool:
        """Revoke one active key (of ``tenant`` only, when given); False: none such.
        ``also`` runs in the same transaction when a key was revoked."""
        by_id = key_id_or_prefix.isascii() and key_id_or_prefix.isdigit()
        column = ingest_keys.c.id if by_id else ingest_keys.c.prefix
        value: int | str = int(key_id_or_prefix) if by_id else key_id_or_prefix
        active = [column == value, ingest_keys.c.revoked_at.is_(None)]
        if tenant is not None:
            active.append(ingest_keys.c.tenant == tenant)
        with self._engine.begin() as con:
            now = datetime.now(UTC)
            rows = con.execute(select(ingest_keys).where(*active)).all()
            result = con.execute(update(ingest_keys).where(*active).values(revoked_at=now))
            if also is not None:
                for row in rows:
                    also(con, KeyInfo(row.id, row.tenant, row.name, row.prefix,
                                      row.created_at, now, row.last_used_us))
        self._loaded_at = 0.0
        return bool(result.rowcount)

    def lookup(self, key: str) -> KeyHit | None:
        """The active key ``key``, or None; notes its use."""
        hit = self._active().get(digest(key))
        if hit is not None:
            self._touch(hit.id)
        return hit

    def resolve(self, authorization: str | None) -> str:
        """The project (tenant) of a request's ``Authorization: Bearer KEY``, or
        Unauthorized."""
        key = bearer(authorization)
        if key is None:
            raise Unauthorized("an ingest key is required: send 'Authorization: Bearer KEY'")
        if not key:
            raise Unauthorized("the Authorization header must be 'Bearer KEY'")
        hit = self.lookup(key)
        if hit is None:
            raise Unauthorized("the ingest key is unknown or revoked")
        return hit.tenant

    def _active(self) -> dict[str, KeyHit]:
        if time.monotonic() - self._loaded_at < _REFRESH_SECONDS:
            return self._cache
        with self._lock:
            with self._engine.connect() as con:
                rows = con.execute(
                    select(ingest_keys.c.id, ingest_keys.c.key_hash, ingest_keys.c.tenant,
                           orgs.c.trial_ends_us)
                    .select_from(ingest_keys.outerjoin(
                        projects, projects.c.tenant == ingest_keys.c.tenant
                    ).outerjoin(orgs, orgs.c.id == projects.c.org_id))
                    .where(ingest_keys.c.revoked_at.is_(None))
                ).all()
            self._cache = {r.key_hash: KeyHit(r.id, r.tenant, r.trial_ends_us) for r in rows}
            self._loaded_at = time.monotonic()
            return self._cache

    def _touch(self, key_id: int) -> None:
        now = time.monotonic()
        if now - self._touched.get(key_id, -_TOUCH_SECONDS) < _TOUCH_SECONDS:
            return
        self._touched[key_id] = now
        with self._engine.begin() as con:
            con.execute(update(ingest_keys).where(ingest_keys.c.id == key_id)
                        .values(last_used_us=int(time.time() * 1e6)))

    def close(self) -> None:
        self._engine.dispose()


def _ensure_project(con: Connection, tenant: str, now_us: int) -> None:
    if con.execute(select(projects.c.id).where(projects.c.tenant == tenant)).first():
        return
    org_id = con.execute(select(orgs.c.id).where(orgs.c.slug == tenant[:64])).scalar()
    if org_id is None:
        org_id = con.execute(orgs.insert().values(
            slug=tenant[:64], name=tenant, trial_ends_us=None, created_us=now_us
        ).returning(orgs.c.id)).scalar_one()
    con.execute(projects.insert().values(
        org_id=org_id, name=tenant[:128], tenant=tenant, created_us=now_us))
