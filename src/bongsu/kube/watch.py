"""One list + watch loop: a resource of one cluster kept in step on a thread of its own.

The loop lists the resource in pages, hands every object to its :class:`Sink` as one full
replace (``begin`` … ``upsert`` … ``end``: what the sink held and the list did not show
is gone), then watches from the list's ``resourceVersion``:

- **Resume.** Each frame (and each ``BOOKMARK``) advances the version; a watch the server
  ends (its ``timeoutSeconds``, a dropped connection) resumes from it without a list.
- **410 Gone**, as the HTTP status of the watch request or as an ``ERROR`` frame with
  code 410 inside a 200 stream, means the version is too old: list again (at once the
  first time; after the backoff's wait when the watch from a fresh list is Gone again,
  so a server that keeps answering 410 gets no tight list + watch loop).
- **Silence.** A watch that sends nothing, not even a bookmark, for ``silent_s`` is
  torn down (the read timeout of the request) and resumed.
- **Backoff.** A request that fails (refused, timed out, a 5xx) is retried after an
  exponential, jittered wait (0.2 s doubling up to ``backoff_max_s``); the sink hears
  ``failed`` so the cluster can show as unreachable.

Bytes come straight off the socket and are parsed with orjson: the client's model
deserialisation of a 10,000-pod list takes seconds of CPU, and ``Watch().stream`` with
``deserialize=False`` raises ``KeyError: 'raw_object'`` on an ERROR frame (kubernetes
37.0.2: it looks the code up under a key only its deserialising path sets), so the loop
reads the stream itself with the client's own request functions.

Example::

    loop = ListWatch(api_client, RESOURCES["pods"], sink, Timing(silent_s=90), "seoul")
    loop.start()      # thread bongsu-kube-seoul-pods
    ...
    loop.close()      # unblocks its read (a list page's or the watch's) and joins it
"""

from __future__ import annotations

import logging
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
import urllib3
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

log = logging.getLogger("bongsu.kube.watch")

_PAGE = 500  # objects per list page: a 10,000-pod list is 20 requests of ~2 MB
_CONNECT_S = 5.0
_LIST_READ_S = 60.0
_BACKOFF_FIRST_S = 0.2
# The server ends each watch after this (client-go picks 5-10 minutes at random so a
# fleet of watchers does not reconnect at once; a resume is cheap, a relist is not).
_WATCH_S = (300, 600)

ListFunction = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class Resource:
    """A watched collection: its name, the kind of its items and how to call it."""

    name: str  # "pods": also the thread's name
    kind: str
    api_version: str
    lister: Callable[[k8s.ApiClient], ListFunction]  # the typed all-namespaces list call


RESOURCES: dict[str, Resource] = {
    r.name: r
    for r in (
        Resource("events", "Event", "v1",
                 lambda c: k8s.CoreV1Api(c).list_event_for_all_namespaces),
        Resource("events.k8s.io", "Event", "events.k8s.io/v1",
                 lambda c: k8s.EventsV1Api(c).list_event_for_all_namespaces),
        Resource("pods", "Pod", "v1", lambda c: k8s.CoreV1Api(c).list_pod_for_all_namespaces),
        Resource("nodes", "Node", "v1", lambda c: k8s.CoreV1Api(c).list_node),
        Resource("hpas", "HorizontalPodAutoscaler", "autoscaling/v2",
                 lambda c: k8s.AutoscalingV2Api(c)
                 .list_horizontal_pod_autoscaler_for_all_namespaces),
        Resource("deployments", "Deployment", "apps/v1",
                 lambda c: k8s.AppsV1Api(c).list_deployment_for_all_namespaces),
        Resource("replicasets", "ReplicaSet", "apps/v1",
                 lambda c: k8s.AppsV1Api(c).list_replica_set_for_all_namespaces),
        Resource("statefulsets", "StatefulSet", "apps/v1",
                 lambda c: k8s.AppsV1Api(c).list_stateful_set_for_all_namespaces),
        Resource("daemonsets", "DaemonSet", "apps/v1",
                 lambda c: k8s.AppsV1Api(c).list_daemon_set_for_all_namespaces),
        Resource("ingresses", "Ingress", "networking.k8s.io/v1",
                 lambda c: k8s.NetworkingV1Api(c).list_ingress_for_all_namespaces),
    )
}


