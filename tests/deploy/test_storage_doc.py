"""``docs/storage.md`` lists every ClickHouse table as the schema defines it."""

from __future__ import annotations

import re

from tests.deploy import render

from bongsu.store.clickhouse.schema import TABLES, VIEWS, ddl

DOC = render.ROOT / "docs" / "storage.md"


def documented_tables() -> dict[str, tuple[str, str, bool, str | None]]:
    """table -> (engine, ORDER BY, partitioned, TTL column) from the doc's table."""
    section = DOC.read_text().split("## ClickHouse tables", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[str, str, bool, str | None]] = {}
    for line in section.splitlines():
        m = re.fullmatch(r"\| `(\w+)` \| (\w+) \| `([^`]+)` \| (by day|—) \| (`(\w+)`|—) \|",
                         line.strip())
        if m:
            rows[m.group(1)] = (m.group(2), m.group(3), m.group(4) == "by day", m.group(6))
    return rows


def ttl_columns() -> dict[str, str | None]:
    """table -> the column its TTL is on, read from the DDL itself."""
    out: dict[str, str | None] = {}
    for statement in ddl(retention_days=7, user_retention_days=400):
        m = re.match(r"CREATE TABLE IF NOT EXISTS (\w+) ", statement)
        if m:
            ttl = re.search(r"^TTL toDateTime\(intDiv\((\w+), 1000000\)\)", statement, re.M)
            out[m.group(1)] = ttl.group(1) if ttl else None
    return out


def test_the_doc_lists_every_table_as_the_schema_has_it() -> None:
    documented = documented_tables()
    ttl = ttl_columns()
    schema = {t.name: (t.engine, t.order_by, t.partition_by is not None, ttl[t.name])
              for t in TABLES}
    assert documented == schema


def test_the_doc_names_every_view_and_codec() -> None:
    text = DOC.read_text()
    for name in VIEWS:
        assert f"`{name}`" in text, name
    types = {c.type for t in TABLES for c in t.columns}
    for codec in ("LowCardinality(String)", "String CODEC(ZSTD(3))",
                  "Int64 CODEC(Delta, ZSTD(1))", "Int64 CODEC(DoubleDelta, ZSTD(1))",
                  "Int64 CODEC(T64, ZSTD(1))"):
        assert codec in types and f"`{codec}`" in text, codec
