"""A simulated Kubernetes API server for tests and ``bongsu simulate --kube``.

The list/watch protocol with real shapes on loopback: discovery, lists with paging,
watches with resourceVersion resume, bookmarks and 410 Gone, server-side Tables for
kubectl, metrics.k8s.io, and ``pods/NAME/exec`` over a WebSocket (the command runs on
this host as "the pod"; ``_exec``). Objects are built with
:mod:`bongsu.simulate.kube.shapes`.

Example::

    from bongsu.simulate.kube import ApiServer, FakeCluster, shapes

    cluster = FakeCluster(name="seoul", events_api="both")
    with ApiServer(cluster) as server:
        path = server.kubeconfig(tmp / "seoul.kubeconfig")
        cluster.put(shapes.node("node-1"))
        # kubectl --kubeconfig path get nodes
"""

from __future__ import annotations

from bongsu.simulate.kube._cluster import Change, FakeCluster, UnknownKind
from bongsu.simulate.kube._eventshape import core_from_events_v1, events_v1_from_core
from bongsu.simulate.kube._recorder import EventRecorder
from bongsu.simulate.kube._server import ApiServer, GoneMode, RequestLine

__all__ = [
    "ApiServer", "Change", "EventRecorder", "FakeCluster", "GoneMode", "RequestLine", "UnknownKind",
    "core_from_events_v1", "events_v1_from_core",
]
