"""A watch: one chunked HTTP response of JSON lines, ``{"type": ..., "object": ...}``.

From resourceVersion "" or "0" it starts with an ADDED frame per current object; from a
version still in the cluster's history it replays what changed after it; from an older
one it answers 410 Gone, as an HTTP status or as a 200 whose one frame is an ERROR with
a Status of code 410 (``ApiServer.gone_mode``; real servers do the latter once the
watch has started). The server closes the watch after ``timeoutSeconds``; BOOKMARK
frames carry the current version every ``bookmark_interval_s`` when asked for.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from bongsu.simulate.kube import _status
from bongsu.simulate.kube._query import ListQuery
from bongsu.simulate.kube._resources import Resource
from bongsu.simulate.kube._tables import table

if TYPE_CHECKING:
    from bongsu.simulate.kube._handler import Handler

Obj = dict[str, Any]
DEFAULT_TIMEOUT_S = 1800.0  # kube-apiserver's --min-request-timeout
POLL_S = 0.5  # how often a waiting watch looks at its flags (stop, silence) between writes


class _Cut(Exception):
    """The watch was dropped or the server is stopping: end without a clean close."""


def _frame(handler: Handler, kind: str, obj: Obj) -> None:
    data = json.dumps({"type": kind, "object": obj}, separators=(",", ":")).encode() + b"\n"
    handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
    handler.wfile.flush()


def stream_watch(handler: Handler, res: Resource, namespace: str | None, q: ListQuery) -> None:
    """Serve one watch request until its timeout, a drop, or the server stopping."""
    from bongsu.simulate.kube._handler import TABLE_TYPE, shown

    api, cluster = handler.api, handler.api.cluster
    as_table = handler.wants_table
    initial: list[Obj] = []
    with cluster.changed:
        if q.resource_version in ("", "0"):
            initial, pos = cluster.objects(res.collection, namespace)
        else:
            pos = int(q.resource_version)
            if pos < cluster.floor:
                gone = _status.too_old(pos, cluster.floor)
                if api.gone_mode == "status":
                    return handler.send_status(gone)
                initial, pos = [], -1
    handler.send_response(200)
    handler.send_header("Content-Type", TABLE_TYPE if as_table else "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.send_header("Cache-Control", "no-cache, private")
    handler.end_headers()
    generation = api.watch_generation
    headers = True

    def send(kind: str, obj: Obj) -> None:
        nonlocal headers
        shown_obj = shown(res, obj)
        if as_table:
            shown_obj = table(res, [shown_obj], q.include_object, headers=headers)
            headers = False
        _frame(handler, kind, shown_obj)

    try:
        if pos < 0:
            _frame(handler, "ERROR", gone)
            return _end(handler)
        for obj in initial:
            if q.matches(obj):
                send("ADDED", obj)
        deadline = time.monotonic() + (q.timeout_s or DEFAULT_TIMEOUT_S)
        next_bookmark = time.monotonic() + api.bookmark_interval_s
        while True:
            now = time.monotonic()
            if api.silenced:  # open but mute: no frames, no bookmarks, no timeout
                _wait(handler, generation, POLL_S)
                continue
            if now >= deadline:
                return _end(handler)
            with cluster.changed:
                changes = cluster.changes_after(pos, res.collection)
                if changes == []:
                    wait = min(POLL_S, deadline - now)
                    if q.bookmarks:
                        wait = min(wait, max(0.01, next_bookmark - now))
                    cluster.changed.wait(wait)
                    changes = cluster.changes_after(pos, res.collection)
                latest = cluster.resource_version
            _check(handler, generation)
            if api.silenced:
                continue
            if changes is None:  # history compacted past this watch: it must relist
                _frame(handler, "ERROR", _status.too_old(pos, cluster.floor))
                return _end(handler)
            for change in changes:
                if change.namespace == (namespace or change.namespace) and q.matches(change.obj):
                    send(change.type, change.obj)
            pos = latest  # read under the same lock as the changes: nothing skipped
            if q.bookmarks and time.monotonic() >= next_bookmark:
                _frame(handler, "BOOKMARK", {"kind": res.kind, "apiVersion": res.api_version,
                                             "metadata": {"resourceVersion": str(pos)}})
                next_bookmark = time.monotonic() + api.bookmark_interval_s
    except (_Cut, OSError):
        handler.close_connection = True


def _check(handler: Handler, generation: int) -> None:
    if handler.api.watch_generation != generation or handler.api.stopping:
        raise _Cut


def _wait(handler: Handler, generation: int, seconds: float) -> None:
    cluster = handler.api.cluster
    with cluster.changed:
        cluster.changed.wait(seconds)
    _check(handler, generation)


def _end(handler: Handler) -> None:
    handler.wfile.write(b"0\r\n\r\n")
    handler.wfile.flush()

