"""Network, files and processes of *another* process, read from ``/proc`` (``docs/captures.md``).

The agent reads its own ``/proc/self``; ``bongsu capture jvm --pid`` and a pod exec read
some other process, here or in a container. Everything goes through a :class:`Source`
(read a file, list a process's fds, list the pids) so the same code reads this host
(:class:`LocalProc`) and what one ``sh`` script printed inside a pod (:class:`DumpedProc`,
see :data:`DUMP_SCRIPT`).

Example::

    src = LocalProc()
    network(src, 4242)["by_state"]        # {"LISTEN": 1, "ESTABLISHED": 3}
    files(src, 4242)["count"]             # 57
    processes(src)["processes"][0]["pid"]
"""

from __future__ import annotations

import contextlib
import os
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any, Protocol

from bongsu.agent._files import fd_type
from bongsu.agent._network import parse_inet, parse_unix

__all__ = [
    "DUMP_SCRIPT", "DumpedProc", "LocalProc", "Source", "files", "network", "processes",
]

MAX_PROCESSES = 500  # as the agent's: the contract's cap
MAX_FDS = 4096  # listed; ``count`` is always the full number
MAX_SOCKETS = 5000  # listed; by_state counts every one
_SOCKET = re.compile(r"^socket:\[(\d+)\]$")
_MARK = "@@bongsu "

# Printed inside a pod by ``sh -c DUMP_SCRIPT sh PID``: the files the readers below need,
# each after a marker line (busybox and dash both run it; nothing but sh, cat, readlink).
DUMP_SCRIPT = r"""P=${1:-1}
for f in /proc/uptime /proc/$P/limits /proc/$P/net/tcp /proc/$P/net/tcp6 /proc/$P/net/udp \
         /proc/$P/net/udp6 /proc/$P/net/unix; do
  [ -r "$f" ] && { echo "@@bongsu file $f"; cat "$f"; }
done
for fd in /proc/$P/fd/*; do echo "@@bongsu link $fd $(readlink "$fd")"; done
for d in /proc/[0-9]*; do
  [ -r "$d/stat" ] || continue
  echo "@@bongsu file $d/stat"; cat "$d/stat" 2>/dev/null; echo
  echo "@@bongsu file $d/cmdline"; cat "$d/cmdline" 2>/dev/null; echo
done
echo "@@bongsu end"
"""


class Source(Protocol):
    """Where the ``/proc`` files come from."""

    clock_ticks: int

    def read(self, path: str) -> str | None:
        """The text of ``path`` (``/proc/...``), or None when it cannot be read."""
        ...

    def fds(self, pid: int) -> dict[int, str]:
        """The process's open fds and what each points at (``socket:[123]``, a path …)."""
        ...

    def pids(self) -> list[int]:
        """Every process visible, sorted."""
        ...


