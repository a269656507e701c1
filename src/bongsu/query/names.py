"""Instance display names: what people call an instance, rather than its opaque id.

The name is the resource's ``k8s.pod.name``, else ``host.name:process.pid`` (just the host
without a pid), else the ``service.instance.id`` itself; the latest resource wins.

Example::

    names = instance_names(reads, "default", ["4f1c…", "orders-1"])
    names["4f1c…"]   # "orders-7d9f8-x2kq"
"""

from __future__ import annotations

from collections.abc import Iterable

from bongsu.store.reads import InstanceLabel, Reads


def display_name(label: InstanceLabel) -> str:
    """The name of one instance from its resource labels."""
    if label.pod:
        return label.pod
    if label.host:
        return f"{label.host}:{label.pid}" if label.pid else label.host
    return label.instance


def instance_names(reads: Reads, tenant: str, ids: Iterable[str]) -> dict[str, str]:
    """``{id: display name}`` for every id given; ids the store never saw keep their id."""
    wanted = sorted(set(ids))
    names = {i: i for i in wanted}
    named: set[str] = set()
    for label in reads.instance_labels(tenant, wanted):
        if label.instance not in named:  # the most recently seen service's resource
            named.add(label.instance)
            names[label.instance] = display_name(label)
    return names
