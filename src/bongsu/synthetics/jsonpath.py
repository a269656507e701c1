"""A small JSON path subset for check conditions: ``$``, ``.name`` and ``[index]``.

Supported: ``$.a.b[0].c``, ``$[2]``, ``$.items[-1].id`` (a negative index counts from the
end). Not supported (refused when the check is saved): wildcards, filters, slices,
recursive descent, quoted names. A path that does not lead anywhere in a document is
"missing", which is what ``exists`` tests.

Example::

    steps = parse("$.a.b[0].c")          # ["a", "b", 0, "c"]
    found, value = lookup({"a": {"b": [{"c": 1}]}}, steps)   # (True, 1)
"""

from __future__ import annotations

import re
from typing import Any

_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(-?\d+)\]")


class PathError(ValueError):
    """A path outside the supported subset."""


def parse(path: str) -> list[str | int]:
    """The steps of ``path``; PathError naming what is not supported."""
    if not path.startswith("$"):
        raise PathError(f"must start with $, like $.a.b[0].c, not {path!r}")
    steps: list[str | int] = []
    pos = 1
    while pos < len(path):
        match = _STEP.match(path, pos)
        if match is None:
            raise PathError(f"unsupported at {path[pos:]!r} (only .name and [index] steps)")
        name, index = match.groups()
        steps.append(name if name is not None else int(index))
        pos = match.end()
    return steps


def lookup(document: Any, steps: list[str | int]) -> tuple[bool, Any]:
    """(found, value) of ``steps`` in ``document``."""
    value = document
    for step in steps:
        if isinstance(step, str):
            if not isinstance(value, dict) or step not in value:
                return False, None
            value = value[step]
        else:
            if not isinstance(value, list) or not -len(value) <= step < len(value):
                return False, None
            value = value[step]
    return True, value
