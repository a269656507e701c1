"""``bongsu run [options] -- CMD ...``: run a program with the agent in every Python process.

The agent directory ``_bootstrap`` goes first on ``PYTHONPATH``; its ``sitecustomize``
starts the agent as each interpreter starts (gunicorn's master, then each forked worker
through the fork hook; each ``uvicorn --workers`` process, which is spawned), then runs
any ``sitecustomize`` it shadows. Options become ``BONGSU_*`` variables.

Example::

    sys.exit(cli_run(["--service-name", "orders", "--", "gunicorn", "-w", "4", "app:app"]))
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

__all__ = ["BOOTSTRAP_DIR", "build_run_parser", "cli_run", "run_environment"]

BOOTSTRAP_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_bootstrap")


def build_run_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The ``run`` subcommand's options (pass a subparser to attach them to it)."""
    parser = parser or argparse.ArgumentParser(
        prog="bongsu run", description="Run a program with the Bongsu agent.")
    parser.add_argument("--service-name", help="service.name (default: the program's name)")
    parser.add_argument("--endpoint", help="OTLP/HTTP base URL (default http://127.0.0.1:4318)")
    parser.add_argument("--api-key", help="ingest key")
    parser.add_argument("--sample-ratio", type=float, help="head sampling ratio 0..1")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD [ARGS ...]")
    return parser


def run_environment(
    args: argparse.Namespace, environ: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment the command runs with."""
    env = dict(os.environ if environ is None else environ)
    for option, name in (("service_name", "BONGSU_SERVICE_NAME"), ("endpoint", "BONGSU_ENDPOINT"),
                         ("api_key", "BONGSU_API_KEY"), ("sample_ratio", "BONGSU_SAMPLE_RATIO")):
        value = getattr(args, option, None)
        if value is not None:
            env[name] = str(value)
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != BOOTSTRAP_DIR]
    env["PYTHONPATH"] = os.pathsep.join([BOOTSTRAP_DIR, *paths])
    env["BONGSU_BOOTSTRAP"] = "1"
    return env


def cli_run(argv: Sequence[str]) -> int:
    """Replace this process with ``CMD`` running under the agent; returns only on failure."""
    args = build_run_parser().parse_args(list(argv))
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        print("bongsu run: give a command after --, e.g. bongsu run -- python app.py",
              file=sys.stderr)
        return 2
    env = run_environment(args)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(command[0], command, env)
    except OSError as exc:
        print(f"bongsu run: cannot run {command[0]!r}: {exc}", file=sys.stderr)
        return 127
    return 0  # not reached: exec replaced the process
