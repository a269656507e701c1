"""Caller -> callee edges, matched at load time in SQL so topology never self-joins spans.

A CLIENT or PRODUCER span waits in ``pending_clients`` for the SERVER or CONSUMER span
whose parent it is (and a server span that arrives first waits in ``pending_servers``);
each pair is one call between two services. A client span to a database (``db.system``)
is a call to the database at once; one that finds no server span within
``match_seconds`` is a call to the external host it named (``server.address``).
Everything runs in the load's transaction, so it is exact across decoder processes and
survives restarts. Calls are counted at the client span: its time and duration.
"""

from __future__ import annotations

import duckdb

_MINUTE = "// 60000000 * 60000000"

# Calls to databases: known from the client span alone.
_DATABASE_EDGES = f"""
INSERT INTO edges_1m
SELECT tenant, ts_us {_MINUTE}, service, instance,
       db_system || ':' || coalesce(db_name, peer, db_system) AS target,
       db_system || ':' || coalesce(db_name, peer, db_system)
           || coalesce('@' || peer, '') AS target_instance,
       'database', count(*), count(*) FILTER (WHERE is_error), sum(duration_us)
FROM b_spans WHERE kind IN (3, 4) AND db_system IS NOT NULL
GROUP BY ALL
"""

_NEW = [
    """CREATE OR REPLACE TEMP TABLE new_clients AS
       SELECT tenant, trace_lo, span_id, ts_us, service, instance, duration_us, is_error,
              peer, CAST($now AS BIGINT) AS arrived_us
       FROM b_spans WHERE kind IN (3, 4) AND db_system IS NULL""",
    """CREATE OR REPLACE TEMP TABLE new_servers AS
       SELECT tenant, trace_lo, parent_id, service, instance, is_error,
              CAST($now AS BIGINT) AS arrived_us
       FROM b_spans WHERE kind IN (2, 5) AND parent_id <> 0""",
]

# Every new pair: new servers with any client, and pending servers with new clients.
_MATCHED = f"""
INSERT INTO edges_1m
SELECT c.tenant, c.ts_us {_MINUTE}, c.service, c.instance, s.service, s.instance, 'service',
       count(*), count(*) FILTER (WHERE c.is_error OR s.is_error), sum(c.duration_us)
FROM (
    SELECT * FROM new_servers
    UNION ALL
    SELECT p.* FROM pending_servers p SEMI JOIN new_clients n
        ON p.tenant = n.tenant AND p.trace_lo = n.trace_lo AND p.parent_id = n.span_id
) s
JOIN (
    SELECT * FROM new_clients
    UNION ALL
    SELECT p.* FROM pending_clients p SEMI JOIN new_servers n
        ON p.tenant = n.tenant AND p.trace_lo = n.trace_lo AND p.span_id = n.parent_id
) c ON s.tenant = c.tenant AND s.trace_lo = c.trace_lo AND s.parent_id = c.span_id
GROUP BY ALL
"""

# Unmatched halves are parked before the matched pending ones are removed: the anti-joins
# must still see the pending rows that the new halves matched.
_SETTLE = [
    """INSERT INTO pending_clients
       SELECT * FROM new_clients c
       ANTI JOIN new_servers s
         ON c.tenant = s.tenant AND c.trace_lo = s.trace_lo AND c.span_id = s.parent_id
       ANTI JOIN pending_servers p
         ON c.tenant = p.tenant AND c.trace_lo = p.trace_lo AND c.span_id = p.parent_id""",
    """INSERT INTO pending_servers
       SELECT * FROM new_servers s
       ANTI JOIN new_clients c
         ON c.tenant = s.tenant AND c.trace_lo = s.trace_lo AND c.span_id = s.parent_id
       ANTI JOIN pending_clients p
         ON p.tenant = s.tenant AND p.trace_lo = s.trace_lo AND p.span_id = s.parent_id""",
    """DELETE FROM pending_clients p USING new_servers n
       WHERE p.tenant = n.tenant AND p.trace_lo = n.trace_lo AND p.span_id = n.parent_id""",
    """DELETE FROM pending_servers p USING new_clients n
       WHERE p.tenant = n.tenant AND p.trace_lo = n.trace_lo AND p.parent_id = n.span_id""",
    "DROP TABLE new_clients",
    "DROP TABLE new_servers",
]

_EXPIRE = [
    f"""INSERT INTO edges_1m
        SELECT tenant, ts_us {_MINUTE}, service, instance, coalesce(peer, 'unknown'),
               coalesce(peer, 'unknown'), 'external', count(*),
               count(*) FILTER (WHERE is_error), sum(duration_us)
        FROM pending_clients WHERE arrived_us <= $cutoff
        GROUP BY ALL""",
    "DELETE FROM pending_clients WHERE arrived_us <= $cutoff",
    "DELETE FROM pending_servers WHERE arrived_us <= $cutoff",
]


def insert_database_edges(cur: duckdb.DuckDBPyConnection) -> None:
    """The calls to databases of the spans of ``b_spans``: known from each client span."""
    cur.execute(_DATABASE_EDGES)


def match(cur: duckdb.DuckDBPyConnection, now_us: int) -> None:
    """Turn the spans of ``b_spans`` into pending halves and matched edges (inside a
    transaction; database edges are :func:`insert_database_edges`)."""
    for sql in _NEW:
        cur.execute(sql, {"now": now_us})
    cur.execute(_MATCHED)
    for sql in _SETTLE:
        cur.execute(sql)


def expire(cur: duckdb.DuckDBPyConnection, cutoff_us: int) -> set[int]:
    """Client spans pending since before ``cutoff_us`` become calls to external hosts;
    returns the minutes (epoch minute numbers) that gained edge rows."""
    rows = cur.execute(
        "SELECT DISTINCT ts_us // 60000000 FROM pending_clients WHERE arrived_us <= $cutoff",
        {"cutoff": cutoff_us},
    ).fetchall()
    if rows:
        for sql in _EXPIRE:
            cur.execute(sql, {"cutoff": cutoff_us})
    else:  # nothing to turn into edges: only unmatched server halves may have aged out
        cur.execute(_EXPIRE[-1], {"cutoff": cutoff_us})
    return {int(r[0]) for r in rows}
