"""``bongsu demo``: the server plus a small shop of real services under the agent.

gateway (Starlette, uvicorn --workers 2) -> orders (Flask, gunicorn -w 2, sqlite3, one
worker leaking memory) -> payments (Starlette, uvicorn) -> partner API (an external host),
with a load generator, a slow endpoint and a few errors, so a new user sees a live
dashboard within 30 seconds.

Example::

    sys.exit(cli_demo(["--port", "8080", "--duration", "0"]))
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bongsu.agent.demo.load import COOKIE, LoadGenerator

__all__ = ["build_demo_parser", "cli_demo"]

NEEDS = ("flask", "gunicorn", "uvicorn", "starlette", "httpx", "requests")


def build_demo_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The ``demo`` subcommand's options (pass a subparser to attach them to it)."""
    parser = parser or argparse.ArgumentParser(prog="bongsu demo", description=__doc__)
    parser.add_argument("--port", type=int, default=8080, help="console/API port (8080)")
    parser.add_argument("--otlp-port", type=int, default=4318, help="OTLP/HTTP port (4318)")
    parser.add_argument("--data-dir", help="server data directory (default: a temp dir)")
    parser.add_argument("--endpoint", help="send to this OTLP endpoint; start no server")
    parser.add_argument("--rate", type=float, default=8.0, help="requests per second (8)")
    parser.add_argument("--duration", type=float, default=0.0,
                        help="stop after this many seconds (0: until Ctrl-C)")
    return parser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def cli_demo(argv: list[str]) -> int:
    """Run the demo until Ctrl-C (or ``--duration``); returns the exit status."""
    args = build_demo_parser().parse_args(argv)
    missing = [name for name in NEEDS if importlib.util.find_spec(name) is None]
    if missing:
        print(f"bongsu demo: needs {', '.join(missing)} (pip install 'bongsu[demo]')",
              file=sys.stderr)
        return 2
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # stop the children on `kill` too
    data = Path(args.data_dir or tempfile.mkdtemp(prefix="bongsu-demo-"))
    data.mkdir(parents=True, exist_ok=True)
    procs: list[subprocess.Popen[bytes]] = []
    py = sys.executable
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BONGSU_", "OTEL_"))}
    try:
        endpoint = args.endpoint
        if endpoint is None:
            # A laptop's demo on loopback: single-user, no sign-in.
            server = subprocess.Popen([py, "-m", "bongsu", "server", "--single-user",
                                       "--data-dir", str(data / "server"), "--port", str(args.port),
                                       "--otlp-port", str(args.otlp_port)], env=env)
            procs.append(server)
            _wait_port(args.port, server)
            _wait_port(args.otlp_port, server)
            endpoint = f"http://127.0.0.1:{args.otlp_port}"
        ports = {name: _free_port() for name in ("partner", "payments", "orders", "gateway")}
        env.update({
            "BONGSU_ENDPOINT": endpoint, "BONGSU_LOGS_EXPORT": "true",
            "BONGSU_USER_KEY": f"cookie:{COOKIE}",  # the shoppers' sessions, hashed
            "DEMO_PARTNER_URL": f"http://127.0.0.1:{ports['partner']}",
            "DEMO_PAYMENTS_URL": f"http://127.0.0.1:{ports['payments']}",
            "DEMO_ORDERS_URL": f"http://127.0.0.1:{ports['orders']}",
            "DEMO_ORDERS_DB": str(data / "orders.db"),
        })

        logs = data / "logs"
        logs.mkdir(exist_ok=True)

        def under_agent(service: str, *command: str) -> subprocess.Popen[bytes]:
            # The shop's own output (tracebacks of its deliberate errors) goes to a file.
            with open(logs / f"{service}.log", "ab") as out:
                return subprocess.Popen(
                    [py, "-m", "bongsu.agent", "run", "--service-name", service, "--", py,
                     "-m", *command], env=env, stdout=out, stderr=subprocess.STDOUT)

        starts = {
            "partner": subprocess.Popen([py, "-m", "bongsu.agent.demo.partner",
                                         str(ports["partner"])], env=env),
            # Named apart from `bongsu simulate`'s orders and payments, which may run beside.
            "payments": under_agent("payment-api", "uvicorn", "bongsu.agent.demo.payments:app",
                                    "--port", str(ports["payments"]), "--log-level", "warning"),
            "orders": under_agent("order-api", "gunicorn", "-w", "2", "-b",
                                  f"127.0.0.1:{ports['orders']}", "--log-level", "warning",
                                  "bongsu.agent.demo.orders:app"),
            "gateway": under_agent("gateway", "uvicorn", "--workers", "2", "--port",
                                   str(ports["gateway"]), "--log-level", "warning",
                                   "bongsu.agent.demo.gateway:app"),
        }
        procs += starts.values()
        for name, proc in starts.items():
            _wait_port(ports[name], proc)
        load = LoadGenerator(f"http://127.0.0.1:{ports['gateway']}", args.rate)
        load.start()
        if args.endpoint is None:
            print(f"Bongsu demo running: open http://127.0.0.1:{args.port}/ "
                  f"(data in {data}); Ctrl-C stops it.", flush=True)
        deadline = time.monotonic() + args.duration if args.duration else None
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.5)
            if any(p.poll() is not None for p in procs):
                print("bongsu demo: a process ended; stopping", file=sys.stderr)
                return 1
        load.stop()
        return 0
    except KeyboardInterrupt:
        return 0
    except RuntimeError as exc:
        print(f"bongsu demo: {exc}", file=sys.stderr)
        return 1
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
