"""The ``network`` capture (``bongsu.network/1``): this process's sockets, from ``/proc``.

The socket inodes of ``/proc/self/fd`` are matched to the kernel's tables in
``/proc/self/net/{tcp,tcp6,udp,udp6,unix}`` (this process's network namespace). A TCP
socket in ``TIME_WAIT`` belongs to no fd any more (inode 0); those whose local port is one
this process listens on are kept (a server closing first leaves them, and a pile of them
is what the analyzer flags). UDP sockets bound and not connected count as listening.
Unix sockets have no remote endpoint in ``/proc`` (``remote`` is ""); ``local`` is the
bound path, ``@name`` for the abstract namespace.

Example::

    doc = capture_network()
    doc["by_state"]          # {"ESTABLISHED": 3, "LISTEN": 1, "CLOSE_WAIT": 40}
"""

from __future__ import annotations

import os
import socket
from typing import Any

from bongsu.agent._envelope import envelope

__all__ = ["MAX_SOCKETS", "capture_network", "parse_inet", "parse_unix", "socket_inodes"]

MAX_SOCKETS = 5000  # listed; by_state counts every one
_TCP_STATES = {
    "01": "ESTABLISHED", "02": "SYN_SENT", "03": "SYN_RECV", "04": "FIN_WAIT1",
    "05": "FIN_WAIT2", "06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT", "09": "LAST_ACK",
    "0A": "LISTEN", "0B": "CLOSING", "0C": "NEW_SYN_RECV",
}
_UNIX_STATES = {"01": "UNCONNECTED", "02": "CONNECTING", "03": "CONNECTED",
                "04": "DISCONNECTING"}
_ACCEPTCON = 0x10000  # __SO_ACCEPTCON: a listening unix socket


def capture_network(trigger: dict[str, Any] | None = None,
                    proc_self: str = "/proc/self") -> dict[str, Any]:
    """The ``bongsu.network/1`` document of this process."""
    doc = envelope("network", trigger)
    inodes = socket_inodes(os.path.join(proc_self, "fd"))
    sockets: list[dict[str, Any]] = []
    time_wait: list[dict[str, Any]] = []
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        for row in parse_inet(_read(os.path.join(proc_self, "net", proto)), proto, inodes):
            if row["inode"] in inodes:
                sockets.append(row)
            elif row["state"] == "TIME_WAIT":
                time_wait.append(row)
    sockets.extend(row for row in parse_unix(_read(os.path.join(proc_self, "net", "unix")))
                   if row["inode"] in inodes)
    listen = [{"proto": s["proto"], "local": s["local"]} for s in sockets if _listens(s)]
    ports = {s["local"].rsplit(":", 1)[1] for s in listen if s["proto"].startswith("tcp")}
    sockets.extend(row for row in time_wait if row["local"].rsplit(":", 1)[1] in ports)
    by_state: dict[str, int] = {}
    for s in sockets:
        by_state[s["state"]] = by_state.get(s["state"], 0) + 1
    doc.update({"sockets": sockets[:MAX_SOCKETS], "listen": listen, "by_state": by_state})
    return doc


def _listens(s: dict[str, Any]) -> bool:
    if s["state"] == "LISTEN":
        return True
    return bool(s["proto"].startswith("udp") and s["state"] == "CLOSE"
                and s["remote"].rsplit(":", 1)[1] == "0")


def socket_inodes(fd_dir: str = "/proc/self/fd") -> set[int]:
    """Inodes of the sockets open in ``fd_dir`` (``socket:[N]`` links)."""
    out: set[int] = set()
    try:
        names = os.listdir(fd_dir)
    except OSError:
        return out
    for name in names:
        try:
            target = os.readlink(os.path.join(fd_dir, name))
        except OSError:  # closed since the listing
            continue
        if target.startswith("socket:["):
            out.add(int(target[8:-1]))
    return out


def parse_inet(text: str, proto: str, inodes: set[int] | None = None) -> list[dict[str, Any]]:
    """Rows of a ``/proc/net/{tcp,tcp6,udp,udp6}`` table; with ``inodes``, only those
    sockets and the TIME_WAIT ones (the table is the whole network namespace's: decoding
    only these skips the rest; the kernel writing the tables is most of the ~25 ms a
    capture of 400 sockets takes here)."""
    out = []
    hosts: dict[str, str] = {}
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10:
            continue
        if inodes is not None and int(fields[9]) not in inodes and fields[3] != "06":
            continue
        state = _TCP_STATES.get(fields[3], fields[3])
        out.append({"proto": proto, "state": state, "local": _endpoint(fields[1], hosts),
                    "remote": _endpoint(fields[2], hosts), "inode": int(fields[9])})
    return out


def _endpoint(field: str, hosts: dict[str, str]) -> str:
    """``0100007F:1F90`` -> ``127.0.0.1:8080``; IPv6 as ``[::1]:8080``."""
    address, _, port = field.partition(":")
    host = hosts.get(address)
    if host is None:
        host = hosts[address] = _host(address)
    return f"{host}:{int(port, 16)}"


def _host(address: str) -> str:
    raw = bytes.fromhex(address)
    # The kernel prints each 32-bit word of the address in host (little-endian) order.
    swapped = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    if len(swapped) == 4:
        return socket.inet_ntop(socket.AF_INET, swapped)
    if swapped[:12] == _MAPPED:  # an IPv4 peer of a dual-stack socket, written dotted
        return f"[::ffff:{socket.inet_ntop(socket.AF_INET, swapped[12:])}]"
    return f"[{socket.inet_ntop(socket.AF_INET6, swapped)}]"


_MAPPED = bytes(10) + b"\xff\xff"


def parse_unix(text: str) -> list[dict[str, Any]]:
    """Rows of ``/proc/net/unix``."""
    out = []
    for line in text.splitlines()[1:]:
        fields = line.split(None, 7)
        if len(fields) < 7:
            continue
        flags, state = int(fields[3], 16), fields[5]
        path = fields[7].strip() if len(fields) > 7 else ""
        out.append({"proto": "unix",
                    "state": "LISTEN" if flags & _ACCEPTCON else _UNIX_STATES.get(state, state),
                    "local": path, "remote": "", "inode": int(fields[6])})
    return out


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""
