"""A fresh process for the analyzer tests: it makes known threads or files, takes the
agent's own captures of itself and prints them as JSON. A long test session's process holds
whatever earlier tests left (idle pool workers, open descriptors), so the figures the tests
expect are only exact in a process of their own.

    python capture_child.py threads      -> {"doc", "active"}
    python capture_child.py files DIR    -> {"base", "near", "after", "soft"}
"""

from __future__ import annotations

import json
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bongsu.agent._files import capture_files
from bongsu.agent._threads import capture_threads


def park_here(ready: threading.Barrier, release: threading.Event) -> None:
    ready.wait()
    release.wait()


def nap_here(ready: threading.Barrier, release: threading.Event) -> None:
    ready.wait()
    while not release.is_set():  # in sleep() all but microseconds of each half second
        time.sleep(0.5)


def threads() -> dict[str, Any]:
    """Six threads waiting in park_here, two sleeping in nap_here, then the capture."""
    ready, release = threading.Barrier(9), threading.Event()
    started = [threading.Thread(target=park_here, args=(ready, release), name=f"parked-{i}",
                                daemon=True) for i in range(6)]
    started += [threading.Thread(target=nap_here, args=(ready, release), name=f"napping-{i}",
                                 daemon=True) for i in range(2)]
    for t in started:
        t.start()
    ready.wait()
    time.sleep(0.2)  # past the barrier, into release.wait() / time.sleep()
    doc = capture_threads(None)
    active = threading.active_count()
    release.set()
    return {"doc": doc, "active": active}


def files(directory: Path) -> dict[str, Any]:
    """Five files open in ``directory``; captures with the limit as it is and just above
    the count, then after closing them."""
    opened = [open(directory / f"f{i}.log", "w") for i in range(5)]  # noqa: SIM115
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        base = capture_files()
        resource.setrlimit(resource.RLIMIT_NOFILE, (base["count"] + 1, hard))
        near = capture_files()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        for f in opened:
            f.close()
    return {"base": base, "near": near, "after": capture_files(), "soft": soft}


if __name__ == "__main__":
    out = threads() if sys.argv[1] == "threads" else files(Path(sys.argv[2]))
    sys.stdout.write(json.dumps(out))
