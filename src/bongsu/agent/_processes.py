"""The ``processes`` capture (``bongsu.processes/1``): every process visible in ``/proc``.

In a container that is the container's processes (its pid namespace). From
``/proc/PID/stat``: ppid, state, utime + stime over the clock ticks, threads, RSS pages,
start time (seconds after boot); the name is the kernel's ``comm`` (15 characters). The
command line has its arguments that look like secrets masked (``--password=x``,
``token=x``, the word after ``--password``), as the resource's ``process.command`` keeps
argv[0] only for the same reason; it is cut at ``_MAX_CMDLINE`` characters. At most
``MAX_PROCESSES``: this process, its parent and children first, then the largest by RSS.

Example::

    doc = capture_processes()
    [me] = [p for p in doc["processes"] if p["pid"] == os.getpid()]
"""

from __future__ import annotations

import os
import re
from typing import Any

from bongsu.agent._envelope import envelope

__all__ = ["MAX_PROCESSES", "capture_processes", "mask_cmdline", "parse_stat"]

MAX_PROCESSES = 500
_MAX_CMDLINE = 1000
_SECRET = re.compile(r"pass|secret|token|key|auth|credential|pwd", re.IGNORECASE)
_MASK = "***"


def capture_processes(trigger: dict[str, Any] | None = None,
                      proc_root: str = "/proc") -> dict[str, Any]:
    """The ``bongsu.processes/1`` document of the processes this one can see."""
    doc = envelope("processes", trigger)
    ticks = os.sysconf("SC_CLK_TCK")
    page = os.sysconf("SC_PAGE_SIZE")
    rows = []
    for name in os.listdir(proc_root):
        if name.isdigit():
            row = _process(os.path.join(proc_root, name), int(name), ticks, page)
            if row is not None:
                rows.append(row)
    me = os.getpid()
    mine = {me, os.getppid()}
    rows.sort(key=lambda p: (p["pid"] not in mine and p["ppid"] != me, -(p["rss_bytes"] or 0)))
    kept = sorted(rows[:MAX_PROCESSES], key=lambda p: p["pid"])
    for row in kept:  # command lines of the kept ones only: a host can show thousands
        row["cmdline"] = _cmdline(os.path.join(proc_root, str(row["pid"])))
    doc.update({"clock_ticks": ticks, "uptime_s": _uptime(proc_root), "processes": kept})
    return doc


def _process(path: str, pid: int, ticks: int, page: int) -> dict[str, Any] | None:
    try:
        with open(os.path.join(path, "stat"), encoding="utf-8", errors="replace") as f:
            stat = parse_stat(f.read())
    except (OSError, ValueError, IndexError):  # gone since the listing, or unreadable
        return None
    return {"pid": pid, "ppid": stat["ppid"], "name": stat["comm"], "cmdline": "",
            "state": stat["state"],
            "cpu_seconds": round((stat["utime"] + stat["stime"]) / ticks, 2),
            "rss_bytes": stat["rss"] * page, "threads": stat["threads"],
            "start_time_s": round(stat["starttime"] / ticks, 2)}


def _cmdline(path: str) -> str:
    try:
        with open(os.path.join(path, "cmdline"), "rb") as f:
            raw = f.read(16 * _MAX_CMDLINE)
    except OSError:  # gone since
        return ""
    argv = [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]
    return mask_cmdline(argv)[:_MAX_CMDLINE]


def parse_stat(text: str) -> dict[str, Any]:
    """The fields of ``/proc/PID/stat`` this capture uses (the name may hold spaces and
    parentheses: it runs to the last ``)``)."""
    head, _, tail = text.rpartition(")")
    comm = head.partition("(")[2]
    f = tail.split()
    # tail[0] is field 3 (state); fields are numbered from 1 in proc(5).
    return {"comm": comm, "state": f[0], "ppid": int(f[1]), "utime": int(f[11]),
            "stime": int(f[12]), "threads": int(f[17]), "starttime": int(f[19]),
            "rss": int(f[21])}


def mask_cmdline(argv: list[str]) -> str:
    """``argv`` joined by spaces, values of secret-looking options replaced by ``***``."""
    out = []
    mask_next = False
    for arg in argv:
        if mask_next and not arg.startswith("-"):
            out.append(_MASK)
            mask_next = False
            continue
        mask_next = False
        name, eq, _ = arg.partition("=")
        if eq and _SECRET.search(name):
            out.append(f"{name}={_MASK}")
        elif arg.startswith("-") and _SECRET.search(arg):
            out.append(arg)
            mask_next = True
        else:
            out.append(arg)
    return " ".join(out)


def _uptime(proc_root: str) -> float | None:
    try:
        with open(os.path.join(proc_root, "uptime"), encoding="ascii") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
