#!/usr/bin/env bash
# The main job: a Bongsu server on the embedded store, fed live by `bongsu simulate`.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${BONGSU_PORT:-8080}
OTLP_PORT=${BONGSU_OTLP_PORT:-4318}
DATA_DIR=${BONGSU_DATA_DIR:-bongsu-data}

.venv/bin/bongsu server --port "$PORT" --otlp-port "$OTLP_PORT" --data-dir "$DATA_DIR" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server' EXIT INT TERM
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
echo
echo "Open http://127.0.0.1:$PORT/ — simulated traffic is flowing (Ctrl-C stops both)."
echo
.venv/bin/bongsu simulate --endpoint "http://127.0.0.1:$OTLP_PORT" --rate "${RATE:-30}"
