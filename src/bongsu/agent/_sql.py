"""SQL text for spans: literal values masked, length capped, results cached.

Example::

    assert mask_sql("SELECT * FROM t WHERE id = 42 AND name = 'bo''b'") == (
        "SELECT * FROM t WHERE id = ? AND name = ?")
"""

from __future__ import annotations

import re

__all__ = ["mask_sql", "operation"]

# Single-quoted strings (with '' escapes, and E'..'/N'..' prefixes), hex and decimal
# numbers not part of an identifier or a $1 placeholder. Double quotes are identifiers.
_LITERAL = re.compile(
    r"""[EeNnXxBb]?'(?:[^'\\]|''|\\.)*'"""
    r"""|(?<![\w$.:])0[xX][0-9a-fA-F]+\b"""
    r"""|(?<![\w$.:])\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\b"""
)
_IN_LIST = re.compile(r"(?i)\bIN\s*\(\s*\?(?:\s*,\s*\?)+\s*\)")
_cache: dict[str, str] = {}


def mask_sql(sql: str, max_length: int = 2048) -> str:
    """``sql`` with literal values replaced by ``?`` (``IN (?, ?)`` becomes ``IN (?)``)."""
    masked = _cache.get(sql)
    if masked is None:
        masked = _IN_LIST.sub("IN (?)", _LITERAL.sub("?", sql))[:max_length]
        if len(_cache) >= 2000:
            _cache.clear()
        _cache[sql] = masked
    return masked


def operation(sql: str) -> str:
    """The statement's first keyword (``SELECT``), the span name of a DB call."""
    head = sql.lstrip(" \t\r\n(").split(None, 1)
    return head[0].upper()[:32] if head else "SQL"
