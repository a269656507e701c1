"""The panels store on SQLite and on a real PostgreSQL: pins arriving at once still stop at
fifty per dashboard, each owner and project apart, and a refused layout writes nothing."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from agent.services import postgres_server
from bongsu.dashboards.panels import MAX_PANELS, NewPanel, PanelStore, Place
from bongsu.errors import Conflict, NotFound
from bongsu.meta.database import connect


@pytest.fixture(scope="module")
def pg_port() -> Iterator[int]:
    with postgres_server() as port:
        yield port


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PanelStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'meta.sqlite'}"
    else:
        port = request.getfixturevalue("pg_port")
        name = "d_" + secrets.token_hex(4)
        with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres",
                             autocommit=True) as con:
            con.execute(f"CREATE DATABASE {name}")
        url = f"postgresql://postgres@127.0.0.1:{port}/{name}"
    engine = connect(url)
    yield PanelStore(engine)
    engine.dispose()


def test_pins_at_once_stop_at_fifty(store: PanelStore) -> None:
    tries, threads = 15, 6  # 90 pins at once for 50 places
    made: list[int] = []
    refused: list[str] = []
    start = threading.Barrier(threads)

    def pin_many() -> None:
        start.wait()
        for _ in range(tries):
            try:
                made.append(store.add("user:1", "default", NewPanel("dashboard.tps", "t", {},
                                                                     w=2, h=1)).id)
            except Conflict as exc:
                refused.append(str(exc))

    workers = [threading.Thread(target=pin_many) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    panels = store.list("user:1", "default")
    assert len(made) == len(panels) == MAX_PANELS and len(refused) == tries * threads - 50
    # Each was placed below the one before it: one row each, no two on one row.
    assert sorted(p.y for p in panels) == list(range(MAX_PANELS))
    assert [p.order for p in panels] == list(range(MAX_PANELS))
    # Another owner, and the same owner in another project, have dashboards of their own.
    assert store.list("user:2", "default") == [] == store.list("user:1", "other")
    store.add("user:1", "other", NewPanel("topology.map", "Topology", {"level": "service"}))
    assert len(store.list("user:1", "default")) == MAX_PANELS


def test_a_refused_layout_writes_nothing(store: PanelStore) -> None:
    a = store.add("user:1", "default", NewPanel("dashboard.tps", "a", {}))
    b = store.add("user:2", "default", NewPanel("dashboard.tps", "b", {}))
    with pytest.raises(NotFound, match=r"panels\[1\]\.id"):
        store.layout("user:1", "default", [Place(a.id, 5, 5, 4, 3), Place(b.id, 0, 0, 4, 3)])
    assert store.list("user:1", "default") == [a]
    with pytest.raises(NotFound):
        store.remove("user:1", "default", b.id)
    assert store.list("user:2", "default") == [b]
