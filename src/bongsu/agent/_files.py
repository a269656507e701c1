"""The ``files`` capture (``bongsu.files/1``): open file descriptors and the limit.

Each ``/proc/self/fd/N`` link is read once: ``socket:[…]`` is a socket, ``pipe:[…]`` a
pipe (FIFOs opened by path are files of their path), ``anon_inode:…`` (eventfd, epoll,
timerfd, inotify) anon, a path under ``/dev/`` dev, any other absolute path a file (a
deleted one keeps the kernel's `` (deleted)`` suffix). The fd the listing itself opens
is left out. At most ``MAX_FDS`` are listed (paths cut at ``_MAX_PATH`` characters, so the
document stays well under the server's 4 MiB body limit); ``count`` is all of them.

Example::

    doc = capture_files()
    doc["count"], doc["limit_soft"]
"""

from __future__ import annotations

import os
import resource
from typing import Any

from bongsu.agent._envelope import envelope

__all__ = ["MAX_FDS", "capture_files", "fd_type"]

MAX_FDS = 5000
_MAX_PATH = 1024


def capture_files(trigger: dict[str, Any] | None = None,
                  fd_dir: str = "/proc/self/fd") -> dict[str, Any]:
    """The ``bongsu.files/1`` document of this process."""
    doc = envelope("files", trigger)
    fds: list[dict[str, Any]] = []
    count = 0
    try:
        names = os.listdir(fd_dir)
    except OSError:
        names = []
    listing = os.path.realpath(fd_dir)
    for name in sorted(names, key=lambda n: int(n) if n.isdigit() else -1):
        try:
            target = os.readlink(os.path.join(fd_dir, name))
        except OSError:  # the listing's own fd, closed by now, or one closed meanwhile
            continue
        if target == listing:
            continue
        count += 1
        if len(fds) < MAX_FDS:
            fds.append({"fd": int(name), "type": fd_type(target), "path": target[:_MAX_PATH]})
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    doc.update({"count": count, "limit_soft": _limit(soft), "limit_hard": _limit(hard),
                "fds": fds})
    return doc


def fd_type(target: str) -> str:
    """``file``, ``socket``, ``pipe``, ``anon``, ``dev`` or ``other`` for a link target."""
    if target.startswith("socket:["):
        return "socket"
    if target.startswith("pipe:["):
        return "pipe"
    if target.startswith("anon_inode:"):
        return "anon"
    if target.startswith("/dev/"):
        return "dev"
    if target.startswith("/"):
        return "file"
    return "other"


def _limit(value: int) -> int | None:
    return None if value == resource.RLIM_INFINITY else value
