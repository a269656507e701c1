"""The open-files analyzer (``bongsu.files/1``): descriptors by type and directory, and
their count against the limit.

Flagged at ``LIMIT_WARNING`` (80 %) of the soft limit (``ulimit -n``): past it the next
``open``/``accept`` fails with EMFILE ("Too many open files"), which a server reports as
refused connections, not as the leak it is.

Example::

    Files().analyze(doc)["flags"]   # [{"message": "850 of 1,024 descriptors (83 %) ...", …}]
"""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Mapping
from typing import Any

Doc = Mapping[str, Any]

LIMIT_WARNING = 0.8
TOP = 20
TYPES = ("file", "socket", "pipe", "anon", "dev", "other")


def _fds(doc: Doc) -> list[Mapping[str, Any]]:
    value = doc.get("fds")
    return [f for f in value if isinstance(f, Mapping)] if isinstance(value, list) else []


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dirs(doc: Doc) -> Counter[str]:
    return Counter(posixpath.dirname(str(f.get("path", ""))) or "/"
                   for f in _fds(doc) if f.get("type") == "file" and f.get("path"))


class Files:
    kind = "files"
    format = "bongsu.files/1"
    version = 1

    def normalize(self, doc: Doc) -> dict[str, Any]:
        return dict(doc)

    def analyze(self, doc: Doc) -> dict[str, Any]:
        fds = _fds(doc)
        count = _int(doc.get("count"))
        count = len(fds) if count is None else count
        soft = _int(doc.get("limit_soft"))
        by_type = Counter(str(f.get("type") or "other") for f in fds)
        dirs = _dirs(doc)
        used = None if not soft else round(count / soft, 4)
        flags: list[dict[str, Any]] = []
        if used is not None and used >= LIMIT_WARNING:
            flags.append({
                "threshold": LIMIT_WARNING, "count": count, "limit": soft,
                "message": f"{count:,} of {soft:,} descriptors ({100 * used:.0f} %) are open"
                           f" (>= {100 * LIMIT_WARNING:.0f} % of the soft limit): past it"
                           " open and accept fail with EMFILE"})
        headline = f"{count:,} open descriptors"
        if soft:
            headline += f" of {soft:,} ({100 * (used or 0):.0f} %)"
        if by_type:
            headline += " (" + ", ".join(
                f"{n} {t}" for t, n in sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
            ) + ")"
        return {"count": count, "limit_soft": soft, "limit_hard": _int(doc.get("limit_hard")),
                "used_of_limit": used,
                "by_type": {t: by_type.get(t, 0) for t in TYPES} | dict(by_type),
                "top_directories": [{"directory": d, "count": n} for d, n in sorted(
                    dirs.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]],
                "flags": flags, "headline": headline}

    def compare(self, base: Doc, other: Doc) -> dict[str, Any]:
        a, b = self.analyze(base), self.analyze(other)
        d0, d1 = _dirs(base), _dirs(other)
        dirs: list[dict[str, Any]] = [{"directory": d, "base": d0.get(d, 0), "other": d1.get(d, 0),
                 "delta": d1.get(d, 0) - d0.get(d, 0)}
                for d in sorted(set(d0) | set(d1)) if d0.get(d, 0) != d1.get(d, 0)]
        dirs.sort(key=lambda r: (-abs(r["delta"]), r["directory"]))
        paths0 = {str(f.get("path")) for f in _fds(base) if f.get("path")}
        opened = sorted({str(f.get("path")) for f in _fds(other) if f.get("path")} - paths0)
        delta = b["count"] - a["count"]
        headline = f"{a['count']:,} -> {b['count']:,} descriptors ({delta:+,d})"
        if dirs:
            headline += f"; {dirs[0]['delta']:+d} in {dirs[0]['directory']}"
        return {"count_delta": delta,
                "by_type_delta": {t: b["by_type"].get(t, 0) - a["by_type"].get(t, 0)
                                  for t in sorted(set(a["by_type"]) | set(b["by_type"]))},
                "directories": dirs[:TOP], "new_paths": opened[:TOP], "headline": headline}
