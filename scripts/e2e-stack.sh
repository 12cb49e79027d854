#!/usr/bin/env bash
# The real stack for the browser tests, on a fresh database.
#
# Contract: `scripts/e2e-stack.sh` prints `E2E_BASE_URL=http://127.0.0.1:PORT` on stdout
# (its only stdout line) once the gateway answers /health, and keeps running until killed
# (SIGTERM or SIGINT); it then stops the server, drops the database and removes its
# temporary files. It exits non-zero if the stack does not come up or the server stops on
# its own. Everything else (build output, the server's log on failure) goes to stderr.
#
# What it starts: a database `ap_e2e_<random>` on the PostgreSQL that scripts/postgres.sh
# finds, `apctl migrate`, `apctl seed --demo` (the demo accounts, password demo-password),
# then `apctl serve all` with GATEWAY_ADDR=127.0.0.1:<free port> (E2E_PORT to choose it),
# WEB_DIR=web/dist (built first if missing), dev keys generated into a temporary directory
# and a login rate limit high enough for a test suite that signs in many times.
# The server's log is kept at E2E_LOG if set (default: a temporary file, shown on failure).
# APCTL=/path/to/apctl uses that binary instead of building target/debug/apctl.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/postgres.sh >&2

say() { echo "e2e-stack: $*" >&2; }

# APCTL names a binary to use as is; otherwise target/debug/apctl, built (or found current).
if [ -z "${APCTL:-}" ]; then
  cargo build --quiet --bin apctl >&2
  APCTL="$PWD/target/debug/apctl"
fi

if [ ! -f web/dist/index.html ] && [ -f web/package.json ]; then
  . scripts/web-deps.sh
  ap_web_build >&2
fi
[ -f web/dist/index.html ] || say "warning: web/dist/index.html is missing; / will say the app is not built"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/ap-e2e.XXXXXX")"
suffix="$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
db="ap_e2e_$suffix"
base_url="${DATABASE_URL%%\?*}"
params=""
case "$DATABASE_URL" in *\?*) params="?${DATABASE_URL#*\?}" ;; esac
admin_url="${base_url%/*}/postgres$params"
export DATABASE_URL="${base_url%/*}/$db$params"

server_pid=""
log="${E2E_LOG:-$tmp/server.log}"
cleanup() {
  local code=$?
  trap - EXIT INT TERM
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "$code" -ne 0 ] && [ -f "$log" ]; then
    say "server log (last 60 lines of $log):"
    tail -n 60 "$log" >&2 || true
  fi
  if command -v psql >/dev/null 2>&1; then
    psql -q "$admin_url" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 \
      || say "could not drop database $db"
  else
    say "psql is not installed: drop database $db by hand"
  fi
  rm -rf "$tmp"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
    || echo $((20000 + RANDOM % 20000))
}
port="${E2E_PORT:-$(free_port)}"

"$APCTL" keys generate --out "$tmp/keys" >/dev/null
export JWT_PRIVATE_KEY="$tmp/keys/jwt_private.pem"
export JWT_PUBLIC_KEY="$tmp/keys/jwt_public.pem"
DATA_ENCRYPTION_KEY="$(head -c 32 /dev/urandom | base64)"
export DATA_ENCRYPTION_KEY
export APP_ENV=development
export DATA_DIR="$tmp/data"
unset STORAGE_URL
export GATEWAY_ADDR="127.0.0.1:$port"
export PUBLIC_URL="http://127.0.0.1:$port"
export WEB_DIR="$PWD/web/dist"
export RATE_LIMIT_LOGIN_PER_MIN="${RATE_LIMIT_LOGIN_PER_MIN:-1000}"
export RATE_LIMIT_UPLOAD_PER_MIN="${RATE_LIMIT_UPLOAD_PER_MIN:-1000}"
export LOG_FORMAT="${LOG_FORMAT:-json}"

say "database $db"
"$APCTL" migrate >&2
"$APCTL" seed --demo >&2
"$APCTL" serve all >"$log" 2>&1 &
server_pid=$!

url="http://127.0.0.1:$port"
for _ in $(seq 1 240); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    say "the server stopped before it was healthy"
    exit 1
  fi
  if curl -fsS -o /dev/null --max-time 2 "$url/health" 2>/dev/null; then
    echo "E2E_BASE_URL=$url"
    say "ready at $url (stop with SIGTERM)"
    # Until killed: `wait` returns early on the trapped signal, then cleanup runs.
    wait "$server_pid" || true
    say "the server stopped on its own"
    exit 1
  fi
  sleep 0.5
done
say "no healthy gateway at $url after 120 s"
exit 1
