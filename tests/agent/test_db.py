from __future__ import annotations

import sqlite3
from typing import Any

import pytest

import bongsu.agent
from bongsu.agent import _state
from bongsu.agent._sql import mask_sql
from bongsu.agent._tracer import CLIENT

from .services import mariadb_server, postgres_server, redis_server
from .sink import Sink


@pytest.mark.parametrize(("sql", "masked"), [
    ("SELECT * FROM t WHERE id = 42 AND name = 'bo''b'",
     "SELECT * FROM t WHERE id = ? AND name = ?"),
    ("select a1, b_2 from t3 where x in (1, 2, 3) and y = $1 and z = %s and w = :n",
     "select a1, b_2 from t3 where x IN (?) and y = $1 and z = %s and w = :n"),
    ("UPDATE \"T\" SET v = -1.5e3, h = 0xFF, s = E'a\\'b'",
     "UPDATE \"T\" SET v = -?, h = ?, s = ?"),
    ("INSERT INTO t VALUES (?, ?)", "INSERT INTO t VALUES (?, ?)"),
])
def test_sql_masking(sql: str, masked: str) -> None:
    assert mask_sql(sql) == masked


def _db_spans(sink: Sink, n: int) -> list[dict[str, Any]]:
    def found() -> list[dict[str, Any]]:
        return [s for s in sink.spans() if s["kind"] == CLIENT]
    return sink.wait(lambda: len(found()) >= n and found())


def test_sqlite3(agent: Any, sink: Sink, tmp_path: Any) -> None:
    conn = sqlite3.connect(str(tmp_path / "shop.db"))
    assert isinstance(conn, sqlite3.Connection)
    assert _state.db is not None and _state.db.counts() == {("sqlite", "idle"): 1}
    with bongsu.agent.span("job"):
        conn.execute("CREATE TABLE orders (id INTEGER, note TEXT)")
        conn.executemany("INSERT INTO orders VALUES (?, ?)", [(1, "a"), (2, "b")])
        cur = conn.cursor()
        cur.execute("SELECT note FROM orders WHERE id = 2 AND note = 'b'")
        assert cur.fetchall() == [("b",)]
        with pytest.raises(sqlite3.OperationalError):
            conn.execute("SELECT * FROM missing")
    conn.close()
    assert _state.db.counts() == {}
    spans = _db_spans(sink, 4)
    by_op = {s["attrs"]["db.statement"]: s for s in spans}
    select = by_op["SELECT note FROM orders WHERE id = ? AND note = ?"]
    assert select["name"] == "SELECT shop.db" and select["attrs"]["db.system"] == "sqlite"
    assert select["attrs"]["db.name"] == "shop.db"
    assert by_op["SELECT * FROM missing"]["status"] == 2
    job = next(s for s in sink.spans() if s["name"] == "job")
    assert {s["parent_span_id"] for s in spans} == {job["span_id"]}


def test_redis(agent: Any, sink: Sink) -> None:
    redis = pytest.importorskip("redis")
    with redis_server() as port:
        client = redis.Redis(host="127.0.0.1", port=port)
        with bongsu.agent.span("job"):
            client.set("session:1", "secret")
            assert client.get("session:1") == b"secret"
            pipe = client.pipeline()
            pipe.incr("n").incr("n")
            assert pipe.execute() == [1, 2]
        spans = _db_spans(sink, 3)
    statements = [s["attrs"]["db.statement"] for s in spans]
    assert statements == ["SET ? ?", "GET ?", "INCRBY ? ?\nINCRBY ? ?"]
    assert all(s["attrs"]["db.system"] == "redis" for s in spans)
    assert spans[0]["attrs"]["server.port"] == port


def test_psycopg(agent: Any, sink: Sink) -> None:
    psycopg = pytest.importorskip("psycopg")
    with postgres_server() as port:
        conn = psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres")
        assert _state.db is not None and _state.db.counts() == {("postgresql", "idle"): 1}
        with bongsu.agent.span("job"):
            with conn.cursor() as cur:
                cur.execute("SELECT %s::int + 1, 'x'", (41,))
                assert cur.fetchone() == (42, "x")
            with pytest.raises(psycopg.errors.UndefinedTable):
                conn.execute("SELECT * FROM nope WHERE id = 7")
        conn.close()
        assert _state.db.counts() == {}
        spans = _db_spans(sink, 2)
    ok, bad = spans
    assert ok["attrs"]["db.statement"] == "SELECT %s::int + ?, ?"
    assert ok["attrs"]["db.system"] == "postgresql" and ok["attrs"]["db.name"] == "postgres"
    assert ok["attrs"]["server.port"] == port
    assert bad["attrs"]["db.statement"] == "SELECT * FROM nope WHERE id = ?"
    assert bad["status"] == 2


def test_pymysql(agent: Any, sink: Sink) -> None:
    pymysql = pytest.importorskip("pymysql")
    with mariadb_server() as port:
        conn = pymysql.connect(host="127.0.0.1", port=port, user="root", database="mysql")
        with bongsu.agent.span("job"), conn.cursor() as cur:
            cur.execute("SELECT %s + 1", (41,))
            assert cur.fetchone() == (42,)
        conn.close()
        spans = _db_spans(sink, 1)
    [span] = spans
    assert span["attrs"]["db.system"] == "mysql" and span["attrs"]["db.name"] == "mysql"
    assert span["attrs"]["db.statement"] == "SELECT %s + ?"


def test_failed_call_does_not_mark_later_calls_of_the_statement(agent: Any, sink: Sink) -> None:
    # A statement's attributes are prepared once and shared by its spans: an error must
    # land on a copy, not on the next successful call.
    conn = sqlite3.connect(":memory:")
    with pytest.raises(sqlite3.OperationalError):
        conn.execute("SELECT * FROM later")
    conn.execute("CREATE TABLE later (x)")
    conn.execute("SELECT * FROM later")
    spans = [s for s in _db_spans(sink, 3) if s["attrs"]["db.statement"] == "SELECT * FROM later"]
    assert [s["status"] for s in spans] == [2, 0]
    assert "error.type" in spans[0]["attrs"] and "error.type" not in spans[1]["attrs"]
