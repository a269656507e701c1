#!/bin/sh
# Regenerate src/api/schema.gen.ts from the server's OpenAPI document (npm run gen:api);
# an argument writes elsewhere (an absolute path, or relative to web/).
# The document comes from `python -m bongsu.api.schema` (no server, no data); set PYTHON
# to choose the interpreter (default: the repository's .venv, else `python`).
# tests/web/test_api_types.py fails when the committed file differs from this output.
set -eu
cd "$(dirname "$0")/.."
out=${1:-src/api/schema.gen.ts}
py=${PYTHON:-}
if [ -z "$py" ]; then
  if [ -x ../.venv/bin/python ]; then py=../.venv/bin/python; else py=python; fi
fi
doc=$(mktemp "${TMPDIR:-/tmp}/bongsu-openapi.XXXXXX")
trap 'rm -f "$doc"' EXIT
"$py" -m bongsu.api.schema > "$doc"
node_modules/.bin/openapi-typescript "$doc" --output "$out"
