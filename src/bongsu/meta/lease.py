"""A lease in the metadata database: which one of several replicas does a singleton's work.

Replicas sharing one metadata database (``BONGSU_META_URL`` on PostgreSQL) each run the
alert evaluator and the notification dispatcher, but only the holder of the lease
``alerts`` lets them work. Contract:

- at most one holder at a time: :meth:`Lease.acquire` is one conditional ``UPDATE`` (taken
  when the row is this holder's or has expired), then, only if there was no row, one
  ``INSERT … ON CONFLICT DO NOTHING`` (then, for a dead holder, the takeover below) —
  each atomic on SQLite (one writer at a time) and on PostgreSQL (the ``UPDATE``
  re-checks its ``WHERE`` on the row a concurrent one committed);
- the holder renews it every ``renew_s``; if it stops (a crash, a partition) the row
  expires ``ttl_s`` after the last renewal and the next replica to try takes it over,
  and ``epoch`` counts one more takeover;
- a holder counts itself active only until ``ttl_s - margin_s`` after the *start* of its
  last successful renewal (:class:`LeaseKeeper`), so it stops before anyone can take over,
  as long as the replicas' clocks agree to within ``margin_s`` (the expiry is written
  and compared in wall-clock time: run NTP);
- :meth:`Lease.release` (a clean stop) expires it at once, so a standby takes over at its
  next try instead of waiting out the TTL;
- a holder that is provably dead is taken over before its expiry: :func:`holder_id` carries
  the host's boot id, the pid namespace, the pid and the process's start time, and a
  replica on the same boot and in the same pid namespace takes a lease whose holder's pid
  is gone or another process (another start time) at once — so a server restarted after
  ``kill -9`` works again at its first try. That takeover is one
  compare-and-swap ``UPDATE`` on the holder string read, so of several takers one wins.
  Anything it cannot prove (another host or namespace, ``/proc`` unreadable, an id of the
  old form) waits for the expiry.

The leases of a server, one per singleton job (``alerts``: the evaluator and the
dispatcher; ``metering``: the metering job and the Kubernetes watches and ingress scrapes
whose view and points it reads; ``checks``: the synthetic checks' schedule; ``reports``:
the report schedules; ``support``: the support requests' outbox). One lease per job, not
one for all: the jobs' load spreads over the replicas as each takes what is free, and a
job that is off (``BONGSU_CHECKS=off``) takes none; jobs that read each other's state in
memory share one (the watches and metering). ``GET /api/v1/leases`` lists them.

A job resumes where the previous holder stopped from what the metadata database records
(a report's delivery per period, an alert's state, the outbox); what only the previous
holder's own store recorded (a check's last probe, with replicas' stores apart) is
bounded by :attr:`LeaseKeeper.handover`: the previous holder's tenure, up to the last
moment it can have worked.

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


_PROOF = ";proc="  # what follows: boot id/pid namespace/pid/start time


def holder_id() -> str:
    """This process's name as a holder: host, pid and a random part (a restarted container
    has the same host name and often pid 1), then, where ``/proc`` tells them, what proves
    its death to a replica on the same host: ``;proc=BOOT_ID/PIDNS/PID/START``."""
    pid = os.getpid()
    name = f"{socket.gethostname()}/{pid}/{secrets.token_hex(3)}"
    here, start = _here(), _start_time(pid)
    if here is None or start is None:
        return name
    return f"{name}{_PROOF}{here[0]}/{here[1]}/{pid}/{start}"


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii") as f:
            return f.read().strip()
    except (OSError, ValueError):
        return None


def _here() -> tuple[str, str] | None:
    """This host's boot id and this process's pid namespace, or None if ``/proc`` does not
    tell them (or is not this namespace's: its ``self`` is not our pid)."""
    boot = _read("/proc/sys/kernel/random/boot_id")
    try:
        ns = os.readlink("/proc/self/ns/pid")  # "pid:[4026531836]"
        own = os.readlink("/proc/self")
    except OSError:
        return None
    if not boot or own != str(os.getpid()) or not (ns.startswith("pid:[") and ns.endswith("]")):
        return None
    return boot, ns[5:-1]


def _start_time(pid: int) -> int | None:
    """A process's start time (field 22 of ``/proc/PID/stat``, clock ticks after boot), or
    None if it cannot be read."""
    stat = _read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    # The name (field 2) is in parentheses and may hold spaces or ")": split after the last.
    fields = stat.rpartition(")")[2].split()
    if len(fields) < 20 or not fields[19].isdigit():
        return None
    return int(fields[19])


def provably_dead(holder: str) -> bool:
    """Whether ``holder`` (a :func:`holder_id`) names a process of this boot and this pid
    namespace that is gone, or replaced by another one under the same pid.
    False whenever that cannot be told: the holder may be alive, so its lease stands."""
    proof = holder.partition(_PROOF)[2].split("/")
    here = _here()
    if len(proof) != 4 or here is None or (proof[0], proof[1]) != here:
        return False
    try:
        pid, start = int(proof[2]), int(proof[3])
    except ValueError:
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)  # existence, even where /proc hides other users' processes
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it exists, another user's
    except OSError:
        return False
    # A zombie (dead, not yet reaped) keeps its start time, but so does a live process whose
    # first thread alone has ended: it waits for the expiry.
    now = _start_time(pid)
    return now is not None and now != start  # unreadable (hidepid): maybe alive


@dataclass(frozen=True, slots=True)
class LeaseState:
    """The lease's row as stored; ``expires_us`` in the past (or 0) means free."""

    name: str
    holder: str
    expires_us: int
    acquired_us: int
    renewed_us: int
    epoch: int


@dataclass(frozen=True, slots=True)
class Handover:
    """The previous holder's tenure, as a new holder found the row: ``previous`` held the
    lease from ``since_us`` and can have worked until ``until_us`` (its last renewal plus
    the TTL, or the takeover if that came first), epoch µs."""

    previous: str
    since_us: int
    until_us: int


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
            if created is not None:
                return True
            # Held and not expired: taken only if its holder is provably dead, by a
            # compare-and-swap on the holder read (a concurrent taker changed it: no row).
            held_by = con.execute(
                select(leases.c.holder).where(leases.c.name == self.name)).scalar()
            if held_by is None or held_by == self.holder or not provably_dead(held_by):
                return False
            log.warning("lease %s: its holder %s is dead (same host, pid gone or reused); "
                        "taking it over before its expiry", self.name, held_by)
            taken = con.execute(
                update(leases)
                .where(leases.c.name == self.name, leases.c.holder == held_by)
                .values(holder=self.holder, expires_us=expires_us, renewed_us=now_us,
                        acquired_us=now_us, epoch=leases.c.epoch + 1)
                .returning(leases.c.name)
            ).first()
            return taken is not None

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
        # Set at each takeover from another holder, None when the lease was new or ours.
        self.handover: Handover | None = None

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
                # The row before a takeover: whose tenure this one follows.
                before = None if was_active else self.lease.state()
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
                    self.handover = None
                    if before is not None and before.holder != self.holder:
                        self.handover = Handover(before.holder, before.acquired_us, min(
                            self.lease.now_us(), before.renewed_us + int(self.ttl_s * _US)))
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


__all__ = ["Handover", "Lease", "LeaseKeeper", "LeaseState", "holder_id", "leases", "provably_dead"]
