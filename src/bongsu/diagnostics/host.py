"""Captures of a process on this host that runs no agent: ``jcmd`` and ``/proc``.

``bongsu capture jvm --pid PID`` lands here: ``jcmd PID Thread.print -l`` and
``GC.class_histogram`` give the raw ``jvm.thread_print/1`` / ``jvm.class_histogram/1``
documents (parsed later, on the server), :mod:`bongsu.diagnostics.procfs` the
``bongsu.network/1``, ``files`` and ``processes`` ones; :func:`post_captures` sends each as
a capture taken unasked (``POST /v1/bongsu/agent/results`` with ``command_id`` null).

A process is checked before anything is sent to it: ``jcmd`` against a process that is not
a JVM sends it SIGQUIT (which kills most programs) and waits 10 s for an answer, so a pid
without ``libjvm.so`` in its memory map is refused for the JVM kinds.

Example::

    docs = capture_process(4242, ["threads", "memory", "network"])
    ids = post_captures("http://127.0.0.1:4318", "", "orders", "orders-1", docs)
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from bongsu.diagnostics import procfs
from bongsu.diagnostics.jvm import CLASS_HISTOGRAM, THREAD_PRINT, runtime_of
from bongsu.errors import BongsuError

__all__ = ["KINDS", "CaptureError", "capture_process", "is_jvm", "jcmd", "post_captures"]

KINDS = ("threads", "memory", "network", "files", "processes")
JVM_KINDS = {"threads": ("Thread.print", "-l"), "memory": ("GC.class_histogram",)}
JCMD_TIMEOUT_S = 60.0  # a class histogram of a multi-GiB heap takes seconds
RESULTS_PATH = "/v1/bongsu/agent/results"


class CaptureError(BongsuError):
    """A capture cannot be taken or sent; the message says which part failed and why."""


def is_jvm(pid: int, proc: str = "/proc") -> bool:
    """Whether ``pid`` has the HotSpot VM (``libjvm.so``) mapped; CaptureError when the
    process does not exist or its map cannot be read."""
    try:
        with open(f"{proc}/{pid}/maps", "rb") as f:
            return any(b"/libjvm.so" in line for line in f)
    except FileNotFoundError:
        raise CaptureError(f"--pid {pid}: no such process") from None
    except PermissionError:
        raise CaptureError(f"--pid {pid}: cannot read /proc/{pid}/maps (run as the "
                           "process's user or root)") from None


def jcmd(pid: int, *command: str, executable: str | None = None,
         timeout_s: float = JCMD_TIMEOUT_S) -> str:
    """The output of ``jcmd PID COMMAND`` (its first line, ``PID:``, removed)."""
    exe = executable or shutil.which("jcmd")
    if exe is None:
        raise CaptureError("jcmd: not found on PATH (it comes with a JDK, e.g. Debian's "
                           "openjdk-17-jdk-headless); set --jcmd to its path")
    try:
        done = subprocess.run([exe, str(pid), *command], capture_output=True, text=True,
                              timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise CaptureError(f"jcmd {pid} {' '.join(command)}: no answer in {timeout_s:.0f} s"
                           ) from None
    except OSError as exc:
        raise CaptureError(f"jcmd: cannot run {exe}: {exc}") from None
    out = done.stdout
    first, _, rest = out.partition("\n")
    if first.strip() == f"{pid}:":
        out = rest
    if done.returncode != 0 or "Exception" in out.split("\n", 1)[0]:
        why = (out.strip() or done.stderr.strip()).splitlines()
        raise CaptureError(f"jcmd {pid} {' '.join(command)} failed (exit {done.returncode}): "
                           f"{why[0] if why else 'no output'}")
    return out


def _process_name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as f:
            return f.read().strip()
    except OSError:
        return "?"


def capture_process(pid: int, kinds: Sequence[str], trigger: dict[str, Any] | None = None,
                    jcmd_path: str | None = None) -> list[dict[str, Any]]:
    """One capture document per kind of ``pid`` (``docs/captures.md`` envelopes)."""
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise CaptureError(f"--kinds: {', '.join(unknown)} not one of {', '.join(KINDS)}")
    jvm_kinds = [k for k in kinds if k in JVM_KINDS]
    java = is_jvm(pid)
    if jvm_kinds and not java:
        raise CaptureError(f"--pid {pid} ({_process_name(pid)}) is not a JVM (no libjvm.so "
                           f"mapped): {', '.join(jvm_kinds)} need a Java process; "
                           "network, files and processes do not")
    trigger = dict(trigger or {"reason": "request", "detail": "bongsu capture jvm",
                               "rule_id": None})
    host = socket.gethostname()
    src = procfs.LocalProc(namespace_of=pid)  # a container's process: its container's
    runtime = ""
    docs: list[dict[str, Any]] = []
    for kind in kinds:
        envelope: dict[str, Any] = {"kind": kind, "captured_at_unix_nano": time.time_ns(),
                                    "pid": pid, "host": host, "trigger": trigger}
        if kind in JVM_KINDS:
            text = jcmd(pid, *JVM_KINDS[kind], executable=jcmd_path)
            if kind == "threads":
                runtime = runtime_of(text)
            fmt = THREAD_PRINT if kind == "threads" else CLASS_HISTOGRAM
            docs.append({**envelope, "format": fmt, "runtime": runtime, "text": text})
            continue
        if kind == "network":
            body = procfs.network(src, pid)
        elif kind == "files":
            body = procfs.files(src, pid)
        else:
            body = procfs.processes(src, first=[pid])
        docs.append({**envelope, "format": f"bongsu.{kind}/1", "runtime": runtime, **body})
    if runtime or java:  # the runtime is known once a dump has been read
        for doc in docs:
            doc["runtime"] = doc["runtime"] or runtime or "java"
    return docs


def post_captures(server: str, key: str, service: str, instance: str,
                  docs: Sequence[dict[str, Any]], timeout_s: float = 30.0) -> list[str]:
    """Send each document as a capture taken unasked; the ids the server gave them."""
    url = server.rstrip("/") + RESULTS_PATH
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    ids: list[str] = []
    for doc in docs:
        body = {"service": service, "instance": instance, "command_id": None,
                "kind": doc["kind"], "ok": True, "error": "", "result": doc,
                "host": doc.get("host"), "pid": doc.get("pid")}
        request = urllib.request.Request(url, json.dumps(body).encode(), headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:300]
            raise CaptureError(f"server {server}: {exc.code} for the {doc['kind']} capture: "
                               f"{detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise CaptureError(f"server {server}: unreachable ({reason})") from None
        ids.append(str(answer.get("id", "")))
    return ids


def default_instance(pid: int) -> str:
    """``host:pid``, the instance name when none is given."""
    return f"{socket.gethostname()}:{pid}"


_VALUE_FLAGS = {"-cp", "-classpath", "--class-path", "-p", "--module-path", "--add-opens",
                "--add-exports", "--add-modules"}


def default_service(pid: int) -> str:
    """The service name when none is given: a JVM's main class or jar (``Deadlock``,
    ``orders`` for ``-jar orders.jar``), else the process's name."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return _process_name(pid)
    skip = False
    for i, arg in enumerate(argv[1:], 1):
        if skip:
            skip = False
        elif arg == "-jar" and i + 1 < len(argv):
            return os.path.basename(argv[i + 1]).removesuffix(".jar")
        elif arg in _VALUE_FLAGS:
            skip = True
        elif not arg.startswith("-"):
            return arg.rsplit(".", 1)[-1] if "/" not in arg else os.path.basename(arg)
    return _process_name(pid)
