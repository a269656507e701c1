#!/usr/bin/env bash
# Install everything Bongsu's demo and tests need, idempotently:
#   Debian packages (Chromium for browser tests, Redis and PostgreSQL for agent tests),
#   a virtualenv in .venv with `bongsu[dev]` installed editable (which builds the web
#   console with npm when its bundle is missing).
# Re-running is cheap: each step is skipped when its result is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
fc-list :lang=ko 2>/dev/null | grep -q . || need_apt+=(fonts-nanum)  # Korean labels in screenshots
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need_apt+=(postgresql)
command -v mariadbd >/dev/null 2>&1 || [[ -x /usr/sbin/mariadbd ]] || need_apt+=(mariadb-server)
command -v kubectl >/dev/null 2>&1 || need_apt+=(kubernetes-client)  # tests check the simulated cluster with a real kubectl
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)  # a throwaway certificate for the SMTP STARTTLS test
command -v pdftoppm >/dev/null 2>&1 || need_apt+=(poppler-utils)  # report tests look at PDF pages (pdftoppm, pdftotext)
if (( ${#need_apt[@]} )); then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # The packages' own services are not needed: tests start their servers themselves.
  $SUDO service redis-server stop >/dev/null 2>&1 || true
  $SUDO service postgresql stop >/dev/null 2>&1 || true
  $SUDO service mariadb stop >/dev/null 2>&1 || true
fi

# The web console is built with Node.js and npm during the install below; without them
# the console (and so the browser tests) would be missing, so stop here and say why.
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if (( node_major < 20 )) || ! command -v npm >/dev/null 2>&1; then
  echo "setup: Node.js >= 20 and npm are needed to build the web console" >&2
  echo "       (found: node $(node --version 2>/dev/null || echo none)," \
       "npm $(npm --version 2>/dev/null || echo none)); install them and re-run" >&2
  exit 1
fi

PYTHON=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
fi

# Reinstall only when the declared dependencies or the web console's sources change, or
# the web bundle is missing (the install's build hook rebuilds it).
stamp=.venv/.bongsu-installed
want=$( (cat pyproject.toml web/package-lock.json
         find web/src web/index.html web/vite.config.ts -type f -print0 | sort -z | xargs -0 cat
        ) 2>/dev/null | sha256sum | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" || ! -f src/bongsu/web/static/index.html ]]; then
  echo "setup: installing bongsu[dev] into .venv (builds the web console)"
  BONGSU_REQUIRE_WEB_BUILD=1 .venv/bin/python -m pip install -q -e '.[dev]'
  echo "$want" > "$stamp"
fi
echo "setup: ready"
