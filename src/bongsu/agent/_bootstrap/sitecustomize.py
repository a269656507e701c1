"""Started by ``bongsu run``: start the Bongsu agent as this interpreter starts."""

from __future__ import annotations

import os
import sys

_HELPERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver",
            "multiprocessing.semaphore_tracker")


def _start() -> None:
    command = " ".join(getattr(sys, "orig_argv", sys.argv))
    if any(helper in command for helper in _HELPERS):
        return  # Python's own helper processes serve no requests
    try:
        import bongsu.agent

        bongsu.agent.init()
    except Exception as exc:  # the application must start even if the agent cannot
        print(f"bongsu agent: not started: {type(exc).__name__}: {exc}", file=sys.stderr)


def _chain() -> None:
    """Run the sitecustomize this file shadows, if there is one."""
    here = os.path.dirname(os.path.abspath(__file__))
    for entry in sys.path:
        if not entry or os.path.abspath(entry) == here:
            continue
        candidate = os.path.join(entry, "sitecustomize.py")
        if os.path.isfile(candidate):
            import importlib.util

            spec = importlib.util.spec_from_file_location("_bongsu_chained_sitecustomize",
                                                          candidate)
            if spec is not None and spec.loader is not None:
                module = importlib.util.module_from_spec(spec)
                try:
                    spec.loader.exec_module(module)
                except Exception as exc:
                    print(f"bongsu agent: {candidate}: {exc}", file=sys.stderr)
            return


if os.environ.get("BONGSU_BOOTSTRAP") == "1":
    _start()
_chain()
