"""Which clusters to watch and which ingress endpoints to scrape, parsed from the settings.

``BONGSU_KUBE_CLUSTERS`` (or ``--kube``, repeatable) holds comma-separated specs::

    NAME[:LABEL]=KUBECONFIG[#CONTEXT]      a kubeconfig file, its current or the named context
    NAME[:LABEL]=in-cluster                the service account of the pod Bongsu runs in

``BONGSU_KUBE_INGRESS`` (or ``--kube-ingress``) holds ``CLUSTER=URL`` or bare ``URL`` items:
Prometheus text endpoints (ingress-nginx, the OpenShift router, any exporter) whose figures
belong to that cluster (a bare URL: the first cluster's).

Everything is checked before the server starts (a missing file, an unknown context, a
duplicate name), each with a :class:`~bongsu.errors.SettingError` naming the bad part, so
a typo stops the start instead of leaving a cluster silently unwatched.

Example::

    specs = load_clusters("seoul:private=/etc/kube/seoul.yaml#admin,aws:public=in-cluster")
    assert specs[0].label == "private" and specs[0].context == "admin"
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bongsu.errors import SettingError

IN_CLUSTER = "in-cluster"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
# Where the kubelet mounts a pod's service account (the official client reads the same).
SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


@dataclass(frozen=True, slots=True)
class ClusterSpec:
    """One cluster to watch: a kubeconfig (and context), or the in-cluster service account."""

    name: str
    label: str | None
    kubeconfig: Path | None  # None: in-cluster
    context: str | None = None

    @property
    def in_cluster(self) -> bool:
        return self.kubeconfig is None


@dataclass(frozen=True, slots=True)
class IngressSpec:
    """One Prometheus text endpoint to scrape, and the cluster its figures belong to.

    ``namespace`` and ``service`` (``URL#NAMESPACE/SERVICE``; a fragment is never sent)
    name what a generic exporter's figures are about when its labels do not say.
    """

    cluster: str
    url: str
    namespace: str = ""
    service: str | None = None


def parse_clusters(text: str, variable: str = "BONGSU_KUBE_CLUSTERS") -> list[ClusterSpec]:
    """The specs in ``text``, checked for form only (see :func:`load_clusters`)."""
    specs: list[ClusterSpec] = []
    seen: set[str] = set()
    for item in _items(text):
        head, sep, target = item.partition("=")
        if not sep or not target.strip():
            raise SettingError(f"{variable}: expected NAME[:LABEL]=KUBECONFIG[#CONTEXT] or "
                               f"NAME[:LABEL]=in-cluster, got {item!r}")
        name, _, label = (part.strip() for part in head.partition(":"))
        if not name:
            raise SettingError(f"{variable}: empty cluster name in {item!r}")
        if not _NAME.match(name):
            raise SettingError(f"{variable}: cluster name {name!r} in {item!r} must be letters, "
                               "digits, '.', '_' or '-' (at most 63)")
        if name in seen:
            raise SettingError(f"{variable}: cluster name {name!r} is given twice")
        seen.add(name)
        target = target.strip()
        if target == IN_CLUSTER:
            specs.append(ClusterSpec(name, label or None, None))
            continue
        path, hash_, context = target.rpartition("#") if "#" in target else (target, "", "")
        if hash_ and not context.strip():
            raise SettingError(f"{variable}: empty context after '#' in {item!r}")
        if not path.strip():
            raise SettingError(f"{variable}: empty kubeconfig path in {item!r}")
        specs.append(ClusterSpec(name, label or None, Path(path.strip()).expanduser(),
                                 context.strip() or None))
    return specs


def load_clusters(text: str, env: Mapping[str, str] | None = None,
                  variable: str = "BONGSU_KUBE_CLUSTERS") -> list[ClusterSpec]:
    """Parse and check every spec: its kubeconfig readable and its context defined."""
    specs = parse_clusters(text, variable)
    for spec in specs:
        check_cluster(spec, os.environ if env is None else env, variable)
    return specs


def check_cluster(spec: ClusterSpec, env: Mapping[str, str],
                  variable: str = "BONGSU_KUBE_CLUSTERS") -> None:
    """Raise :class:`SettingError` when ``spec`` cannot be connected as written."""
    where = f"{variable}: cluster {spec.name!r}"
    if spec.kubeconfig is None:
        missing = [k for k in ("KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT")
                   if not env.get(k)]
        if missing:
            raise SettingError(f"{where}: in-cluster needs {' and '.join(missing)} "
                               "(set in every pod); is Bongsu running in a pod?")
        token = SERVICE_ACCOUNT_DIR / "token"
        if not token.is_file():
            raise SettingError(f"{where}: in-cluster needs the service account token {token}")
        return
    path = spec.kubeconfig
    if not path.is_file():
        raise SettingError(f"{where}: kubeconfig {str(path)!r} does not exist")
    try:
        document: Any = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        first = (str(exc).strip().splitlines() or [""])[0]
        raise SettingError(f"{where}: kubeconfig {str(path)!r} cannot be read: {first}") from exc
    if not isinstance(document, dict):
        raise SettingError(f"{where}: kubeconfig {str(path)!r} is not a kubeconfig (no mapping)")
    contexts = [c.get("name") for c in document.get("contexts") or [] if isinstance(c, dict)]
    context = spec.context or document.get("current-context")
    if not context:
        raise SettingError(f"{where}: kubeconfig {str(path)!r} has no current-context; "
                           f"name one with #CONTEXT (it defines: {_listed(contexts)})")
    if context not in contexts:
        raise SettingError(f"{where}: context {context!r} is not in kubeconfig {str(path)!r} "
                           f"(it defines: {_listed(contexts)})")


def parse_ingress(text: str, clusters: Sequence[ClusterSpec],
                  variable: str = "BONGSU_KUBE_INGRESS") -> list[IngressSpec]:
    """The scrape targets in ``text``; each names a configured cluster (a bare URL: the first)."""
    names = [c.name for c in clusters]
    targets: list[IngressSpec] = []
    for item in _items(text):
        head, sep, rest = item.partition("=")
        if sep and "/" not in head and ":" not in head:  # CLUSTER=URL (a URL has "://")
            cluster, url = head.strip(), rest.strip()
            if not cluster:
                raise SettingError(f"{variable}: empty cluster name in {item!r}")
            if cluster not in names:
                raise SettingError(f"{variable}: {item!r} names cluster {cluster!r}, which is "
                                   f"not in BONGSU_KUBE_CLUSTERS ({_listed(names)})")
        else:
            if not names:
                raise SettingError(f"{variable}: the bare URL {item!r} belongs to the first "
                                   "cluster, and BONGSU_KUBE_CLUSTERS names none; write "
                                   "CLUSTER=URL")
            cluster, url = names[0], item
        url, _, about = url.partition("#")
        if not re.match(r"^https?://[^/\s]+", url):
            raise SettingError(f"{variable}: {url!r} in {item!r} is not an http(s) URL")
        namespace, slash, service = about.partition("/")
        if about and (not slash or not namespace.strip() or not service.strip()):
            raise SettingError(f"{variable}: {item!r}: write URL#NAMESPACE/SERVICE "
                               "(both named) or the URL alone")
        targets.append(IngressSpec(cluster, url, namespace.strip(), service.strip() or None))
    return targets


def _items(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _listed(names: Sequence[object]) -> str:
    return ", ".join(repr(n) for n in names) if names else "none"
