"""``python -m bongsu.agent run -- CMD``: the same as ``bongsu run -- CMD``."""

from __future__ import annotations

import sys

from bongsu.agent._cli import cli_run

if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["run"]:
        args = args[1:]
    sys.exit(cli_run(args))
