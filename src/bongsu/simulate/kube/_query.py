"""What a list or watch request asks for: selectors, paging tokens, the watch flags.

Example::

    q = ListQuery.parse({"labelSelector": "app=frontend", "limit": "50"})
    q.matches(pod)  # True when the pod has the label app=frontend
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]


def _flag(value: str | None) -> bool:
    return value in ("1", "true", "True")


def _field(obj: Obj, path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        if not isinstance(value, dict):
            return ""
        value = value.get(part)
    return "" if value is None else str(value)


def _terms(text: str) -> list[tuple[str, str, str | None]]:
    """``a=b,c!=d,e,!f`` → (key, op, value); set-based terms (``in``, ``notin``) match all."""
    out: list[tuple[str, str, str | None]] = []
    for term in filter(None, (t.strip() for t in text.split(","))):
        if " in " in term or " notin " in term:
            continue
        if "!=" in term:
            k, v = term.split("!=", 1)
            out.append((k.strip(), "!=", v.strip()))
        elif "=" in term:
            k, v = term.replace("==", "=").split("=", 1)
            out.append((k.strip(), "=", v.strip()))
        elif term.startswith("!"):
            out.append((term[1:].strip(), "absent", None))
        else:
            out.append((term, "exists", None))
    return out


@dataclass(frozen=True)
class ListQuery:
    labels: tuple[tuple[str, str, str | None], ...] = ()
    fields: tuple[tuple[str, str, str | None], ...] = ()
    limit: int = 0
    continue_token: str = ""
    watch: bool = False
    resource_version: str = ""
    bookmarks: bool = False
    timeout_s: float | None = None
    include_object: str = "Metadata"

    @classmethod
    def parse(cls, query: dict[str, str]) -> ListQuery:
        timeout = query.get("timeoutSeconds")
        return cls(
            labels=tuple(_terms(query.get("labelSelector", ""))),
            fields=tuple(_terms(query.get("fieldSelector", ""))),
            limit=int(query.get("limit", "0") or 0),
            continue_token=query.get("continue", ""),
            watch=_flag(query.get("watch")),
            resource_version=query.get("resourceVersion", ""),
            bookmarks=_flag(query.get("allowWatchBookmarks")),
            timeout_s=float(timeout) if timeout else None,
            include_object=query.get("includeObject", "Metadata"),
        )

    def matches(self, obj: Obj) -> bool:
        labels = obj.get("metadata", {}).get("labels") or {}
        for key, op, value in self.labels:
            have = labels.get(key)
            if ((op == "=" and have != value) or (op == "!=" and have == value)
                    or (op == "exists" and have is None) or (op == "absent" and have is not None)):
                return False
        for key, op, value in self.fields:
            have = _field(obj, key)
            if (op == "=" and have != value) or (op == "!=" and have == value):
                return False
        return True


def encode_continue(rv: int, snapshot: str, offset: int) -> str:
    """``<snapshot id>.<base64 of the list version and offset>``."""
    raw = json.dumps({"rv": rv, "offset": offset}).encode()
    return f"{snapshot}.{base64.urlsafe_b64encode(raw).decode()}"


def decode_continue(token: str) -> tuple[int, int]:
    """(list resourceVersion, offset in its snapshot); ValueError when it is not ours."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token.split(".", 1)[1].encode()))
        return int(data["rv"]), int(data["offset"])
    except (IndexError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"invalid continue token: {token[:40]}") from exc
