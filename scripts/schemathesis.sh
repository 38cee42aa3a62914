#!/usr/bin/env bash
# Tests the API against its own OpenAPI document with Schemathesis
# (https://schemathesis.readthedocs.io): every operation with the document's
# examples, boundary values (coverage), generated valid and invalid requests
# (fuzzing), then chains of calls following the links it finds (stateful),
# with every check on (`--checks all`): no 5xx, statuses, content types,
# headers and bodies as documented, schema-valid requests accepted, invalid
# ones refused, undeclared methods answered 405 with Allow.
#
#   scripts/schemathesis.sh [schemathesis run options]
#
# Without ENDPOINT it starts the built service (`npm run build` first) on a
# free port of 127.0.0.1, on a throwaway embedded PostgreSQL unless
# DATABASE_URL or DB_HOST is set, with a fresh API key (so the document
# declares bearer authentication and the 401s are checked too), and stops it
# afterwards. Exit status:
# Schemathesis's (0: no failure); 2 when Schemathesis or the build is missing;
# 4 when the service did not start.
#
# Environment:
#   SCHEMATHESIS      the schemathesis executable (default: on PATH; it is
#                     pinned in requirements-schemathesis.txt)
#   ENDPOINT          test this running service instead
#   API_KEY           its API key, when it has API keys on
#   SCHEMATHESIS_SEED the generation seed (default 6400: CI tests the same
#                     cases on every run; set another to explore)
set -euo pipefail
cd "$(dirname "$0")/.."

schemathesis="${SCHEMATHESIS:-schemathesis}"
if ! command -v "${schemathesis}" >/dev/null 2>&1; then
  echo "schemathesis: not found (${schemathesis}). Install it with:" >&2
  echo '  python3 -m venv .venv-schemathesis && .venv-schemathesis/bin/pip install -r requirements-schemathesis.txt' >&2
  echo '  SCHEMATHESIS=.venv-schemathesis/bin/schemathesis scripts/schemathesis.sh' >&2
  exit 2
fi

service_pid=''
work_dir=''
stop_service() {
  if [ -n "${service_pid}" ] && kill -TERM "${service_pid}" 2>/dev/null; then
    wait "${service_pid}" || true
  fi
  service_pid=''
  if [ -n "${work_dir}" ]; then rm -rf "${work_dir}"; fi
}
trap stop_service EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

endpoint="${ENDPOINT:-}"
api_key="${API_KEY:-}"
if [ -z "${endpoint}" ]; then
  main=dist/apps/taskoverflow/src/main.js
  if [ ! -f "${main}" ]; then
    echo "schemathesis: the service is not built (${main} is missing): run npm run build first" >&2
    exit 2
  fi
  work_dir="$(mktemp -d)"
  # As root, embedded PostgreSQL runs as the user postgres, who must be able to enter it.
  chmod 755 "${work_dir}"
  port="$(node -e "const s = require('node:net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })")"
  endpoint="http://127.0.0.1:${port}"
  api_key="$(node -e "console.log(require('node:crypto').randomBytes(24).toString('base64url'))")"
  API_KEYS="${api_key}" DB_EMBEDDED_DIR="${work_dir}/postgres" PORT="${port}" HOST=127.0.0.1 LOG_LEVEL=warn \
    node "${main}" >"${work_dir}/service.log" 2>&1 &
  service_pid=$!
  for attempt in $(seq 1 240); do
    if curl -fsS "${endpoint}/api/v1/health/ready" >/dev/null 2>&1; then break; fi
    if ! kill -0 "${service_pid}" 2>/dev/null || [ "${attempt}" = 240 ]; then
      echo 'schemathesis: the service did not become ready:' >&2
      tail -n 30 "${work_dir}/service.log" >&2
      exit 4
    fi
    sleep 0.5
  done
fi

auth=()
if [ -n "${api_key}" ]; then auth=(--header "Authorization: Bearer ${api_key}"); fi
echo "schemathesis: $("${schemathesis}" --version) against ${endpoint}${api_key:+ (with an API key)}"
"${schemathesis}" run "${endpoint}/api/docs/openapi.json" \
  --checks all --seed "${SCHEMATHESIS_SEED:-6400}" --no-color "${auth[@]}" "$@"
