"""``python -m bongsu.agent.demo``: the same as ``bongsu demo``."""

from __future__ import annotations

import sys

from bongsu.agent.demo import cli_demo

if __name__ == "__main__":
    sys.exit(cli_demo(sys.argv[1:]))
