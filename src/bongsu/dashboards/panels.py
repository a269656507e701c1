"""Each user's pinned panels ("my dashboard"), per project, in the metadata database.

A panel is a console panel kind (``dashboard.tps``, ``topology.map``) with its parameters
(an object of strings: the service, the instance, anything the kind needs) and its place
on a grid of :data:`COLUMNS` columns: ``x`` 0-11 and ``w`` 1-12 with ``x + w <= 12``, ``y``
and ``h`` in rows. Panels belong to an owner (``user:<id>``; ``single-user`` on a
single-user server) in one project; another owner's panel is not found, never forbidden.

Contract: every write is one transaction, durable on return. :meth:`PanelStore.add`
places the new panel at the end (below every other one, left); :meth:`PanelStore.layout`
takes every panel of the owner at once (a missing, repeated, unknown or foreign id is a
:class:`~bongsu.errors.NotFound` or :class:`~bongsu.errors.RuleError` naming it, and
nothing is written) and numbers their order as given. Overlapping places are stored as
given: the console moves panels out of each other's way before it saves, and draws
whatever is stored. At most :data:`MAX_PANELS` per owner and project (a
:class:`~bongsu.errors.Conflict` beyond), also when pins arrive at once: a write takes a
lock of the owner's dashboard before counting (PostgreSQL: a transaction-scoped advisory
lock; SQLite: the database's write lock), so the next one counts what it wrote.

Example::

    store = PanelStore(engine)
    panel = store.add("user:7", "default", NewPanel("dashboard.tps", "TPS · shop",
                                                   {"service": "shop"}, w=3, h=2))
    store.layout("user:7", "default", [Place(panel.id, x=0, y=0, w=6, h=4)])
    store.list("user:7", "default")[0].w        # 6
"""

from __future__ import annotations

import builtins
import hashlib
import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bongsu.dashboards.tables import dashboard_panels as t
from bongsu.errors import Conflict, NotFound, RuleError

COLUMNS = 12
MAX_ROWS = 200  # y + h: 50 panels of 4 rows stacked
MAX_H = 12
MAX_PANELS = 50
MAX_PARAMS = 16
MAX_PARAMS_BYTES = 2048
MAX_VALUE = 256
_KIND = re.compile(r"[a-z][a-z0-9-]*(\.[a-z0-9-]+)+")
_PARAM = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True, slots=True)
class NewPanel:
    kind: str
    title: str
    params: Mapping[str, str]
    w: int = 4
    h: int = 3


@dataclass(frozen=True, slots=True)
class Place:
    id: int
    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True, slots=True)
class Panel:
    id: int
    kind: str
    title: str
    params: dict[str, str]
    x: int
    y: int
    w: int
    h: int
    order: int
    created_us: int
    updated_us: int


def check_kind(kind: str) -> None:
    if len(kind) > 64 or not _KIND.fullmatch(kind):
        raise RuleError("kind", "a panel kind such as 'dashboard.tps': lowercase words "
                                "joined by dots, at most 64 characters")


def check_title(title: str) -> None:
    if not title.strip() or len(title) > 200:
        raise RuleError("title", "1-200 characters, not only spaces")


def check_params(params: Mapping[str, str]) -> None:
    """Refuse anything but a small object of short strings (raises RuleError naming it)."""
    if len(params) > MAX_PARAMS:
        raise RuleError("params", f"at most {MAX_PARAMS} entries, got {len(params)}")
    for key, value in params.items():
        if not _PARAM.fullmatch(key):
            raise RuleError(f"params.{key}"[:80], "names are a letter then letters, digits, "
                                                  "'_', '.' or '-', at most 64 characters")
        if not isinstance(value, str) or len(value) > MAX_VALUE:
            raise RuleError(f"params.{key}", f"a string of at most {MAX_VALUE} characters")
    size = len(json.dumps(dict(params), ensure_ascii=False).encode())
    if size > MAX_PARAMS_BYTES:
        raise RuleError("params", f"at most {MAX_PARAMS_BYTES} bytes as JSON, got {size}")


def check_size(w: int, h: int, where: str = "") -> None:
    if not 1 <= w <= COLUMNS:
        raise RuleError(f"{where}w", f"1-{COLUMNS} columns, got {w}")
    if not 1 <= h <= MAX_H:
        raise RuleError(f"{where}h", f"1-{MAX_H} rows, got {h}")


def check_place(p: Place, where: str) -> None:
    check_size(p.w, p.h, where)
    if not 0 <= p.x <= COLUMNS - p.w:
        raise RuleError(f"{where}x", f"0-{COLUMNS - p.w} for a panel {p.w} columns wide "
                                     f"(the grid has {COLUMNS}), got {p.x}")
    if not 0 <= p.y <= MAX_ROWS - p.h:
        raise RuleError(f"{where}y", f"0-{MAX_ROWS - p.h} for a panel {p.h} rows high, "
                                     f"got {p.y}")


