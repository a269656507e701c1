"""The files capture of this very process: each kind of fd the kernel links, as
``/proc/self/fd`` shows it. (The capture of a real app through the API is in
``test_captures_network.py``, beside its sockets.)"""

from __future__ import annotations

import os
import select
import time
from pathlib import Path

from bongsu.agent._files import capture_files, fd_type


def test_every_kind_of_fd(tmp_path: Path) -> None:
    deleted = open(tmp_path / "gone.log", "w")  # noqa: SIM115
    os.unlink(tmp_path / "gone.log")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    fifo_fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
    event = os.eventfd(0)
    poller = select.epoll()
    tty = os.open("/dev/null", os.O_RDONLY)
    read_end, write_end = os.pipe()
    poll_fd, deleted_fd = poller.fileno(), deleted.fileno()
    try:
        started = time.perf_counter()
        doc = capture_files()
        elapsed = time.perf_counter() - started
        listed = len(os.listdir("/proc/self/fd")) - 1  # less the listing's own fd
    finally:
        for fd in (fifo_fd, event, tty, read_end, write_end):
            os.close(fd)
        poller.close()
        deleted.close()
    print(f"files capture in-process {elapsed * 1000:.2f} ms, {doc['count']} fds")
    by_fd = {e["fd"]: e for e in doc["fds"]}
    assert by_fd[deleted_fd] == {"fd": deleted_fd, "type": "file",
                                       "path": f"{tmp_path / 'gone.log'} (deleted)"}
    assert by_fd[fifo_fd] == {"fd": fifo_fd, "type": "file", "path": str(fifo)}
    assert by_fd[event]["type"] == "anon" and by_fd[event]["path"] == "anon_inode:[eventfd]"
    assert by_fd[poll_fd]["path"] == "anon_inode:[eventpoll]"
    assert by_fd[tty] == {"fd": tty, "type": "dev", "path": "/dev/null"}
    assert by_fd[read_end]["type"] == by_fd[write_end]["type"] == "pipe"
    assert by_fd[read_end]["path"] == by_fd[write_end]["path"]  # one pipe, two ends
    assert doc["count"] == len(doc["fds"]) == listed
    assert [e["fd"] for e in doc["fds"]] == sorted(by_fd)


def test_fd_type() -> None:
    assert [fd_type(t) for t in ("socket:[91234]", "pipe:[7]", "anon_inode:inotify",
                                 "/dev/pts/0", "/var/log/app.log", "net:[4026531840]",
                                 "/memfd:jit (deleted)")] == [
        "socket", "pipe", "anon", "dev", "file", "other", "file"]
