"""Database statements as the database view groups them: normalised text and fingerprint.

Statements arrive from any OpenTelemetry SDK: masked by the Bongsu agent (``?`` for every
literal, ``IN (?)``), with driver placeholders (``$1``, ``%s``, ``%(name)s``, ``:name``),
or raw with their values. :func:`normalise` turns all of them into one text per query
shape: comments dropped (sqlcommenter's ``/*traceparent=...*/`` would make every call
unique), literals and placeholders masked as the agent masks them, lists of ``?`` and of
``(?, ?)`` rows collapsed, whitespace collapsed and keywords upper-cased. It is a fixed
point of the agent's ``mask_sql``: ``normalise(mask_sql(s)) == normalise(s)``.

The fingerprint is the first 16 hex digits of the text's MD5, so every backend (and any
reader) computes the same one from the text alone.

Example::

    assert normalise("select *  from t where id=42 and x in (1, 2)") == (
        "SELECT * FROM t WHERE id = ? AND x IN (?)")
    assert fingerprint(normalise("SELECT 1")) == fingerprint(normalise("select 2"))
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["MAX_LENGTH", "fingerprint", "mask_literals", "normalise", "tidy"]

MAX_LENGTH = 2048  # the agent's sql_max_length default

_COMMENT = re.compile(r"/\*.*?\*/|--[^\n]*", re.S)
# The agent's literal pattern (bongsu.agent._sql), with driver placeholders added.
_LITERAL = re.compile(
    r"""[EeNnXxBb]?'(?:[^'\\]|''|\\.)*'"""
    r"""|(?<![\w$.:])0[xX][0-9a-fA-F]+\b"""
    r"""|(?<![\w$.:])\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\b"""
    r"""|\$\d+\b|%(?:\(\w+\))?s\b|(?<![\w:]):[A-Za-z_]\w*"""
)
_SPACE = re.compile(r"\s+")
_OPERATOR = re.compile(r"\s*(<>|!=|<=|>=|=)\s*")
_IN_LIST = re.compile(r"(?i)\bIN \(\?(?:, \?)*\)")
_ROWS = re.compile(r"(\(\?(?:, \?)*\))(?:, \(\?(?:, \?)*\))+")
_WORD = re.compile(r'"[^"]*"|`[^`]*`|\[[^\]]*\]|[A-Za-z_][A-Za-z0-9_]*')
_KEYWORDS = frozenset("""
    select from where and or not in is null like ilike between exists as on join inner left
    right full outer cross natural using group by order having limit offset fetch first next
    rows row only union all distinct intersect except insert into values update set delete
    returning with recursive case when then else end asc desc nulls last create table drop
    alter index view if primary key references default begin commit rollback savepoint
    release for share nowait skip locked lateral window over partition filter count sum min
    max avg coalesce cast any some true false interval conflict do nothing upsert merge
    matched replace truncate call execute explain analyze show describe
""".split())  # noqa: SIM905


def normalise(statement: str) -> str:
    """One text per query shape (see the module docstring); at most 2048 characters."""
    return tidy(mask_literals(statement))


def mask_literals(statement: str) -> str:
    """The first half of :func:`normalise`: comments dropped, literals and placeholders
    as ``?``. Its results repeat (one per shape and spelling), so callers may cache
    :func:`tidy` on them."""
    return _LITERAL.sub("?", _COMMENT.sub(" ", statement))


def tidy(text: str) -> str:
    """The second half of :func:`normalise`: lists collapsed, whitespace and keywords."""
    text = _OPERATOR.sub(r" \1 ", text)
    text = _SPACE.sub(" ", text).strip()
    text = text.replace("( ", "(").replace(" )", ")").replace(" ,", ",")
    text = re.sub(r",(?=\S)", ", ", text)
    text = _WORD.sub(_keyword, text)
    text = _IN_LIST.sub("IN (?)", text)
    text = _ROWS.sub(r"\1", text)
    return text.rstrip(";").rstrip()[:MAX_LENGTH]


def fingerprint(text: str) -> str:
    """16 hex digits identifying a normalised text."""
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


def _keyword(match: re.Match[str]) -> str:
    word = match.group(0)
    return word.upper() if word.lower() in _KEYWORDS else word
