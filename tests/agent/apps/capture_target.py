"""The app the capture tests look into, run under ``bongsu run``: known sockets, files,
objects, allocations and a child process, described in the JSON file ``TARGET_READY``.

- sockets: a TCP listener and a unix listener of its own; one connection to the test's
  server at ``TARGET_PEER`` that stays open, and ``TARGET_CLOSED`` more that the test's
  server closes and this app never does (CLOSE_WAIT);
- files: ``TARGET_FILES`` files open in ``TARGET_DIR`` and one pipe (both ends);
- memory: 50,000 ``Basket`` objects kept; while ``TARGET_DIR/leak`` exists, a thread
  allocates 10 kB a time at the line marked ``LEAK LINE`` and keeps it;
- processes: a ``sleep`` child, a Python child with secret-looking arguments, and
  ~0.5 s of CPU burnt at start.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import bongsu.agent


class Basket:
    __slots__ = ("n",)

    def __init__(self, n: int) -> None:
        self.n = n


def leak(flag: str, kept: list[bytes]) -> None:
    while True:
        if os.path.exists(flag):
            kept.append(b"x" * 10_000)  # LEAK LINE
        time.sleep(0.005)


def main() -> None:
    directory = os.environ["TARGET_DIR"]
    peer = int(os.environ["TARGET_PEER"])
    with bongsu.agent.span("boot"):  # the agent's sender (and its polling) starts here
        pass

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    unix = socket.socket(socket.AF_UNIX)
    unix_path = os.path.join(directory, "app.sock")
    unix.bind(unix_path)
    unix.listen()
    kept_open = socket.create_connection(("127.0.0.1", peer))
    closed_by_peer = [socket.create_connection(("127.0.0.1", peer))
                      for _ in range(int(os.environ["TARGET_CLOSED"]))]

    files = [open(os.path.join(directory, f"data-{i}.log"), "a")  # noqa: SIM115
             for i in range(int(os.environ["TARGET_FILES"]))]
    read_end, write_end = os.pipe()

    baskets = [Basket(i) for i in range(50_000)]
    kept: list[bytes] = []
    threading.Thread(target=leak, args=(os.path.join(directory, "leak"), kept),
                     name="leaker", daemon=True).start()

    child = subprocess.Popen(["sleep", "600"])
    # -I: no agent in this one (it ignores PYTHONPATH); its arguments look like secrets.
    secretive = subprocess.Popen([sys.executable, "-I", "-c", "import time; time.sleep(600)",
                                  "--password", "hunter2", "api_token=s3cret"])

    def stop(*args: object) -> None:
        for p in (child, secretive):
            p.kill()
            p.wait()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    burn_until = time.process_time() + 0.5
    while time.process_time() < burn_until:
        pass

    ready = {
        "pid": os.getpid(), "child": child.pid, "secretive": secretive.pid,
        "listen": listener.getsockname()[1], "unix": unix_path,
        "listen_fd": listener.fileno(), "unix_fd": unix.fileno(),
        "kept_open": [kept_open.fileno(), kept_open.getsockname()[1]],
        "closed_by_peer": [[s.fileno(), s.getsockname()[1]] for s in closed_by_peer],
        "files": {f.fileno(): f.name for f in files}, "pipe": [read_end, write_end],
        "baskets": len(baskets),
    }
    tmp = os.environ["TARGET_READY"] + ".tmp"
    with open(tmp, "w") as f:
        json.dump(ready, f)
    os.replace(tmp, os.environ["TARGET_READY"])
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
