"""A lease in the metadata database: which one of several replicas does a singleton's work.

Replicas sharing one metadata database (``BONGSU_META_URL`` on PostgreSQL) each run the
alert evaluator and the notification dispatcher, but only the holder of the lease
``alerts`` lets them work. Contract:

- at most one holder at a time: :meth:`Lease.acquire` is one conditional ``UPDATE`` (taken
  when the row is this holder's or has expired), then, only if there was no row, one
  ``INSERT … ON CONFLICT DO NOTHING`` — each atomic on SQLite (one writer at a time) and on
  PostgreSQL (the ``UPDATE`` re-checks its ``WHERE`` on the row a concurrent one committed);
- the holder renews it every ``renew_s``; if it stops (a crash, a partition) the row
  expires ``ttl_s`` after the last renewal and the next replica to try takes it over,
  and ``epoch`` counts one more takeover;
- a holder counts itself active only until ``ttl_s - margin_s`` after the *start* of its
  last successful renewal (:class:`LeaseKeeper`), so it stops before anyone can take over,
  as long as the replicas' clocks agree to within ``margin_s`` (the expiry is written
  and compared in wall-clock time: run NTP);
- :meth:`Lease.release` (a clean stop) expires it at once, so a standby takes over at its
  next try instead of waiting out the TTL.

Example::

    keeper = LeaseKeeper(Lease(engine, "alerts", holder_id()), ttl_s=15, renew_s=5)
    keeper.start()
    evaluator = Evaluator(..., active=keeper.active)
    ...
    keeper.stop()  # releases it
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    String,
    Table,
    case,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from bongsu.meta.tables import metadata

log = logging.getLogger("bongsu.meta.lease")
_US = 1_000_000

leases = Table(
    "leases",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(256), nullable=False),
    Column("expires_us", BigInteger, nullable=False),
    Column("acquired_us", BigInteger, nullable=False),  # when this holder took it
    Column("renewed_us", BigInteger, nullable=False),
    Column("epoch", BigInteger, nullable=False),  # 1 at the first holder, +1 per takeover
)


def holder_id() -> str:
    """This process's name as a holder: host, pid and a random part (a restarted container
    has the same host name and often pid 1)."""
    return f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(3)}"


@dataclass(frozen=True, slots=True)
class LeaseState:
    """The lease's row as stored; ``expires_us`` in the past (or 0) means free."""

    name: str
    holder: str
    expires_us: int
    acquired_us: int
    renewed_us: int
    epoch: int


class Lease:
    """One named lease, tried for by one holder. Each call is one short transaction."""

    def __init__(self, engine: Engine, name: str, holder: str,
                 clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.name = name
        self.holder = holder
        self._clock = clock

    def now_us(self) -> int:
        """Now by this holder's clock, epoch µs (what expiries are compared with)."""
        return int(self._clock() * _US)

    def acquire(self, ttl_s: float) -> bool:
        """Take the lease or renew it for ``ttl_s`` from now; False if another holds it."""
        now_us = self.now_us()
        expires_us = now_us + int(ttl_s * _US)
        mine = leases.c.holder == self.holder
        with self.engine.begin() as con:
            taken = con.execute(
                update(leases)
                .where(leases.c.name == self.name,
                       mine | (leases.c.expires_us <= now_us))
                .values(holder=self.holder, expires_us=expires_us, renewed_us=now_us,
                        # On the right of SET every column is the row before the update.
                        acquired_us=case((mine, leases.c.acquired_us), else_=now_us),
                        epoch=case((mine, leases.c.epoch), else_=leases.c.epoch + 1))
                .returning(leases.c.name)
            ).first()
            if taken is not None:
                return True
            dialect = postgresql if con.dialect.name == "postgresql" else sqlite
            created = con.execute(
                dialect.insert(leases)
                .values(name=self.name, holder=self.holder, expires_us=expires_us,
                        acquired_us=now_us, renewed_us=now_us, epoch=1)
                .on_conflict_do_nothing(index_elements=["name"])
                # RETURNING, not rowcount: by rowcount, a second holder also "won" on
                # PostgreSQL (psycopg 3.3) when DO NOTHING had inserted nothing.
                .returning(leases.c.name)
            ).first()
            return created is not None

    def release(self) -> bool:
        """Expire the lease now if this holder has it (a clean stop); True if it had."""
        with self.engine.begin() as con:
            return bool(con.execute(
                update(leases)
                .where(leases.c.name == self.name, leases.c.holder == self.holder)
                .values(expires_us=0)
            ).rowcount)

    def state(self) -> LeaseState | None:
        """The row as stored, or None before anyone took it."""
        with self.engine.connect() as con:
            row = con.execute(select(leases).where(leases.c.name == self.name)).one_or_none()
        return None if row is None else LeaseState(**row._asdict())


class LeaseKeeper:
    """Keeps trying for a lease on a thread of its own; :meth:`active` is the gate.

    The holder renews every ``renew_s``; a replica that does not hold it tries every
    ``min(renew_s, 1 s)``, so it takes over at most about a second after the expiry.
    """

    def __init__(self, lease: Lease, ttl_s: float = 15.0, renew_s: float = 5.0,
                 margin_s: float | None = None) -> None:
        # A margin of a fifth of the TTL: 3 s at the default 15 s, for clock skew and for
        # the renewal statement's own time.
        self.margin_s = ttl_s / 5 if margin_s is None else margin_s
        if not 0 < renew_s < ttl_s - self.margin_s:
            raise ValueError(f"renew_s ({renew_s:g}) must be above 0 and below ttl_s - "
                             f"margin_s ({ttl_s:g} - {self.margin_s:g})")
        self.lease = lease
        self.ttl_s = ttl_s
        self.renew_s = renew_s
        self._valid_until = -float("inf")  # time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.errors = 0  # attempts that failed (the database was unreachable …)
        self.takeovers = 0  # times this keeper went from not holding to holding

    @property
    def holder(self) -> str:
        return self.lease.holder

    def active(self) -> bool:
        """Whether this replica holds the lease now (by its last successful renewal)."""
        return time.monotonic() < self._valid_until

    def try_once(self) -> bool:
        """One attempt to take or renew the lease; whether this replica holds it after."""
        with self._lock:
            started = time.monotonic()
            was_active = self.active()
            try:
                held = self.lease.acquire(self.ttl_s)
            except SQLAlchemyError as exc:
                # Keep the last validity: it lapses by itself if the database stays away.
                self.errors += 1
                log.warning("lease %s: could not renew: %s", self.lease.name, exc)
                return self.active()
            if held:
                self._valid_until = started + self.ttl_s - self.margin_s
                if not was_active:
                    self.takeovers += 1
                    log.info("lease %s: held by this replica (%s)", self.lease.name,
                             self.holder)
            else:
                if was_active:
                    log.warning("lease %s: lost to another replica", self.lease.name)
                self._valid_until = -float("inf")
            return held

    def start(self) -> None:
        """Try at once (so a lone replica is active when this returns), then keep trying."""
        self.try_once()
        self._thread = threading.Thread(target=self._run, name="bongsu-lease", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop trying and release the lease (call after the work it gates has stopped)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        with self._lock:
            self._valid_until = -float("inf")
            try:
                self.lease.release()
            except SQLAlchemyError as exc:
                log.warning("lease %s: could not release: %s", self.lease.name, exc)

    def _run(self) -> None:
        while not self._stop.wait(self.renew_s if self.active() else min(self.renew_s, 1.0)):
            self.try_once()


__all__ = ["Lease", "LeaseKeeper", "LeaseState", "holder_id", "leases"]
