"""Image pulls that fail: back-off, ``Failed`` pull steps, inspect and never-pull errors.

``Failed`` is also the reason for container start failures (``Error: failed to create
containerd task …``), so only messages with pull wording are image pulls.
"""

from __future__ import annotations

import re

from bongsu.kube.explain.context import context
from bongsu.kube.explain.registry import Explainer, PodLookup, explainer
from bongsu.kube.explain.text import on_node, root_cause
from bongsu.kube.model import Explained, NormalEvent

_PULL_WORDING = re.compile(r"pull(?:ing)? image|ErrImagePull|ImagePullBackOff|ErrImageNeverPull|"
                           r"InvalidImageName|ImageInspectError|inspect image|image tag|"
                           r"pull policy", re.IGNORECASE)

# (wording in the message, lower case) → the cause a person acts on; first match wins.
_CAUSES: tuple[tuple[str, str], ...] = (
    ("pull policy of never", "not on the node and imagePullPolicy is Never"),
    ("pull access denied", "access denied (no such repository, or imagePullSecrets missing)"),
    ("unauthorized", "registry refused the credentials"),
    ("authorization failed", "registry refused the credentials"),
    ("403 forbidden", "registry refused the credentials"),
    ("toomanyrequests", "registry rate limit"),
    ("manifest unknown", "image tag not found"),
    ("not found", "image not found"),
    ("no such host", "registry host not found"),
    ("i/o timeout", "registry timed out"),
    ("deadline exceeded", "registry timed out"),
    ("connection refused", "registry refused the connection"),
    ("x509", "registry TLS certificate not trusted"),
    ("couldn't parse image", "invalid image name"),
    ("invalidimagename", "invalid image name"),
    ("no space left", "node out of disk space"),
    ("back-off pulling image", "back-off after failed pulls"),
    ("imagepullbackoff", "back-off after failed pulls"),
    ("errimagepull", "pull failed"),
    ("imageinspecterror", "cannot inspect the image"),
)


def _pulling(event: NormalEvent) -> bool:
    return _PULL_WORDING.search(event.message) is not None


@explainer(reasons=("BackOff", "Failed"), when=_pulling)
def pull_failed(event: NormalEvent, pods: PodLookup) -> Explained:
    """``Back-off pulling image`` (type Normal) and the ``Failed`` pull steps."""
    return _explain(event, pods)


@explainer(reasons=("ErrImagePull", "ImagePullBackOff", "InspectFailed", "ErrImageNeverPull",
                    "InvalidImageName"))
def image_error(event: NormalEvent, pods: PodLookup) -> Explained:
    """Events named after the pull error itself."""
    return _explain(event, pods)


def _explain(event: NormalEvent, pods: PodLookup) -> Explained:
    ctx = context(event, pods)
    image = _image(event.message)
    if image is None and ctx.container_state is not None:
        image = ctx.container_state.image
    lower = event.message.lower()
    cause = next((text for wording, text in _CAUSES if wording in lower), None)
    if cause is None:
        cause = root_cause(event.message) or event.reason
    target = f"image {image}" if image else "its image"
    return ctx.explained("image_pull", "critical",
                         f"{ctx.who}{on_node(ctx.node)} cannot pull {target}: {cause}")


def _image(message: str) -> str | None:
    match = re.search(r'image(?: tag)? "([^"]+)"', message)
    return match.group(1) if match else None


EXPLAINERS: tuple[Explainer, ...] = (pull_failed, image_error)
