"""The simulated Kubernetes API server: a FakeCluster served on loopback over HTTP/1.1.

A ``ThreadingHTTPServer`` in a thread of the calling process: each connection gets a
thread, watches stream as chunked JSON lines. The knobs are the failures a watcher must
survive: 410 Gone (as a status or an ERROR frame), watches cut abruptly, a stream that
stays open but goes silent, and a server that cannot be reached at all.

Example::

    cluster = FakeCluster(name="seoul")
    with ApiServer(cluster, port=0) as server:
        server.kubeconfig(tmp_path / "seoul.kubeconfig")
        cluster.put(shapes.pod("web-0", "shop", node="node-1"))
        server.drop_watches()
        [r for r in server.requests if r.watch]
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import subprocess
import threading
from collections import OrderedDict, deque
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, NamedTuple

from bongsu.simulate.kube._cluster import FakeCluster
from bongsu.simulate.kube._handler import Handler

GoneMode = Literal["status", "frame"]
Obj = dict[str, Any]
SNAPSHOTS = 64  # paged lists whose continue token still works; older ones get 410
REQUEST_LOG = 100_000


class RequestLine(NamedTuple):
    """One request the server received, for tests to count lists and watches."""

    method: str
    path: str
    query: dict[str, str]

    @property
    def watch(self) -> bool:
        return self.query.get("watch") in ("1", "true")


class _Http(ThreadingHTTPServer):
    daemon_threads = False  # server_close joins every connection's thread
    block_on_close = True


class ApiServer:
    """Serve ``cluster`` on ``host:port`` (0: any free port); see the module docstring."""

    def __init__(self, cluster: FakeCluster, port: int = 0, host: str = "127.0.0.1",
                 bookmark_interval_s: float = 60.0) -> None:
        self.cluster = cluster
        self.host = host
        self.port = port
        self.bookmark_interval_s = bookmark_interval_s  # a real server: about a minute
        self.gone_mode: GoneMode = "frame"
        # Bounded: `simulate --kube` serves for days; tests look at far fewer.
        self.requests: deque[RequestLine] = deque(maxlen=REQUEST_LOG)
        self.watch_generation = 0  # bumped by drop_watches: older watches end
        self.silenced = False
        self.stopping = False
        self._httpd: _Http | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        self.exec_children: set[subprocess.Popen[bytes]] = set()  # commands run by pod exec
        self.snapshots: OrderedDict[str, list[Obj]] = OrderedDict()  # continue tokens' pages

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> ApiServer:
        """Bind and serve in a thread; returns self (``.url`` and ``.port`` are set)."""
        self.stopping = False
        handler = type("BoundHandler", (Handler,), {"api": self})
        self._httpd = _Http((self.host, self.port), handler)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name=f"kube-api-{self.cluster.name}", daemon=True)
        self._thread.start()
        self.cluster.url = self.url
        return self

    def stop(self) -> None:
        """Stop serving, cut every open connection and join all the server's threads."""
        if self._httpd is None:
            return
        httpd, self._httpd = self._httpd, None
        self.stopping = True
        httpd.shutdown()
        self._cut_connections()
        with self.cluster.changed:
            self.cluster.changed.notify_all()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> ApiServer:
        return self.start() if self._httpd is None else self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    # -- failure knobs ---------------------------------------------------------------
    def drop_watches(self) -> None:
        """Cut every open watch (and idle keep-alive connection) without a clean end."""
        self.watch_generation += 1
        self._cut_connections()
        with self.cluster.changed:
            self.cluster.changed.notify_all()

    def silence(self, on: bool) -> None:
        """Keep watches open but send nothing, not even bookmarks, until ``silence(False)``."""
        self.silenced = on
        with self.cluster.changed:
            self.cluster.changed.notify_all()

    def unreachable(self, on: bool) -> None:
        """Refuse connections (the port is closed); ``False`` serves again on the same port."""
        if on:
            self.stop()
        elif self._httpd is None:
            self.start()

    def kubeconfig(self, path: Path | str, context: str | None = None,
                   user: str | None = None) -> Path:
        """Write a kubeconfig pointing at this server (see ``FakeCluster.kubeconfig``)."""
        return self.cluster.kubeconfig(path, context=context, user=user, url=self.url)

    # -- bookkeeping for the handler -------------------------------------------------
    def log_request(self, method: str, path: str, query: dict[str, str]) -> None:
        self.requests.append(RequestLine(method, path, query))

    def watches(self, path_part: str = "") -> list[RequestLine]:
        """The watch requests received so far, whose path contains ``path_part``."""
        return [r for r in self.requests if r.watch and path_part in r.path]

    def lists(self, path_part: str = "") -> list[RequestLine]:
        """The list (and get) requests received so far, whose path contains ``path_part``."""
        return [r for r in self.requests if not r.watch and path_part in r.path]

    def snapshot(self, remaining: list[Obj]) -> str:
        """Keep the rest of a paged list for its continue token; the id to put in it."""
        key = secrets.token_hex(8)
        with self._conn_lock:
            self.snapshots[key] = remaining
            while len(self.snapshots) > SNAPSHOTS:
                self.snapshots.popitem(last=False)
        return key

    def track(self, conn: socket.socket, opened: bool) -> None:
        with self._conn_lock:
            if opened:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def track_exec(self, child: subprocess.Popen[bytes], running: bool) -> None:
        """An exec's command, killed with the connections (stop, drop_watches)."""
        with self._conn_lock:
            if running:
                self.exec_children.add(child)
            else:
                self.exec_children.discard(child)

    def _cut_connections(self) -> None:
        with self._conn_lock:
            conns = list(self._connections)
            children = list(self.exec_children)
        for child in children:  # an exec's command ends with its connection, as in a pod
            with contextlib.suppress(OSError):
                child.kill()
        for conn in conns:
            with contextlib.suppress(OSError):  # already closed by the client
                conn.shutdown(socket.SHUT_RDWR)
