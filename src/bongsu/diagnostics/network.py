"""The network analyzer (``bongsu.network/1``): the process's sockets per remote endpoint.

A socket whose local port is one the process listens on was accepted (inbound: the peer's
port is ephemeral, so it is grouped by the peer's host and our port, ``10.0.0.9 -> :8080``);
any other connects out (grouped by the remote ``host:port``, e.g. the database).

Pile-ups flagged, each with its threshold in the flag:

- ``CLOSE_WAIT`` >= ``CLOSE_WAIT_THRESHOLD`` (10) on one endpoint: the peer closed and this
  process never did — a connection leak (a pool not closing, a response never read). A
  healthy process holds almost none, and only for moments.
- ``TIME_WAIT`` >= ``TIME_WAIT_THRESHOLD`` (200) in all: connections opened and closed at a
  high rate (no keep-alive / pooling); each lasts 60 s on Linux, so 200 is ~3 a second, and
  the ephemeral port range (~28,000) runs out near 470 a second.

Example::

    Network().analyze(doc)["flags"]  # [{"state": "CLOSE_WAIT", "endpoint": …, "count": 40, …}]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

Doc = Mapping[str, Any]

CLOSE_WAIT_THRESHOLD = 10
TIME_WAIT_THRESHOLD = 200
TOP = 50


def split_address(address: str) -> tuple[str, str]:
    """``10.0.0.5:80`` -> (``10.0.0.5``, ``80``); ``[::1]:80`` -> (``[::1]``, ``80``)."""
    host, _, port = address.rpartition(":")
    return (host, port) if host else (address, "")


def _sockets(doc: Doc) -> list[Mapping[str, Any]]:
    value = doc.get("sockets")
    return [s for s in value if isinstance(s, Mapping)] if isinstance(value, list) else []


def _listen_ports(doc: Doc) -> set[str]:
    value = doc.get("listen")
    rows = [x for x in value if isinstance(x, Mapping)] if isinstance(value, list) else []
    return {split_address(str(r.get("local", "")))[1] for r in rows}


def _endpoint(s: Mapping[str, Any], listening: set[str]) -> tuple[str, str]:
    """(endpoint, direction) of one socket."""
    if s.get("proto") == "unix":
        return str(s.get("remote") or s.get("local") or "unix"), "local"
    local_port = split_address(str(s.get("local", "")))[1]
    remote = str(s.get("remote") or "")
    if local_port in listening:
        return f"{split_address(remote)[0]} -> :{local_port}", "inbound"
    return remote, "outbound"


class Network:
    kind = "network"
    format = "bongsu.network/1"
    version = 1

    def normalize(self, doc: Doc) -> dict[str, Any]:
        return dict(doc)

    def _counts(self, doc: Doc) -> Counter[tuple[str, str, str, str]]:
        listening = _listen_ports(doc)
        counts = Counter[tuple[str, str, str, str]]()
        for s in _sockets(doc):
            if str(s.get("state", "")) == "LISTEN":
                continue
            endpoint, direction = _endpoint(s, listening)
            counts[(endpoint, direction, str(s.get("proto", "")), str(s.get("state", "")))] += 1
        return counts

    def analyze(self, doc: Doc) -> dict[str, Any]:
        sockets = _sockets(doc)
        by_state = Counter(str(s.get("state", "")) for s in sockets)
        counts = self._counts(doc)
        endpoints: list[dict[str, Any]] = [
            {"endpoint": e, "direction": d, "proto": p, "state": st, "count": n}
            for (e, d, p, st), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        flags: list[dict[str, Any]] = [
            {"state": "CLOSE_WAIT", "endpoint": e["endpoint"], "count": e["count"],
             "threshold": CLOSE_WAIT_THRESHOLD,
             "message": f"{e['count']} CLOSE_WAIT on {e['endpoint']} (>= {CLOSE_WAIT_THRESHOLD}):"
                        " the peer closed, this process has not (a connection leak)"}
            for e in endpoints if e["state"] == "CLOSE_WAIT" and e["count"] >= CLOSE_WAIT_THRESHOLD
        ]
        if by_state.get("TIME_WAIT", 0) >= TIME_WAIT_THRESHOLD:
            n = by_state["TIME_WAIT"]
            flags.append({
                "state": "TIME_WAIT", "endpoint": None, "count": n,
                "threshold": TIME_WAIT_THRESHOLD,
                "message": f"{n} TIME_WAIT (>= {TIME_WAIT_THRESHOLD}): connections opened and"
                           " closed at a high rate; pool or keep them alive"})
        listed = doc.get("listen")
        listen: list[Any] = listed if isinstance(listed, list) else []
        headline = f"{len(sockets)} sockets, {len(listen)} listening"
        if by_state:
            top = sorted(by_state.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
            headline += " (" + ", ".join(f"{n} {s}" for s, n in top) + ")"
        if flags:
            headline += "; " + flags[0]["message"].split(":")[0]
        return {"socket_count": len(sockets), "by_state": dict(sorted(by_state.items())),
                "listen": [{"proto": str(x.get("proto", "")), "local": str(x.get("local", ""))}
                           for x in listen if isinstance(x, Mapping)],
                "endpoints": endpoints[:TOP], "endpoint_count": len(endpoints),
                "flags": flags, "thresholds": {"CLOSE_WAIT": CLOSE_WAIT_THRESHOLD,
                                               "TIME_WAIT": TIME_WAIT_THRESHOLD},
                "headline": headline}

    def compare(self, base: Doc, other: Doc) -> dict[str, Any]:
        a, b = self._counts(base), self._counts(other)
        rows: list[dict[str, Any]] = [
            {"endpoint": k[0], "direction": k[1], "proto": k[2], "state": k[3],
             "base": a.get(k, 0), "other": b.get(k, 0), "delta": b.get(k, 0) - a.get(k, 0)}
            for k in sorted(set(a) | set(b)) if a.get(k, 0) != b.get(k, 0)
        ]
        rows.sort(key=lambda r: (-abs(r["delta"]), r["endpoint"], r["state"]))
        s0 = Counter(str(s.get("state", "")) for s in _sockets(base))
        s1 = Counter(str(s.get("state", "")) for s in _sockets(other))
        states = {s: s1.get(s, 0) - s0.get(s, 0) for s in sorted(set(s0) | set(s1))}
        headline = f"{sum(s0.values())} -> {sum(s1.values())} sockets"
        if rows:
            headline += f"; {rows[0]['delta']:+d} {rows[0]['state']} on {rows[0]['endpoint']}"
        return {"states_delta": states, "endpoints": rows[:TOP], "headline": headline}