class Sink(Protocol):
    """What a loop tells about its resource. Called from the loop's thread only."""

    def begin(self, resource: Resource) -> None:
        """A full list starts: every object follows as ``upsert(listing=True)``."""

    def upsert(self, resource: Resource, obj: dict[str, Any], listing: bool) -> None:
        """An object as listed, or ADDED / MODIFIED on the watch."""

    def delete(self, resource: Resource, obj: dict[str, Any]) -> None:
        """DELETED on the watch."""

    def end(self, resource: Resource) -> None:
        """The list is complete: what it did not show has gone."""

    def frame(self, resource: Resource) -> None:
        """Anything arrived (a list page, a frame, a bookmark): the cluster answers."""

    def failed(self, resource: Resource, error: str) -> None:
        """A request failed; the loop retries after a backoff."""


@dataclass(frozen=True, slots=True)
class Timing:
    silent_s: float = 90.0
    backoff_max_s: float = 30.0


class Gone(Exception):
    """410: the resourceVersion is too old to watch from; list again."""


class StreamError(Exception):
    """An ERROR frame other than 410 (a Status the server sent inside the stream)."""


class ListWatch:
    """The list + watch loop of one resource of one cluster (see the module docstring)."""

    def __init__(self, api: k8s.ApiClient, resource: Resource, sink: Sink, timing: Timing,
                 cluster: str) -> None:
        self.resource = resource
        self._list = resource.lister(api)
        self._sink = sink
        self._timing = timing
        self._stop = threading.Event()
        self._response: urllib3.BaseHTTPResponse | None = None
        self._lock = threading.Lock()
        self.version: str | None = None  # last resourceVersion seen
        self.lists = 0
        self.watches = 0
        self.failures = 0
        self.thread = threading.Thread(target=self._run, daemon=True,
                                       name=f"bongsu-kube-{cluster}-{resource.name}")

    def start(self) -> None:
        self.thread.start()

    def signal_stop(self) -> None:
        """Ask the loop to stop at its next frame or wait (``close`` also joins it)."""
        self._stop.set()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the loop: its blocking read is cut short, then the thread is joined."""
        self._stop.set()
        with self._lock:
            response = self._response
        if response is not None:
            _shutdown(response)
        if self.thread.is_alive():
            self.thread.join(timeout)

    def _run(self) -> None:
        delay = gone_delay = _BACKOFF_FIRST_S
        fresh = False  # the version is a list's, no watch has delivered from it yet
        while not self._stop.is_set():
            try:
                if self.version is None:
                    self.version = self._relist()
                    delay, fresh = _BACKOFF_FIRST_S, True
                started = time.monotonic()
                if self._watch():
                    # It delivered: the next failure (or 410) starts over.
                    delay = gone_delay = _BACKOFF_FIRST_S
                    fresh = False
                elif time.monotonic() - started < 1.0 and not self._stop.is_set():
                    # Ended at once with nothing: do not spin against such a server.
                    self._stop.wait(random.uniform(delay / 2, delay))
                    delay = min(2 * delay, self._timing.backoff_max_s)
            except Gone:
                log.info("%s: resourceVersion %s expired (410); listing again",
                         self.thread.name, self.version)
                self.version = None
                if fresh:  # Gone from a version just listed: the server keeps saying 410
                    self._stop.wait(random.uniform(gone_delay / 2, gone_delay))
                    gone_delay = min(2 * gone_delay, self._timing.backoff_max_s)
                fresh = False
            except Exception as exc:
                if self._stop.is_set():
                    return
                self.failures += 1
                error = describe_error(exc)
                self._sink.failed(self.resource, error)
                wait = random.uniform(delay / 2, delay)  # jitter: clusters do not retry in step
                log.warning("%s: %s; retrying in %.1f s", self.thread.name, error, wait)
                self._stop.wait(wait)
                delay = min(2 * delay, self._timing.backoff_max_s)

    def _relist(self) -> str:
        """List every page into the sink as one replace; returns the list's version."""
        token: str | None = None
        began = False
        while True:
            try:
                response = self._list(limit=_PAGE, _continue=token, _preload_content=False,
                                      _request_timeout=(_CONNECT_S, _LIST_READ_S))
            except ApiException as exc:
                if exc.status == 410 and token is not None:
                    token, began = None, False  # the continue token expired: start over
                    continue
                raise
            with self._lock:
                self._response = response  # close() cuts a page's read short too
            try:
                if self._stop.is_set():
                    _shutdown(response)
                page = orjson.loads(response.data)
            finally:
                with self._lock:
                    self._response = None
                response.release_conn()
            self._sink.frame(self.resource)
            if not began:
                self._sink.begin(self.resource)
                began = True
            for obj in page.get("items") or ():
                self._sink_safely(self._sink.upsert, _typed(obj, self.resource), True)
            meta = page.get("metadata") or {}
            token = meta.get("continue") or None
            if token is None:
                self._sink.end(self.resource)
                self.lists += 1
                return str(meta.get("resourceVersion") or "0")

    def _watch(self) -> bool:
        """One watch request from ``self.version``; True if anything arrived on it."""
        low, high = _WATCH_S
        try:
            response = self._list(
                watch=True, resource_version=self.version, allow_watch_bookmarks=True,
                timeout_seconds=random.randint(low, high), _preload_content=False,
                _request_timeout=(_CONNECT_S, self._timing.silent_s),
            )
        except ApiException as exc:
            if exc.status == 410:
                raise Gone(str(exc.reason)) from exc
            raise
        with self._lock:
            self._response = response
        if self._stop.is_set():
            _shutdown(response)
        self.watches += 1
        # The server answered: a quiet resource resumed after an outage (nothing to send,
        # bookmarks a minute apart) must not leave the cluster shown unreachable.
        self._sink.frame(self.resource)
        delivered = False
        try:
            for line in _lines(response):
                frame = orjson.loads(line)
                delivered = True
                self._frame(frame)
                if self._stop.is_set():
                    break
        except (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.ProtocolError) as exc:
            if self._stop.is_set():
                return delivered
            # Silent for silent_s, or the connection dropped: resume from the version.
            log.info("%s: watch ended (%s); resuming from %s", self.thread.name,
                     describe_error(exc), self.version)
        finally:
            with self._lock:
                self._response = None
            response.release_conn()
        return delivered

    def _frame(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        obj = frame.get("object") or {}
        self._sink.frame(self.resource)
        if kind == "ERROR":
            if obj.get("code") == 410:
                raise Gone(obj.get("message", ""))
            raise StreamError(f"ERROR frame {obj.get('code')}: {obj.get('message', '')}")
        version = (obj.get("metadata") or {}).get("resourceVersion")
        if kind == "BOOKMARK":
            if version:
                self.version = str(version)
            return
        obj = _typed(obj, self.resource)
        if kind in ("ADDED", "MODIFIED"):
            self._sink_safely(self._sink.upsert, obj, False)
        elif kind == "DELETED":
            self._sink_safely(lambda r, o, _listing: self._sink.delete(r, o), obj, False)
        if version:
            self.version = str(version)

    def _sink_safely(self, call: Callable[[Resource, dict[str, Any], bool], None],
                     obj: dict[str, Any], listing: bool) -> None:
        """A sink that fails on one odd object must not stop the resource's loop."""
        try:
            call(self.resource, obj, listing)
        except Exception:
            meta = obj.get("metadata") or {}
            log.exception("%s: could not take %s/%s", self.thread.name,
                          meta.get("namespace", ""), meta.get("name", ""))


def _typed(obj: dict[str, Any], resource: Resource) -> dict[str, Any]:
    # A list's items carry no kind or apiVersion; the explainers and the raw view want them.
    obj.setdefault("kind", resource.kind)
    obj.setdefault("apiVersion", resource.api_version)
    return obj


def _lines(response: urllib3.BaseHTTPResponse) -> Iterator[bytes]:
    """The stream's newline-separated frames, as they arrive."""
    buffer = b""
    for chunk in response.stream(amt=None, decode_content=False):
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if line.strip():
                yield line
    if buffer.strip():
        yield buffer


def _shutdown(response: urllib3.BaseHTTPResponse) -> None:
    """Unblock a thread reading ``response`` (closing alone can wait on its read)."""
    sock = getattr(getattr(response, "connection", None), "sock", None)
    try:
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def describe_error(exc: BaseException) -> str:
    """One line for a failed request, as the cluster's status shows it."""
    if isinstance(exc, ApiException):
        if exc.status == 0 or exc.status is None:
            return f"API error: {exc.reason}"
        return f"HTTP {exc.status} {exc.reason or ''}".strip()
    while isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}"[:300]
