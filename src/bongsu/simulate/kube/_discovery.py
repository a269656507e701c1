"""Discovery documents: ``/api``, ``/apis``, ``/apis/<group>/<version>``, ``/version``.

kubectl (1.30+) first asks ``/api`` and ``/apis`` for aggregated discovery
(``Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList``) and
falls back to one request per group version when it gets the legacy shape; both are
served here, chosen by that Accept header.

Example::

    legacy_groups(served("both"))["groups"][0]["name"]  # "apps"
"""

from __future__ import annotations

from typing import Any

from bongsu.simulate.kube._resources import Resource

Obj = dict[str, Any]
AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
VERSION: Obj = {
    "major": "1", "minor": "30", "gitVersion": "v1.30.5", "gitCommit": "simulated",
    "gitTreeState": "clean", "buildDate": "2024-09-11T00:00:00Z", "goVersion": "go1.22.6",
    "compiler": "gc", "platform": "linux/amd64",
}


def _groups(resources: list[Resource]) -> dict[str, dict[str, list[Resource]]]:
    groups: dict[str, dict[str, list[Resource]]] = {}
    for r in resources:
        groups.setdefault(r.group, {}).setdefault(r.version, []).append(r)
    return groups


def wants_aggregated(accept: str) -> bool:
    return "as=APIGroupDiscoveryList" in accept and "v=v2" in accept


def api_versions(address: str) -> Obj:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                            "serverAddress": address}]}


def resource_list(resources: list[Resource], group: str, version: str) -> Obj | None:
    """The APIResourceList of one group version, or None when it is not served."""
    chosen = [r for r in resources if r.group == group and r.version == version]
    if not chosen:
        return None
    return {
        "kind": "APIResourceList", "apiVersion": "v1",
        "groupVersion": chosen[0].api_version,
        "resources": [
            {"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
             "kind": r.kind, "verbs": list(r.verbs),
             **({"shortNames": list(r.short_names)} if r.short_names else {}),
             **({"categories": list(r.categories)} if r.categories else {})}
            for r in chosen],
    }


def _group(name: str, versions: list[str]) -> Obj:
    gvs = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": gvs, "preferredVersion": gvs[0]}


def legacy_groups(resources: list[Resource]) -> Obj:
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [_group(g, list(vs)) for g, vs in _groups(resources).items() if g]}


def legacy_group(resources: list[Resource], name: str) -> Obj | None:
    versions = _groups(resources).get(name)
    if not name or versions is None:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(name, list(versions))}


def aggregated(resources: list[Resource], core: bool) -> Obj:
    """The APIGroupDiscoveryList for ``/api`` (``core``) or ``/apis``."""
    items = []
    for group, versions in _groups(resources).items():
        if (group == "") != core:
            continue
        items.append({
            "metadata": {"name": group, "creationTimestamp": None},
            "versions": [
                {"version": version, "freshness": "Current", "resources": [
                    {"resource": r.plural, "singularResource": r.singular,
                     "scope": "Namespaced" if r.namespaced else "Cluster",
                     "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
                     "verbs": list(r.verbs),
                     **({"shortNames": list(r.short_names)} if r.short_names else {}),
                     **({"categories": list(r.categories)} if r.categories else {})}
                    for r in rs]}
                for version, rs in versions.items()],
        })
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2",
            "metadata": {}, "items": items}
