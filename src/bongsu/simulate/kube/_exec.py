"""``pods/NAME/exec`` over a WebSocket, the way the official clients speak it to a real server.

``GET /api/v1/namespaces/NS/pods/NAME/exec?command=jcmd&command=1&container=C&stdout=1``
with ``Upgrade: websocket`` and ``Sec-WebSocket-Protocol: v5.channel.k8s.io,
v4.channel.k8s.io``: the server answers ``101`` with one of them, then sends binary frames
whose first byte is the channel (1 stdout, 2 stderr, 3 the exit status as a metav1.Status:
``Success``, or ``Failure`` / ``NonZeroExitCode`` with the code in
``details.causes[0].message``) and closes. Before the upgrade the errors are plain Status
bodies: the pod unknown (404), no command, a container not in the pod or a completed pod
(400), no upgrade asked (400).

"The pod" is this host: the command runs here as a child process (so ``jcmd PID`` reaches
a real JVM a test started), with the container's ``env`` from the pod spec added. A
command that is not on PATH fails as a container runtime words it. kubectl's SPDY exec
(``POST`` with ``Upgrade: SPDY/3.1``, kubectl before 1.29) is not served.

Example::

    resp = stream(core.connect_get_namespaced_pod_exec, "web-0", "shop",
                  command=["cat", "/proc/1/net/tcp"], stderr=True, stdin=False,
                  stdout=True, tty=False, _preload_content=False)
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import struct
import subprocess
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from bongsu.simulate.kube import _status

if TYPE_CHECKING:
    from bongsu.simulate.kube._handler import Handler

Obj = dict[str, Any]
PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")  # preferred first, as a 1.30 server
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455
STDOUT, STDERR, ERROR = 1, 2, 3
CHUNK = 32 * 1024
EXEC_TIMEOUT_S = 600.0  # a real exec has none; this bounds a test's forgotten command


def is_exec(parts: list[str]) -> bool:
    """``/api/v1/namespaces/NS/pods/NAME/exec``."""
    return (len(parts) == 7 and parts[:3] == ["api", "v1", "namespaces"]
            and parts[4] == "pods" and parts[6] == "exec")


def serve_exec(handler: Handler, namespace: str, name: str) -> None:
    """Check the request like a real server, upgrade, run the command, stream its output."""
    params = parse_qsl(urlsplit(handler.path).query, keep_blank_values=True)
    command = [v for k, v in params if k == "command"]
    container = next((v for k, v in params if k == "container"), "")
    pod = handler.api.cluster.find("pods", namespace, name)
    if pod is None:
        return handler.send_status(_status.not_found("pods", name))
    containers = [c for c in (pod.get("spec") or {}).get("containers") or []]
    names = [str(c.get("name")) for c in containers]
    problem = _refusal(pod, name, names, container, command, handler)
    if problem is not None:
        return handler.send_status(_status.status(400, problem))
    offered = [p.strip() for p in handler.headers.get("Sec-WebSocket-Protocol", "").split(",")]
    protocol = next((p for p in PROTOCOLS if p in offered), None)
    if protocol is None:
        return handler.send_status(_status.status(
            400, f"unable to upgrade: no supported protocol in {offered} (want one of "
                 f"{', '.join(PROTOCOLS)})"))
    key = handler.headers.get("Sec-WebSocket-Key", "")
    accept = base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()
    handler.send_response(101, "Switching Protocols")
    handler.send_header("Upgrade", "websocket")
    handler.send_header("Connection", "Upgrade")
    handler.send_header("Sec-WebSocket-Accept", accept)
    handler.send_header("Sec-WebSocket-Protocol", protocol)
    handler.end_headers()
    handler.wfile.flush()
    handler.close_connection = True
    spec = containers[names.index(container)] if container else containers[0]
    env = {str(e["name"]): str(e.get("value", "")) for e in spec.get("env") or []
           if isinstance(e, dict) and "name" in e}
    _Session(handler, command, env).run()


def _refusal(pod: Obj, name: str, names: list[str], container: str, command: list[str],
             handler: Handler) -> str | None:
    if handler.headers.get("Upgrade", "").lower() != "websocket":
        return "Upgrade request required"
    if not command:
        return "you must specify at least 1 command"
    if container and container not in names:
        return f"container {container} is not valid for pod {name}"
    if not container and len(names) > 1:
        return (f"a container name must be specified for pod {name}, choose one of: "
                f"[{' '.join(names)}]")
    if not names:
        return f"pod {name} has no containers"
    phase = (pod.get("status") or {}).get("phase")
    if phase in ("Succeeded", "Failed"):
        return f"cannot exec into a container in a completed pod; current phase is {phase}"
    if not (pod.get("spec") or {}).get("nodeName"):
        return f"pod {name} does not have a host assigned"
    return None


class _Session:
    """One upgraded connection: the child's stdout and stderr as channel frames, then its
    exit status on channel 3 and a close frame."""

    def __init__(self, handler: Handler, command: list[str], env: dict[str, str]) -> None:
        self.handler = handler
        self.command = command
        self.env = env
        self._send_lock = threading.Lock()
        self.broken = False
        self.child: subprocess.Popen[bytes] | None = None

    def frame(self, payload: bytes, opcode: int = 0x2) -> None:
        """One unmasked server frame (FIN set); a broken connection is remembered."""
        size = len(payload)
        if size < 126:
            head = struct.pack("!BB", 0x80 | opcode, size)
        elif size < 1 << 16:
            head = struct.pack("!BBH", 0x80 | opcode, 126, size)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 127, size)
        with self._send_lock:
            if self.broken:
                return
            try:
                self.handler.wfile.write(head + payload)
                self.handler.wfile.flush()
            except OSError:  # the client went away: so does the command, as in a pod
                self.broken = True
                if self.child is not None:
                    with contextlib.suppress(OSError):
                        self.child.kill()

    def _pump(self, stream: Any, channel: int) -> None:
        while chunk := stream.read1(CHUNK) if hasattr(stream, "read1") else stream.read(CHUNK):
            self.frame(bytes([channel]) + chunk)

    def run(self) -> None:
        try:
            child = subprocess.Popen(self.command, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env={**os.environ, **self.env})
        except (FileNotFoundError, PermissionError) as exc:
            why = ("executable file not found in $PATH" if isinstance(exc, FileNotFoundError)
                   else "permission denied")
            message = (f"error executing command in container: failed to exec in container: "
                       f"OCI runtime exec failed: exec failed: unable to start container "
                       f'process: exec: "{self.command[0]}": {why}: unknown')
            self._finish(_status.status(500, message))
            return
        self.child = child
        self.handler.api.track_exec(child, True)
        pumps = [threading.Thread(target=self._pump, args=(s, c), daemon=True)
                 for s, c in ((child.stdout, STDOUT), (child.stderr, STDERR))]
        for pump in pumps:
            pump.start()
        try:
            code = child.wait(EXEC_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            child.kill()
            code = child.wait()
        finally:
            self.handler.api.track_exec(child, False)
        for pump in pumps:
            pump.join(30)
        if code == 0:
            self._finish({"metadata": {}, "status": "Success"})
        else:
            self._finish(_status.status(
                500, f"command terminated with non-zero exit code: error executing command "
                     f"[{' '.join(self.command)}], exit code {code}",
                {"causes": [{"reason": "ExitCode", "message": str(code)}]},
                reason="NonZeroExitCode"))

    def _finish(self, status: Obj) -> None:
        status.pop("kind", None)  # the exec status carries no kind/apiVersion
        status.pop("apiVersion", None)
        if status.get("reason") == "NonZeroExitCode":
            status.pop("code", None)
        self.frame(bytes([ERROR]) + json.dumps(status).encode())
        self.frame(struct.pack("!H", 1000), opcode=0x8)
        with contextlib.suppress(OSError):
            self.handler.connection.shutdown(1)  # SHUT_WR: the client reads to the end
