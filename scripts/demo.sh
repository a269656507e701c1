#!/usr/bin/env bash
# The main job: the Bongsu server, fed by `bongsu simulate --kube` (a polyglot shop on two
# simulated Kubernetes clusters, private and public, behind a 30/70 load balancer: Java
# with JVM metrics, Go, pods that crash-loop, get OOM-killed, fail image pulls, get
# evicted and autoscale, ingress-nginx and HAProxy router metrics) and by `bongsu demo
# --endpoint` (a small shop of real Python services under the agent). The server watches
# both clusters and scrapes both edge proxies.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${BONGSU_PORT:-8080}
OTLP_PORT=${BONGSU_OTLP_PORT:-4318}
DATA_DIR=${BONGSU_DATA_DIR:-bongsu-data}
KUBE_DIR=${KUBE_DIR:-$DATA_DIR/kube}
BIN=.venv/bin/bongsu

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

mkdir -p "$KUBE_DIR"
rm -f "$KUBE_DIR"/*.kubeconfig "$KUBE_DIR"/*.ingress
# The simulator first: the server reads the kubeconfigs it writes. Its exports before the
# server is up are dropped, as an SDK's would be.
$BIN simulate --endpoint "http://127.0.0.1:$OTLP_PORT" --rate "${RATE:-20}" \
  --kube --kube-dir "$KUBE_DIR" ${KUBE_FAILOVER:+--kube-failover} &
pids+=($!)
clusters=(onprem-seoul:private aws-apne2:public)
for _ in $(seq 1 150); do
  ready=1
  for c in "${clusters[@]}"; do [[ -f "$KUBE_DIR/${c%%:*}.ingress" ]] || ready=0; done
  (( ready )) && break
  sleep 0.2
done
kube_args=()
for c in "${clusters[@]}"; do
  name=${c%%:*}
  kube_args+=(--kube "$c=$KUBE_DIR/$name.kubeconfig")
  kube_args+=(--kube-ingress "$name=$(cat "$KUBE_DIR/$name.ingress")")
done

$BIN server --single-user --port "$PORT" --otlp-port "$OTLP_PORT" --data-dir "$DATA_DIR" "${kube_args[@]}" &
server=$!
pids+=($server)
for _ in $(seq 1 300); do
  .venv/bin/python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$PORT/healthz', timeout=1)" \
    >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || exit 1
  sleep 0.2
done
$BIN demo --endpoint "http://127.0.0.1:$OTLP_PORT" &
pids+=($!)
echo
echo "Open http://127.0.0.1:$PORT/ — simulated clusters, real services and traffic are flowing."
echo "kubectl --kubeconfig $KUBE_DIR/aws-apne2.kubeconfig get pods -A   (Ctrl-C stops all)"
echo
wait "$server"
