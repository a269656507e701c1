#!/usr/bin/env bash
# The main job: `bongsu demo` (the server on the embedded store plus a small shop of real
# Python services under the agent, with a load generator) and, beside it, `bongsu simulate`
# (a polyglot shop on Kubernetes: Java with JVM metrics, Go, pods, a database, an external
# API) feeding the same server.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${BONGSU_PORT:-8080}
OTLP_PORT=${BONGSU_OTLP_PORT:-4318}
DATA_DIR=${BONGSU_DATA_DIR:-bongsu-data}

.venv/bin/bongsu demo --port "$PORT" --otlp-port "$OTLP_PORT" --data-dir "$DATA_DIR" &
demo=$!
trap 'kill -TERM $demo 2>/dev/null; wait $demo 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 300); do
  .venv/bin/python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$PORT/healthz', timeout=1)" \
    >/dev/null 2>&1 && break
  kill -0 $demo 2>/dev/null || exit 1
  sleep 0.2
done
echo
echo "Open http://127.0.0.1:$PORT/ — real services and simulated traffic are flowing (Ctrl-C stops all)."
echo
.venv/bin/bongsu simulate --endpoint "http://127.0.0.1:$OTLP_PORT" --rate "${RATE:-20}"
