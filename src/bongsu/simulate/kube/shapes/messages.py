"""Event messages worded as the Kubernetes components word them (v1.30).

The kubelet, default-scheduler, kube-controller-manager (deployment, replicaset, node
lifecycle and horizontal-pod-autoscaler controllers) each have their own phrasing; the
explainers read these messages, so they must match what real clusters send.

Example::

    backoff_restart("frontend", "frontend-7d9f8c-x2k4p", "shop", uid)
    # "Back-off restarting failed container frontend in pod frontend-7d9f8c-x2k4p_shop(<uid>)"
"""

from __future__ import annotations


def backoff_restart(container: str, pod: str, namespace: str, uid: str) -> str:
    return f"Back-off restarting failed container {container} in pod {pod}_{namespace}({uid})"


def crashloop_waiting(seconds: int, container: str, pod: str, namespace: str, uid: str) -> str:
    """The ``state.waiting.message`` of a container in CrashLoopBackOff."""
    return (f"back-off {seconds}s restarting failed container={container} "
            f"pod={pod}_{namespace}({uid})")


def backoff_pull(image: str) -> str:
    return f'Back-off pulling image "{image}"'


def pull_failed(image: str) -> str:
    ref = image if "/" in image else f"docker.io/library/{image}"
    return (f'Failed to pull image "{image}": rpc error: code = NotFound desc = failed to '
            f'pull and unpack image "{ref}": failed to resolve reference "{ref}": '
            f"{ref}: not found")


ERR_IMAGE_PULL = "Error: ErrImagePull"
IMAGE_PULL_BACKOFF = "Error: ImagePullBackOff"
NODE_NOT_READY = "Node is not ready"


def image_pull_waiting(image: str) -> str:
    """The ``state.waiting.message`` of a container in ImagePullBackOff."""
    return f'Back-off pulling image "{image}"'


def evicted(resource: str, threshold: str, available: str, container: str, usage: str,
            request: str) -> str:
    return (f"The node was low on resource: {resource}. Threshold quantity: {threshold}, "
            f"available: {available}. Container {container} was using {usage}, request is "
            f"{request}, has larger consumption of {resource}.")


def failed_mount(volume: str, secret: str) -> str:
    return f'MountVolume.SetUp failed for volume "{volume}" : secret "{secret}" not found'


def failed_attach(pv: str, volume_id: str, node_id: str) -> str:
    return (f'AttachVolume.Attach failed for volume "{pv}" : rpc error: code = Internal desc '
            f'= Could not attach volume "{volume_id}" to node "{node_id}": attachment of disk '
            f'"{volume_id}" failed, expected device to be attached but was attaching')


def failed_scheduling(total: int, reasons: list[tuple[int, str]], preemption: str) -> str:
    """``0/3 nodes are available: 1 node(s) didn't …, 2 Insufficient cpu. preemption: …``"""
    parts = ", ".join(f"{n} {text}" for n, text in reasons)
    return f"0/{total} nodes are available: {parts}. preemption: {preemption}"


HOST_PORT = "node(s) didn't have free ports for the requested pod ports"
INSUFFICIENT_CPU = "Insufficient cpu"


def no_preemption(total: int, not_helpful: int) -> str:
    helpful = total - not_helpful
    parts = []
    if helpful:
        parts.append(f"{helpful} No preemption victims found for incoming pod")
    if not_helpful:
        parts.append(f"{not_helpful} Preemption is not helpful for scheduling")
    return f"0/{total} nodes are available: {', '.join(parts)}."


def node_status(node: str, status: str) -> str:
    """The node controller and kubelet on the Node: ``Node x status is now: NodeNotReady``."""
    return f"Node {node} status is now: {status}"


def rebooted(node: str, boot_id: str) -> str:
    return f"Node {node} has been rebooted, boot id: {boot_id}"


def rescaled(size: int, up: bool, metric: str = "cpu") -> str:
    reason = (f"{metric} resource utilization (percentage of request) above target" if up
              else "All metrics below target")
    return f"New size: {size}; reason: {reason}"


def scheduled(namespace: str, pod: str, node: str) -> str:
    return f"Successfully assigned {namespace}/{pod} to {node}"


def pulling(image: str) -> str:
    return f'Pulling image "{image}"'


def pulled(image: str, seconds: float, size: int) -> str:
    return (f'Successfully pulled image "{image}" in {seconds:.3f}s ({seconds:.3f}s including '
            f"waiting). Image size: {size} bytes.")


def already_present(image: str) -> str:
    return f'Container image "{image}" already present on machine'


def created(container: str) -> str:
    return f"Created container {container}"


def started(container: str) -> str:
    return f"Started container {container}"


def killing(container: str) -> str:
    return f"Stopping container {container}"


def scaled_replicaset(replicaset: str, to: int, frm: int | None = None) -> str:
    if frm is None or to > frm:
        return f"Scaled up replica set {replicaset} to {to}" + (f" from {frm}" if frm else "")
    return f"Scaled down replica set {replicaset} to {to} from {frm}"


def created_pod(pod: str) -> str:
    return f"Created pod: {pod}"


def deleted_pod(pod: str) -> str:
    return f"Deleted pod: {pod}"