class LocalProc:
    """This host's ``/proc``; with ``namespace_of``, only the processes in that process's
    PID namespace (a containerised process's container, seen from the host)."""

    def __init__(self, root: str = "/proc", namespace_of: int | None = None) -> None:
        self.root = root
        self.clock_ticks = os.sysconf("SC_CLK_TCK")
        self.namespace = self._pid_ns(namespace_of) if namespace_of is not None else None

    def _pid_ns(self, pid: int | str) -> str | None:
        try:
            return os.readlink(f"{self.root}/{pid}/ns/pid")
        except OSError:
            return None

    def read(self, path: str) -> str | None:
        real = self.root + path.removeprefix("/proc") if path.startswith("/proc") else path
        try:
            with open(real, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return None

    def fds(self, pid: int) -> dict[int, str]:
        base = f"{self.root}/{pid}/fd"
        out: dict[int, str] = {}
        try:
            names = os.listdir(base)
        except OSError:
            return out
        for name in names:
            with contextlib.suppress(OSError, ValueError):  # closed while we read
                out[int(name)] = os.readlink(f"{base}/{name}")
        return out

    def pids(self) -> list[int]:
        found = sorted(int(n) for n in os.listdir(self.root) if n.isdigit())
        if self.namespace is None:
            return found
        return [p for p in found if self._pid_ns(p) == self.namespace]


class DumpedProc:
    """The ``/proc`` files :data:`DUMP_SCRIPT` printed (inside a pod)."""

    def __init__(self, text: str, clock_ticks: int = 100) -> None:
        # 100: USER_HZ on every mainstream Linux build; the script cannot ask getconf in a
        # distroless image.
        self.clock_ticks = clock_ticks
        self.files: dict[str, str] = {}
        self.links: dict[int, dict[int, str]] = {}
        self.complete = False
        path: str | None = None
        lines: list[str] = []
        for line in text.split("\n"):
            if line.startswith(_MARK):
                if path is not None:
                    self.files[path] = "\n".join(lines)
                path, lines = None, []
                what, _, rest = line[len(_MARK):].partition(" ")
                if what == "file":
                    path = rest
                elif what == "link":
                    self._link(rest)
                elif what == "end":
                    self.complete = True
            elif path is not None:
                lines.append(line)
        if path is not None:
            self.files[path] = "\n".join(lines)

    def _link(self, rest: str) -> None:
        fd_path, _, target = rest.partition(" ")
        parts = fd_path.split("/")  # /proc/PID/fd/N
        if len(parts) == 5 and parts[2].isdigit() and parts[4].isdigit() and target:
            self.links.setdefault(int(parts[2]), {})[int(parts[4])] = target

    def read(self, path: str) -> str | None:
        return self.files.get(path)

    def fds(self, pid: int) -> dict[int, str]:
        return dict(self.links.get(pid, {}))

    def pids(self) -> list[int]:
        found = {int(p.split("/")[2]) for p in self.files
                 if p.endswith("/stat") and p.split("/")[2].isdigit()}
        return sorted(found)


# -- network ---------------------------------------------------------------------------
def network(src: Source, pid: int) -> dict[str, Any]:
    """The ``bongsu.network/1`` body: ``pid``'s sockets, matched to its fds by inode.

    The same rules as the agent's own (``bongsu.agent._network``, whose table parsers
    this reuses): TIME_WAIT rows on a port the process listens on are kept, a bound
    unconnected UDP socket counts as listening.
    """
    inodes = {int(m[1]) for target in src.fds(pid).values() if (m := _SOCKET.match(target))}
    sockets: list[dict[str, Any]] = []
    time_wait: list[dict[str, Any]] = []
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        for row in parse_inet(src.read(f"/proc/{pid}/net/{proto}") or "", proto):
            if row["inode"] in inodes:
                sockets.append(row)
            elif row["state"] == "TIME_WAIT":
                time_wait.append(row)
    sockets.extend(row for row in parse_unix(src.read(f"/proc/{pid}/net/unix") or "")
                   if row["inode"] in inodes)
    listen = [{"proto": s["proto"], "local": s["local"]} for s in sockets if _listens(s)]
    ports = {s["local"].rsplit(":", 1)[1] for s in listen if s["proto"].startswith("tcp")}
    sockets.extend(row for row in time_wait if row["local"].rsplit(":", 1)[1] in ports)
    by_state = Counter(s["state"] for s in sockets)
    return {"sockets": sockets[:MAX_SOCKETS], "listen": listen, "by_state": dict(by_state)}


def _listens(s: dict[str, Any]) -> bool:
    if s["state"] == "LISTEN":
        return True
    return bool(s["proto"].startswith("udp") and s["state"] == "CLOSE"
                and s["remote"].rsplit(":", 1)[1] == "0")


# -- files -----------------------------------------------------------------------------
def files(src: Source, pid: int) -> dict[str, Any]:
    """The ``bongsu.files/1`` body: ``pid``'s open fds by type, and its fd limits."""
    fds = src.fds(pid)
    soft, hard = _fd_limits(src.read(f"/proc/{pid}/limits"))
    listed = [{"fd": fd, "type": fd_type(target), "path": target}
              for fd, target in sorted(fds.items())[:MAX_FDS]]
    return {"count": len(fds), "limit_soft": soft, "limit_hard": hard, "fds": listed}


def _fd_limits(text: str | None) -> tuple[int | None, int | None]:
    for line in (text or "").splitlines():
        if line.startswith("Max open files"):
            cols = line[len("Max open files"):].split()
            return _limit(cols[0]), _limit(cols[1]) if len(cols) > 1 else None
    return None, None


def _limit(text: str) -> int | None:
    return int(text) if text.isdigit() else None  # "unlimited"


# -- processes -------------------------------------------------------------------------
def processes(src: Source, first: Iterable[int] = ()) -> dict[str, Any]:
    """The ``bongsu.processes/1`` body: every visible process (at most 500, ``first`` kept)."""
    pids = src.pids()
    visible = set(pids)
    wanted = [p for p in first if p in visible]
    order = wanted + [p for p in pids if p not in set(wanted)]
    out: list[dict[str, Any]] = []
    page = os.sysconf("SC_PAGE_SIZE") if isinstance(src, LocalProc) else 4096
    for pid in order:
        if len(out) >= MAX_PROCESSES:
            break
        row = _process(src, pid, page)
        if row is not None:
            out.append(row)
    uptime_text = (src.read("/proc/uptime") or "").split()
    uptime = float(uptime_text[0]) if uptime_text else None
    return {"clock_ticks": src.clock_ticks, "uptime_s": uptime, "processes": out}


def _process(src: Source, pid: int, page: int) -> dict[str, Any] | None:
    stat = src.read(f"/proc/{pid}/stat")
    if not stat or ")" not in stat:
        return None
    name = stat[stat.index("(") + 1:stat.rindex(")")]
    cols = stat[stat.rindex(")") + 2:].split()
    if len(cols) < 22:
        return None
    ticks = src.clock_ticks or 100
    cmdline = (src.read(f"/proc/{pid}/cmdline") or "").replace("\0", " ").strip()
    return {
        "pid": pid, "ppid": int(cols[1]), "name": name, "cmdline": cmdline or f"[{name}]",
        "state": cols[0], "cpu_seconds": round((int(cols[11]) + int(cols[12])) / ticks, 3),
        "rss_bytes": int(cols[21]) * page, "threads": int(cols[17]),
        "start_time_s": round(int(cols[19]) / ticks, 3),
    }
