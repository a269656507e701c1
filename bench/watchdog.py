"""The watchdog's cost, side by side in one run: agent overhead per request with the
watchdog off and on, and the CPU of one watchdog check.

Per request: ``bench/agent_overhead.py``'s method — each case a fresh Python process calling
a minimal WSGI app in-process N times, exporting to a local sink process; the cost is the
CPU of *all* the process's threads (sender and watchdog included) over N, the median of
``--repeat`` rounds over all cases. Cases: ``bare``, ``bongsu`` with the watchdog off, on
(its default 0.5 s check interval), and on at 0.05 s (the smallest interval allowed: ten
times the checks, to make their cost visible above the noise).

Per check: ``Watchdog.check()`` called in a loop in a process with the agent started (the
real cgroup reader of this machine: cgroup v1), with no request in flight and with 100
(none past the slow-request limit, so nothing is captured).

    .venv/bin/python bench/watchdog.py            # ~1-2 min on 2 cores
    .venv/bin/python bench/watchdog.py --quick
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import agent_overhead as ao  # the sink, the app, one case

CASES: dict[str, dict[str, str]] = {
    "bare": {},
    "watchdog off": {"BONGSU_WATCHDOG": "0"},
    "watchdog on (0.5 s)": {"BONGSU_WATCHDOG": "1"},
    "watchdog on (0.05 s)": {"BONGSU_WATCHDOG": "1", "BONGSU_WATCHDOG_CHECK_INTERVAL": "0.05"},
}


def run_checks(n: int, in_flight: int) -> dict[str, Any]:
    """CPU µs of one ``Watchdog.check`` with ``in_flight`` requests registered."""
    import bongsu.agent
    from bongsu.agent import _state
    from bongsu.agent._tracer import SERVER

    agent = bongsu.agent.init(service_name="bench", endpoint="http://127.0.0.1:9")
    assert agent is not None and agent.watchdog is not None and _state.tracer is not None
    for i in range(in_flight):
        agent.active.add(_state.tracer.start(f"GET /orders/{i}", SERVER,
                                             {"url.path": f"/orders/{i}"}))
    dog = agent.watchdog
    found = dog.memory() if dog.memory is not None else None
    now = time.monotonic()
    for _ in range(200):
        dog.check(now)
    cpu0 = time.process_time()
    for _ in range(n):
        dog.check(now)
    cpu = time.process_time() - cpu0
    assert not dog.sent, "the bench must not trip a capture"
    return {"in_flight": in_flight, "check_us": cpu / n * 1e6,
            "reader": type(dog.memory).__name__, "memory": found}


def child(args: list[str], env: dict[str, str]) -> Any:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("BONGSU_", "OTEL_"))}
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                         timeout=900, env={**base, **env})
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--case", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--checks", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        agent, n, endpoint = args.case
        print(json.dumps(ao.run_case(agent, "wsgi", int(n), endpoint)))
        return
    if args.checks:
        print(json.dumps(run_checks(int(args.checks[0]), int(args.checks[1]))))
        return

    port_file = tempfile.mktemp()
    sink = subprocess.Popen([sys.executable, ao.__file__, "--sink", port_file])
    try:
        while not os.path.exists(port_file) or not Path(port_file).read_text():
            time.sleep(0.05)
        endpoint = f"http://127.0.0.1:{Path(port_file).read_text()}"
        n = 5000 if args.quick else 50000
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in CASES}
        for _ in range(args.repeat):
            for name, env in CASES.items():
                agent = "bare" if name == "bare" else "bongsu"
                runs[name].append(child(["--case", agent, str(n), endpoint], env))
        checks = [child(["--checks", str(2000 if args.quick else 20000), str(k)], {})
                  for k in (0, 100)]
    finally:
        sink.terminate()
        sink.wait()
        os.unlink(port_file)
    rows = {name: ao.median_run(r) for name, r in runs.items()}
    bare = rows["bare"]["cpu_us"]
    print(f"{'case':<24}{'CPU µs/req':>12}{'overhead µs':>13}{'wall µs':>10}"
          f"{'delivered/created':>20}")
    for name, r in rows.items():
        ratio = "-" if name == "bare" else f"{r['delivered']}/{r['created']}"
        print(f"{name:<24}{r['cpu_us']:>12.2f}{r['cpu_us'] - bare:>13.2f}{r['wall_us']:>10.2f}"
              f"{ratio:>20}")
    spread = {name: sorted(round(x["cpu_us"], 2) for x in r) for name, r in runs.items()}
    print("every round, CPU µs/req:", json.dumps(spread))
    for c in checks:
        print(f"one check ({c['reader']}, {c['in_flight']} requests in flight): "
              f"{c['check_us']:.1f} µs CPU; memory read {c['memory']}")


if __name__ == "__main__":
    main()
