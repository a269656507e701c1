"""Connections: an official-client ``ApiClient`` per cluster, and what the cluster serves.

Each cluster gets a client of its own (``new_client_from_config`` with the spec's
kubeconfig and context, or the pod's service account loaded into a fresh
``Configuration``), so clusters never share credentials or a connection pool. The pool
holds a connection per watched resource plus the usage poller's.

Example::

    api = api_client(ClusterSpec("seoul", "private", Path("seoul.kubeconfig")))
    groups = served_versions(api)         # {"v1", "apps/v1", "events.k8s.io/v1", ...}
"""

from __future__ import annotations

from typing import Any

import orjson
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from bongsu.kube.config import ClusterSpec

_POOL = 16  # ten watched resources, the usage poller, and room for a reconnect
_DISCOVERY_TIMEOUT = (5.0, 10.0)  # connect, read (seconds)


def api_client(spec: ClusterSpec) -> k8s.ApiClient:
    """A client for ``spec``'s cluster (nothing is sent yet)."""
    configuration = k8s.Configuration()
    configuration.connection_pool_maxsize = _POOL
    # No urllib3 retries: the watch loops back off themselves and report each failure, so
    # an unreachable cluster shows as such within one attempt instead of after four.
    configuration.retries = False
    if spec.kubeconfig is None:
        k8s_config.load_incluster_config(  # type: ignore[no-untyped-call]
            client_configuration=configuration)
        return k8s.ApiClient(configuration)
    api: k8s.ApiClient = k8s_config.new_client_from_config(  # type: ignore[no-untyped-call]
        config_file=str(spec.kubeconfig), context=spec.context, persist_config=False,
        client_configuration=configuration)
    return api


def served_versions(api: k8s.ApiClient) -> set[str]:
    """The group versions the cluster serves (``v1`` for the core group); raises when
    the cluster cannot be reached."""
    # With _preload_content=False the typed calls return the raw urllib3 response.
    core: Any = k8s.CoreApi(api).get_api_versions(_preload_content=False,
                                                  _request_timeout=_DISCOVERY_TIMEOUT)
    versions = set(orjson.loads(core.data).get("versions") or ())
    groups: Any = k8s.ApisApi(api).get_api_versions(_preload_content=False,
                                                    _request_timeout=_DISCOVERY_TIMEOUT)
    for group in orjson.loads(groups.data).get("groups") or ():
        for version in group.get("versions") or ():
            if version.get("groupVersion"):
                versions.add(str(version["groupVersion"]))
    return versions
