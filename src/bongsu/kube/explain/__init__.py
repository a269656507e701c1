"""Kubernetes events explained: a kind, a severity and one line a person can act on.

:func:`explain_event` hands a normalised event to the first matching explainer of a
:class:`Registry` (the built-in families below register the same way a plugin's would,
see ``registry.py``); :func:`episode_key` says which episode the event belongs to.

Severity, a demanding operator's view: *critical* wakes someone up (users are or will
soon be hurt and it will not fix itself), *warning* wants a look today, *info* is history.

==================== ======== ==============================================================
kind                 severity why
==================== ======== ==============================================================
crash_loop           critical the container keeps dying; its pod serves nothing
oom_killed           critical a limit or a leak kills the process; it recurs under load
evicted              critical the node ran short; pods are being pushed off it
node_not_ready       critical on the Node: every pod on it is at risk (warning on each Pod:
                              the node's episode is the one that pages, not 30 copies)
image_pull           critical the pod cannot start; a rollout or a scale-out stalls
node_rebooted        warning  over by the time it is reported (the kubelet is back); its
                              pods restarted; a long outage shows as node_not_ready
scheduling           warning  a pod waits for room; often the autoscaler's to solve
hostport_conflict    warning  a pod waits for a node with its host port free
volume_mount         warning  a pod waits for its volume; often transient (attach, detach)
container_restart    warning  one restart (an exit, a failed liveness probe) is not a loop
readiness            warning  out of the Service's endpoints (info when it is ready again)
hpa_scale_out/_in    info     the autoscaler doing its job
rollout              info     a marker on the charts
pod_started          info     Scheduled, Pulling, Pulled, Created, Started
node_ready           info     recovery
other                from the event's type: Warning → warning, Normal → info (node
                              resource pressure, NodeHas…Pressure, is a warning)
==================== ======== ==============================================================

Example::

    event = normalise("private", frame["raw_object"])     # bongsu.kube.events
    if event is not None:
        explained = explain_event(event, pods=lambda ns, name: known_pods.get((ns, name)))
        key = episode_key(event)
        print(explained.kind, explained.severity, explained.summary)
"""

from __future__ import annotations

import re

from bongsu.kube.explain import (
    autoscaling,
    images,
    nodes,
    other,
    pods,
    rollouts,
    scheduling,
    volumes,
)
from bongsu.kube.explain.registry import (
    Explainer,
    ExplainFn,
    MatchFn,
    PodLookup,
    Registry,
    explainer,
    no_pods,
)
from bongsu.kube.model import Episode, EpisodeKey, Explained, NormalEvent

__all__ = [
    "REGISTRY",
    "ExplainFn",
    "Explainer",
    "MatchFn",
    "PodLookup",
    "Registry",
    "builtin_registry",
    "episode_key",
    "explain_event",
    "explainer",
    "no_pods",
]

_FAMILIES = (pods, images, scheduling, volumes, nodes, autoscaling, rollouts, other)


def builtin_registry() -> Registry:
    """A new registry holding the built-in explainers (each test or server builds its own)."""
    registry = Registry()
    for family in _FAMILIES:
        for each in family.EXPLAINERS:
            registry.register(each)
    return registry


REGISTRY = builtin_registry()
"""The default registry :func:`explain_event` uses; a plugin may register into it."""


def explain_event(event: NormalEvent, pods: PodLookup,
                  registry: Registry | None = None) -> Explained:
    """What ``event`` means: the first matching explainer's reading, else ``other``'s."""
    found = (registry or REGISTRY).explain(event, pods)
    if found is not None:
        return found
    # No explainer matched (a registry without the fallback) or every match failed.
    return other.other.explain(event, no_pods)


_NEW_SIZE = re.compile(r"New size: (\d+)")


def rescale_discriminator(size: int | str) -> str:
    """What tells one HPA rescale from the next: its new size (the controller's Event and
    the state finding of the same scale both carry it, so they still merge)."""
    return f"size {size}"


def _discriminator(object_kind: str, reason: str, message: str) -> str:
    # Without it a scale-in ten minutes after a scale-out merges into the scale-out's
    # episode (same object, reason, component) and rewrites it: each scale is its own.
    if object_kind == "HorizontalPodAutoscaler" and reason == "SuccessfulRescale":
        match = _NEW_SIZE.search(message)
        if match:
            return rescale_discriminator(match.group(1))
    return ""


def episode_key(event: NormalEvent) -> EpisodeKey:
    """The episode ``event`` belongs to: its object + reason + reporting component (and an
    HPA rescale's new size)."""
    return EpisodeKey(cluster=event.cluster, namespace=event.namespace,
                      object_kind=event.object_kind, object_name=event.object_name,
                      reason=event.reason, component=event.component,
                      discriminator=_discriminator(event.object_kind, event.reason,
                                                   event.message))


def stored_episode_key(episode: Episode) -> EpisodeKey:
    """The key of a stored Event episode, as :func:`episode_key` made it."""
    return EpisodeKey(cluster=episode.cluster, namespace=episode.namespace,
                      object_kind=episode.object_kind, object_name=episode.object_name,
                      reason=episode.reason, component=episode.component,
                      discriminator=_discriminator(episode.object_kind, episode.reason,
                                                   episode.message))