class PanelStore:
    """The ``dashboard_panels`` table (see the module docstring for the contract)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def list(self, owner: str, tenant: str) -> list[Panel]:
        """The owner's panels in the project, in their order."""
        with self.engine.connect() as con:
            return _panels(con, owner, tenant)

    def add(self, owner: str, tenant: str, new: NewPanel) -> Panel:
        """Pin a panel below all the others (Conflict past MAX_PANELS)."""
        check_kind(new.kind)
        check_title(new.title)
        check_params(new.params)
        check_size(new.w, new.h)
        now = _now_us()
        with self.engine.begin() as con:
            mine = _panels(con, owner, tenant, lock=True)
            if len(mine) >= MAX_PANELS:
                raise Conflict(f"panels: at most {MAX_PANELS} panels on a dashboard; remove "
                               "one first")
            y = max((p.y + p.h for p in mine), default=0)
            if y + new.h > MAX_ROWS:
                raise Conflict(f"panels: the dashboard is full ({MAX_ROWS} rows); move or "
                               "remove a panel first")
            order = max((p.order for p in mine), default=-1) + 1
            panel_id = con.execute(sa.insert(t).values(
                owner=owner, tenant=tenant, kind=new.kind, title=new.title.strip(),
                params=json.dumps(dict(new.params), sort_keys=True), x=0, y=y, w=new.w,
                h=new.h, ord=order, created_us=now, updated_us=now,
            ).returning(t.c.id)).scalar_one()
            return _get(con, owner, tenant, int(panel_id))

    def layout(self, owner: str, tenant: str, places: Sequence[Place]) -> builtins.list[Panel]:
        """Place every panel of the owner at once; their order becomes the list's."""
        seen: set[int] = set()
        for i, p in enumerate(places):
            check_place(p, f"panels[{i}].")
            if p.id in seen:
                raise RuleError(f"panels[{i}].id", f"panel {p.id} is listed twice")
            seen.add(p.id)
        now = _now_us()
        with self.engine.begin() as con:
            mine = {p.id for p in _panels(con, owner, tenant, lock=True)}
            for i, p in enumerate(places):
                if p.id not in mine:
                    raise NotFound(f"panels[{i}].id: no panel {p.id} on your dashboard")
            missing = sorted(mine - seen)
            if missing:
                raise RuleError("panels", "the layout lists every panel of the dashboard; "
                                          f"missing: {', '.join(map(str, missing))}")
            for order, p in enumerate(places):
                con.execute(sa.update(t).where(t.c.id == p.id).values(
                    x=p.x, y=p.y, w=p.w, h=p.h, ord=order, updated_us=now))
            return _panels(con, owner, tenant)

    def update(self, owner: str, tenant: str, panel_id: int, title: str | None = None,
               params: Mapping[str, str] | None = None) -> Panel:
        """Rename a panel or replace its parameters."""
        values: dict[str, object] = {"updated_us": _now_us()}
        if title is not None:
            check_title(title)
            values["title"] = title.strip()
        if params is not None:
            check_params(params)
            values["params"] = json.dumps(dict(params), sort_keys=True)
        with self.engine.begin() as con:
            _get(con, owner, tenant, panel_id)
            con.execute(sa.update(t).where(t.c.id == panel_id).values(**values))
            return _get(con, owner, tenant, panel_id)

    def remove(self, owner: str, tenant: str, panel_id: int) -> None:
        """Unpin a panel (NotFound when it is not the owner's)."""
        with self.engine.begin() as con:
            gone = con.execute(sa.delete(t).where(
                t.c.id == panel_id, t.c.owner == owner, t.c.tenant == tenant)).rowcount
        if not gone:
            raise NotFound(f"id: no panel {panel_id} on your dashboard")


def _panels(con: Connection, owner: str, tenant: str, lock: bool = False) -> list[Panel]:
    """The owner's panels; with ``lock``, after taking the dashboard's write lock, so two
    writes of one dashboard at once run one after the other and each reads the other's."""
    if lock:
        if con.dialect.name == "postgresql":
            # Row locks would miss a panel inserted meanwhile; this lock is the dashboard's.
            key = int.from_bytes(hashlib.sha256(f"panels\0{owner}\0{tenant}".encode())
                                 .digest()[:8], "big", signed=True)
            con.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        else:
            # A write statement takes SQLite's write lock now (busy_timeout waits for it),
            # before the count is read, rather than at the insert.
            con.execute(sa.update(t).where(sa.false()).values(ord=t.c.ord))
    query = sa.select(t).where(t.c.owner == owner, t.c.tenant == tenant).order_by(t.c.ord,
                                                                                  t.c.id)
    return [_row(r) for r in con.execute(query)]


def _get(con: Connection, owner: str, tenant: str, panel_id: int) -> Panel:
    row = con.execute(sa.select(t).where(t.c.id == panel_id, t.c.owner == owner,
                                         t.c.tenant == tenant)).first()
    if row is None:
        raise NotFound(f"id: no panel {panel_id} on your dashboard")
    return _row(row)


def _row(r: sa.Row[tuple[object, ...]]) -> Panel:
    m = r._mapping
    return Panel(int(m["id"]), str(m["kind"]), str(m["title"]), json.loads(str(m["params"])),
                 int(m["x"]), int(m["y"]), int(m["w"]), int(m["h"]), int(m["ord"]),
                 int(m["created_us"]), int(m["updated_us"]))


def _now_us() -> int:
    return time.time_ns() // 1000
